use super::*;

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_are_sqlite_and_demo() {
    let settings = Settings::from_vars(&vars(&[]), false).unwrap();
    assert_eq!(settings.listen_addr.to_string(), DEFAULT_LISTEN_ADDR);
    assert_eq!(settings.database_kind, DatabaseKind::Sqlite);
    assert!(settings.demo);
    assert_eq!(settings.database_url, DEMO_DATABASE_URL);
    assert!(settings.secret_key_generated);
    assert_eq!(settings.public_url("/q/x"), "http://127.0.0.1:8080/q/x");
}

#[test]
fn malformed_listen_addr_names_the_setting() {
    let err = Settings::from_vars(&vars(&[("LISTEN_ADDR", "nonsense")]), false).unwrap_err();
    assert_eq!(err.name, "LISTEN_ADDR");
    assert!(err.to_string().contains("host:port"), "{err}");
}

#[test]
fn unknown_database_scheme_is_refused() {
    let err = Settings::from_vars(&vars(&[("DATABASE_URL", "mysql://x/y")]), false).unwrap_err();
    assert_eq!(err.name, "DATABASE_URL");
    assert!(err.to_string().contains("\"mysql\""), "{err}");
}

#[test]
fn half_set_line_credentials_are_refused() {
    let err = Settings::from_vars(&vars(&[("LINE_CHANNEL_SECRET", "s")]), false).unwrap_err();
    assert_eq!(err.name, "LINE_CHANNEL_ACCESS_TOKEN");
}

#[test]
fn demo_cannot_be_forced_with_real_credentials() {
    let v = vars(&[
        ("LINE_CHANNEL_SECRET", "s"),
        ("LINE_CHANNEL_ACCESS_TOKEN", "t"),
    ]);
    let real = Settings::from_vars(&v, false).unwrap();
    assert!(!real.demo);
    assert_eq!(real.database_url, DEFAULT_DATABASE_URL);
    assert_eq!(Settings::from_vars(&v, true).unwrap_err().name, "DEMO");
}

#[test]
fn sms_provider_needs_its_credentials() {
    let err = Settings::from_vars(&vars(&[("SMS_PROVIDER", "mitake")]), false).unwrap_err();
    assert_eq!(err.name, "MITAKE_USERNAME");
    let err = Settings::from_vars(&vars(&[("SMS_PROVIDER", "pigeon")]), false).unwrap_err();
    assert_eq!(err.name, "SMS_PROVIDER");
}

#[test]
fn basic_id_gets_its_at_sign() {
    let s = Settings::from_vars(&vars(&[("LINE_OA_BASIC_ID", "123abcde")]), false).unwrap();
    assert_eq!(s.line.oa_basic_id.as_deref(), Some("@123abcde"));
}

#[test]
fn secrets_are_redacted_in_debug_output() {
    let v = vars(&[
        ("LINE_CHANNEL_SECRET", "super-secret-value"),
        ("LINE_CHANNEL_ACCESS_TOKEN", "token-value"),
    ]);
    let text = format!("{:?}", Settings::from_vars(&v, false).unwrap());
    assert!(!text.contains("super-secret-value"));
    assert!(!text.contains("token-value"));
}

#[test]
fn webhook_worker_is_on_unless_turned_off() {
    let worker = |value: Option<&str>| {
        let vars = match value {
            Some(value) => vars(&[("WEBHOOK_WORKER", value)]),
            None => vars(&[]),
        };
        Settings::from_vars(&vars, false).map(|s| s.webhook_worker)
    };
    assert!(worker(None).unwrap());
    assert!(!worker(Some("false")).unwrap());
    assert!(worker(Some("on")).unwrap());
    assert_eq!(worker(Some("maybe")).unwrap_err().name, "WEBHOOK_WORKER");
}

#[test]
fn sms_price_is_dollars_with_two_decimals() {
    let price = |text: &str| {
        Settings::from_vars(&vars(&[("SMS_PRICE_TWD", text)]), false)
            .map(|s| s.sms_price.hundredths_twd)
    };
    assert_eq!(
        Settings::from_vars(&vars(&[]), false).unwrap().sms_price,
        SmsPrice::DEFAULT
    );
    assert_eq!(price("0.85"), Ok(85));
    assert_eq!(price("1.5"), Ok(150));
    assert_eq!(price("2"), Ok(200));
    for bad in ["-1", "1.234", "abc", "1,5", ".5", "101"] {
        assert_eq!(price(bad).unwrap_err().name, "SMS_PRICE_TWD", "{bad}");
    }
}

#[test]
fn retention_days_default_and_are_checked() {
    let settings = Settings::from_vars(&vars(&[]), false).unwrap();
    assert_eq!(settings.retention, Retention::default());
    let settings = Settings::from_vars(
        &vars(&[
            ("RETENTION_WEBHOOK_EVENTS_DAYS", "60"),
            ("RETENTION_OTP_DAYS", "14"),
        ]),
        false,
    )
    .unwrap();
    assert_eq!(settings.retention.webhook_events.get(), 60);
    assert_eq!(settings.retention.one_time_codes.get(), 14);
    assert_eq!(settings.retention.funnel_events.get(), 400);
    for (name, value) in [
        ("RETENTION_WEBHOOK_EVENTS_DAYS", "0"),
        ("RETENTION_OTP_DAYS", "-1"),
        ("RETENTION_FUNNEL_EVENTS_DAYS", "forever"),
        ("RETENTION_LOGIN_ATTEMPTS_DAYS", "3"),
    ] {
        let err = Settings::from_vars(&vars(&[(name, value)]), false).unwrap_err();
        assert_eq!(err.name, name);
        assert!(err.problem.contains("from 7 to 3650"), "{err}");
        assert!(err.problem.contains("the default is"), "{err}");
    }
}

#[test]
fn short_secret_key_is_refused() {
    let err = Settings::from_vars(&vars(&[("SECRET_KEY", "short")]), false).unwrap_err();
    assert_eq!(err.name, "SECRET_KEY");
}
