use super::*;

const KEY: &[u8] = b"token key";
const T0: Timestamp = Timestamp(1_795_413_908_000);

fn account() -> Account {
    Account {
        id: "rp_acct_abc".into(),
        number_hash: "h".into(),
        country: Some("GB".into()),
        last_two: "56".into(),
        created_at: T0.millis() as i64,
        epoch: 0,
        channels: channel_list(&DEFAULT_CHANNELS),
        max_activities: 2,
        suspended: 0,
    }
}

#[test]
fn a_session_names_its_account_until_it_runs_out() {
    let a = account();
    let value = session_cookie(KEY, &a, false, T0);
    let claim = read_session(KEY, &value, T0.plus_secs(60)).unwrap();
    assert_eq!(
        claim,
        Claim {
            account_id: a.id.clone(),
            epoch: 0,
            elevated: false,
        }
    );
    assert!(read_session(KEY, &value, T0.plus_secs(SESSION_SECS)).is_none());
    assert!(read_session(b"another key", &value, T0).is_none());
    let elevated = session_cookie(KEY, &a, true, T0);
    assert!(read_session(KEY, &elevated, T0).unwrap().elevated);
    // The account as it is now: signed out everywhere, or gone, it holds no session.
    assert_eq!(claim.holds(Some(a.clone())), Ok(a.clone()));
    let moved_on = Account {
        epoch: 1,
        ..a.clone()
    };
    assert_eq!(claim.holds(Some(moved_on)), Err(ApiError::SignInRequired));
    assert_eq!(claim.holds(None), Err(ApiError::SignInRequired));
    let other = Account {
        id: "rp_acct_other".into(),
        ..a
    };
    assert_eq!(claim.holds(Some(other)), Err(ApiError::SignInRequired));
}

#[test]
fn only_a_redeemed_token_signs_a_number_in() {
    let redeemed = ringproof_api::SiteverifyResponse {
        success: true,
        phone: Some("+447400123456".into()),
        ..Default::default()
    };
    assert_eq!(
        signed_in_number(&redeemed).map(|n| n.as_str().to_owned()),
        Ok("+447400123456".to_owned())
    );
    let refused = ringproof_api::SiteverifyResponse {
        success: false,
        ..redeemed.clone()
    };
    assert_eq!(
        signed_in_number(&refused).err(),
        Some(ApiError::Unauthorized)
    );
    let no_number = ringproof_api::SiteverifyResponse {
        phone: None,
        ..redeemed
    };
    assert_eq!(
        signed_in_number(&no_number).err(),
        Some(ApiError::Unauthorized)
    );
}

#[test]
fn a_forged_session_names_no_one() {
    let value = session_cookie(KEY, &account(), false, T0);
    let p: Vec<&str> = value.split('.').collect();
    let forged = [
        format!("rp_acct_other.{}.{}.{}.{}", p[1], p[2], p[3], p[4]),
        format!(
            "{}.{}.{}.{}.{}",
            p[0],
            p[1],
            p[2],
            p[3].replace('1', "2"),
            p[4]
        ),
        format!("{}.1.{}.{}.{}", p[0], p[2], p[3], p[4]),
        // Not elevated when signed: claiming it breaks the signature.
        format!("{}.{}.1.{}.{}", p[0], p[1], p[3], p[4]),
        format!("{}.{}.{}.{}.{}", p[0], p[1], p[2], p[3], "0".repeat(64)),
        format!("{value}.x"),
        String::new(),
        "a.b.c".into(),
    ];
    for f in forged {
        assert!(read_session(KEY, &f, T0).is_none(), "{f}");
    }
    // Signed with the right key but for longer than a session: not ours.
    let until = T0.secs() + SESSION_SECS * 10;
    let long = format!(
        "rp_acct_abc.0.0.{until}.{}",
        session_mac(KEY, "rp_acct_abc", 0, false, until)
    );
    assert!(read_session(KEY, &long, T0).is_none());
}

#[test]
fn the_cookie_is_host_only_http_only_secure_and_strict() {
    let set = set_cookie("v");
    for part in [
        "__Host-",
        "Path=/",
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Max-Age=43200",
    ] {
        assert!(set.contains(part), "{set}");
    }
    assert!(clear_cookie().contains("Max-Age=0"));
    assert_eq!(cookie_in(&format!("a=b; {COOKIE}=xyz; c=d")), Some("xyz"));
    assert_eq!(cookie_in("a=b"), None);
    assert_eq!(cookie_in(&format!("x{COOKIE}=1")), None);
}

#[test]
fn new_accounts_offer_only_the_missed_call_and_a_few_activities() {
    let a = account();
    assert_eq!(a.channels(), vec![Channel::MissedCall]);
    assert!(a.may_offer(&[Channel::MissedCall]).is_ok());
    assert_eq!(
        a.may_offer(&[Channel::MissedCall, Channel::Sms]),
        Err(ApiError::ChannelNotGranted(Channel::Sms))
    );
    let (sql, values) = a.add_activity("rp_site", Timestamp(5)).unwrap();
    assert!(
        sql.contains("< ?4"),
        "the limit is in the statement itself: {sql}"
    );
    assert_eq!(values.last(), Some(&crate::events::Value::Int(2)));
    assert!(a.activity_added(1).is_ok());
    assert_eq!(a.activity_added(0), Err(ApiError::TooManyActivities(2)));
    let suspended = Account { suspended: 1, ..a };
    assert_eq!(suspended.writable(), Err(ApiError::AccountSuspended));
    assert_eq!(
        suspended.add_activity("rp_site", Timestamp(5)).map(|_| ()),
        Err(ApiError::AccountSuspended)
    );
}

#[test]
fn account_ids_are_random_and_marked() {
    let a = new_id(&mut crate::random::testing::Seeded(1));
    let b = new_id(&mut crate::random::testing::Seeded(2));
    assert!(
        a.starts_with("rp_acct_") && a.len() == "rp_acct_".len() + 22,
        "{a}"
    );
    assert_ne!(a, b);
}

#[test]
fn the_view_masks_the_number() {
    let v = account().view(false, true);
    assert_eq!(v.number, "GB ••••••56");
    assert!(v.new && !v.operator);
}

#[test]
fn operators_are_listed_numbers() {
    let n = crate::phone::normalise("+447400123456", None).unwrap();
    let a = Account {
        number_hash: crate::events::mark(KEY, &n).hash,
        ..account()
    };
    assert!(is_operator(&a, KEY, "+15555550100, +447400123456"));
    assert!(!is_operator(&a, KEY, "+447400123457"));
    assert!(!is_operator(&a, KEY, ""));
    assert!(!is_operator(&a, b"another key", "+447400123456"));
}

#[test]
fn snippets_name_the_site_and_the_edge() {
    let s = snippets("https://edge.example", "rp_site_x");
    assert!(s.embed.contains(r#"site-key="rp_site_x""#), "{}", s.embed);
    assert!(s.embed.contains("https://edge.example/v1/widget.js"));
    assert!(
        s.server.contains("https://edge.example/v1/siteverify"),
        "{}",
        s.server
    );
    assert!(
        !s.server.contains("rp_site_x"),
        "the server needs the secret, not the key"
    );
}

#[test]
fn the_console_site_is_the_edges_own_page_and_free() {
    let s = console_site("https://ringproof.example", vec!["+442079460990".into()]);
    assert!(s.origin_allowed("https://ringproof.example"));
    assert!(!s.origin_allowed("https://evil.example"));
    assert_eq!(s.channels, vec![Channel::MissedCall]);
    assert!(s.callback_url.is_none());
}

#[test]
fn activities_keep_only_granted_channels_and_never_none() {
    let sms_too = Account {
        channels: channel_list(&[Channel::MissedCall, Channel::Sms]),
        ..account()
    };
    let offered = [Channel::Sms, Channel::VoiceCall, Channel::MissedCall];
    assert_eq!(
        allowed_channels(&sms_too, &offered),
        vec![Channel::Sms, Channel::MissedCall]
    );
    let suspended = Account {
        suspended: 1,
        ..sms_too.clone()
    };
    assert_eq!(
        allowed_channels(&suspended, &offered),
        vec![Channel::MissedCall]
    );
    assert_eq!(
        allowed_channels(&suspended, &[Channel::Sms]),
        vec![Channel::MissedCall]
    );
    let sms_only = Account {
        channels: channel_list(&[Channel::Sms]),
        ..account()
    };
    assert_eq!(
        allowed_channels(&sms_only, &[Channel::MissedCall]),
        vec![Channel::Sms]
    );
}

#[test]
fn test_callbacks_are_counted_per_account() {
    let (a, rule) = test_callback_counter("rp_acct_a");
    let (b, _) = test_callback_counter("rp_acct_b");
    assert_ne!(a, b);
    assert_eq!(
        (rule.limit, rule.span_secs),
        (TEST_CALLBACKS_PER_HOUR, 3600)
    );
}

#[test]
fn operators_powers_need_the_admin_token_once_per_session() {
    assert_eq!(
        Powers::of(true, true),
        Powers {
            operator: true,
            may_elevate: false
        }
    );
    assert_eq!(
        Powers::of(true, false),
        Powers {
            operator: false,
            may_elevate: true
        }
    );
    for elevated in [true, false] {
        assert_eq!(
            Powers::of(false, elevated),
            Powers {
                operator: false,
                may_elevate: false
            },
            "a token without an operator's number is nothing"
        );
    }
}

#[test]
fn an_owner_makes_and_changes_activities_within_their_grant() {
    let a = account();
    let mut input = ringproof_api::SiteInput {
        title: "Shop".into(),
        domains: vec!["shop.example".into()],
        callback_url: None,
        callback_format: CallbackFormat::Json,
        channels: None,
        allowed_countries: vec![],
        limits: Default::default(),
        turnstile_secret: None,
    };
    assert!(a.may_create(&mut input).is_ok());
    assert_eq!(
        input.channels,
        Some(a.channels()),
        "none named: every granted one"
    );
    let mut sms = ringproof_api::SiteInput {
        channels: Some(vec![Channel::Sms]),
        ..input.clone()
    };
    assert_eq!(
        a.may_create(&mut sms),
        Err(ApiError::ChannelNotGranted(Channel::Sms))
    );
    let mut own_limits = input.clone();
    own_limits.limits.starts_per_client_per_hour = Some(1000);
    assert_eq!(a.may_create(&mut own_limits), Err(ApiError::OperatorOnly));
    let suspended = Account {
        suspended: 1,
        ..a.clone()
    };
    assert_eq!(
        suspended.may_create(&mut input.clone()),
        Err(ApiError::AccountSuspended)
    );

    let rename = ringproof_api::SiteUpdate {
        title: Some("New".into()),
        ..Default::default()
    };
    assert!(a.may_change(false, &rename).is_ok());
    assert_eq!(
        a.may_change(true, &rename),
        Err(ApiError::ActivitySuspended),
        "what a suspended activity offers is the operator's to change back"
    );
    assert_eq!(
        suspended.may_change(false, &rename),
        Err(ApiError::AccountSuspended)
    );
    let more = ringproof_api::SiteUpdate {
        channels: Some(vec![Channel::Sms]),
        ..Default::default()
    };
    assert_eq!(
        a.may_change(false, &more),
        Err(ApiError::ChannelNotGranted(Channel::Sms))
    );
    let limits = ringproof_api::SiteUpdate {
        limits: Some(Default::default()),
        ..Default::default()
    };
    assert_eq!(a.may_change(false, &limits), Err(ApiError::OperatorOnly));
}

#[test]
fn test_keys_and_the_console_are_built_in_and_no_ones_to_manage() {
    let test = site_named(crate::test_keys::SITE_MISSED_CALL);
    assert!(matches!(&test, Named::TestKey(s) if s.site_key == crate::test_keys::SITE_MISSED_CALL));
    assert!(!test.is_managed());
    assert_eq!(site_named(SITE_KEY), Named::Console);
    assert!(!Named::Console.is_managed());
    assert_eq!(site_named("rp_site_abc"), Named::Stored);
    assert!(Named::Stored.is_managed());
}
