//! The binary refuses bad settings with one line naming the setting, before touching anything.

use std::process::Command;

fn run_with(vars: &[(&str, &str)], args: &[&str]) -> (i32, String) {
    let dir = std::env::temp_dir().join(format!(
        "store-assistant-settings-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_store-assistant"));
    cmd.args(args).current_dir(&dir).env_clear();
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let output = cmd.output().expect("the binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn malformed_listen_addr_stops_the_start_with_a_named_message() {
    let (code, stderr) = run_with(&[("LISTEN_ADDR", "nonsense")], &["serve"]);
    assert_eq!(code, 2);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(lines[0].contains("LISTEN_ADDR"), "{stderr}");
    assert!(lines[0].contains("host:port"), "{stderr}");
}

#[test]
fn unknown_database_scheme_stops_the_start() {
    let (code, stderr) = run_with(
        &[("DATABASE_URL", "mysql://root@localhost/x")],
        &["migrate"],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    assert!(stderr.contains("postgres://"), "{stderr}");
}

#[test]
fn unknown_sms_provider_stops_the_start() {
    let (code, stderr) = run_with(&[("SMS_PROVIDER", "carrier-pigeon")], &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("SMS_PROVIDER"), "{stderr}");
}

#[test]
fn secrets_are_not_echoed_in_setting_errors() {
    let (code, stderr) = run_with(
        &[
            ("LINE_CHANNEL_SECRET", "do-not-print-this-secret"),
            ("LISTEN_ADDR", "still-nonsense"),
        ],
        &[],
    );
    assert_eq!(code, 2);
    assert!(!stderr.contains("do-not-print-this-secret"), "{stderr}");
}

#[test]
fn migrate_creates_the_sqlite_file_and_its_folder() {
    let dir = std::env::temp_dir().join(format!(
        "store-assistant-migrate-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let url = format!("sqlite://{}/nested/app.db", dir.display());
    let (code, stderr) = run_with(&[("DATABASE_URL", &url)], &["migrate"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(dir.join("nested/app.db").exists());
}
