//! Personal data beyond the member row: the export holds the webhook events LINE sent about the
//! member (chat text, postbacks), their orders and SMS; erasure leaves their LINE user id and phone
//! in no table at all (every text column of every table is searched) while orders keep their
//! amounts; housekeeping deletes rows past their retention, in batches, and never a queued event.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, Set, Statement,
};
use serde_json::{Value, json};
use store_assistant::db::entities::enums::{FunnelStage, SmsStatus, StaffRole};
use store_assistant::db::entities::{
    accepted_id_tokens, funnel_events, login_attempts, members, otp_challenges, webhook_events,
};
use store_assistant::domain::line_user::LineUserId;
use store_assistant::domain::retention::{Days, Retention};
use store_assistant::services::housekeeping::{self, HousekeepingConfig};
use store_assistant::services::webhook::WorkerConfig;
use store_assistant::startup::BuildOptions;

use crate::helpers::{TestApp, spawn_app_with_options};
use crate::member_fixtures::{self, phone_member};

const USER: &str = "U4af4980629a1b2c3d4e5f60718293a4b";
const OTHER_USER: &str = "U0000000000000000000000000000beef";
const PHONE: &str = "+886912345678";
/// The phone as any table might hold it: E.164, or the local 09… form.
const PHONE_DIGITS: &str = "912345678";

/// Without the webhook worker and background housekeeping, so stored rows stay exactly as the
/// test left them until it runs a round itself.
async fn app_without_worker() -> TestApp {
    spawn_app_with_options(
        |_| {},
        BuildOptions {
            webhook_worker: WorkerConfig {
                enabled: false,
                ..WorkerConfig::default()
            },
            housekeeping: None,
            ..BuildOptions::default()
        },
    )
    .await
}

/// Stores an event as the webhook would: `processed_at` unset means it waits in the queue.
async fn store_event(
    app: &TestApp,
    id: &str,
    user: &str,
    event: Value,
    processed_at: Option<DateTime<Utc>>,
) {
    let received_at = processed_at.unwrap_or_else(Utc::now);
    webhook_events::Entity::insert(webhook_events::ActiveModel {
        id: NotSet,
        webhook_event_id: Set(id.to_owned()),
        event_type: Set(event["type"].as_str().unwrap().to_owned()),
        source_user_id: Set(Some(user.to_owned())),
        payload: Set(event.to_string()),
        is_redelivery: Set(false),
        event_timestamp: Set(received_at.timestamp_millis()),
        received_at: Set(received_at),
        claimed_until: Set(None),
        processed_at: Set(processed_at),
        outcome: Set(processed_at.map(|_| "handled".to_owned())),
        attempts: Set(i32::from(processed_at.is_some())),
        last_error: Set(None),
    })
    .exec_without_returning(&app.db)
    .await
    .unwrap();
}

fn message(id: &str, user: &str, text: &str) -> Value {
    json!({
        "type": "message", "mode": "active", "timestamp": 1_733_000_000_000_i64,
        "webhookEventId": id, "deliveryContext": {"isRedelivery": false},
        "source": {"type": "user", "userId": user}, "replyToken": "r",
        "message": {"type": "text", "id": "1", "text": text}
    })
}

fn postback(id: &str, user: &str, data: &str) -> Value {
    json!({
        "type": "postback", "mode": "active", "timestamp": 1_733_000_000_000_i64,
        "webhookEventId": id, "deliveryContext": {"isRedelivery": false},
        "source": {"type": "user", "userId": user}, "replyToken": "r",
        "postback": {"data": data}
    })
}

/// The member (LINE and phone) with everything that names them: webhook events (one handled, one
/// still queued, one in a group naming them), an order placed before they registered (by phone
/// only) and one after, an SMS and a one-time code. Another user's event and order stay theirs.
/// Returns the member id.
async fn member_with_traces(app: &TestApp) -> i32 {
    let store = app.create_store("A01", "台北信義店", None).await;
    let (hq_id, _) = app.create_account(StaffRole::Hq, None).await;
    let api = app.api_token(hq_id, "網店同步").await;
    let order = async |external_id: &str, member: Value| {
        let order = json!({
            "source": "cyberbiz", "external_id": external_id, "amount": 1200,
            "ordered_at": Utc::now().to_rfc3339(), "member": member
        });
        let (status, body) = api.call("POST", "/orders", Some(order)).await;
        assert_eq!(status, 201, "{body}");
    };
    order("EARLY-1", json!({"phone": "0912-345-678"})).await;
    let member = phone_member(app, store, None, PHONE, Some(USER)).await;
    order("LATER-1", json!({"line_user_id": USER})).await;
    order("OTHER-1", json!({"phone": "0987-654-321"})).await;

    let handled = Some(Utc::now() - Duration::hours(1));
    store_event(
        app,
        "EV-TEXT",
        USER,
        message("EV-TEXT", USER, "請問信義店幾點開門？"),
        handled,
    )
    .await;
    store_event(
        app,
        "EV-POSTBACK",
        USER,
        postback("EV-POSTBACK", USER, "action=coupon&id=7"),
        None,
    )
    .await;
    let joined = json!({
        "type": "memberJoined", "mode": "active", "timestamp": 1_733_000_000_000_i64,
        "webhookEventId": "EV-JOINED", "deliveryContext": {"isRedelivery": false},
        "source": {"type": "group", "groupId": "C0123456789abcdef0123456789abcdef", "userId": OTHER_USER},
        "joined": {"members": [{"type": "user", "userId": USER}]}
    });
    store_event(app, "EV-JOINED", OTHER_USER, joined, handled).await;
    store_event(
        app,
        "EV-OTHER",
        OTHER_USER,
        message("EV-OTHER", OTHER_USER, "別人的訊息"),
        handled,
    )
    .await;

    member_fixtures::sms(app, Some(store), SmsStatus::Sent, 1, Utc::now()).await;
    one_time_code(app, Utc::now(), Some(USER)).await;
    member
}

#[tokio::test]
async fn the_export_holds_the_webhook_events_orders_and_sms_about_the_member() {
    let app = app_without_worker().await;
    let member = member_with_traces(&app).await;
    let hq = app.hq().await;
    let response = hq
        .get(&format!("/admin/members/{member}/export.json"))
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let data: Value = response.json().await.unwrap();

    let events = data["webhook_events"].as_array().unwrap();
    let ids: Vec<&str> = events
        .iter()
        .map(|e| e["webhook_event_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["EV-TEXT", "EV-POSTBACK", "EV-JOINED"],
        "not another user's"
    );
    assert_eq!(
        events[0]["event"]["message"]["text"],
        "請問信義店幾點開門？"
    );
    assert_eq!(events[0]["event"]["source"]["userId"], USER);
    assert_eq!(events[1]["event"]["postback"]["data"], "action=coupon&id=7");
    assert_eq!(events[1]["handled_at"], Value::Null, "still queued");
    assert!(
        events[0]["received_at"]
            .as_str()
            .unwrap()
            .ends_with("+08:00")
    );

    let orders = data["orders"].as_array().unwrap();
    let external: Vec<&str> = orders
        .iter()
        .map(|o| o["external_id"].as_str().unwrap())
        .collect();
    assert_eq!(external, ["EARLY-1", "LATER-1"]);
    assert_eq!(orders[0]["customer_phone"], PHONE);
    assert_eq!(orders[1]["customer_line_user_id"], USER);
    assert_eq!(orders[1]["amount_twd"], 1200);

    let sms = data["sms_messages"].as_array().unwrap();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0]["phone"], PHONE);
}

/// Every text column of every table of ours, on either backend.
async fn text_columns(app: &TestApp) -> Vec<(String, String)> {
    let db = &app.db;
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT table_name AS t, column_name AS c FROM information_schema.columns \
             WHERE table_schema = current_schema() \
             AND data_type IN ('text', 'character varying', 'json', 'jsonb')"
        }
        _ => {
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m \
             JOIN pragma_table_info(m.name) p WHERE m.type = 'table' \
             AND (upper(p.type) LIKE '%TEXT%' OR upper(p.type) LIKE '%CHAR%' \
                  OR upper(p.type) LIKE '%JSON%' OR p.type = '')"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap();
    let columns: Vec<(String, String)> = rows
        .iter()
        .map(|row| (row.try_get("", "t").unwrap(), row.try_get("", "c").unwrap()))
        .filter(|(table, _): &(String, String)| {
            !table.starts_with("seaql_") && !table.starts_with("sqlite_")
        })
        .collect();
    assert!(
        columns
            .iter()
            .any(|(t, c)| t == "webhook_events" && c == "payload"),
        "the search sees the tables: {columns:?}"
    );
    columns
}

/// Where `needle` still appears: `table.column` for each text column that holds it.
async fn where_found(app: &TestApp, needle: &str) -> Vec<String> {
    let backend = app.db.get_database_backend();
    let mut found = Vec::new();
    for (table, column) in text_columns(app).await {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM \"{table}\" WHERE CAST(\"{column}\" AS TEXT) LIKE '%{needle}%'"
        );
        let row = app
            .db
            .query_one_raw(Statement::from_string(backend, sql))
            .await
            .unwrap()
            .unwrap();
        let count: i64 = row.try_get("", "n").unwrap();
        if count > 0 {
            found.push(format!("{table}.{column}"));
        }
    }
    found
}

#[tokio::test]
async fn erasure_leaves_the_line_user_id_and_phone_in_no_table_and_keeps_the_amounts() {
    let app = app_without_worker().await;
    let member = member_with_traces(&app).await;
    let hq = app.hq().await;
    let before = where_found(&app, USER).await;
    for table in [
        "members.line_user_id",
        "webhook_events.payload",
        "orders.customer_line_user_id",
    ] {
        assert!(before.contains(&table.to_owned()), "{table} in {before:?}");
    }
    assert!(!where_found(&app, PHONE_DIGITS).await.is_empty());

    let response = hq
        .post_form(
            &format!("/admin/members/{member}/erase"),
            &[("reason", "會員來信要求刪除個資")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);

    assert_eq!(
        where_found(&app, USER).await,
        Vec::<String>::new(),
        "LINE user id"
    );
    assert_eq!(
        where_found(&app, PHONE_DIGITS).await,
        Vec::<String>::new(),
        "phone"
    );

    // Orders keep what accounting needs; another customer's order and events are untouched.
    let orders = app.order_rows().await;
    assert_eq!(orders.len(), 3);
    assert!(orders.iter().all(|o| o.amount == 1200));
    let other = orders.iter().find(|o| o.external_id == "OTHER-1").unwrap();
    assert_eq!(other.customer_phone.as_deref(), Some("+886987654321"));
    let later = orders.iter().find(|o| o.external_id == "LATER-1").unwrap();
    assert_eq!(
        later.member_id,
        Some(member),
        "the (anonymous) member stays credited"
    );
    let left = event_ids(&app).await;
    assert_eq!(left, ["EV-OTHER"]);
    let erased = members::Entity::find_by_id(member)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(erased.erased_at.is_some());
}

/// The stored webhook events' ids, in order.
async fn event_ids(app: &TestApp) -> Vec<String> {
    webhook_events::Entity::find()
        .order_by_asc(webhook_events::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.webhook_event_id)
        .collect()
}

async fn login_attempt(app: &TestApp, at: DateTime<Utc>) {
    login_attempts::Entity::insert(login_attempts::ActiveModel {
        id: NotSet,
        username: Set("someone".to_owned()),
        client_ip: Set("203.0.113.9".to_owned()),
        succeeded: Set(false),
        attempted_at: Set(at),
    })
    .exec_without_returning(&app.db)
    .await
    .unwrap();
}

/// A one-time code sent to [`PHONE`] at `at`.
async fn one_time_code(app: &TestApp, at: DateTime<Utc>, line_user_id: Option<&str>) {
    otp_challenges::Entity::insert(otp_challenges::ActiveModel {
        id: NotSet,
        phone_e164: Set(PHONE.to_owned()),
        journey_id: Set(None),
        line_user_id: Set(line_user_id.map(LineUserId::from_line)),
        code_hash: Set("x".to_owned()),
        client_ip: Set("203.0.113.9".to_owned()),
        created_at: Set(at),
        expires_at: Set(at + Duration::minutes(10)),
        wrong_tries: Set(0),
        consumed_at: Set(None),
    })
    .exec_without_returning(&app.db)
    .await
    .unwrap();
}

async fn count<E: EntityTrait>(app: &TestApp) -> usize {
    E::find().all(&app.db).await.unwrap().len()
}

#[tokio::test]
async fn housekeeping_deletes_rows_past_their_retention_only_and_never_a_queued_event() {
    let app = app_without_worker().await;
    let store = app.create_store("A01", "台北信義店", None).await;
    let now = Utc::now();
    let retention = Retention::default();
    let old = |days: Days| now - Duration::days(i64::from(days.get()) + 1);
    let fresh = |days: Days| now - Duration::days(i64::from(days.get()) - 1);

    for i in 0..5 {
        let id = format!("OLD-{i}");
        let at = Some(old(retention.webhook_events));
        store_event(&app, &id, USER, message(&id, USER, "舊訊息"), at).await;
    }
    let at = Some(fresh(retention.webhook_events));
    store_event(&app, "FRESH", USER, message("FRESH", USER, "新訊息"), at).await;
    // Received long ago and never handled (the worker was down): still waiting in the queue.
    store_event(
        &app,
        "QUEUED",
        USER,
        message("QUEUED", USER, "排隊中"),
        None,
    )
    .await;
    webhook_events::Entity::update_many()
        .col_expr(
            webhook_events::Column::ReceivedAt,
            sea_orm::sea_query::Expr::value(now - Duration::days(365)),
        )
        .filter(webhook_events::Column::WebhookEventId.eq("QUEUED"))
        .exec(&app.db)
        .await
        .unwrap();

    for _ in 0..3 {
        one_time_code(&app, old(retention.one_time_codes), None).await;
        login_attempt(&app, old(retention.login_attempts)).await;
    }
    one_time_code(&app, fresh(retention.one_time_codes), None).await;
    login_attempt(&app, fresh(retention.login_attempts)).await;
    member_fixtures::funnel(
        &app,
        store,
        None,
        FunnelStage::Scan,
        old(retention.funnel_events),
        3,
    )
    .await;
    member_fixtures::funnel(
        &app,
        store,
        None,
        FunnelStage::Scan,
        fresh(retention.funnel_events),
        2,
    )
    .await;
    let journey = app.seed_journey(store, Duration::hours(72)).await;
    for (hash, expires_at) in [
        ("expired", now - Duration::minutes(1)),
        ("live", now + Duration::minutes(30)),
    ] {
        accepted_id_tokens::Entity::insert(accepted_id_tokens::ActiveModel {
            token_hash: Set(hash.to_owned()),
            journey_id: Set(journey.id.clone()),
            accepted_at: Set(now - Duration::minutes(30)),
            expires_at: Set(expires_at),
        })
        .exec_without_returning(&app.db)
        .await
        .unwrap();
    }

    // A bounded round: at most one batch of 2 per kind.
    let bounded = HousekeepingConfig {
        batch: 2,
        max_batches: Some(1),
        ..HousekeepingConfig::default()
    };
    let deleted = housekeeping::run_round(&app.db, &retention, &bounded, now)
        .await
        .unwrap();
    assert_eq!(deleted.webhook_events, 2);
    assert_eq!(deleted.one_time_codes, 2);
    assert_eq!(count::<webhook_events::Entity>(&app).await, 5);

    // Then to the end, in batches of 2.
    let to_the_end = HousekeepingConfig {
        max_batches: None,
        ..bounded
    };
    let deleted = housekeeping::run_round(&app.db, &retention, &to_the_end, now)
        .await
        .unwrap();
    assert_eq!(deleted.webhook_events, 3);
    let left = event_ids(&app).await;
    assert_eq!(left, ["FRESH", "QUEUED"]);
    assert_eq!(count::<otp_challenges::Entity>(&app).await, 1);
    assert_eq!(count::<login_attempts::Entity>(&app).await, 1);
    // The 2 fresh scans, and the seeded journey's own scan and journey steps.
    assert_eq!(count::<funnel_events::Entity>(&app).await, 4);
    let tokens: Vec<String> = accepted_id_tokens::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.token_hash)
        .collect();
    assert_eq!(tokens, ["live"]);

    // Nothing more to do.
    let again = housekeeping::run_round(&app.db, &retention, &to_the_end, now)
        .await
        .unwrap();
    assert_eq!(again.total(), 0);
}

/// The running server applies the retention settings by itself: with 7 days for webhook events,
/// one handled 10 days ago goes (the default, 30 days, would keep it).
#[tokio::test]
async fn the_server_applies_the_retention_settings_on_its_own() {
    let app = spawn_app_with_options(
        |vars| {
            vars.insert("RETENTION_WEBHOOK_EVENTS_DAYS".to_owned(), "7".to_owned());
        },
        BuildOptions {
            housekeeping: Some(HousekeepingConfig {
                interval: std::time::Duration::from_millis(50),
                ..HousekeepingConfig::default()
            }),
            ..BuildOptions::default()
        },
    )
    .await;
    let ten_days_ago = Some(Utc::now() - Duration::days(10));
    store_event(
        &app,
        "TEN-DAYS",
        USER,
        message("TEN-DAYS", USER, "x"),
        ten_days_ago,
    )
    .await;
    for _ in 0..200 {
        if count::<webhook_events::Entity>(&app).await == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the event past its retention was not deleted");
}

#[tokio::test]
async fn a_retention_of_zero_days_stops_the_start_with_a_clear_message() {
    let url = crate::helpers::fresh_database_url().await;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_store-assistant"))
        .arg("migrate")
        .env_clear()
        .env("DATABASE_URL", &url)
        .env("RETENTION_OTP_DAYS", "0")
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("RETENTION_OTP_DAYS"), "{stderr}");
    assert!(stderr.contains("from 7 to 3650"), "{stderr}");
}

#[tokio::test]
async fn the_command_line_runs_housekeeping_to_the_end() {
    let app = app_without_worker().await;
    for i in 0..3 {
        let id = format!("OLD-{i}");
        let at = Some(Utc::now() - Duration::days(40));
        store_event(&app, &id, OTHER_USER, message(&id, OTHER_USER, "舊"), at).await;
    }
    let dir = std::env::temp_dir().join(format!(
        "store-assistant-cli-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_store-assistant"))
        .arg("housekeeping")
        .current_dir(&dir)
        .env_clear()
        .env("DATABASE_URL", &app.database_url)
        .output()
        .expect("the binary runs");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("deleted: 3 webhook event(s)"), "{stdout}");
    assert_eq!(count::<webhook_events::Entity>(&app).await, 0);
}
