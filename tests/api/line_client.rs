//! The LINE API client against a fake LINE (wiremock): request shapes, error kinds, retries.

use std::collections::HashMap;

use store_assistant::config::Settings;
use store_assistant::line::{LineApiError, LineClient, OutgoingMessage};
use wiremock::matchers::{body_json, body_string_contains, header, header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{CHANNEL_ACCESS_TOKEN, LOGIN_CHANNEL_ID};

fn client_for(base_url: &str) -> LineClient {
    let vars: HashMap<String, String> = [
        ("LINE_CHANNEL_SECRET", "test_secret"),
        ("LINE_CHANNEL_ACCESS_TOKEN", CHANNEL_ACCESS_TOKEN),
        ("LINE_LOGIN_CHANNEL_ID", LOGIN_CHANNEL_ID),
        ("LINE_API_BASE_URL", base_url),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    LineClient::new(&Settings::from_vars(&vars, false).unwrap().line)
}

#[tokio::test]
async fn reply_sends_the_reply_request_shape_with_the_bearer_token() {
    let line = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/bot/message/reply"))
        .and(header(
            "authorization",
            format!("Bearer {CHANNEL_ACCESS_TOKEN}").as_str(),
        ))
        .and(body_json(serde_json::json!({
            "replyToken": "rt-1",
            "messages": [{"type": "text", "text": "歡迎"}]
        })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"sentMessages": [{"id": "1"}]})),
        )
        .expect(1)
        .mount(&line)
        .await;
    client_for(&line.uri())
        .reply("rt-1", &[OutgoingMessage::text("歡迎")])
        .await
        .unwrap();
}

#[tokio::test]
async fn an_expired_reply_token_is_reported_as_such_and_not_retried() {
    let line = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/bot/message/reply"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(serde_json::json!({"message": "Invalid reply token"})),
        )
        .expect(1)
        .mount(&line)
        .await;
    let err = client_for(&line.uri())
        .reply("old", &[OutgoingMessage::text("x")])
        .await
        .unwrap_err();
    assert!(err.is_invalid_reply_token(), "{err:?}");
}

#[tokio::test]
async fn push_carries_a_retry_key_and_a_repeat_409_counts_as_sent() {
    let line = MockServer::start().await;
    let key = uuid::Uuid::new_v4();
    Mock::given(method("POST"))
        .and(path("/v2/bot/message/push"))
        .and(header(
            "x-line-retry-key",
            key.hyphenated().to_string().as_str(),
        ))
        .and(body_json(
            serde_json::json!({"to": "U1", "messages": [{"type": "text", "text": "hi"}]}),
        ))
        .respond_with(
            ResponseTemplate::new(409)
                .set_body_json(serde_json::json!({"message": "The retry key is already accepted"})),
        )
        .expect(1)
        .mount(&line)
        .await;
    client_for(&line.uri())
        .push("U1", &[OutgoingMessage::text("hi")], key)
        .await
        .expect("409 on a retry key means the push was already accepted");
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed() {
    let line = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/bot/info"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .expect(1)
        .mount(&line)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/bot/info"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "userId": "Ubot", "basicId": "@storetest", "displayName": "品牌", "chatMode": "bot", "markAsReadMode": "auto"
        })))
        .expect(1)
        .mount(&line)
        .await;
    let info = client_for(&line.uri()).bot_info().await.unwrap();
    assert_eq!(info.basic_id, "@storetest");
}

#[tokio::test]
async fn rate_limiting_is_retried_a_bounded_number_of_times() {
    let line = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/bot/profile/U1"))
        .respond_with(
            ResponseTemplate::new(429)
                .set_body_json(serde_json::json!({"message": "Too Many Requests"})),
        )
        .expect(3)
        .mount(&line)
        .await;
    let err = client_for(&line.uri()).profile("U1").await.unwrap_err();
    assert!(
        matches!(err, LineApiError::Api { status: 429, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn client_errors_keep_lines_message_and_details_and_are_not_retried() {
    let line = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/bot/info"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "message": "Authentication failed due to the following reason: invalid token.",
            "details": [{"message": "token is invalid", "property": "Authorization"}]
        })))
        .expect(1)
        .mount(&line)
        .await;
    let err = client_for(&line.uri()).bot_info().await.unwrap_err();
    assert!(err.is_unauthorized());
    match err {
        LineApiError::Api {
            message, details, ..
        } => {
            assert!(message.contains("invalid token"));
            assert_eq!(details[0].property.as_deref(), Some("Authorization"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_line_is_its_own_error() {
    // A port that nothing listens on: bind, read the port, drop the listener.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = client_for(&format!("http://127.0.0.1:{port}"))
        .bot_info()
        .await
        .unwrap_err();
    assert!(matches!(err, LineApiError::Unreachable(_)), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn id_token_verification_posts_the_form_and_checks_the_answer() {
    let line = MockServer::start().await;
    let exp = chrono::Utc::now().timestamp() + 600;
    Mock::given(method("POST"))
        .and(path("/oauth2/v2.1/verify"))
        .and(body_string_contains("id_token=tok-1"))
        .and(body_string_contains(
            format!("client_id={LOGIN_CHANNEL_ID}").as_str(),
        ))
        .and(body_string_contains("nonce=n-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "iss": "https://access.line.me", "sub": "U1234", "aud": LOGIN_CHANNEL_ID,
            "exp": exp, "iat": exp - 3600, "nonce": "n-1", "name": "小明", "amr": ["linesso"]
        })))
        .mount(&line)
        .await;
    let client = client_for(&line.uri());
    let claims = client.verify_id_token("tok-1", Some("n-1")).await.unwrap();
    assert_eq!(claims.sub, "U1234");

    // Whatever the endpoint says, a nonce other than the journey's is refused.
    let other_nonce = client.verify_id_token("tok-1", Some("n-2")).await;
    assert!(other_nonce.is_err());
}

#[tokio::test]
async fn id_token_refusals_from_line_keep_their_description() {
    let line = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/v2.1/verify"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "invalid_request", "error_description": "IdToken expired."
        })))
        .expect(1)
        .mount(&line)
        .await;
    let err = client_for(&line.uri())
        .verify_id_token("t", Some("n"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("IdToken expired."), "{err}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn friendship_is_asked_with_the_users_access_token() {
    let line = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/friendship/v1/status"))
        .and(header("authorization", "Bearer user-access-token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"friendFlag": true})),
        )
        .expect(1)
        .mount(&line)
        .await;
    assert!(
        client_for(&line.uri())
            .friendship_status("user-access-token")
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn webhook_endpoint_test_reports_lines_result() {
    let line = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/bot/channel/webhook/test"))
        .and(header_exists("authorization"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "success": false, "timestamp": "2026-11-28T05:38:20.031Z", "statusCode": 404, "reason": "Not Found", "detail": "404"
        })))
        .mount(&line)
        .await;
    let result = client_for(&line.uri())
        .test_webhook_endpoint(Some("https://shop.example/line/webhook"))
        .await
        .unwrap();
    assert_eq!(result.success, Some(false));
    assert_eq!(result.status_code, 404);
}
