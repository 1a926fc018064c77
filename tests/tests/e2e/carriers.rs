//! Issue 24: the missed call on real phone lines. Each carrier places calls with its own
//! documented webhook, signed as it signs (`fake_providers::carriers`, checked against the
//! carriers' SDKs); the edge must believe exactly the genuine, fresh reports for numbers it rents
//! from that carrier, and answer each carrier so the call is refused unanswered.

use crate::{inbound_number, visitor_e164, Ctx, Scenario, ORIGIN};
use ringproof_api::Channel;
use ringproof_core::carriers::Carrier;
use ringproof_tests::fake_providers::{incoming_call, CarrierKeys};
use ringproof_tests::harness::{carrier_of, SandboxSite, SANDBOX_NUMBERS};
use serde_json::json;

pub const SCENARIOS: &[(&str, Scenario)] = scenarios![
    every_carrier_verifies_only_with_its_own_fresh_signature,
    a_replayed_carrier_report_verifies_nothing_new,
];

/// A site whose pool is the two sandbox numbers rented from `carrier`.
fn site_on(ctx: &Ctx, carrier: Carrier) -> SandboxSite {
    let creds = SandboxSite::generate(&ctx.edge.secrets);
    let mut site = ctx.edge.site(&creds, "Carriers", &["http://localhost:*"]);
    site.channels = vec![Channel::MissedCall];
    site.inbound_numbers = SANDBOX_NUMBERS
        .iter()
        .filter(|n| carrier_of(n) == carrier)
        .take(2)
        .map(|n| n.to_string())
        .collect();
    ctx.edge.put_site(&site).unwrap();
    creds
}

/// A missed-call verification of the scenario's number on `site`: (its id, the number shown).
fn start(ctx: &Ctx, site: &SandboxSite) -> (String, String) {
    let r = ctx.create(
        json!({"site_key": site.site_key, "phone": visitor_e164(), "channel": "missed_call"}),
        Some(ORIGIN),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    (
        v["verification_id"].as_str().unwrap().to_owned(),
        inbound_number(v["call_to_uri"].as_str().unwrap()),
    )
}

/// Checks that `r` refused the report as `code`. Twilio and Plivo are still answered 200 with
/// the markup that rejects the call (anything else makes them answer it, billing the caller, to
/// play an error), the code in a header; Telnyx and the generic adapter get `status` and the
/// error itself.
fn assert_refused(
    carrier: Carrier,
    why: &str,
    r: &ringproof_tests::http::Reply,
    status: u16,
    code: &str,
) {
    let what = format!("{} ({why}): {}", carrier.name(), r.body);
    match carrier {
        Carrier::Twilio | Carrier::Plivo => {
            assert_eq!(r.status, 200, "{what}");
            let rejects = r.body.contains(r#"<Reject reason="busy"/>"#)
                || r.body.contains(r#"<Hangup reason="busy"/>"#);
            assert!(rejects, "{what}");
            assert_eq!(r.call_outcome(), "", "nothing was verified");
            assert_eq!(r.header("Ringproof-Refusal"), Some(code), "{what}");
        }
        Carrier::Telnyx | Carrier::Generic => {
            assert_eq!(
                (r.status, r.error_code().as_str()),
                (status, code),
                "{what}"
            );
        }
    }
}

fn signature_header(carrier: Carrier) -> &'static str {
    match carrier {
        Carrier::Twilio => "X-Twilio-Signature",
        Carrier::Telnyx => "telnyx-signature-ed25519",
        Carrier::Plivo => "X-Plivo-Signature-V3",
        Carrier::Generic => "webhook-signature",
    }
}

fn every_carrier_verifies_only_with_its_own_fresh_signature(ctx: &Ctx) {
    let keys = ctx.edge.fakes.config().carriers;
    let strangers = CarrierKeys::generate();
    let base = &ctx.edge.base_url;
    let caller = visitor_e164();
    for carrier in Carrier::ALL {
        let site = site_on(ctx, carrier);
        let (id, called) = start(ctx, &site);
        let now = crate::now_secs();
        let genuine = incoming_call(&keys, carrier, base, caller, &called, now);
        let other = Carrier::ALL.into_iter().find(|c| *c != carrier).unwrap();
        let mut forged = vec![
            (
                "signed with another key",
                incoming_call(&strangers, carrier, base, caller, &called, now),
                401,
                "carrier_signature_mismatch",
            ),
            (
                "unsigned",
                genuine.with_header(signature_header(carrier), None),
                401,
                "carrier_unsigned",
            ),
            (
                "genuinely signed by another carrier, for a number that carrier does not rent us",
                incoming_call(&keys, other, base, caller, &called, now),
                403,
                "carrier_not_our_number",
            ),
        ];
        let mut altered = genuine.clone();
        altered.body = altered.body.replace(&caller[3..], "7400999999");
        forged.push(("altered", altered, 401, "carrier_signature_mismatch"));
        if matches!(carrier, Carrier::Telnyx | Carrier::Generic) {
            forged.push((
                "signed six minutes ago",
                incoming_call(&keys, carrier, base, caller, &called, now - 360),
                401,
                "carrier_report_stale",
            ));
        }
        for (what, req, status, code) in forged {
            let r = req.send().unwrap();
            // Each is answered in the terms of the carrier whose webhook it reached.
            let to = Carrier::ALL
                .into_iter()
                .find(|c| req.url.ends_with(&c.path()))
                .unwrap();
            assert_refused(to, what, &r, status, code);
            assert_eq!(ctx.status(&id)["status"], "pending", "{what}");
        }

        let rejects = ctx.edge.fakes.telnyx_rejects().len();
        let r = genuine.send().unwrap();
        assert_eq!(
            (r.status, r.call_outcome()),
            (200, "verified"),
            "{}: {}",
            carrier.name(),
            r.body
        );
        assert_eq!(ctx.status(&id)["status"], "verified");
        // Each carrier is told to refuse the call unanswered, in its own terms.
        let body = r.body.as_str();
        match carrier {
            Carrier::Twilio => {
                assert!(r.header("content-type").unwrap().starts_with("text/xml"));
                assert!(
                    body.contains(r#"<Response><Reject reason="busy"/></Response>"#),
                    "{body}"
                );
            }
            Carrier::Plivo => {
                assert!(r
                    .header("content-type")
                    .unwrap()
                    .starts_with("application/xml"));
                assert_eq!(body, r#"<Response><Hangup reason="busy"/></Response>"#);
            }
            Carrier::Telnyx => {
                // Sent once the webhook is answered.
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
                let after = loop {
                    let after = ctx.edge.fakes.telnyx_rejects();
                    if after.len() > rejects || std::time::Instant::now() > deadline {
                        break after;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                };
                assert_eq!(after.len(), rejects + 1, "one reject command: {after:?}");
                let sent: serde_json::Value = serde_json::from_str(&genuine.body).unwrap();
                let control = sent["data"]["payload"]["call_control_id"].as_str().unwrap();
                assert!(
                    after.last().unwrap().contains(&control.replace(':', "%3A"))
                        || after.last().unwrap().contains(control),
                    "{after:?}"
                );
                assert_eq!(r.json()["outcome"], "verified");
            }
            Carrier::Generic => assert_eq!(r.json()["outcome"], "verified"),
        }
    }
}

fn a_replayed_carrier_report_verifies_nothing_new(ctx: &Ctx) {
    for carrier in [Carrier::Twilio, Carrier::Plivo] {
        // Neither signs a time: a captured report could be sent again at any moment, so the
        // call id is what makes it worthless.
        let site = site_on(ctx, carrier);
        let (first, called) = start(ctx, &site);
        let report = ctx.edge.incoming_call(visitor_e164(), &called);
        assert_eq!(report.send().unwrap().call_outcome(), "verified");
        // The same number starts again (the verified pair is out of circulation, so the other
        // number is shown); the captured report, sent again, goes where it went first.
        let (second, again) = start(ctx, &site);
        assert_ne!(again, called);
        let r = report.send().unwrap();
        assert_eq!((r.status, r.call_outcome()), (200, "repeat"), "{}", r.body);
        assert_eq!(ctx.status(&second)["status"], "pending");
        assert_eq!(ctx.status(&first)["status"], "verified");
        let r = ctx.edge.call(visitor_e164(), &again).unwrap();
        assert_eq!(r.call_outcome(), "verified", "{}", carrier.name());
    }
}
