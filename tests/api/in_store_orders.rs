//! In-store purchases (新增門市消費) through the service the clerk view calls, their void, the POS
//! import, and HQ's sales settings page.

use chrono::{Duration, Utc};
use futures_util::future::join_all;
use store_assistant::db::entities::enums::{OrderKind, SalesChannel, StaffRole, WebShop};
use store_assistant::db::entities::{audit_log, order_webhook_secrets, shop_settings, stores};
use store_assistant::domain::amount::Ntd;
use store_assistant::services::audit::Actor;
use store_assistant::services::orders::import::import_csv;
use store_assistant::services::orders::in_store::{
    NewPurchase, new_purchase_key, record_purchase, void_purchase,
};
use store_assistant::services::orders::{OrderError, Recorded};
use store_assistant::services::sales_settings;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::{SHOP_SECRET, TestApp, spawn_app};
use crate::member_fixtures::{phone_member, set_bound_at};

struct Stores {
    app: TestApp,
    store_a: i32,
    store_b: i32,
    /// Bound to store A a day ago.
    member: i32,
}

async fn stores_with_entry() -> Stores {
    let app = spawn_app().await;
    let store_a = app.create_store("A01", "台北信義店", Some("北區")).await;
    let store_b = app.create_store("B01", "高雄巨蛋店", Some("南區")).await;
    for store in [store_a, store_b] {
        sales_settings::set_purchase_entry(&app.db, &Actor::cli(), store, true)
            .await
            .unwrap();
    }
    let member = phone_member(&app, store_a, None, "+886912345678", None).await;
    set_bound_at(&app, member, Utc::now() - Duration::days(1)).await;
    Stores {
        app,
        store_a,
        store_b,
        member,
    }
}

async fn clerk_of(app: &TestApp, store: i32) -> Actor {
    let (id, username) = app.create_account(StaffRole::Store, Some(store)).await;
    Actor::staff(
        id,
        &username,
        store_assistant::domain::access::Scope::Store(store),
    )
}

fn purchase(key: &str, store_id: i32, member_id: i32, amount: i64) -> NewPurchase {
    NewPurchase {
        idempotency_key: key.to_owned(),
        store_id,
        member_id,
        amount: Ntd::new(amount).unwrap(),
        receipt_no: None,
        note: None,
    }
}

#[tokio::test]
async fn a_double_submitted_purchase_is_one_record() {
    let s = stores_with_entry().await;
    let clerk = clerk_of(&s.app, s.store_a).await;
    let key = new_purchase_key();
    let results: Vec<Result<Recorded, OrderError>> = join_all(
        (0..10)
            .map(|_| record_purchase(&s.app.db, &clerk, purchase(&key, s.store_a, s.member, 680))),
    )
    .await;
    let created = results
        .iter()
        .filter(|r| matches!(r, Ok(recorded) if recorded.created))
        .count();
    assert_eq!(created, 1, "{results:?}");
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let rows = s.app.order_rows().await;
    assert_eq!(rows.len(), 1);
    let sale = &rows[0];
    assert_eq!(sale.channel, SalesChannel::InStore);
    assert_eq!(sale.source, "in_store");
    assert_eq!(sale.entry_store_id, Some(s.store_a));
    assert_eq!(sale.operator_staff_id, clerk.staff_id);
    assert_eq!(sale.credited_store_id, Some(s.store_a));
    assert_eq!(s.app.daily_totals().await, (1, 680, 0, 0));
    // The same key with another amount is a different purchase: refused.
    let err = record_purchase(&s.app.db, &clerk, purchase(&key, s.store_a, s.member, 999))
        .await
        .unwrap_err();
    assert!(matches!(err, OrderError::DifferentOrder { .. }), "{err:?}");
}

#[tokio::test]
async fn another_stores_staff_may_record_for_a_member_bound_elsewhere_and_the_binding_gets_the_credit()
 {
    let s = stores_with_entry().await;
    let clerk_b = clerk_of(&s.app, s.store_b).await;
    let recorded = record_purchase(
        &s.app.db,
        &clerk_b,
        purchase(&new_purchase_key(), s.store_b, s.member, 1200),
    )
    .await
    .unwrap();
    let sale = recorded.order.sale;
    assert_eq!(sale.entry_store_id, Some(s.store_b));
    assert_eq!(sale.credited_store_id, Some(s.store_a));
    // But not in a store that is not theirs.
    let err = record_purchase(
        &s.app.db,
        &clerk_b,
        purchase(&new_purchase_key(), s.store_a, s.member, 1200),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, OrderError::Access(_)), "{err:?}");
}

#[tokio::test]
async fn purchase_entry_is_refused_where_hq_turned_it_off_and_for_unknown_members() {
    let s = stores_with_entry().await;
    sales_settings::set_purchase_entry(&s.app.db, &Actor::cli(), s.store_a, false)
        .await
        .unwrap();
    let clerk = clerk_of(&s.app, s.store_a).await;
    let err = record_purchase(
        &s.app.db,
        &clerk,
        purchase(&new_purchase_key(), s.store_a, s.member, 100),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, OrderError::PurchaseEntryOff), "{err:?}");
    let clerk_b = clerk_of(&s.app, s.store_b).await;
    let err = record_purchase(
        &s.app.db,
        &clerk_b,
        purchase(&new_purchase_key(), s.store_b, 9999, 100),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, OrderError::MemberNotFound), "{err:?}");
    let err = record_purchase(
        &s.app.db,
        &clerk_b,
        purchase("short", s.store_b, s.member, 100),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, OrderError::BadIdempotencyKey), "{err:?}");
    assert!(s.app.order_rows().await.is_empty());
}

#[tokio::test]
async fn a_receipt_is_recorded_once_per_store_until_its_entry_is_voided() {
    let s = stores_with_entry().await;
    let clerk = clerk_of(&s.app, s.store_a).await;
    let with_receipt = |key: String| NewPurchase {
        receipt_no: Some("AB-12345678".to_owned()),
        ..purchase(&key, s.store_a, s.member, 500)
    };
    let first = record_purchase(&s.app.db, &clerk, with_receipt(new_purchase_key()))
        .await
        .unwrap();
    // Entered again from another phone (another form, another key): refused.
    let err = record_purchase(&s.app.db, &clerk, with_receipt(new_purchase_key()))
        .await
        .unwrap_err();
    assert!(matches!(err, OrderError::ReceiptTaken { .. }), "{err:?}");
    void_purchase(&s.app.db, &clerk, first.order.sale.id, "金額打錯")
        .await
        .unwrap();
    record_purchase(&s.app.db, &clerk, with_receipt(new_purchase_key()))
        .await
        .expect("after the void the receipt can be entered correctly");
}

#[tokio::test]
async fn a_void_keeps_the_row_takes_it_out_of_the_totals_and_is_audited() {
    let s = stores_with_entry().await;
    let clerk = clerk_of(&s.app, s.store_a).await;
    let sale = record_purchase(
        &s.app.db,
        &clerk,
        purchase(&new_purchase_key(), s.store_a, s.member, 900),
    )
    .await
    .unwrap()
    .order
    .sale;
    assert_eq!(s.app.buyer_rows().await.len(), 1);
    // Another store's staff: "not found"; no reason: refused.
    let clerk_b = clerk_of(&s.app, s.store_b).await;
    assert!(matches!(
        void_purchase(&s.app.db, &clerk_b, sale.id, "不是我").await,
        Err(OrderError::OrderNotFound)
    ));
    assert!(matches!(
        void_purchase(&s.app.db, &clerk, sale.id, "  ").await,
        Err(OrderError::VoidReason)
    ));
    let voided = void_purchase(&s.app.db, &clerk, sale.id, "顧客取消")
        .await
        .unwrap();
    assert_eq!(voided.void_reason.as_deref(), Some("顧客取消"));
    assert_eq!(voided.voided_by_staff_id, clerk.staff_id);
    assert!(matches!(
        void_purchase(&s.app.db, &clerk, sale.id, "再一次").await,
        Err(OrderError::NotVoidable(_))
    ));
    assert_eq!(s.app.order_rows().await.len(), 1, "the row is kept");
    assert_eq!(s.app.daily_totals().await, (0, 0, 0, 0));
    assert!(s.app.buyer_rows().await.is_empty());
    let audit = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("order.void"))
        .one(&s.app.db)
        .await
        .unwrap()
        .expect("the void is audited");
    assert_eq!(audit.reason.as_deref(), Some("顧客取消"));
    assert_eq!(audit.store_id, Some(s.store_a));
}

// ---- POS import ----

const POS_FILE: &str = "order_id,ordered_at,store_code,amount,status,refunded_amount,phone,receipt_no\n\
P-1,{now},A01,\"1,200\",paid,,0912-345-678,R-1\n\
P-2,{now},B01,５００,paid,,0987-654-321,R-2\n";

fn pos_file(extra: &str) -> Vec<u8> {
    let now = Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    format!("{}{extra}", POS_FILE.replace("{now}", &now)).into_bytes()
}

#[tokio::test]
async fn a_pos_file_is_imported_once_and_again_adds_only_what_changed() {
    let s = stores_with_entry().await;
    let summary = import_csv(&s.app.db, &Actor::cli(), &pos_file(""))
        .await
        .unwrap();
    assert_eq!((summary.created, summary.unattributed), (2, 1));
    let rows = s.app.order_rows().await;
    assert_eq!(rows[0].credited_store_id, Some(s.store_a));
    assert_eq!(rows[1].entry_store_id, Some(s.store_b));
    assert!(
        rows.iter()
            .all(|r| r.channel == SalesChannel::InStore && r.source == "pos")
    );
    // The same file again: nothing new.
    let again = import_csv(&s.app.db, &Actor::cli(), &pos_file(""))
        .await
        .unwrap();
    assert_eq!((again.created, again.already_imported), (0, 2));
    // A later export where P-1 was partly refunded books just the refund.
    let now = Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let refunded = format!(
        "order_id,ordered_at,store_code,amount,status,refunded_amount\nP-1,{now},A01,1200,refunded,200\n"
    );
    let summary = import_csv(&s.app.db, &Actor::cli(), refunded.as_bytes())
        .await
        .unwrap();
    assert_eq!(summary.refunds_booked, 1);
    let refunds: Vec<i64> = s
        .app
        .order_rows()
        .await
        .iter()
        .filter(|r| r.kind == OrderKind::Refund)
        .map(|r| r.amount)
        .collect();
    assert_eq!(refunds, vec![-200]);
}

#[tokio::test]
async fn a_pos_file_with_any_bad_line_imports_nothing_and_names_every_line() {
    let s = stores_with_entry().await;
    let bad = pos_file(
        "P-3,2026-11-28 10:00,ZZ9,100,paid,,,\nP-4,2026-11-28 10:00,A01,0,paid,,,\nP-1,2026-11-28 10:00,A01,100,paid,,,\n",
    );
    let Err(OrderError::FileRejected(problems)) = import_csv(&s.app.db, &Actor::cli(), &bad).await
    else {
        panic!("the file is refused");
    };
    let lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![5, 6], "{problems:?}");
    assert!(problems[0].en.contains("cannot be 0"), "{problems:?}");
    assert!(problems[1].en.contains("repeated"), "{problems:?}");
    // Unknown store codes are found against the database, also before anything is written.
    let unknown = pos_file("P-3,2026-11-28 10:00,ZZ9,100,paid,,,\n");
    let Err(OrderError::FileRejected(problems)) =
        import_csv(&s.app.db, &Actor::cli(), &unknown).await
    else {
        panic!("the file is refused");
    };
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].line, 4);
    assert!(problems[0].zh.contains("ZZ9"));
    assert!(s.app.order_rows().await.is_empty(), "nothing was written");
    // Store staff cannot import.
    let clerk = clerk_of(&s.app, s.store_a).await;
    assert!(matches!(
        import_csv(&s.app.db, &clerk, &pos_file("")).await,
        Err(OrderError::Access(_))
    ));
}

#[tokio::test]
async fn the_import_command_reports_bad_lines_and_exits_with_failure() {
    let s = stores_with_entry().await;
    let dir = std::env::temp_dir().join(format!("pos-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "order_id,ordered_at,amount\nP-9,2026-11-28 10:00,abc\n",
    )
    .unwrap();
    let good = dir.join("good.csv");
    std::fs::write(&good, pos_file("")).unwrap();
    let run = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_store-assistant"))
            .args(["orders", "import"])
            .arg(file)
            .env("DATABASE_URL", &s.app.database_url)
            .env("LINE_CHANNEL_SECRET", "test_secret")
            .env("LINE_CHANNEL_ACCESS_TOKEN", "token")
            .env(
                "SECRET_KEY",
                "test-secret-key-that-is-long-enough-0123456789",
            )
            .output()
            .unwrap()
    };
    let failed = run(&bad);
    assert!(!failed.status.success());
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains("line 2: amount"), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    let ok = run(&good);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("2 new order(s)"));
    assert_eq!(s.app.order_rows().await.len(), 2);
}

// ---- The settings page ----

#[tokio::test]
async fn hq_sets_attribution_secrets_and_purchase_entry_on_the_settings_page() {
    let app = spawn_app().await;
    let store = app.create_store("A01", "台北信義店", None).await;
    let hq = app.hq().await;
    let page = hq.get("/admin/sales-settings").await.text().await.unwrap();
    assert!(page.contains("/webhooks/orders/shopify"));
    assert!(page.contains("未設定"));

    let response = hq
        .post_form(
            "/admin/sales-settings/attribution",
            &[("level", "clerk"), ("window_days", "３０")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let settings = shop_settings::Entity::find_by_id(1)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(settings.attribution_window_days, Some(30));
    let response = hq
        .post_form(
            "/admin/sales-settings/attribution",
            &[("level", "clerk"), ("window_days", "0")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 400);

    // A pasted secret is never shown back in full.
    let page = hq
        .post_form(
            "/admin/sales-settings/secrets/shopify",
            &[("secret", SHOP_SECRET)],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains(SHOP_SECRET));
    assert!(page.contains("…6789"));
    let too_short = hq
        .post_form(
            "/admin/sales-settings/secrets/woocommerce",
            &[("secret", "short")],
        )
        .await;
    assert_eq!(too_short.status().as_u16(), 400);
    // A generated one is shown once.
    let page = hq
        .post_form(
            "/admin/sales-settings/secrets/generic",
            &[("action", "generate")],
        )
        .await
        .text()
        .await
        .unwrap();
    let generic = order_webhook_secrets::Entity::find_by_id(WebShop::Generic)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(page.contains(&generic.secret));
    let later = hq.get("/admin/sales-settings").await.text().await.unwrap();
    assert!(!later.contains(&generic.secret));
    assert!(
        !format!("{generic:?}").contains(&generic.secret),
        "Debug redacts it"
    );
    let audit = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("order_webhook.secret_set"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(audit.len(), 2);
    assert!(
        audit
            .iter()
            .all(|row| !format!("{:?}", row.after_json).contains(SHOP_SECRET))
    );

    let response = hq
        .post_form(
            &format!("/admin/stores/{store}/purchase-entry"),
            &[("enabled", "on")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let store = stores::Entity::find_by_id(store)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(store.purchase_entry_enabled);
}
