//! Who a client is, for the limits that count per client. An IPv4 address is one client; an
//! IPv6 client is its /64, because one subscriber line, server or phone gets a whole /64 and
//! can rotate through its 2^64 addresses for free. A /48 (a site's or a provider's allocation)
//! is counted too, with a wider bound, so a client cannot rotate /64s either.

use std::net::{IpAddr, Ipv6Addr};

/// A client as the limits name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The address (IPv4) or the /64 (IPv6): what per-client limits count.
    pub network: String,
    /// The IPv6 /48 the /64 belongs to; `None` for IPv4.
    pub allocation: Option<String>,
}

/// How many /64 clients' worth of one /48 a per-client limit allows before the /48 itself is
/// refused. Mobile carriers hand out /64s from /48s their subscribers share, so the bound is
/// wide: it stops one machine rotating /64s, not a carrier's customers.
pub const NETWORKS_PER_ALLOCATION: u32 = 16;

/// A client whose address is not known (only possible outside Cloudflare).
pub const UNKNOWN: &str = "unknown";

/// The address in a request's `CF-Connecting-IP` (Cloudflare sets it from the connection; a
/// client cannot choose it in production), as the edge keeps it: none, or anything longer
/// than an address can be, is [`UNKNOWN`].
pub fn connecting_ip(header: Option<&str>) -> String {
    header
        .filter(|ip| ip.len() <= 64)
        .unwrap_or(UNKNOWN)
        .to_owned()
}

impl Client {
    /// The client behind `ip`, the address Cloudflare saw the connection from. Anything that
    /// is not an address (only possible outside Cloudflare) is one client, `unknown`.
    pub fn from_ip(ip: &str) -> Client {
        match ip.trim().parse::<IpAddr>() {
            Ok(IpAddr::V4(v4)) => Client::v4(v4.to_string()),
            Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => Client::v4(v4.to_string()),
                None => Client {
                    network: prefix(&v6, 4, 64),
                    allocation: Some(prefix(&v6, 3, 48)),
                },
            },
            Err(_) => Client::v4(UNKNOWN.to_owned()),
        }
    }

    /// The server of a self-service activity (one a console account owns), whatever address it
    /// calls from. A site's server pays no proof of work, so for a stranger's activity its
    /// addresses are free to rotate; its account is not (each is a number proved by a call).
    /// Every per-client bound (starts, lines held for one caller) then holds per account.
    pub fn owners_server(account_id: &str) -> Client {
        Client::v4(format!("account:{account_id}"))
    }

    /// This machine itself: only a local edge (`wrangler dev`) sees such a client.
    pub fn is_loopback(&self) -> bool {
        self.network == "127.0.0.1" || self.network == "::/64"
    }

    fn v4(network: String) -> Client {
        Client {
            network,
            allocation: None,
        }
    }
}

/// The first `groups` 16-bit groups of `a` as a prefix of `bits`, e.g. `2001:db8:1:2::/64`.
fn prefix(a: &Ipv6Addr, groups: usize, bits: u8) -> String {
    let mut s = [0u16; 8];
    s[..groups].copy_from_slice(&a.segments()[..groups]);
    format!("{}/{bits}", Ipv6Addr::from(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_client_is_its_64_within_its_48() {
        let a = Client::from_ip("2001:db8:aa:bb:1:2:3:4");
        let b = Client::from_ip("2001:db8:aa:bb:ffff:ffff:ffff:ffff");
        assert_eq!(a, b, "rotating inside a /64 is one client");
        assert_eq!(a.network, "2001:db8:aa:bb::/64");
        assert_eq!(a.allocation.as_deref(), Some("2001:db8:aa::/48"));
        let c = Client::from_ip("2001:db8:aa:cc::1");
        assert_ne!(a.network, c.network, "another /64 is another client");
        assert_eq!(a.allocation, c.allocation, "in the same /48");
    }

    #[test]
    fn an_owners_server_is_one_client_and_no_address() {
        let a = Client::owners_server("acc1");
        assert_eq!(a, Client::owners_server("acc1"));
        assert_ne!(a, Client::owners_server("acc2"));
        assert_eq!(a.allocation, None);
        for ip in ["198.51.100.7", "2001:db8:aa:bb::1", "unknown"] {
            assert_ne!(Client::from_ip(ip).network, a.network, "{ip}");
        }
        assert!(!a.is_loopback());
    }

    #[test]
    fn ipv4_and_mapped_addresses_are_themselves() {
        assert_eq!(Client::from_ip("198.51.100.7").network, "198.51.100.7");
        assert_eq!(
            Client::from_ip("::ffff:198.51.100.7").network,
            "198.51.100.7"
        );
        assert_eq!(Client::from_ip("198.51.100.7").allocation, None);
        assert_eq!(Client::from_ip("not an address").network, "unknown");
        assert_eq!(connecting_ip(Some("203.0.113.7")), "203.0.113.7");
        assert_eq!(connecting_ip(None), UNKNOWN);
        assert_eq!(connecting_ip(Some(&"1".repeat(65))), UNKNOWN);
        assert!(Client::from_ip("127.0.0.1").is_loopback());
        assert!(Client::from_ip("::1").is_loopback());
        assert!(!Client::from_ip("198.51.100.7").is_loopback());
    }
}
