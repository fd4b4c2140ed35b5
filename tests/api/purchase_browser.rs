//! In headless Chromium: the shopper's member card, the clerk signing in at `/clerk`, finding the
//! member by the number under the card's QR code (the typed fallback), recording a purchase typed
//! in full-width digits, and HQ finding it credited to the store and the clerk on `/admin/sales`.

use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use store_assistant::db::entities::enums::StaffRole;
use store_assistant::db::entities::{orders, staff_accounts};
use store_assistant::domain::member_card;
use store_assistant::services::audit::Actor;
use store_assistant::services::{member_card as card, sales_settings};

use crate::browser::Browser;
use crate::helpers::{STAFF_PASSWORD, TestApp, spawn_app};
use crate::member_fixtures::{line_member, set_bound_at};

const MEMBER_LINE_ID: &str = "U4af4980629a0c8d3e5f7d6e1b2c3d4e5";

async fn sign_in(browser: &Browser, app: &TestApp, path: &str, username: &str) {
    // A signed-out visit goes to the sign-in page and comes back after it.
    browser.goto(&app.url(path)).await;
    browser.fill("#username", username).await;
    browser.fill("#password", STAFF_PASSWORD).await;
    browser.click("form button[type=submit]").await;
}

/// The `<tr>` of the page's first table row that mentions `needle`.
fn row_with(page: &str, needle: &str) -> Option<String> {
    page.split("<tr>")
        .skip(1)
        .find(|row| row.contains(needle))
        .map(|row| row.split("</tr>").next().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn a_clerk_types_the_card_number_records_a_purchase_and_hq_sees_it_credited() {
    let app = spawn_app().await;
    let store = app.create_store("A01", "台北信義店", Some("北區")).await;
    sales_settings::set_purchase_entry(&app.db, &Actor::cli(), store, true)
        .await
        .unwrap();
    app.set_attribution("clerk", "").await;
    let (clerk_id, clerk_username) = app.create_account(StaffRole::Store, Some(store)).await;
    staff_accounts::Entity::update_many()
        .col_expr(staff_accounts::Column::DisplayName, Expr::value("林小美"))
        .filter(staff_accounts::Column::Id.eq(clerk_id))
        .exec(&app.db)
        .await
        .unwrap();
    let member = line_member(&app, store, Some(clerk_id), MEMBER_LINE_ID, "王小明").await;
    set_bound_at(&app, member, Utc::now() - Duration::days(1)).await;
    let (_, hq_username) = app.create_account(StaffRole::Hq, None).await;

    let browser = Browser::start_sized("card_purchase_report", 1100, 1000).await;

    // The shopper's card: the number under the QR code.
    let card_path = format!("/me/{}", card::link_for(&app.ctx, member));
    browser.goto(&app.url(&card_path)).await;
    browser.wait_text("#member-name", "王小明").await;
    browser.wait_visible("#card-qr svg").await;
    browser.wait_text("#countdown", "有效時間").await;
    let code = browser.wait_visible("#card-code").await.trim().to_owned();
    assert_eq!(
        member_card::verify(
            app.ctx.settings.secret_key.expose().as_bytes(),
            &code,
            Utc::now().timestamp()
        ),
        Ok(member),
        "{code}"
    );

    // The clerk signs in at /clerk and types the number.
    sign_in(&browser, &app, "/clerk", &clerk_username).await;
    browser.fill("#card", &code).await;
    browser.click("#find-card").await;
    browser.wait_text("#member", "王小明").await;
    browser.wait_text("#member-store", "北區｜台北信義店").await;

    // 新增門市消費 with the amount in full-width digits.
    browser.fill("#amount", "１，２００").await;
    browser.fill("#receipt_no", "AB-12345678").await;
    browser.click("#record").await;
    browser.wait_visible("#recorded").await;
    browser.wait_text("#amount", "NT$1,200").await;
    let rows = orders::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].amount, rows[0].member_id, rows[0].credited_store_id),
        (1200, Some(member), Some(store))
    );
    assert_eq!(rows[0].credited_clerk_id, Some(clerk_id));

    // The shopper's card lists it.
    browser.goto(&app.url(&card_path)).await;
    browser.wait_text("#purchases", "NT$1,200").await;
    browser.wait_text("#purchases", "門市消費").await;

    // HQ, in the same browser after the clerk's session is gone, opens this month's report.
    browser.client.delete_all_cookies().await.unwrap();
    sign_in(
        &browser,
        &app,
        "/admin/sales?per=month&by=clerk",
        &hq_username,
    )
    .await;
    browser.wait_text("body", "NT$1,200").await;
    let page = browser.client.source().await.unwrap();
    let row = row_with(&page, "林小美").unwrap_or_else(|| panic!("no row of the clerk: {page}"));
    assert!(row.contains("NT$1,200"), "{row}");
    browser
        .goto(&app.url("/admin/sales?per=month&by=store"))
        .await;
    browser.wait_text("body", "台北信義店").await;
    let page = browser.client.source().await.unwrap();
    let row =
        row_with(&page, "台北信義店").unwrap_or_else(|| panic!("no row of the store: {page}"));
    assert!(row.contains("NT$1,200"), "{row}");

    browser.close().await;
}
