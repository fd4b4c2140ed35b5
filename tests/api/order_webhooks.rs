//! Signed order webhooks: the generic one (timestamp + body, 5-minute window, replay refused),
//! Shopify and WooCommerce with their documented sample payloads (`tests/fixtures/`), redelivery,
//! and refusals that store nothing.

use chrono::{Duration, Utc};
use futures_util::future::join_all;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use store_assistant::db::entities::enums::StaffRole;
use store_assistant::db::entities::enums::{OrderKind, OrderStatus, WebShop};
use store_assistant::db::entities::{order_webhook_deliveries, sales_daily};
use store_assistant::domain::hmac::sign_base64;

use crate::helpers::{SHOP_SECRET, TestApp, spawn_app};
use crate::member_fixtures::{self, phone_member, set_bound_at};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A store with a member bound a year ago by the phone 0912-345-678; returns (store, member).
async fn bound_member(app: &TestApp) -> (i32, i32) {
    let store = app.create_store("A01", "台北信義店", Some("北區")).await;
    let member = phone_member(app, store, None, "+886912345678", None).await;
    set_bound_at(app, member, Utc::now() - Duration::days(365 * 6)).await;
    (store, member)
}

fn generic_order(external_id: &str) -> Value {
    json!({
        "source": "my-shop",
        "external_id": external_id,
        "amount": 1500,
        "ordered_at": Utc::now().to_rfc3339(),
        "member": {"phone": "0912345678"}
    })
}

#[tokio::test]
async fn a_signed_generic_order_is_recorded_and_its_replay_refused() {
    let app = spawn_app().await;
    let (store, member) = bound_member(&app).await;
    app.set_shop_secret(WebShop::Generic, SHOP_SECRET).await;
    let now = Utc::now().timestamp();
    let body = generic_order("G-1");
    let (status, answer) = app.post_generic_order(SHOP_SECRET, now, &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "recorded");
    assert_eq!(answer["created"], true);
    let rows = app.order_rows().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].source, "my-shop");
    assert_eq!(
        (rows[0].member_id, rows[0].credited_store_id),
        (Some(member), Some(store))
    );

    // The very same signed request again: a replay.
    let (status, answer) = app.post_generic_order(SHOP_SECRET, now, &body).await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["error"], "replay");
    // Signed again with a new timestamp: accepted, answered with the order already stored.
    let (status, answer) = app.post_generic_order(SHOP_SECRET, now + 1, &body).await;
    assert_eq!((status, answer["created"].clone()), (200, json!(false)));
    assert_eq!(app.order_rows().await.len(), 1);
}

#[tokio::test]
async fn many_orders_delivered_at_once_are_each_stored_once_with_their_totals() {
    let app = spawn_app().await;
    let (store, member) = bound_member(&app).await;
    let group = app.group_id("北區").await;
    app.set_shop_secret(WebShop::Generic, SHOP_SECRET).await;
    let now = Utc::now().timestamp();
    let bodies: Vec<Value> = (0..50).map(|i| generic_order(&format!("M-{i}"))).collect();
    let answers = join_all(
        bodies
            .iter()
            .map(|body| app.post_generic_order(SHOP_SECRET, now, body)),
    )
    .await;
    for (status, answer) in &answers {
        assert_eq!(status, &200, "{answer}");
        assert_eq!(
            (answer["status"].clone(), answer["created"].clone()),
            (json!("recorded"), json!(true))
        );
    }
    let rows = app.order_rows().await;
    let mut stored: Vec<&str> = rows.iter().map(|r| r.external_id.as_str()).collect();
    stored.sort_unstable();
    let mut sent: Vec<String> = (0..50).map(|i| format!("M-{i}")).collect();
    sent.sort_unstable();
    assert_eq!(stored, sent);
    let mut answered: Vec<i64> = answers
        .iter()
        .map(|(_, answer)| answer["order_id"].as_i64().unwrap())
        .collect();
    answered.sort_unstable();
    assert_eq!(answered, rows.iter().map(|r| r.id).collect::<Vec<_>>());
    assert!(
        rows.iter()
            .all(|r| (r.member_id, r.credited_store_id, r.credited_group_id)
                == (Some(member), Some(store), group))
    );
    assert_eq!(app.daily_totals().await, (50, 50 * 1500, 0, 0));
    assert_eq!(app.buyer_rows().await.len(), 1);
    // All new orders: every one was written with the others of its batch.
    let metrics = app.get("/metrics").await.text().await.unwrap();
    for line in [
        "store_assistant_order_webhook_deliveries_written_total{way=\"together\"} 50",
        "store_assistant_order_webhook_deliveries_written_total{way=\"one_by_one\"} 0",
    ] {
        assert!(metrics.contains(line), "{metrics}");
    }
}

/// New orders arriving at once are recorded together (one statement per step for a whole
/// batch): each is still matched to its own member by the reference it gives (member id first,
/// then LINE user id, then phone), credited to that member's store and clerk, and added to its
/// own day cell and buyer row.
#[tokio::test]
async fn concurrent_orders_of_many_members_are_each_credited_and_totalled_in_their_own_cell() {
    use std::collections::{BTreeMap, BTreeSet};

    let app = spawn_app().await;
    let a01 = app.create_store("A01", "台北信義店", Some("北區")).await;
    let b01 = app.create_store("B01", "台北大安店", Some("北區")).await;
    let c01 = app.create_store("C01", "高雄巨蛋店", Some("南區")).await;
    let clerk = member_fixtures::clerk(&app, c01).await;
    let by_phone = phone_member(&app, a01, None, "+886912000001", None).await;
    let by_line =
        member_fixtures::line_member(&app, b01, None, "U00000000000000000000000000000b01", "小美")
            .await;
    let by_id = phone_member(&app, c01, Some(clerk), "+886912000003", None).await;
    for member in [by_phone, by_line, by_id] {
        set_bound_at(&app, member, Utc::now() - Duration::days(30)).await;
    }
    app.set_attribution("clerk", "").await;
    app.set_shop_secret(WebShop::Generic, SHOP_SECRET).await;
    // (who the order names, the member it must be credited to)
    let customers = [
        (json!({"phone": "0912000001"}), Some(by_phone)),
        (
            json!({"line_user_id": "U00000000000000000000000000000b01"}),
            Some(by_line),
        ),
        (json!({"member_id": by_id}), Some(by_id)),
        // The member id wins over a phone of someone else.
        (
            json!({"member_id": by_id, "phone": "0912000001"}),
            Some(by_id),
        ),
        // A LINE user id nobody has: the phone finds the member.
        (
            json!({"line_user_id": "U0000000000000000000000000000dead", "phone": "0912000001"}),
            Some(by_phone),
        ),
        // The LINE user id wins over a phone of someone else.
        (
            json!({"line_user_id": "U00000000000000000000000000000b01", "phone": "0912000001"}),
            Some(by_line),
        ),
        // A member id nobody has: the LINE user id finds the member.
        (
            json!({"member_id": 999_999, "line_user_id": "U00000000000000000000000000000b01"}),
            Some(by_line),
        ),
        (json!({"phone": "0987654321"}), None),
        (Value::Null, None),
    ];
    let bodies: Vec<Value> = (0..42)
        .map(|i| {
            let mut body = generic_order(&format!("C-{i}"));
            body["member"] = customers[i % customers.len()].0.clone();
            body["channel"] = json!(if i % 3 == 0 { "in_store" } else { "online" });
            body["amount"] = json!(100 + i);
            body
        })
        .collect();
    let now = Utc::now().timestamp();
    let answers = join_all(
        bodies
            .iter()
            .map(|body| app.post_generic_order(SHOP_SECRET, now, body)),
    )
    .await;
    assert!(
        answers.iter().all(|(status, _)| *status == 200),
        "{answers:?}"
    );

    let rows = app.order_rows().await;
    assert_eq!(rows.len(), 42);
    let store_of = BTreeMap::from([(by_phone, a01), (by_line, b01), (by_id, c01)]);
    for row in &rows {
        let i: usize = row.external_id["C-".len()..].parse().unwrap();
        let member = customers[i % customers.len()].1;
        assert_eq!(row.member_id, member, "{}", row.external_id);
        assert_eq!(
            row.credited_store_id,
            member.map(|m| store_of[&m]),
            "{}",
            row.external_id
        );
        let clerk_credited = (member == Some(by_id)).then_some(clerk);
        assert_eq!(row.credited_clerk_id, clerk_credited, "{}", row.external_id);
        assert_eq!(row.amount, 100 + i as i64);
    }
    // Each day cell holds exactly its own orders.
    let mut expected: BTreeMap<(i32, i32, String), (i32, i64)> = BTreeMap::new();
    for row in &rows {
        let cell = expected
            .entry((
                row.credited_store_id.unwrap_or(0),
                row.credited_clerk_id.unwrap_or(0),
                format!("{:?}", row.channel),
            ))
            .or_default();
        cell.0 += 1;
        cell.1 += row.amount;
    }
    let mut kept: BTreeMap<(i32, i32, String), (i32, i64)> = BTreeMap::new();
    for cell in sales_daily::Entity::find().all(&app.db).await.unwrap() {
        let sums = kept
            .entry((
                cell.credited_store_id,
                cell.credited_clerk_id,
                format!("{:?}", cell.channel),
            ))
            .or_default();
        sums.0 += cell.order_count;
        sums.1 += cell.gross_amount;
    }
    assert_eq!(kept, expected);
    let buyers: BTreeSet<(i32, i32, String)> = app
        .buyer_rows()
        .await
        .into_iter()
        .map(|b| (b.member_id, b.credited_store_id, format!("{:?}", b.channel)))
        .collect();
    let expected_buyers: BTreeSet<(i32, i32, String)> = rows
        .iter()
        .filter_map(|r| {
            Some((
                r.member_id?,
                r.credited_store_id.unwrap_or(0),
                format!("{:?}", r.channel),
            ))
        })
        .collect();
    assert_eq!(buyers, expected_buyers);
    // And the month totals and buyer counts the triggers kept as the rows went in, several in
    // one statement, are what counting them afresh gives.
    let kept = app.month_totals().await;
    assert!(!kept.0.is_empty() && !kept.1.is_empty(), "{kept:?}");
    assert_eq!(app.recounted_month_totals().await, kept);
}

/// A new order that cannot be recorded (an unknown store code) among new ones recorded together
/// is answered alone with its error; the others are stored, and nothing of it is.
#[tokio::test]
async fn a_new_order_naming_an_unknown_store_among_concurrent_ones_is_refused_alone() {
    let app = spawn_app().await;
    bound_member(&app).await;
    app.set_shop_secret(WebShop::Generic, SHOP_SECRET).await;
    let now = Utc::now().timestamp();
    let mut bodies: Vec<Value> = (0..20).map(|i| generic_order(&format!("U-{i}"))).collect();
    bodies[7]["store_code"] = json!("Z99");
    let answers = join_all(
        bodies
            .iter()
            .map(|body| app.post_generic_order(SHOP_SECRET, now, body)),
    )
    .await;
    let (status, answer) = &answers[7];
    assert_eq!(*status, 400, "{answer}");
    assert!(
        answer["message_en"].as_str().unwrap().contains("Z99"),
        "{answer}"
    );
    for (status, answer) in answers[..7].iter().chain(&answers[8..]) {
        assert_eq!(
            (status, answer["created"].clone()),
            (&200, json!(true)),
            "{answer}"
        );
    }
    let rows = app.order_rows().await;
    assert_eq!(rows.len(), 19);
    assert!(rows.iter().all(|r| r.external_id != "U-7"));
    assert_eq!(app.daily_totals().await, (19, 19 * 1500, 0, 0));
    let deliveries = order_webhook_deliveries::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 19, "the refused delivery is not recorded");
    // Its batch could not go in together and was written one by one.
    let (together, one_by_one) = app.ctx.metrics.order_deliveries();
    assert!(one_by_one >= 1, "{together} {one_by_one}");
    assert_eq!(together + one_by_one, 20);
}

/// The same orders sent by the API and by the webhook at the same moment are stored once each:
/// whichever comes second is answered with the order the first stored.
#[tokio::test]
async fn orders_sent_by_the_api_and_the_webhook_at_once_are_stored_once() {
    let app = spawn_app().await;
    bound_member(&app).await;
    app.set_shop_secret(WebShop::Generic, SHOP_SECRET).await;
    let (hq, _) = app.create_account(StaffRole::Hq, None).await;
    let api = app.api_token(hq, "網店同步").await;
    let now = Utc::now().timestamp();
    let bodies: Vec<Value> = (0..30).map(|i| generic_order(&format!("B-{i}"))).collect();
    let by_webhook = join_all(
        bodies
            .iter()
            .map(|body| app.post_generic_order(SHOP_SECRET, now, body)),
    );
    let by_api = join_all(
        bodies
            .iter()
            .map(|body| api.call("POST", "/orders", Some(body.clone()))),
    );
    let (by_webhook, by_api) = futures_util::join!(by_webhook, by_api);
    assert!(
        by_webhook.iter().all(|(status, _)| *status == 200),
        "{by_webhook:?}"
    );
    assert!(
        by_api
            .iter()
            .all(|(status, _)| *status == 200 || *status == 201),
        "{by_api:?}"
    );
    let rows = app.order_rows().await;
    assert_eq!(rows.len(), 30);
    for (i, ((_, hook), (_, api))) in by_webhook.iter().zip(&by_api).enumerate() {
        let id = rows
            .iter()
            .find(|r| r.external_id == format!("B-{i}"))
            .unwrap()
            .id;
        assert_eq!(hook["order_id"], json!(id), "{hook}");
        assert_eq!(api["order"]["id"], json!(id), "{api}");
        assert_ne!(hook["created"], api["created"], "{hook} {api}");
    }
    assert_eq!(app.daily_totals().await, (30, 30 * 1500, 0, 0));
}

#[tokio::test]
async fn a_refused_order_among_concurrent_ones_is_answered_alone_and_the_others_are_stored() {
    let app = spawn_app().await;
    bound_member(&app).await;
    app.set_shop_secret(WebShop::Generic, SHOP_SECRET).await;
    let now = Utc::now().timestamp();
    let (status, _) = app
        .post_generic_order(SHOP_SECRET, now, &generic_order("R-0"))
        .await;
    assert_eq!(status, 200);
    // R-0 again with another amount, among twenty new orders (the first request sent is
    // recorded alone while the others queue behind it: R-0 goes in the middle).
    let mut changed = generic_order("R-0");
    changed["amount"] = json!(999);
    let mut bodies: Vec<Value> = (1..=20).map(|i| generic_order(&format!("R-{i}"))).collect();
    bodies.insert(10, changed);
    let answers = join_all(
        bodies
            .iter()
            .map(|body| app.post_generic_order(SHOP_SECRET, now, body)),
    )
    .await;
    let (status, answer) = &answers[10];
    assert_eq!(
        (status, answer["error"].clone()),
        (&409, json!("different_order")),
        "{answer}"
    );
    for (status, answer) in answers[..10].iter().chain(&answers[11..]) {
        assert_eq!(
            (status, answer["created"].clone()),
            (&200, json!(true)),
            "{answer}"
        );
    }
    let rows = app.order_rows().await;
    assert_eq!(rows.len(), 21);
    assert_eq!(
        rows[0].amount, 1500,
        "the order first recorded is unchanged"
    );
    assert_eq!(app.daily_totals().await, (21, 21 * 1500, 0, 0));
    // The new orders went in together; the order seen before was taken on its own.
    assert_eq!(app.ctx.metrics.order_deliveries(), (21, 1));
    // The refused delivery was not recorded: sent again (signed anew), it is refused again.
    let (status, _) = app
        .post_generic_order(SHOP_SECRET, now + 1, &bodies[10])
        .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn one_signed_order_sent_twice_at_once_is_stored_once_and_the_twin_refused_as_a_replay() {
    let app = spawn_app().await;
    bound_member(&app).await;
    app.set_shop_secret(WebShop::Generic, SHOP_SECRET).await;
    let now = Utc::now().timestamp();
    let body = generic_order("T-1");
    let answers = join_all((0..2).map(|_| app.post_generic_order(SHOP_SECRET, now, &body))).await;
    let mut statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, vec![200, 409], "{answers:?}");
    let replay = answers.iter().find(|(status, _)| *status == 409).unwrap();
    assert_eq!(replay.1["error"], "replay");
    assert_eq!(app.order_rows().await.len(), 1);
    assert_eq!(app.daily_totals().await, (1, 1500, 0, 0));
}

#[tokio::test]
async fn one_order_in_deliveries_signed_apart_and_sent_at_once_is_stored_once() {
    let app = spawn_app().await;
    bound_member(&app).await;
    app.set_shop_secret(WebShop::Generic, SHOP_SECRET).await;
    let now = Utc::now().timestamp();
    let body = generic_order("S-1");
    // Each signed with its own timestamp: distinct deliveries of the same order.
    let answers =
        join_all((0..10).map(|i| app.post_generic_order(SHOP_SECRET, now - i, &body))).await;
    assert!(
        answers.iter().all(|(status, _)| *status == 200),
        "{answers:?}"
    );
    let created = answers
        .iter()
        .filter(|(_, answer)| answer["created"] == true)
        .count();
    assert_eq!(created, 1, "{answers:?}");
    let rows = app.order_rows().await;
    assert_eq!(rows.len(), 1);
    assert!(
        answers
            .iter()
            .all(|(_, answer)| answer["order_id"] == json!(rows[0].id))
    );
    assert_eq!(app.daily_totals().await, (1, 1500, 0, 0));
}

#[tokio::test]
async fn a_new_secret_is_in_force_for_the_next_request() {
    let app = spawn_app().await;
    bound_member(&app).await;
    app.set_shop_secret(WebShop::Generic, SHOP_SECRET).await;
    let now = Utc::now().timestamp();
    let (status, _) = app
        .post_generic_order(SHOP_SECRET, now, &generic_order("N-1"))
        .await;
    assert_eq!(status, 200);
    let new_secret = "a-new-secret-0123456789abcdef";
    app.set_shop_secret(WebShop::Generic, new_secret).await;
    let (status, answer) = app
        .post_generic_order(new_secret, now, &generic_order("N-2"))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(app.order_rows().await.len(), 2);
}

#[tokio::test]
async fn stale_forged_and_unconfigured_generic_requests_are_refused_and_store_nothing() {
    let app = spawn_app().await;
    bound_member(&app).await;
    let body = generic_order("G-2");
    let now = Utc::now().timestamp();
    // No secret set yet.
    let (status, answer) = app.post_generic_order(SHOP_SECRET, now, &body).await;
    assert_eq!(status, 401, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("尚未設定密鑰"));
    app.set_shop_secret(WebShop::Generic, SHOP_SECRET).await;
    // Six minutes old.
    let (status, answer) = app.post_generic_order(SHOP_SECRET, now - 360, &body).await;
    assert_eq!(
        (status, answer["error"].clone()),
        (401, json!("stale_signature"))
    );
    // Another secret.
    let (status, answer) = app
        .post_generic_order("another-secret-0123456789", now, &body)
        .await;
    assert_eq!(
        (status, answer["error"].clone()),
        (401, json!("bad_signature"))
    );
    // No headers at all.
    let (status, _) = app
        .post_shop_webhook("generic", &[], body.to_string())
        .await;
    assert_eq!(status, 401);
    // Signed, but the body changed afterwards.
    let signed = store_assistant::webshops::generic::sign(
        SHOP_SECRET.as_bytes(),
        now,
        body.to_string().as_bytes(),
    );
    let mut tampered = body.clone();
    tampered["amount"] = json!(15000);
    let (status, _) = app
        .post_shop_webhook(
            "generic",
            &[
                ("x-store-assistant-timestamp", now.to_string()),
                ("x-store-assistant-signature", signed),
            ],
            tampered.to_string(),
        )
        .await;
    assert_eq!(status, 401);
    // Signed, but not an order: 400 naming the field; not recorded as a delivery either.
    let (status, answer) = app
        .post_generic_order(SHOP_SECRET, now, &json!({"source": "my-shop", "external_id": "x", "amount": 0, "ordered_at": "2026-12-01"}))
        .await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("金額不可為 0"));
    assert!(app.order_rows().await.is_empty());
    let (status, _) = app.post_shop_webhook("magento", &[], "{}").await;
    assert_eq!(status, 404);
}

/// Shopify's headers for `body`, signed with `secret`.
fn shopify_headers(
    secret: &str,
    topic: &str,
    webhook_id: &str,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    vec![
        (
            "x-shopify-hmac-sha256",
            sign_base64(secret.as_bytes(), body),
        ),
        ("x-shopify-topic", topic.to_owned()),
        ("x-shopify-webhook-id", webhook_id.to_owned()),
        ("x-shopify-shop-domain", "example.myshopify.com".to_owned()),
    ]
}

/// The documented `orders/paid` sample as a paid, non-test order of this Taiwanese shop.
fn shopify_paid_twd() -> Value {
    let mut order = fixture("shopify-orders-paid.json");
    order["test"] = json!(false);
    order["financial_status"] = json!("paid");
    order["cancelled_at"] = Value::Null;
    order["cancel_reason"] = Value::Null;
    order["currency"] = json!("TWD");
    order["total_price_set"]["shop_money"]["currency_code"] = json!("TWD");
    order["customer"]["phone"] = json!("+886 912 345 678");
    order["created_at"] = json!(Utc::now().to_rfc3339());
    order["processed_at"] = json!(Utc::now().to_rfc3339());
    order
}

#[tokio::test]
async fn shopifys_documented_sample_is_acknowledged_and_a_paid_twd_order_recorded() {
    let app = spawn_app().await;
    let (store, member) = bound_member(&app).await;
    app.set_shop_secret(WebShop::Shopify, SHOP_SECRET).await;

    // The sample as published: a test order (and voided, in USD). Acknowledged, not a sale.
    let sample = fixture("shopify-orders-paid.json").to_string();
    let headers = shopify_headers(SHOP_SECRET, "orders/paid", "wh-sample", sample.as_bytes());
    let (status, answer) = app.post_shop_webhook("shopify", &headers, sample).await;
    assert_eq!(
        (status, answer.clone()),
        (200, json!({"status": "ignored", "reason": "test order"}))
    );
    assert!(app.order_rows().await.is_empty());

    let paid = shopify_paid_twd().to_string();
    let headers = shopify_headers(SHOP_SECRET, "orders/paid", "wh-1", paid.as_bytes());
    let (status, answer) = app
        .post_shop_webhook("shopify", &headers, paid.clone())
        .await;
    assert_eq!(
        (status, answer["status"].clone()),
        (200, json!("recorded")),
        "{answer}"
    );
    let rows = app.order_rows().await;
    assert_eq!(rows.len(), 1);
    let sale = &rows[0];
    assert_eq!(sale.source, "shopify");
    assert_eq!(sale.external_id, "820982911946154508");
    assert_eq!(sale.amount, 405, "404.95 rounds to NT$405");
    assert_eq!(sale.receipt_no.as_deref(), Some("#9999"));
    assert_eq!(
        (sale.member_id, sale.credited_store_id),
        (Some(member), Some(store))
    );

    // Shopify redelivers the same webhook id: acknowledged as a duplicate, nothing new.
    let (status, answer) = app.post_shop_webhook("shopify", &headers, paid).await;
    assert_eq!((status, answer), (200, json!({"status": "duplicate"})));
    assert_eq!(app.order_rows().await.len(), 1);
}

#[tokio::test]
async fn shopifys_refund_sample_books_its_successful_transactions_once() {
    let app = spawn_app().await;
    bound_member(&app).await;
    app.set_shop_secret(WebShop::Shopify, SHOP_SECRET).await;
    let refund = fixture("shopify-refunds-create.json").to_string();
    // Before the order is known: refused so Shopify retries later; nothing kept.
    let headers = shopify_headers(SHOP_SECRET, "refunds/create", "wh-r1", refund.as_bytes());
    let (status, answer) = app
        .post_shop_webhook("shopify", &headers, refund.clone())
        .await;
    assert_eq!(
        (status, answer["error"].clone()),
        (409, json!("order_not_received")),
        "{answer}"
    );
    assert_eq!(
        order_webhook_deliveries::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .len(),
        0,
        "a refused delivery is processed when it comes again"
    );

    let paid = shopify_paid_twd().to_string();
    let order_headers = shopify_headers(SHOP_SECRET, "orders/paid", "wh-o1", paid.as_bytes());
    app.post_shop_webhook("shopify", &order_headers, paid).await;
    let (status, answer) = app
        .post_shop_webhook("shopify", &headers, refund.clone())
        .await;
    assert_eq!(
        (status, answer["status"].clone()),
        (200, json!("recorded")),
        "{answer}"
    );
    // The same refund in a second delivery (a new webhook id) is not booked twice.
    let again = shopify_headers(SHOP_SECRET, "refunds/create", "wh-r2", refund.as_bytes());
    app.post_shop_webhook("shopify", &again, refund).await;
    let rows = app.order_rows().await;
    let refunds: Vec<(i64, &str)> = rows
        .iter()
        .filter(|r| r.kind == OrderKind::Refund)
        .map(|r| (r.amount, r.external_id.as_str()))
        .collect();
    assert_eq!(
        refunds,
        vec![(-85, "820982911946154508#refund-890088186047892319")]
    );
    assert_eq!(rows[0].status, OrderStatus::Refunded);
    assert_eq!(rows[0].refunded_amount, 85);

    // The documented sample (voided, cancelled) now cancels the recorded order: the rest is refunded.
    let mut cancelled = fixture("shopify-orders-paid.json");
    cancelled["test"] = json!(false);
    let cancelled = cancelled.to_string();
    let headers = shopify_headers(
        SHOP_SECRET,
        "orders/cancelled",
        "wh-c1",
        cancelled.as_bytes(),
    );
    let (status, _) = app.post_shop_webhook("shopify", &headers, cancelled).await;
    assert_eq!(status, 200);
    let rows = app.order_rows().await;
    assert_eq!(rows[0].status, OrderStatus::Cancelled);
    assert_eq!(rows[0].refunded_amount, 405);
    assert_eq!(app.daily_totals().await, (1, 405, 2, -405));
}

#[tokio::test]
async fn a_bad_shopify_signature_or_a_foreign_currency_is_refused() {
    let app = spawn_app().await;
    app.set_shop_secret(WebShop::Shopify, SHOP_SECRET).await;
    let paid = shopify_paid_twd().to_string();
    let forged = shopify_headers(
        "not-the-secret-0123456789",
        "orders/paid",
        "wh-x",
        paid.as_bytes(),
    );
    let (status, answer) = app.post_shop_webhook("shopify", &forged, paid).await;
    assert_eq!(
        (status, answer["error"].clone()),
        (401, json!("bad_signature"))
    );
    let mut usd = shopify_paid_twd();
    usd["currency"] = json!("USD");
    usd["total_price_set"]["shop_money"]["currency_code"] = json!("USD");
    let usd = usd.to_string();
    let headers = shopify_headers(SHOP_SECRET, "orders/paid", "wh-y", usd.as_bytes());
    let (status, answer) = app.post_shop_webhook("shopify", &headers, usd).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("TWD"));
    assert!(app.order_rows().await.is_empty());
}

#[tokio::test]
async fn concurrent_redeliveries_of_one_shopify_webhook_record_one_order() {
    let app = spawn_app().await;
    bound_member(&app).await;
    app.set_shop_secret(WebShop::Shopify, SHOP_SECRET).await;
    let paid = shopify_paid_twd().to_string();
    let headers = shopify_headers(SHOP_SECRET, "orders/paid", "wh-burst", paid.as_bytes());
    let answers =
        join_all((0..12).map(|_| app.post_shop_webhook("shopify", &headers, paid.clone()))).await;
    assert!(
        answers.iter().all(|(status, _)| *status == 200),
        "{answers:?}"
    );
    let recorded = answers
        .iter()
        .filter(|(_, answer)| answer["status"] == "recorded")
        .count();
    assert!(recorded >= 1, "{answers:?}");
    assert_eq!(app.order_rows().await.len(), 1);
    assert_eq!(app.daily_totals().await, (1, 405, 0, 0));
}

fn woo_headers(
    secret: &str,
    topic: &str,
    delivery: &str,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    vec![
        (
            "x-wc-webhook-signature",
            sign_base64(secret.as_bytes(), body),
        ),
        ("x-wc-webhook-topic", topic.to_owned()),
        ("x-wc-webhook-delivery-id", delivery.to_owned()),
        ("x-wc-webhook-resource", "order".to_owned()),
    ]
}

/// WooCommerce's documented order, in TWD, with the member's phone.
fn woo_twd(name: &str) -> Value {
    let mut order = fixture(name);
    order["currency"] = json!("TWD");
    order["billing"]["phone"] = json!("0912-345-678");
    order["date_created_gmt"] = json!(
        Utc::now()
            .naive_utc()
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
    );
    order
}

#[tokio::test]
async fn woocommerces_documented_orders_are_recorded_with_their_refunds() {
    let app = spawn_app().await;
    let (store, member) = bound_member(&app).await;
    app.set_shop_secret(WebShop::WooCommerce, SHOP_SECRET).await;

    // The ping WooCommerce sends when the webhook is saved.
    let (status, answer) = app
        .post_shop_webhook("woocommerce", &[], "webhook_id=3")
        .await;
    assert_eq!((status, answer), (200, json!({"status": "ping"})));

    // The documented order as published is in USD: refused with the reason.
    let sample = fixture("woocommerce-order.json").to_string();
    let headers = woo_headers(SHOP_SECRET, "order.created", "d-0", sample.as_bytes());
    let (status, answer) = app.post_shop_webhook("woocommerce", &headers, sample).await;
    assert_eq!(status, 400, "{answer}");

    let processing = woo_twd("woocommerce-order.json").to_string();
    let headers = woo_headers(SHOP_SECRET, "order.created", "d-1", processing.as_bytes());
    let (status, answer) = app
        .post_shop_webhook("woocommerce", &headers, processing)
        .await;
    assert_eq!(
        (status, answer["status"].clone()),
        (200, json!("recorded")),
        "{answer}"
    );

    let completed = woo_twd("woocommerce-order-refunded.json").to_string();
    let headers = woo_headers(SHOP_SECRET, "order.updated", "d-2", completed.as_bytes());
    app.post_shop_webhook("woocommerce", &headers, completed.clone())
        .await;
    // order.updated fires again for any change: the refunds are not booked twice.
    let headers = woo_headers(SHOP_SECRET, "order.updated", "d-3", completed.as_bytes());
    app.post_shop_webhook("woocommerce", &headers, completed)
        .await;

    let rows = app.order_rows().await;
    let summary: Vec<(String, i64, Option<i32>)> = rows
        .iter()
        .map(|r| (r.external_id.clone(), r.amount, r.credited_store_id))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("727".to_owned(), 29, Some(store)),
            ("723".to_owned(), 39, Some(store)),
            ("723#refund-726".to_owned(), -10, Some(store)),
            ("723#refund-724".to_owned(), -9, Some(store)),
        ]
    );
    assert!(rows.iter().all(|r| r.member_id == Some(member)));

    let forged = woo_headers("wrong-secret-0123456789", "order.updated", "d-4", b"{}");
    let (status, _) = app.post_shop_webhook("woocommerce", &forged, "{}").await;
    assert_eq!(status, 401);
}
