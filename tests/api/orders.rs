//! `POST /api/v1/orders` and the orders service behind it: attribution at order time, idempotency
//! under double submits, refunds as negative rows, bad input, and the report totals kept with them.

use chrono::{Duration, Utc};
use futures_util::future::join_all;
use serde_json::{Value, json};
use store_assistant::db::entities::enums::{OrderKind, OrderStatus, StaffRole};
use store_assistant::services::audit::Actor;
use store_assistant::services::members::rebinding::{self, RebindRequest};

use crate::helpers::{ApiCaller, TestApp, spawn_app};
use crate::member_fixtures::{self, clerk, phone_member, set_bound_at};

const PHONE: &str = "+886912345678";

/// An app with store A (in 北區) and B, HQ's API token, and a member bound to A a day ago.
struct Shop {
    app: TestApp,
    hq: ApiCaller,
    store_a: i32,
    store_b: i32,
    member: i32,
}

async fn shop() -> Shop {
    let app = spawn_app().await;
    let store_a = app.create_store("A01", "台北信義店", Some("北區")).await;
    let store_b = app.create_store("B01", "高雄巨蛋店", Some("南區")).await;
    let member = phone_member(&app, store_a, None, PHONE, None).await;
    set_bound_at(&app, member, Utc::now() - Duration::days(1)).await;
    let (hq_id, _) = app.create_account(StaffRole::Hq, None).await;
    let hq = app.api_token(hq_id, "網店同步").await;
    Shop {
        app,
        hq,
        store_a,
        store_b,
        member,
    }
}

fn order(external_id: &str, amount: Value) -> Value {
    json!({
        "source": "cyberbiz",
        "external_id": external_id,
        "amount": amount,
        "ordered_at": Utc::now().to_rfc3339(),
        "member": {"phone": "0912-345-678"}
    })
}

fn with(mut order: Value, field: &str, value: Value) -> Value {
    order[field] = value;
    order
}

#[tokio::test]
async fn an_order_of_a_bound_member_credits_their_store_and_group() {
    let s = shop().await;
    let (status, body) =
        s.hq.call("POST", "/orders", Some(order("CB-1", json!("NT$1,200"))))
            .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["created"], true);
    let order = &body["order"];
    assert_eq!(order["amount"], 1200);
    assert_eq!(order["status"], "paid");
    assert_eq!(order["member_id"], s.member);
    assert_eq!(order["attribution"]["level"], "store");
    assert_eq!(order["attribution"]["store_id"], s.store_a);
    assert_eq!(
        order["attribution"]["group_id"],
        s.app.group_id("北區").await.unwrap()
    );
    assert_eq!(order["attribution"]["unattributed_reason"], Value::Null);
    assert_eq!(s.app.daily_totals().await, (1, 1200, 0, 0));
    let buyers = s.app.buyer_rows().await;
    assert_eq!(buyers.len(), 1);
    assert_eq!(
        (buyers[0].member_id, buyers[0].credited_store_id),
        (s.member, s.store_a)
    );
}

#[tokio::test]
async fn the_same_order_again_is_answered_with_the_stored_one() {
    let s = shop().await;
    let body = order("CB-2", json!(800));
    let (first, created) = s.hq.call("POST", "/orders", Some(body.clone())).await;
    let (again, repeated) = s.hq.call("POST", "/orders", Some(body)).await;
    assert_eq!((first, again), (201, 200));
    assert_eq!(repeated["created"], false);
    assert_eq!(repeated["order"]["id"], created["order"]["id"]);
    assert_eq!(s.app.order_rows().await.len(), 1);
    assert_eq!(s.app.daily_totals().await, (1, 800, 0, 0));
}

#[tokio::test]
async fn concurrent_double_submits_record_one_order() {
    let s = shop().await;
    let body = order("CB-RACE", json!(500));
    let answers = join_all((0..20).map(|_| {
        let hq = s.hq.clone();
        let body = body.clone();
        async move { hq.call("POST", "/orders", Some(body)).await }
    }))
    .await;
    let created = answers.iter().filter(|(status, _)| *status == 201).count();
    let repeated = answers.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!((created, repeated), (1, 19), "{answers:?}");
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|(_, body)| body["order"]["id"].to_string())
        .collect();
    assert_eq!(ids.len(), 1, "every answer names the one order");
    assert_eq!(s.app.order_rows().await.len(), 1);
    assert_eq!(s.app.daily_totals().await, (1, 500, 0, 0));
}

#[tokio::test]
async fn an_order_sent_again_with_another_amount_is_refused_with_the_stored_order() {
    let s = shop().await;
    s.hq.call("POST", "/orders", Some(order("CB-3", json!(1000))))
        .await;
    let (status, body) =
        s.hq.call("POST", "/orders", Some(order("CB-3", json!(999))))
            .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "different_order");
    assert_eq!(body["order"]["amount"], 1000);
    assert!(body["message"].as_str().unwrap().contains("已經登錄過"));
    assert_eq!(s.app.order_rows().await.len(), 1);
}

#[tokio::test]
async fn refunds_are_negative_rows_booked_once_and_never_undone() {
    let s = shop().await;
    let paid = order("CB-4", json!(1000));
    s.hq.call("POST", "/orders", Some(paid.clone())).await;
    let refunded = |total: i64| {
        with(
            with(paid.clone(), "status", json!("refunded")),
            "refunded_amount",
            json!(total),
        )
    };
    let (status, body) = s.hq.call("POST", "/orders", Some(refunded(300))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["order"]["status"], "refunded");
    assert_eq!(body["order"]["refunded_amount"], 300);
    assert_eq!(body["order"]["refunds"][0]["amount"], -300);
    // The same state again, then an older one: nothing more.
    s.hq.call("POST", "/orders", Some(refunded(300))).await;
    s.hq.call("POST", "/orders", Some(paid.clone())).await;
    assert_eq!(s.app.order_rows().await.len(), 2);
    // More refunded: the difference.
    let (_, body) = s.hq.call("POST", "/orders", Some(refunded(500))).await;
    assert_eq!(body["order"]["refunds"][1]["amount"], -200);
    // Cancelled: the rest, and the order is done.
    let (_, body) =
        s.hq.call(
            "POST",
            "/orders",
            Some(with(paid.clone(), "status", json!("cancelled"))),
        )
        .await;
    assert_eq!(body["order"]["status"], "cancelled");
    assert_eq!(body["order"]["refunded_amount"], 1000);
    let rows = s.app.order_rows().await;
    let refunds: Vec<i64> = rows
        .iter()
        .filter(|r| r.kind == OrderKind::Refund)
        .map(|r| r.amount)
        .collect();
    assert_eq!(refunds, vec![-300, -200, -500]);
    assert!(
        rows.iter()
            .filter(|r| r.kind == OrderKind::Refund)
            .all(|r| r.credited_store_id == Some(s.store_a) && r.parent_id == Some(rows[0].id)),
        "refunds carry their sale's credit"
    );
    assert_eq!(s.app.daily_totals().await, (1, 1000, 3, -1000));
}

#[tokio::test]
async fn concurrent_refunds_never_refund_more_than_the_order() {
    let s = shop().await;
    let paid = order("CB-5", json!(1000));
    s.hq.call("POST", "/orders", Some(paid.clone())).await;
    let states: Vec<Value> = [300, 500, 700, 300, 500, 700]
        .into_iter()
        .map(|total| {
            with(
                with(paid.clone(), "status", json!("refunded")),
                "refunded_amount",
                json!(total),
            )
        })
        .collect();
    let answers = join_all(states.into_iter().map(|body| {
        let hq = s.hq.clone();
        async move { hq.call("POST", "/orders", Some(body)).await }
    }))
    .await;
    assert!(
        answers.iter().all(|(status, _)| *status == 200),
        "{answers:?}"
    );
    let rows = s.app.order_rows().await;
    let refunded: i64 = rows
        .iter()
        .filter(|r| r.kind == OrderKind::Refund)
        .map(|r| -r.amount)
        .sum();
    assert_eq!(refunded, 700, "the books end at the largest stated refund");
    assert_eq!(rows[0].refunded_amount, 700);
    assert_eq!(s.app.daily_totals().await.3, -700);
}

#[tokio::test]
async fn an_order_naming_an_unknown_customer_is_kept_unattributed_and_visible_to_hq() {
    let s = shop().await;
    let stranger = with(
        order("CB-6", json!(300)),
        "member",
        json!({"phone": "0987-654-321"}),
    );
    let (status, body) = s.hq.call("POST", "/orders", Some(stranger)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["order"]["member_id"], Value::Null);
    assert_eq!(body["order"]["attribution"]["store_id"], Value::Null);
    assert_eq!(
        body["order"]["attribution"]["unattributed_reason"],
        "unknown_member"
    );
    let nobody = with(order("CB-7", json!(300)), "member", Value::Null);
    let (_, body) = s.hq.call("POST", "/orders", Some(nobody)).await;
    assert_eq!(
        body["order"]["attribution"]["unattributed_reason"],
        "no_customer"
    );
    let rows = s.app.order_rows().await;
    assert_eq!(rows[0].customer_phone.as_deref(), Some("+886987654321"));
    // Counted in the totals under "no store" (0), so HQ's totals include them.
    assert_eq!(s.app.daily_totals().await, (2, 600, 0, 0));
}

#[tokio::test]
async fn orders_placed_before_the_binding_are_never_credited() {
    let s = shop().await;
    let early = with(
        order("CB-8", json!(300)),
        "ordered_at",
        json!((Utc::now() - Duration::days(2)).to_rfc3339()),
    );
    let (_, body) = s.hq.call("POST", "/orders", Some(early)).await;
    assert_eq!(
        body["order"]["attribution"]["unattributed_reason"],
        "before_binding"
    );
    assert_eq!(body["order"]["member_id"], s.member);
}

#[tokio::test]
async fn the_window_and_the_level_come_from_hq_settings() {
    let s = shop().await;
    let amy = clerk(&s.app, s.store_b).await;
    let late_member = phone_member(&s.app, s.store_b, Some(amy), "+886911111111", None).await;
    set_bound_at(&s.app, late_member, Utc::now() - Duration::days(10)).await;
    s.app.set_attribution("clerk", "7").await;
    let late = with(
        order("CB-9", json!(300)),
        "member",
        json!({"member_id": late_member}),
    );
    let (_, body) = s.hq.call("POST", "/orders", Some(late)).await;
    assert_eq!(
        body["order"]["attribution"]["unattributed_reason"],
        "window_expired"
    );
    s.app.set_attribution("clerk", "30").await;
    let within = with(
        order("CB-10", json!(300)),
        "member",
        json!({"member_id": late_member}),
    );
    let (_, body) = s.hq.call("POST", "/orders", Some(within)).await;
    let attribution = &body["order"]["attribution"];
    assert_eq!(attribution["level"], "clerk");
    assert_eq!(attribution["store_id"], s.store_b);
    assert_eq!(attribution["clerk_id"], amy);
}

#[tokio::test]
async fn a_later_rebinding_never_moves_past_orders() {
    let s = shop().await;
    let before = Utc::now() - Duration::hours(1);
    s.hq.call("POST", "/orders", Some(order("CB-11", json!(100))))
        .await;
    rebinding::rebind(
        &s.app.db,
        &Actor::cli(),
        RebindRequest {
            member_id: s.member,
            to_store_id: s.store_b,
            to_clerk_id: None,
            reason: "會員搬家".to_owned(),
        },
    )
    .await
    .unwrap();
    // An order placed before the rebinding that arrives only now is still store A's.
    let late_arrival = with(
        order("CB-12", json!(200)),
        "ordered_at",
        json!(before.to_rfc3339()),
    );
    let (_, body) = s.hq.call("POST", "/orders", Some(late_arrival)).await;
    assert_eq!(body["order"]["attribution"]["store_id"], s.store_a);
    let after = with(
        order("CB-13", json!(300)),
        "ordered_at",
        json!((Utc::now() + Duration::seconds(1)).to_rfc3339()),
    );
    let (_, body) = s.hq.call("POST", "/orders", Some(after)).await;
    assert_eq!(body["order"]["attribution"]["store_id"], s.store_b);
    let credited: Vec<Option<i32>> = s
        .app
        .order_rows()
        .await
        .iter()
        .map(|r| r.credited_store_id)
        .collect();
    assert_eq!(
        credited,
        vec![Some(s.store_a), Some(s.store_a), Some(s.store_b)]
    );
}

#[tokio::test]
async fn bad_amounts_and_fields_get_a_clear_400_and_store_nothing() {
    let s = shop().await;
    for (amount, says) in [
        (json!(0), "金額不可為 0"),
        (json!(-100), "不可為負數"),
        (json!(100_000_000), "金額過大"),
        (json!("1.2e3"), "必須是數字"),
        (json!("一千"), "必須是數字"),
        (json!(12.5), "必須是整數"),
    ] {
        let (status, body) =
            s.hq.call("POST", "/orders", Some(order("BAD", amount.clone())))
                .await;
        assert_eq!(status, 400, "{amount}: {body}");
        assert_eq!(body["error"], "bad_request");
        assert!(
            body["message"].as_str().unwrap().contains(says),
            "{amount}: {body}"
        );
        assert!(body["message_en"].is_string());
    }
    for (field, value, says) in [
        ("ordered_at", json!("next tuesday"), "ordered_at"),
        ("status", json!("shipped"), "status"),
        ("source", json!("in_store"), "in_store"),
        ("channel", json!("phone"), "channel"),
        ("member", json!({"phone": "02-2345-6789"}), "member.phone"),
        ("store_code", json!("NOPE"), "NOPE"),
    ] {
        let (status, body) =
            s.hq.call(
                "POST",
                "/orders",
                Some(with(order("BAD", json!(100)), field, value.clone())),
            )
            .await;
        assert_eq!(status, 400, "{field}={value}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains(says)
                || body["message_en"].as_str().unwrap().contains(says),
            "{field}={value}: {body}"
        );
    }
    let empty = s.hq.send("POST", "/orders", None).await;
    assert_eq!(empty.status().as_u16(), 400, "a request without a body");
    assert!(s.app.order_rows().await.is_empty(), "nothing was stored");
    // Full-width digits and separators are fine.
    let (status, body) =
        s.hq.call("POST", "/orders", Some(order("GOOD", json!("１，２００"))))
            .await;
    assert_eq!(
        (status, body["order"]["amount"].clone()),
        (201, json!(1200))
    );
}

#[tokio::test]
async fn only_hq_records_orders() {
    let s = shop().await;
    let (clerk_id, _) = s
        .app
        .create_account(StaffRole::Store, Some(s.store_a))
        .await;
    let clerk = s.app.api_token(clerk_id, "A 店").await;
    let (status, _) = clerk
        .call("POST", "/orders", Some(order("X", json!(100))))
        .await;
    assert_eq!(status, 403);
    let (status, _) = s
        .app
        .anonymous_api()
        .call("POST", "/orders", Some(order("X", json!(100))))
        .await;
    assert_eq!(status, 401);
    assert!(s.app.order_rows().await.is_empty());
}

#[tokio::test]
async fn an_order_may_name_the_member_by_line_user_id() {
    let s = shop().await;
    let line_member = member_fixtures::line_member(
        &s.app,
        s.store_b,
        None,
        "U4af4980629a0c8d3e5f7d6e1b2c3d4e5",
        "小美",
    )
    .await;
    set_bound_at(&s.app, line_member, Utc::now() - Duration::days(1)).await;
    let by_line = with(
        order("CB-20", json!(100)),
        "member",
        json!({"line_user_id": "U4af4980629a0c8d3e5f7d6e1b2c3d4e5"}),
    );
    let (_, body) = s.hq.call("POST", "/orders", Some(by_line)).await;
    assert_eq!(body["order"]["member_id"], line_member);
    assert_eq!(body["order"]["attribution"]["store_id"], s.store_b);
    let rows = s.app.order_rows().await;
    assert_eq!(rows[0].status, OrderStatus::Paid);
}
