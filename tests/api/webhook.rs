//! `POST /line/webhook` against a fake LINE API: signature, parsing, storage, processing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use store_assistant::db::entities::{line_followers, shop_settings, webhook_events};
use store_assistant::domain::line_user::LineUserId;
use store_assistant::line::OutgoingMessage;
use store_assistant::line::signature::sign;
use store_assistant::services::Context;
use store_assistant::services::webhook::WorkerConfig;
use store_assistant::services::webhook::{BindingCodeHandler, IncomingText, push_retry_key};
use store_assistant::startup::BuildOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Match, Mock, Request, ResponseTemplate};

use crate::helpers::{CHANNEL_SECRET, TestApp, spawn_app, spawn_app_with, spawn_app_with_options};

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
async fn without_line_credentials_the_webhook_checks_the_demo_channel_secret() {
    // No LINE credentials: demo mode makes up a channel secret, and signatures are checked with it.
    let app = spawn_app_with(|vars| {
        vars.remove("LINE_CHANNEL_SECRET");
        vars.remove("LINE_CHANNEL_ACCESS_TOKEN");
    })
    .await;
    assert_eq!(app.post_webhook(VERIFY_BODY).await.status().as_u16(), 401);
    let secret = app.ctx.settings.line.channel_secret.clone().unwrap();
    assert_ne!(secret.expose(), CHANNEL_SECRET);
    let signature = sign(secret.expose().as_bytes(), VERIFY_BODY.as_bytes());
    let response = app.post_webhook_raw(VERIFY_BODY, Some(&signature)).await;
    assert_eq!(response.status().as_u16(), 200);
}

// ---------------------------------------------------------------------------------------------
// Storage and processing

/// A follow event as LINE sends it.
fn follow_event(event_id: &str, user_id: &str, reply_token: &str) -> serde_json::Value {
    json!({
        "type": "follow",
        "mode": "active",
        "timestamp": 1_700_000_000_000_i64,
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": event_id,
        "deliveryContext": {"isRedelivery": false},
        "replyToken": reply_token,
        "follow": {"isUnblocked": false}
    })
}

fn body_of(events: Vec<serde_json::Value>) -> String {
    json!({"destination": "U0123456789abcdef0123456789abcdef", "events": events}).to_string()
}

async fn stored_events(app: &TestApp) -> Vec<webhook_events::Model> {
    webhook_events::Entity::find()
        .order_by_asc(webhook_events::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

/// Waits (up to a generous bound, so a slow machine does not fail the test) until every stored
/// event has an outcome.
async fn wait_until_processed(app: &TestApp, expected_rows: usize) -> Vec<webhook_events::Model> {
    for _ in 0..500 {
        let rows = stored_events(app).await;
        if rows.len() == expected_rows && rows.iter().all(|row| row.processed_at.is_some()) {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("events were not processed: {:?}", stored_events(app).await);
}

fn no_worker() -> BuildOptions {
    BuildOptions {
        webhook_worker: WorkerConfig {
            enabled: false,
            ..WorkerConfig::default()
        },
        ..BuildOptions::default()
    }
}

#[tokio::test]
async fn refused_requests_store_nothing() {
    let app = spawn_app().await;
    let body = body_of(vec![follow_event("01HREFUSED", "U1", "rt")]);
    let signature = sign(CHANNEL_SECRET.as_bytes(), body.as_bytes());
    let mut changed = body.clone().into_bytes();
    let at = changed.iter().position(|b| *b == b'U').unwrap();
    changed[at] = b'V';
    assert_eq!(
        app.post_webhook_raw(changed, Some(&signature))
            .await
            .status()
            .as_u16(),
        401
    );
    assert_eq!(
        app.post_webhook_raw(body.clone(), None)
            .await
            .status()
            .as_u16(),
        401
    );
    assert_eq!(
        app.post_webhook_raw(body.clone(), Some(&signature[..20]))
            .await
            .status()
            .as_u16(),
        401
    );
    assert!(stored_events(&app).await.is_empty());
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("store_assistant_webhook_signature_failures_total 3"),
        "{metrics}"
    );
}

#[tokio::test]
async fn events_are_stored_verbatim_and_processed() {
    let app = spawn_app().await;
    let event = follow_event("01HSTORED", "Ustored", "rt-stored");
    let response = app.post_webhook(body_of(vec![event.clone()])).await;
    assert_eq!(response.status().as_u16(), 200);
    let rows = wait_until_processed(&app, 1).await;
    let row = &rows[0];
    assert_eq!(row.webhook_event_id, "01HSTORED");
    assert_eq!(row.event_type, "follow");
    assert_eq!(row.source_user_id.as_deref(), Some("Ustored"));
    assert_eq!(row.event_timestamp, 1_700_000_000_000);
    assert!(!row.is_redelivery);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&row.payload).unwrap(),
        event
    );
    assert_eq!(row.attempts, 1);
}

#[tokio::test]
async fn redelivered_event_is_processed_once() {
    let app = spawn_app().await;
    let event = follow_event("01HREDELIVER", "Uredeliver", "rt");
    assert_eq!(
        app.post_webhook(body_of(vec![event.clone()]))
            .await
            .status()
            .as_u16(),
        200
    );
    wait_until_processed(&app, 1).await;
    let mut redelivered = event;
    redelivered["deliveryContext"]["isRedelivery"] = json!(true);
    assert_eq!(
        app.post_webhook(body_of(vec![redelivered]))
            .await
            .status()
            .as_u16(),
        200
    );
    let rows = wait_until_processed(&app, 1).await;
    assert_eq!(rows[0].attempts, 1);
    assert!(!rows[0].is_redelivery, "the first delivery is the one kept");
}

#[tokio::test]
async fn pending_events_are_finished_after_a_restart() {
    // The first process stores events and stops before handling them (its worker is off).
    let first = spawn_app_with_options(|_| {}, no_worker()).await;
    let events = (0..3)
        .map(|i| follow_event(&format!("01HRESTART{i}"), &format!("Urestart{i}"), "rt"))
        .collect();
    assert_eq!(
        first.post_webhook(body_of(events)).await.status().as_u16(),
        200
    );
    // One of them was claimed by a worker that crashed: its lease has run out.
    webhook_events::Entity::update_many()
        .col_expr(
            webhook_events::Column::ClaimedUntil,
            Expr::value(Utc::now() - chrono::Duration::minutes(5)),
        )
        .col_expr(webhook_events::Column::Attempts, Expr::value(1))
        .filter(webhook_events::Column::WebhookEventId.eq("01HRESTART1"))
        .exec(&first.db)
        .await
        .unwrap();
    assert!(
        stored_events(&first)
            .await
            .iter()
            .all(|row| row.processed_at.is_none())
    );

    // A new process on the same database picks them up.
    let database_url = first.database_url.clone();
    let second = spawn_app_with(|vars| {
        vars.insert("DATABASE_URL".into(), database_url);
    })
    .await;
    let rows = wait_until_processed(&second, 3).await;
    let attempts: Vec<i32> = rows.iter().map(|row| row.attempts).collect();
    assert_eq!(attempts, [1, 2, 1]);
}

// ---------------------------------------------------------------------------------------------
// What events do

const WELCOME: &str = "歡迎光臨！傳送門市頁面上的綁定碼即可完成會員綁定。";

/// The reply request must be a `ReplyMessageRequest` of messaging-api.yml: `replyToken` and 1–5
/// `messages` (each with a `type`; text messages with a `text`), nothing else but
/// `notificationDisabled`.
struct IsReplyMessageRequest;

impl Match for IsReplyMessageRequest {
    fn matches(&self, request: &Request) -> bool {
        let Ok(body) = serde_json::from_slice::<serde_json::Value>(&request.body) else {
            return false;
        };
        let Some(object) = body.as_object() else {
            return false;
        };
        let known_keys = object
            .keys()
            .all(|key| ["replyToken", "messages", "notificationDisabled"].contains(&key.as_str()));
        let messages_ok = object["messages"].as_array().is_some_and(|messages| {
            (1..=5).contains(&messages.len())
                && messages
                    .iter()
                    .all(|message| match message["type"].as_str() {
                        Some("text") => message["text"].is_string(),
                        Some(_) => true,
                        None => false,
                    })
        });
        known_keys && object.get("replyToken").is_some_and(|t| t.is_string()) && messages_ok
    }
}

async fn set_welcome_message(app: &TestApp, text: &str) {
    shop_settings::Entity::update_many()
        .col_expr(shop_settings::Column::WelcomeMessage, Expr::value(text))
        .exec(&app.db)
        .await
        .unwrap();
}

async fn mount_reply_ok(app: &TestApp) {
    Mock::given(method("POST"))
        .and(path("/v2/bot/message/reply"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"sentMessages": [{"id": "1"}]})),
        )
        .mount(&app.line_api)
        .await;
}

async fn follower(app: &TestApp, user_id: &str) -> Option<line_followers::Model> {
    line_followers::Entity::find_by_id(LineUserId::from_line(user_id))
        .one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn follow_records_the_friend_and_sends_exactly_one_welcome_reply() {
    let app = spawn_app().await;
    set_welcome_message(&app, WELCOME).await;
    Mock::given(method("POST"))
        .and(path("/v2/bot/message/reply"))
        .and(header("authorization", "Bearer test-channel-access-token"))
        .and(IsReplyMessageRequest)
        .and(body_json(json!({
            "replyToken": "rt-follow",
            "messages": [{"type": "text", "text": WELCOME}]
        })))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"sentMessages": [{"id": "1"}]})),
        )
        .expect(1)
        .mount(&app.line_api)
        .await;

    let event = follow_event("01HFOLLOW", "Ufollow", "rt-follow");
    assert_eq!(
        app.post_webhook(body_of(vec![event]))
            .await
            .status()
            .as_u16(),
        200
    );
    let rows = wait_until_processed(&app, 1).await;
    assert_eq!(rows[0].outcome.as_deref(), Some("welcomed"));

    let friend = follower(&app, "Ufollow")
        .await
        .expect("the follower is recorded");
    assert!(friend.is_friend);
    assert_eq!(
        friend.first_followed_at.timestamp_millis(),
        1_700_000_000_000
    );
    assert_eq!(friend.last_unblocked_at, None);
    assert_eq!(friend.unfollowed_at, None);

    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("store_assistant_webhook_events_received_total{type=\"follow\"} 1"));
    assert!(
        metrics.contains("store_assistant_webhook_events_handled_total{outcome=\"processed\"} 1")
    );
}

#[tokio::test]
async fn a_hundred_concurrent_deliveries_of_one_event_send_one_reply() {
    let app = spawn_app().await;
    Mock::given(method("POST"))
        .and(path("/v2/bot/message/reply"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"sentMessages": [{"id": "1"}]})),
        )
        .expect(1)
        .mount(&app.line_api)
        .await;
    let body = body_of(vec![follow_event("01HHUNDRED", "Uhundred", "rt-hundred")]);
    let deliveries = (0..100).map(|_| app.post_webhook(body.clone()));
    for response in futures_util::future::join_all(deliveries).await {
        assert_eq!(response.status().as_u16(), 200);
    }
    let rows = wait_until_processed(&app, 1).await;
    assert_eq!(rows[0].attempts, 1);
}

#[tokio::test]
async fn two_server_instances_process_a_shared_event_once() {
    let first = spawn_app().await;
    Mock::given(method("POST"))
        .and(path("/v2/bot/message/reply"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"sentMessages": [{"id": "1"}]})),
        )
        .expect(1)
        .mount(&first.line_api)
        .await;
    let (database_url, line_url) = (first.database_url.clone(), first.line_api.uri());
    let second = spawn_app_with(|vars| {
        vars.insert("DATABASE_URL".into(), database_url);
        vars.insert("LINE_API_BASE_URL".into(), line_url);
    })
    .await;
    let body = body_of(vec![follow_event("01HTWO", "Utwo", "rt-two")]);
    let deliveries = (0..10).map(|i| {
        let app = if i % 2 == 0 { &first } else { &second };
        app.post_webhook(body.clone())
    });
    for response in futures_util::future::join_all(deliveries).await {
        assert_eq!(response.status().as_u16(), 200);
    }
    wait_until_processed(&first, 1).await;
}

#[tokio::test]
async fn unfollow_marks_the_follower_blocked_and_unblock_makes_a_friend_again() {
    let app = spawn_app().await;
    mount_reply_ok(&app).await;
    let user = "Ublock";
    let at = |ms: i64| json!(ms);
    let mut follow = follow_event("01HB1", user, "rt-1");
    follow["timestamp"] = at(1_000_000);
    app.post_webhook(body_of(vec![follow])).await;
    wait_until_processed(&app, 1).await;

    let unfollow = json!({
        "type": "unfollow", "mode": "active", "timestamp": 2_000_000,
        "source": {"type": "user", "userId": user},
        "webhookEventId": "01HB2", "deliveryContext": {"isRedelivery": false}
    });
    app.post_webhook(body_of(vec![unfollow])).await;
    let rows = wait_until_processed(&app, 2).await;
    assert_eq!(rows[1].outcome.as_deref(), Some("unfollow_recorded"));
    let blocked = follower(&app, user).await.unwrap();
    assert!(!blocked.is_friend);
    assert_eq!(blocked.unfollowed_at.unwrap().timestamp_millis(), 2_000_000);

    let mut unblock = follow_event("01HB3", user, "rt-3");
    unblock["timestamp"] = at(3_000_000);
    unblock["follow"]["isUnblocked"] = json!(true);
    app.post_webhook(body_of(vec![unblock])).await;
    wait_until_processed(&app, 3).await;
    let friend = follower(&app, user).await.unwrap();
    assert!(friend.is_friend);
    assert_eq!(friend.first_followed_at.timestamp_millis(), 1_000_000);
    assert_eq!(friend.last_followed_at.timestamp_millis(), 3_000_000);
    assert_eq!(
        friend.last_unblocked_at.unwrap().timestamp_millis(),
        3_000_000
    );
    assert_eq!(friend.unfollowed_at.unwrap().timestamp_millis(), 2_000_000);
}

#[tokio::test]
async fn a_late_follow_does_not_undo_a_later_block() {
    let app = spawn_app().await;
    mount_reply_ok(&app).await;
    let user = "Ulate";
    let unfollow = json!({
        "type": "unfollow", "mode": "active", "timestamp": 2_000_000,
        "source": {"type": "user", "userId": user},
        "webhookEventId": "01HL2", "deliveryContext": {"isRedelivery": false}
    });
    app.post_webhook(body_of(vec![unfollow])).await;
    wait_until_processed(&app, 1).await;
    // The follow that came before the block is delivered late (a redelivery).
    let mut follow = follow_event("01HL1", user, "rt-late");
    follow["timestamp"] = json!(1_000_000);
    follow["deliveryContext"]["isRedelivery"] = json!(true);
    app.post_webhook(body_of(vec![follow])).await;
    wait_until_processed(&app, 2).await;
    let row = follower(&app, user).await.unwrap();
    assert!(!row.is_friend);
    assert_eq!(row.first_followed_at.timestamp_millis(), 1_000_000);
}

#[tokio::test]
async fn expired_reply_token_falls_back_to_one_push_with_a_retry_key() {
    let app = spawn_app().await;
    set_welcome_message(&app, WELCOME).await;
    Mock::given(method("POST"))
        .and(path("/v2/bot/message/reply"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"message": "Invalid reply token"})),
        )
        .expect(1)
        .mount(&app.line_api)
        .await;
    let retry_key = push_retry_key("01HEXPIRED").hyphenated().to_string();
    Mock::given(method("POST"))
        .and(path("/v2/bot/message/push"))
        .and(header("authorization", "Bearer test-channel-access-token"))
        .and(header("x-line-retry-key", retry_key.as_str()))
        .and(body_json(
            json!({"to": "Uexpired", "messages": [{"type": "text", "text": WELCOME}]}),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"sentMessages": [{"id": "2"}]})),
        )
        .expect(1)
        .mount(&app.line_api)
        .await;
    let mut event = follow_event("01HEXPIRED", "Uexpired", "rt-expired");
    event["deliveryContext"]["isRedelivery"] = json!(true);
    app.post_webhook(body_of(vec![event])).await;
    let rows = wait_until_processed(&app, 1).await;
    assert_eq!(rows[0].outcome.as_deref(), Some("welcomed_by_push"));
}

#[tokio::test]
async fn failing_line_api_is_retried_with_backoff_then_marked_failed() {
    let options = BuildOptions {
        webhook_worker: WorkerConfig {
            max_attempts: 2,
            first_backoff: Duration::from_millis(10),
            ..WorkerConfig::default()
        },
        ..BuildOptions::default()
    };
    let app = spawn_app_with_options(|_| {}, options).await;
    // The client tries 3 times per attempt; the worker makes 2 attempts.
    Mock::given(method("POST"))
        .and(path("/v2/bot/message/reply"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(json!({"message": "Internal error"})),
        )
        .expect(6)
        .mount(&app.line_api)
        .await;
    app.post_webhook(body_of(vec![follow_event("01HFAIL", "Ufail", "rt-fail")]))
        .await;
    let rows = wait_until_processed(&app, 1).await;
    assert_eq!(rows[0].outcome.as_deref(), Some("failed"));
    assert_eq!(rows[0].attempts, 2);
    assert!(
        rows[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("Internal error"),
        "{:?}",
        rows[0].last_error
    );
    // The follower is recorded even though the welcome could not be sent.
    assert!(follower(&app, "Ufail").await.unwrap().is_friend);
}

/// A fake of route B's binding service: `CODE-…` texts are binding codes.
#[derive(Default)]
struct FakeBindingCodes {
    offered: Mutex<Vec<IncomingText>>,
}

#[async_trait::async_trait]
impl BindingCodeHandler for FakeBindingCodes {
    async fn handle(
        &self,
        _ctx: &Context,
        message: &IncomingText,
    ) -> anyhow::Result<Option<Vec<OutgoingMessage>>> {
        self.offered.lock().unwrap().push(message.clone());
        Ok(message.text.starts_with("CODE-").then(|| {
            vec![OutgoingMessage::text(format!(
                "收到綁定碼 {}",
                message.text
            ))]
        }))
    }
}

fn text_event(event_id: &str, source: serde_json::Value, text: &str) -> serde_json::Value {
    json!({
        "type": "message", "mode": "active", "timestamp": 1_700_000_000_000_i64,
        "source": source, "webhookEventId": event_id,
        "deliveryContext": {"isRedelivery": false}, "replyToken": format!("rt-{event_id}"),
        "message": {"id": "1", "type": "text", "text": text, "quoteToken": "q"}
    })
}

#[tokio::test]
async fn texts_from_users_are_offered_to_the_binding_code_handler() {
    let handler = Arc::new(FakeBindingCodes::default());
    let options = BuildOptions {
        binding_codes: handler.clone(),
        ..BuildOptions::default()
    };
    let app = spawn_app_with_options(|_| {}, options).await;
    Mock::given(method("POST"))
        .and(path("/v2/bot/message/reply"))
        .and(IsReplyMessageRequest)
        .and(body_json(json!({
            "replyToken": "rt-01HCODE",
            "messages": [{"type": "text", "text": "收到綁定碼 CODE-AB12"}]
        })))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"sentMessages": [{"id": "1"}]})),
        )
        .expect(1)
        .mount(&app.line_api)
        .await;
    let user = json!({"type": "user", "userId": "Ucode"});
    let group = json!({"type": "group", "groupId": "Cgroup", "userId": "Ucode"});
    let events = vec![
        text_event("01HCODE", user.clone(), "CODE-AB12"),
        text_event("01HCHAT", user, "你好"),
        // Texts in a group chat are not binding codes.
        text_event("01HGROUP", group, "CODE-GROUP"),
    ];
    app.post_webhook(body_of(events)).await;
    let rows = wait_until_processed(&app, 3).await;
    let outcomes: Vec<_> = rows
        .iter()
        .map(|row| row.outcome.as_deref().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        ["binding_code_answered", "message_ignored", "acknowledged"]
    );

    let mut offered = handler.offered.lock().unwrap().clone();
    offered.sort_by(|a, b| a.webhook_event_id.cmp(&b.webhook_event_id));
    assert_eq!(offered.len(), 2);
    assert_eq!(offered[1].webhook_event_id, "01HCODE");
    assert_eq!(offered[1].line_user_id, "Ucode");
    assert_eq!(offered[1].text, "CODE-AB12");
    assert_eq!(offered[1].reply_token.as_deref(), Some("rt-01HCODE"));
    assert_eq!(offered[1].sent_at.timestamp_millis(), 1_700_000_000_000);
}

// ---------------------------------------------------------------------------------------------
// Every kind of body LINE sends

const LEGACY_FIXTURE: &str = include_str!("../fixtures/line-webhook-sdk-legacy.json");

#[tokio::test]
async fn legacy_sdk_fixture_is_accepted_and_every_event_stored() {
    let app = spawn_app().await;
    mount_reply_ok(&app).await;
    // Verbatim, all 27 events share one webhookEventId: they are one event to us.
    assert_eq!(
        app.post_webhook(LEGACY_FIXTURE).await.status().as_u16(),
        200
    );
    wait_until_processed(&app, 1).await;

    // With distinct ids (as LINE sends them), every event is stored with its type.
    let mut body: serde_json::Value = serde_json::from_str(LEGACY_FIXTURE).unwrap();
    let events = body["events"].as_array_mut().unwrap();
    for (i, event) in events.iter_mut().enumerate() {
        event["webhookEventId"] = json!(format!("01HFIXTURE{i:02}"));
    }
    let expected_types: Vec<String> = events
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        app.post_webhook(body.to_string()).await.status().as_u16(),
        200
    );
    let rows = wait_until_processed(&app, 1 + expected_types.len()).await;
    let stored_types: Vec<String> = rows[1..].iter().map(|r| r.event_type.clone()).collect();
    assert_eq!(stored_types, expected_types);
    assert!(rows.iter().all(|r| r.outcome.as_deref() != Some("failed")));
    let unknown = rows.iter().find(|r| r.event_type == "undefined").unwrap();
    assert_eq!(unknown.outcome.as_deref(), Some("unknown_type"));
    assert!(unknown.is_redelivery);
}

/// One event of every type in webhook.yml (plus `messageEdited` and a type LINE may add later),
/// shaped as the spec describes them.
fn one_of_every_type() -> Vec<serde_json::Value> {
    let user = json!({"type": "user", "userId": "Uevery"});
    let group = json!({"type": "group", "groupId": "Cevery", "userId": "Uevery"});
    let cases = [
        (
            "message",
            group.clone(),
            json!({"replyToken": "rt", "message": {"id": "1", "type": "text", "text": "hi", "quoteToken": "q"}}),
        ),
        (
            "unsend",
            group.clone(),
            json!({"unsend": {"messageId": "1"}}),
        ),
        (
            "follow",
            user.clone(),
            json!({"replyToken": "rt-every", "follow": {"isUnblocked": false}}),
        ),
        ("unfollow", user.clone(), json!({})),
        ("join", group.clone(), json!({"replyToken": "rt"})),
        ("leave", group.clone(), json!({})),
        (
            "memberJoined",
            group.clone(),
            json!({"replyToken": "rt", "joined": {"members": [{"type": "user", "userId": "U2"}]}}),
        ),
        (
            "memberLeft",
            group.clone(),
            json!({"left": {"members": [{"type": "user", "userId": "U2"}]}}),
        ),
        (
            "postback",
            user.clone(),
            json!({"replyToken": "rt", "postback": {"data": "a=1", "params": {"datetime": "2026-01-01T10:00"}}}),
        ),
        (
            "videoPlayComplete",
            user.clone(),
            json!({"replyToken": "rt", "videoPlayComplete": {"trackingId": "t"}}),
        ),
        (
            "beacon",
            user.clone(),
            json!({"replyToken": "rt", "beacon": {"hwid": "d41d8cd98f", "type": "enter"}}),
        ),
        (
            "accountLink",
            user.clone(),
            json!({"replyToken": "rt", "link": {"result": "ok", "nonce": "n"}}),
        ),
        (
            "membership",
            user.clone(),
            json!({"replyToken": "rt", "membership": {"type": "joined", "membershipId": 3}}),
        ),
        (
            "module",
            user.clone(),
            json!({"module": {"type": "attached", "botId": "U3", "scopes": ["message:send"]}}),
        ),
        (
            "activated",
            user.clone(),
            json!({"chatControl": {"expireAt": 1_700_000_000_000_i64}}),
        ),
        ("deactivated", user.clone(), json!({})),
        ("botSuspended", user.clone(), json!({})),
        ("botResumed", user.clone(), json!({})),
        (
            "delivery",
            user.clone(),
            json!({"delivery": {"data": "hashed-phone"}}),
        ),
        (
            "messageEdited",
            group.clone(),
            json!({"message": {"id": "1", "type": "text", "text": "edited"}}),
        ),
        (
            "somethingLineAddsLater",
            user.clone(),
            json!({"surprise": {"nested": [1, 2, 3]}}),
        ),
    ];
    cases
        .into_iter()
        .enumerate()
        .map(|(i, (event_type, source, extra))| {
            let mut event = json!({
                "type": event_type, "mode": "active", "timestamp": 1_700_000_000_000_i64 + i as i64,
                "source": source, "webhookEventId": format!("01HEVERY{i:02}"),
                "deliveryContext": {"isRedelivery": false}
            });
            for (key, value) in extra.as_object().unwrap() {
                event[key] = value.clone();
            }
            event
        })
        .collect()
}

#[tokio::test]
async fn every_event_type_of_the_spec_and_an_unknown_one_are_stored_and_acknowledged() {
    let app = spawn_app().await;
    Mock::given(method("POST"))
        .and(path("/v2/bot/message/reply"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"sentMessages": [{"id": "1"}]})),
        )
        .expect(1) // only the follow is answered
        .mount(&app.line_api)
        .await;
    let events = one_of_every_type();
    let response = app.post_webhook(body_of(events.clone())).await;
    assert_eq!(response.status().as_u16(), 200);
    let rows = wait_until_processed(&app, events.len()).await;
    for (row, event) in rows.iter().zip(&events) {
        assert_eq!(row.event_type, event["type"].as_str().unwrap());
        let expected = match row.event_type.as_str() {
            "follow" => "welcomed",
            "unfollow" => "unfollow_recorded",
            "somethingLineAddsLater" => "unknown_type",
            _ => "acknowledged",
        };
        assert_eq!(row.outcome.as_deref(), Some(expected), "{}", row.event_type);
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("store_assistant_webhook_events_received_total{type=\"memberJoined\"} 1")
    );
    assert!(metrics.contains("store_assistant_webhook_events_received_total{type=\"unknown\"} 1"));
}

// ---------------------------------------------------------------------------------------------
// Never slow

/// A fake LINE reply endpoint that answers only when the test opens the gate.
struct GatedLineApi {
    url: String,
    received: Arc<AtomicUsize>,
    answered: Arc<AtomicUsize>,
    gate: Arc<Notify>,
}

async fn gated_line_api() -> GatedLineApi {
    let received = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Notify::new());
    let (r, a, g) = (received.clone(), answered.clone(), gate.clone());
    let server = actix_web::HttpServer::new(move || {
        let (r, a, g) = (r.clone(), a.clone(), g.clone());
        actix_web::App::new().route(
            "/v2/bot/message/reply",
            actix_web::web::post().to(move || {
                let (r, a, g) = (r.clone(), a.clone(), g.clone());
                async move {
                    r.fetch_add(1, Ordering::SeqCst);
                    g.notified().await;
                    a.fetch_add(1, Ordering::SeqCst);
                    actix_web::HttpResponse::Ok().json(json!({"sentMessages": [{"id": "1"}]}))
                }
            }),
        )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!("http://{}", server.addrs()[0]);
    tokio::spawn(server.run());
    GatedLineApi {
        url,
        received,
        answered,
        gate,
    }
}

#[tokio::test]
async fn webhook_is_acknowledged_while_line_has_not_answered() {
    let line = gated_line_api().await;
    let line_url = line.url.clone();
    let app = spawn_app_with(|vars| {
        vars.insert("LINE_API_BASE_URL".into(), line_url);
    })
    .await;
    let body = body_of(vec![follow_event("01HSLOW", "Uslow", "rt-slow")]);

    let response = app.post_webhook(body).await;
    // The 200 is here, and LINE has not answered anything: the gate is still closed.
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(line.answered.load(Ordering::SeqCst), 0);

    // The worker is waiting on LINE meanwhile; once LINE answers, the event is done.
    for _ in 0..500 {
        if line.received.load(Ordering::SeqCst) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(line.received.load(Ordering::SeqCst), 1);
    assert!(stored_events(&app).await[0].processed_at.is_none());
    line.gate.notify_one();
    let rows = wait_until_processed(&app, 1).await;
    assert_eq!(rows[0].outcome.as_deref(), Some("welcomed"));
    assert_eq!(line.answered.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn oversized_chunked_body_is_413_without_reading_on() {
    let app = spawn_app().await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = "POST /line/webhook HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
                Transfer-Encoding: chunked\r\nX-Line-Signature: c2lnbmF0dXJl\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    // 17 chunks of 64 KiB: one byte-chunk past 1 MiB. No Content-Length, so only counting while
    // reading can catch it; the final empty chunk is never sent.
    let chunk = vec![b' '; 64 * 1024];
    for _ in 0..17 {
        stream
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .await
            .unwrap();
        stream.write_all(&chunk).await.unwrap();
        stream.write_all(b"\r\n").await.unwrap();
    }
    let mut response = vec![0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut response))
        .await
        .expect("the server answers without waiting for the rest of the body")
        .unwrap();
    let response = String::from_utf8_lossy(&response[..read]);
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(stored_events(&app).await.is_empty());
}
