//! `POST /line/webhook` against a fake LINE API: signature, parsing, storage, processing.

use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use store_assistant::db::entities::webhook_events;
use store_assistant::line::signature::sign;
use store_assistant::services::webhook_worker::WorkerConfig;
use store_assistant::startup::BuildOptions;

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
