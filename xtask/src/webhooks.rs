//! `cargo xtask webhooks [--edge URL]`: the exact URLs an operator pastes into each carrier's
//! and provider's console, and which secret goes where.

use ringproof_core::carriers::Carrier;

pub const USAGE: &str = "usage: cargo xtask webhooks [--edge URL]

Prints the webhook URL to paste into each carrier's and provider's console for the edge at URL
(default $RINGPROOF_EDGE, else http://127.0.0.1:8787), with the secret each one needs.";

/// Where each carrier's console asks for the URL, and where it shows the key.
fn guide(carrier: Carrier) -> (&'static str, &'static str, &'static str) {
    match carrier {
        Carrier::Twilio => (
            "Twilio",
            "Phone Numbers > Manage > Active numbers > (the number) > Voice Configuration: \
             \"A call comes in\" = Webhook, HTTP POST",
            "Account Info > Auth Token",
        ),
        Carrier::Telnyx => (
            "Telnyx",
            "Voice > Programmable Voice > (a Call Control application): Webhook URL, API v2; \
             assign the number to that application",
            "Keys & Credentials > Public Key (and an API key, as TELNYX_API_KEY, for the reject command)",
        ),
        Carrier::Plivo => (
            "Plivo",
            "Voice > Applications > (an application): Answer URL, method POST; assign the \
             number to that application",
            "Overview > Auth Token",
        ),
        Carrier::Generic => (
            "Any other carrier (your adapter)",
            "POST the MissedCallWebhook JSON, signed with Standard Webhooks",
            "any Standard Webhooks secret you generate (whsec_ and base64)",
        ),
    }
}

pub fn run(args: &[String]) -> Result<(), String> {
    let edge = match args {
        [] => std::env::var("RINGPROOF_EDGE").unwrap_or_else(|_| "http://127.0.0.1:8787".into()),
        [flag, url] if flag == "--edge" => url.clone(),
        _ => return Err(USAGE.into()),
    };
    let edge = edge.trim_end_matches('/');
    println!("Missed-call carriers (list each number in INBOUND_NUMBERS as +E164=carrier):\n");
    for carrier in Carrier::ALL {
        let (name, where_, key) = guide(carrier);
        println!("  {name}");
        println!("    paste   {edge}{}", carrier.path());
        println!("    where   {where_}");
        println!(
            "    secret  npx wrangler secret put {}   ({key})",
            carrier.key_name()
        );
        println!();
    }
    println!("Code providers (the path's last segment is the secret):\n");
    println!("  MCN (flash call)  {edge}/v1/providers/mcn/<MCN_WEBHOOK_SECRET>");
    println!("  TeleSign (SMS)    {edge}/v1/providers/telesign/<TELESIGN_WEBHOOK_SECRET>");
    Ok(())
}
