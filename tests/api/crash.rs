//! Crash drill: the real `store-assistant` binary is killed with SIGKILL in the middle of a webhook
//! and binding load, then started again on the same database. Every webhook the clients saw
//! acknowledged and every binding they saw succeed must be in the database, and the events that
//! were still pending must be handled after the restart.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use store_assistant::db::entities::{bindings, members, webhook_events};
use store_assistant::domain::journey::JourneyId;
use store_assistant::line::signature::sign;
use store_assistant::services::webhook::WorkerConfig;
use store_assistant::startup::BuildOptions;
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

use crate::helpers::{
    BinaryLog, BinaryServer, CHANNEL_SECRET, LOGIN_CHANNEL_ID, spawn_app_with_options,
};

const SENDERS: usize = 4;
const JOURNEYS: usize = 400;

/// LINE Login's verify endpoint for ID tokens `crash.{userId}`: genuine, for our channel.
struct VerifiesAnyCrashToken;

impl Respond for VerifiesAnyCrashToken {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let form: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&request.body).unwrap_or_default();
        let token = form
            .iter()
            .find(|(key, _)| key == "id_token")
            .map(|(_, value)| value.as_str())
            .unwrap_or_default();
        let exp = Utc::now().timestamp() + 3600;
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "iss": "https://access.line.me", "sub": token.trim_start_matches("crash."),
            "aud": LOGIN_CHANNEL_ID, "exp": exp, "iat": exp - 3600, "name": "小明"
        }))
    }
}

/// LINE Login for access tokens `crash.{userId}`: genuine, ours, and that user's (verify and
/// profile), and a friend of the OA.
struct VouchesForCrashAccessTokens;

impl Respond for VouchesForCrashAccessTokens {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let from_query = request
            .url
            .query_pairs()
            .find(|(key, _)| key == "access_token")
            .map(|(_, value)| value.into_owned());
        let from_header = request
            .headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::to_owned);
        let token = from_query.or(from_header).unwrap_or_default();
        let body = match request.url.path() {
            "/oauth2/v2.1/verify" => serde_json::json!({
                "scope": "profile openid", "client_id": LOGIN_CHANNEL_ID, "expires_in": 3600
            }),
            "/v2/profile" => serde_json::json!({
                "userId": token.trim_start_matches("crash."), "displayName": "小明"
            }),
            _ => serde_json::json!({"friendFlag": true}),
        };
        ResponseTemplate::new(200).set_body_json(body)
    }
}

fn follow_body(event_id: &str) -> String {
    serde_json::json!({
        "destination": "U0123456789abcdef0123456789abcdef",
        "events": [{
            "type": "follow", "mode": "active", "timestamp": 1_700_000_000_000_i64,
            "source": {"type": "user", "userId": format!("U{event_id}")},
            "webhookEventId": event_id, "deliveryContext": {"isRedelivery": false},
            "replyToken": format!("rt-{event_id}"), "follow": {"isUnblocked": false}
        }]
    })
    .to_string()
}

#[tokio::test]
async fn kill_9_under_load_loses_no_acknowledged_webhook_or_binding() {
    // The test's own app only seeds and reads; its worker is off so only the binary handles events.
    let options = BuildOptions {
        webhook_worker: WorkerConfig {
            enabled: false,
            ..WorkerConfig::default()
        },
        ..BuildOptions::default()
    };
    let app = spawn_app_with_options(|_| {}, options).await;
    let store = app.seed_store("TP001", Some("北區")).await;
    let mut journeys = Vec::new();
    for _ in 0..JOURNEYS {
        journeys.push(
            app.seed_journey(store, chrono::Duration::hours(72))
                .await
                .id,
        );
    }
    Mock::given(method("POST"))
        .and(path("/oauth2/v2.1/verify"))
        .respond_with(VerifiesAnyCrashToken)
        .mount(&app.line_api)
        .await;
    Mock::given(method("GET"))
        .respond_with(VouchesForCrashAccessTokens)
        .mount(&app.line_api)
        .await;
    // LINE holds every reply until after the crash, so events are surely pending at the kill.
    Mock::given(method("POST"))
        .and(path("/v2/bot/message/reply"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(600)))
        .mount(&app.line_api)
        .await;

    let server = BinaryServer::start(&app, BinaryLog::Quiet).await;
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let bound = Arc::new(Mutex::new(Vec::<JourneyId>::new()));
    let journeys = Arc::new(Mutex::new(journeys));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let mut load = tokio::task::JoinSet::new();
    for sender in 0..SENDERS {
        let (http, stopped, acked) = (client.clone(), stop.clone(), acknowledged.clone());
        let url = format!("{}/line/webhook", server.address);
        load.spawn(async move {
            let mut n = 0;
            while !stopped.load(Ordering::Relaxed) {
                let id = format!("crash{sender}x{n}");
                n += 1;
                let body = follow_body(&id);
                let signature = sign(CHANNEL_SECRET.as_bytes(), body.as_bytes());
                let sent = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-line-signature", signature)
                    .body(body)
                    .send()
                    .await;
                if sent.is_ok_and(|response| response.status() == 200) {
                    acked.lock().unwrap().push(id);
                }
            }
        });
        let (client, stop, bound, journeys) = (
            client.clone(),
            stop.clone(),
            bound.clone(),
            journeys.clone(),
        );
        let url = format!("{}/api/liff/bind", server.address);
        load.spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let Some(journey) = journeys.lock().unwrap().pop() else {
                    break;
                };
                let sent = client
                    .post(&url)
                    .json(&serde_json::json!({
                        "journey": journey,
                        "id_token": format!("crash.U{journey}"),
                        "access_token": format!("crash.U{journey}"),
                        "consent": true
                    }))
                    .send()
                    .await;
                let Ok(response) = sent else { continue };
                if response.status() == 200
                    && let Ok(json) = response.json::<serde_json::Value>().await
                    && json["outcome"] == "bound"
                {
                    bound.lock().unwrap().push(journey);
                }
            }
        });
    }

    // Kill once both loads are well under way (bounded: a machine too slow for that fails loudly).
    for _ in 0..1200 {
        if acknowledged.lock().unwrap().len() >= 200 && bound.lock().unwrap().len() >= 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    server.kill_9();
    stop.store(true, Ordering::Relaxed);
    while load.join_next().await.is_some() {}
    let acknowledged = acknowledged.lock().unwrap().clone();
    let bound = bound.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 200 && bound.len() >= 20,
        "the load did not get going: {} webhooks, {} bindings",
        acknowledged.len(),
        bound.len()
    );

    // Everything a client saw succeed is durable.
    for chunk in acknowledged.chunks(300) {
        let stored = webhook_events::Entity::find()
            .filter(webhook_events::Column::WebhookEventId.is_in(chunk.iter().cloned()))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(
            stored,
            chunk.len() as u64,
            "an acknowledged webhook was lost"
        );
    }
    for chunk in bound.chunks(300) {
        let stored = bindings::Entity::find()
            .filter(bindings::Column::JourneyId.is_in(chunk.iter().cloned()))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(
            stored,
            chunk.len() as u64,
            "a binding a shopper saw was lost"
        );
    }
    // No half-written binding: one member per binding, whatever the kill interrupted.
    assert_eq!(
        members::Entity::find().count(&app.db).await.unwrap(),
        bindings::Entity::find().count(&app.db).await.unwrap()
    );
    let pending = webhook_events::Entity::find()
        .filter(webhook_events::Column::ProcessedAt.is_null())
        .count(&app.db)
        .await
        .unwrap();
    assert!(pending > 0, "the drill needs events pending at the kill");

    // LINE answers again; the leases the killed process held have run out (the clock moved on).
    app.line_api.reset().await;
    Mock::given(method("POST"))
        .and(path("/v2/bot/message/reply"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"sentMessages": [{"id": "1"}]})),
        )
        .mount(&app.line_api)
        .await;
    webhook_events::Entity::update_many()
        .col_expr(
            webhook_events::Column::ClaimedUntil,
            Expr::value(Utc::now() - chrono::Duration::seconds(1)),
        )
        .filter(webhook_events::Column::ProcessedAt.is_null())
        .filter(webhook_events::Column::ClaimedUntil.is_not_null())
        .exec(&app.db)
        .await
        .unwrap();

    let restarted = BinaryServer::start(&app, BinaryLog::Quiet).await;
    let mut left = pending;
    for _ in 0..1200 {
        left = webhook_events::Entity::find()
            .filter(webhook_events::Column::ProcessedAt.is_null())
            .count(&app.db)
            .await
            .unwrap();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        left, 0,
        "{left} of {pending} pending events were not handled after the restart"
    );
    let failed = webhook_events::Entity::find()
        .filter(webhook_events::Column::Outcome.eq("failed"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(failed, 0, "every pending event was handled successfully");
    drop(restarted);
}
