//! `POST /line/webhook` against a fake LINE API: signature, parsing, storage, processing.

use serde_json::json;

use crate::helpers::{CHANNEL_SECRET, spawn_app, spawn_app_with};
use store_assistant::line::signature::sign;

/// The console's "Verify" request.
const VERIFY_BODY: &str = r#"{"destination":"U0123456789abcdef0123456789abcdef","events":[]}"#;

#[tokio::test]
async fn design_test_vector_is_accepted_as_a_signature() {
    let app = spawn_app().await;
    // `{"hello":"world"}` is correctly signed but not a webhook body: past the signature (not 401),
    // refused by the parser (400).
    let response = app
        .post_webhook_raw(
            r#"{"hello":"world"}"#,
            Some("t7Hn4ZDHqs6e+wdvI5TyQIvzie0DmMUmuXEBqyyE/tM="),
        )
        .await;
    assert_eq!(response.status().as_u16(), 400);
}

#[tokio::test]
async fn verify_request_is_answered_200() {
    let app = spawn_app().await;
    let response = app.post_webhook(VERIFY_BODY).await;
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn bad_missing_and_truncated_signatures_are_refused_with_401_json() {
    let app = spawn_app().await;
    let good = sign(CHANNEL_SECRET.as_bytes(), VERIFY_BODY.as_bytes());
    let wrong = sign(b"another-secret", VERIFY_BODY.as_bytes());
    let truncated = &good[..good.len() - 2];
    for signature in [
        None,
        Some(""),
        Some("not-base64!"),
        Some(truncated),
        Some(&wrong),
    ] {
        let response = app.post_webhook_raw(VERIFY_BODY, signature).await;
        assert_eq!(response.status().as_u16(), 401, "{signature:?}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "unauthorized");
    }
}

#[tokio::test]
async fn bad_json_with_a_valid_signature_is_400() {
    let app = spawn_app().await;
    for body in [
        "not json",
        "{}",
        r#"{"events":[{"type":"follow"}]}"#,
        "{\"events\":[",
    ] {
        let response = app.post_webhook(body).await;
        assert_eq!(response.status().as_u16(), 400, "{body}");
        let json: serde_json::Value = response.json().await.unwrap();
        assert_eq!(json["error"], "bad_request");
    }
}

#[tokio::test]
async fn oversized_body_is_413() {
    let app = spawn_app().await;
    let padding = "x".repeat(1024 * 1024);
    let body = json!({"destination": "U1", "events": [], "padding": padding}).to_string();
    let response = app.post_webhook(body).await;
    assert_eq!(response.status().as_u16(), 413);
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["error"], "payload_too_large");
}

#[tokio::test]
async fn without_a_channel_secret_the_webhook_is_unavailable() {
    let app = spawn_app_with(|vars| {
        vars.remove("LINE_CHANNEL_SECRET");
        vars.remove("LINE_CHANNEL_ACCESS_TOKEN");
    })
    .await;
    let response = app.post_webhook(VERIFY_BODY).await;
    assert_eq!(response.status().as_u16(), 503);
    let json: serde_json::Value = response.json().await.unwrap();
    assert!(
        json["message_en"]
            .as_str()
            .unwrap()
            .contains("LINE_CHANNEL_SECRET")
    );
}
