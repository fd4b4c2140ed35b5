//! The request log: one line per request, without the secrets some paths carry (the printed
//! code's token, journey ids, signed phone links) — read from the real binary's log.

use std::time::Duration;

use crate::helpers::{BinaryLog, BinaryServer, spawn_app};

#[tokio::test]
async fn request_log_lines_show_only_the_start_of_path_secrets() {
    let app = spawn_app().await;
    let log = std::env::temp_dir().join(format!(
        "store-assistant-log-{}.txt",
        uuid::Uuid::new_v4().simple()
    ));
    let server = BinaryServer::start(&app, BinaryLog::To(log.clone())).await;
    let secrets = [
        ("/q/", "QrTok9SecretPrintedToken", ""),
        ("/qr/", "QrTok9SecretPrintedToken", ".png"),
        ("/qr/", "QrTok9SecretPrintedToken", ".svg"),
        ("/j/", "JrnY7SecretJourneyId", ""),
        ("/j/", "JrnY7SecretJourneyId", "/phone"),
        ("/p/", "eyJqIjoieCJ9.SecretSignature", ""),
        ("/api/liff/journeys/", "JrnY7SecretJourneyId", ""),
    ];
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (prefix, secret, suffix) in secrets {
        client
            .get(format!("{}{prefix}{secret}{suffix}", server.address))
            .send()
            .await
            .unwrap();
    }
    client
        .get(format!("{}/admin/login", server.address))
        .send()
        .await
        .unwrap();

    // The log is written as requests finish; wait for the last one.
    let mut text = String::new();
    for _ in 0..100 {
        text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("/admin/login") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill_9();
    let _ = std::fs::remove_file(&log);
    let request_lines: Vec<&str> = text.lines().filter(|l| l.contains("request")).collect();
    assert!(
        request_lines.iter().any(|l| l.contains("/admin/login")),
        "{text}"
    );
    for (prefix, secret, suffix) in secrets {
        let shown = format!("{prefix}{}…{suffix}", &secret[..4]);
        assert!(
            request_lines.iter().any(|l| l.contains(&shown)),
            "{shown} is not in the log:\n{text}"
        );
    }
    for secret in [
        "SecretPrintedToken",
        "SecretJourneyId",
        "SecretSignature",
        "9SecretP",
    ] {
        assert!(!text.contains(secret), "{secret} is in the log:\n{text}");
    }
}
