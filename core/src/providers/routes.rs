//! Which providers carry each channel, per country, in order: the operator's `PROVIDER_ROUTES`,
//! e.g. `{"sms": {"*": ["telesign", "twilio-messaging"], "IN": ["twilio-messaging", "telesign"]},
//! "voice_call": {"*": ["phone-confirm", "twilio-voice"]}}`. A country without a list of its own
//! takes `*`'s; a channel the operator leaves out keeps the default order ([`Routes::default`]).

use super::ProviderId;
use ringproof_api::Channel;
use std::collections::BTreeMap;

/// The list for every country without one of its own, and the country of a number that has
/// none (a non-geographic range).
pub const ANY_COUNTRY: &str = "*";

/// The country a send to `phone` is routed, and its providers' health kept, by.
pub fn country_of(phone: &crate::phone::E164) -> String {
    phone.region().unwrap_or_else(|| ANY_COUNTRY.to_owned())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routes {
    by_channel: BTreeMap<&'static str, BTreeMap<String, Vec<ProviderId>>>,
}

const CODE_CHANNELS: [Channel; 3] = [Channel::FlashCall, Channel::Sms, Channel::VoiceCall];

impl Default for Routes {
    /// The README's recommended order: each channel's first provider is the one its seed
    /// describes, the second a provider of the same channel from another network.
    fn default() -> Self {
        let mut by_channel = BTreeMap::new();
        for channel in CODE_CHANNELS {
            let order: Vec<ProviderId> = ProviderId::ALL
                .into_iter()
                .filter(|p| p.channel() == channel)
                .collect();
            by_channel.insert(
                channel.as_str(),
                BTreeMap::from([(ANY_COUNTRY.to_owned(), order)]),
            );
        }
        Routes { by_channel }
    }
}

impl Routes {
    /// Reads `PROVIDER_ROUTES`; `None` or blank is the default order.
    pub fn parse(config: Option<&str>) -> Result<Routes, String> {
        let mut routes = Routes::default();
        let Some(text) = config.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(routes);
        };
        let given: BTreeMap<String, BTreeMap<String, Vec<String>>> = serde_json::from_str(text)
            .map_err(|e| {
                format!("PROVIDER_ROUTES is not {{channel: {{country: [provider]}}}}: {e}")
            })?;
        for (channel_name, countries) in given {
            let channel = CODE_CHANNELS
                .into_iter()
                .find(|c| c.as_str() == channel_name)
                .ok_or_else(|| format!("PROVIDER_ROUTES: {channel_name} is not a code channel"))?;
            let mut lists = BTreeMap::new();
            for (country, names) in countries {
                let country = country.trim().to_ascii_uppercase();
                if country != ANY_COUNTRY
                    && (country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()))
                {
                    return Err(format!(
                        "PROVIDER_ROUTES: {country} is not * or an ISO country code"
                    ));
                }
                let mut order = Vec::new();
                for name in names {
                    let p = ProviderId::from_name(&name)
                        .ok_or_else(|| format!("PROVIDER_ROUTES: no provider is called {name}"))?;
                    if p.channel() != channel {
                        return Err(format!(
                            "PROVIDER_ROUTES: {name} does not carry {channel_name}"
                        ));
                    }
                    if !order.contains(&p) {
                        order.push(p);
                    }
                }
                lists.insert(country, order);
            }
            if !lists.contains_key(ANY_COUNTRY) {
                let default = routes.by_channel[channel.as_str()][ANY_COUNTRY].clone();
                lists.insert(ANY_COUNTRY.to_owned(), default);
            }
            routes.by_channel.insert(channel.as_str(), lists);
        }
        Ok(routes)
    }

    /// The providers that carry `channel` to `country` (ISO 3166-1), first choice first.
    pub fn order(&self, channel: Channel, country: Option<&str>) -> &[ProviderId] {
        let Some(lists) = self.by_channel.get(channel.as_str()) else {
            return &[];
        };
        country
            .and_then(|c| lists.get(c))
            .or_else(|| lists.get(ANY_COUNTRY))
            .map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProviderId::*;

    #[test]
    fn a_number_without_a_country_takes_the_list_for_any() {
        let gb = crate::phone::normalise("+447400123456", None).unwrap();
        assert_eq!(country_of(&gb), "GB");
        // A non-geographic range (Inmarsat's +870) has no country of its own.
        if let Ok(sea) = crate::phone::normalise("+870773111632", None) {
            assert_eq!(country_of(&sea), ANY_COUNTRY);
        }
        let r = Routes::default();
        assert_eq!(
            r.order(Channel::Sms, Some(ANY_COUNTRY)),
            r.order(Channel::Sms, None)
        );
    }

    #[test]
    fn the_default_order_is_the_seeds_provider_then_twilio() {
        let r = Routes::default();
        assert_eq!(
            r.order(Channel::Sms, Some("GB")),
            [Telesign, TwilioMessaging]
        );
        assert_eq!(
            r.order(Channel::VoiceCall, None),
            [PhoneConfirm, TwilioVoice]
        );
        assert_eq!(r.order(Channel::FlashCall, Some("RU")), [Mcn]);
        assert!(r.order(Channel::MissedCall, None).is_empty());
        assert_eq!(Routes::parse(Some("  ")).unwrap(), r);
    }

    #[test]
    fn operators_order_providers_per_country() {
        let r = Routes::parse(Some(
            r#"{"sms": {"IN": ["twilio-messaging", "telesign"], "de": ["twilio-messaging"]}}"#,
        ))
        .unwrap();
        assert_eq!(
            r.order(Channel::Sms, Some("IN")),
            [TwilioMessaging, Telesign]
        );
        assert_eq!(r.order(Channel::Sms, Some("DE")), [TwilioMessaging]);
        assert_eq!(
            r.order(Channel::Sms, Some("GB")),
            [Telesign, TwilioMessaging]
        );
        assert_eq!(
            r.order(Channel::VoiceCall, Some("IN")),
            [PhoneConfirm, TwilioVoice]
        );
    }

    #[test]
    fn a_route_that_cannot_work_is_refused_with_its_reason() {
        for (config, says) in [
            (r#"{"sms": {"*": ["phone-confirm"]}}"#, "does not carry"),
            (
                r#"{"sms": {"*": ["vonage"]}}"#,
                "no provider is called vonage",
            ),
            (r#"{"missed_call": {"*": []}}"#, "not a code channel"),
            (r#"{"sms": {"GBR": ["telesign"]}}"#, "ISO country code"),
            (r#"["telesign"]"#, "is not"),
        ] {
            let e = Routes::parse(Some(config)).unwrap_err();
            assert!(e.contains(says), "{config}: {e}");
        }
    }
}
