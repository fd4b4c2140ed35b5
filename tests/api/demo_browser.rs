//! The demo end to end in headless Chromium: HQ signs in, answers the checklist for a route,
//! activates, opens a store's poster and presses its "scan" button; a shopper on the emulator's
//! phone binds by route A (LIFF) or route B (OA chat, SMS
//! code); HQ and the store's staff see the new member, another store's staff do not. A failed step
//! saves a screenshot under `test-artifacts/`.
//!
//! With `SAVE_DOCS_SCREENSHOTS=1` the tests also refresh the README's screenshots in `docs/`.

use std::path::PathBuf;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use store_assistant::db::entities::{members, stores};
use store_assistant::services::demo;

use crate::browser::Browser;
use crate::helpers::{TestApp, spawn_demo_app};

/// Where the README's screenshots go, when asked for.
fn docs_screenshot(name: &str) -> Option<PathBuf> {
    std::env::var_os("SAVE_DOCS_SCREENSHOTS").map(|_| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("docs")
            .join("screenshots")
            .join(name)
    })
}

async fn screenshot_for_docs(browser: &Browser, name: &str) {
    if let Some(path) = docs_screenshot(name) {
        browser.save_screenshot(&path).await;
    }
}

/// HQ signs in with the demo login, picks the route on the checklist and activates.
async fn hq_opens_the_shop(browser: &Browser, app: &TestApp, route_button: &str, label: &str) {
    let channel = demo::channel(&app.db).await.unwrap();
    browser.goto(&app.url("/admin/login")).await;
    browser.fill("#username", demo::HQ_USERNAME).await;
    browser
        .fill("#password", channel.hq_password.expose())
        .await;
    browser.click("form button[type=submit]").await;
    browser.wait_visible("nav").await;
    browser.goto(&app.url("/admin/setup")).await;
    browser.click(route_button).await;
    browser.wait_text("#demo-route-current", label).await;
    browser
        .click("#activation form[action='/admin/setup/activate'] button")
        .await;
    browser.wait_text("#activation", "已開通").await;
    screenshot_for_docs(browser, "checklist.png").await;
}

/// HQ opens store D001's poster and presses its demo "scan" button: the emulator's phone opens
/// the poster's QR link. Returns the emulated LINE user's id.
async fn scan_the_poster(browser: &Browser, app: &TestApp, docs_name: Option<&str>) -> String {
    let store = stores::Entity::find()
        .filter(stores::Column::Code.eq("D001"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    browser
        .goto(&app.url(&format!("/admin/stores/{}/poster", store.id)))
        .await;
    browser
        .wait_text("section[data-store-code='D001'] .store-name", "台北信義店")
        .await;
    if let Some(name) = docs_name {
        screenshot_for_docs(browser, name).await;
    }
    browser
        .click("section[data-store-code='D001'] .scan-button")
        .await;
    browser.wait_visible("#user-id").await
}

/// The new member shows in HQ's list (in the browser) and the store staff's, not another store's.
async fn the_member_is_visible_to_hq_and_the_store_only(
    browser: &Browser,
    app: &TestApp,
    line_user_id: &str,
) {
    let member = members::Entity::find()
        .filter(members::Column::LineUserId.eq(line_user_id))
        .one(&app.db)
        .await
        .unwrap()
        .expect("a member with the emulated LINE user id");
    let link = format!("/admin/members/{}", member.id);
    browser.goto(&app.url("/admin/members")).await;
    let html = browser.inner_html("main").await;
    if !html.contains(&link) {
        browser
            .fail("HQ's member list", "the new member is missing")
            .await;
    }
    let store_id = |code: &'static str| {
        let db = app.db.clone();
        async move {
            stores::Entity::find()
                .filter(stores::Column::Code.eq(code))
                .one(&db)
                .await
                .unwrap()
                .unwrap()
                .id
        }
    };
    let own = app.store_staff(store_id("D001").await).await;
    let other = app.store_staff(store_id("D003").await).await;
    let own_list = own.get("/admin/members").await.text().await.unwrap();
    assert!(own_list.contains(&link), "the store's staff see the member");
    let other_list = other.get("/admin/members").await.text().await.unwrap();
    assert!(!other_list.contains(&link), "another store's staff do not");
    assert_eq!(other.get(&link).await.status().as_u16(), 404);
}

#[tokio::test]
async fn demo_route_a_from_hq_sign_in_to_a_member_bound_in_the_liff_page() {
    let app = spawn_demo_app().await;
    let browser = Browser::start_sized("demo_route_a", 1100, 1000).await;
    hq_opens_the_shop(&browser, &app, "#demo-route-a", "路線 A").await;

    // Route A's scan redirects to the LIFF URL, which the emulator's launcher opens.
    let user_id = scan_the_poster(&browser, &app, Some("poster.png")).await;
    browser.enter_frame(0).await;
    // LINE Login's consent screen, with the OA's add-friend option ticked.
    browser.click("#allow").await;
    let offered = browser.wait_visible("#binding-name").await;
    assert_eq!(offered, "北區｜台北信義店");
    browser.click("#consent").await;
    browser.leave_frame().await;
    screenshot_for_docs(&browser, "liff.png").await;
    browser.enter_frame(0).await;
    browser.click("#bind-button").await;
    let bound = browser.wait_visible("#bound-name").await;
    assert_eq!(bound, "北區｜台北信義店");
    browser.leave_frame().await;

    the_member_is_visible_to_hq_and_the_store_only(&browser, &app, &user_id).await;
    browser.close().await;
}

#[tokio::test]
async fn demo_route_b_through_the_emulated_chat_and_the_sms_inbox() {
    let app = spawn_demo_app().await;
    let browser = Browser::start_sized("demo_route_b", 1100, 1000).await;
    hq_opens_the_shop(&browser, &app, "#demo-route-b", "路線 B").await;

    // Route B's scan redirects to the landing page.
    let user_id = scan_the_poster(&browser, &app, None).await;
    browser.enter_frame(0).await;
    assert_eq!(
        browser.wait_visible("#binding-name").await,
        "北區｜台北信義店"
    );
    browser.leave_frame().await;
    screenshot_for_docs(&browser, "landing.png").await;
    browser.enter_frame(0).await;

    // Step 1: the OA chat with the code typed in; add the friend, then send.
    browser.click("#open-line").await;
    browser.click("#add-friend").await;
    browser.wait_text("#log", "歡迎").await;
    let typed = browser
        .client
        .find(fantoccini::Locator::Css("#message"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(typed.starts_with("綁定碼 "), "prefilled: {typed:?}");
    browser.click("#send").await;
    // The OA answers (signed webhook → reply API) with the button to the phone page.
    browser.wait_visible(".chat-button").await;
    browser.leave_frame().await;
    screenshot_for_docs(&browser, "chat.png").await;
    browser.enter_frame(0).await;
    browser.click(".chat-button").await;

    // Step 2: the phone page, the SMS code from the phone's SMS inbox.
    browser.fill("#phone", "0912345678").await;
    browser.click("#phone-form input[name=consent]").await;
    browser.click("#send-code").await;
    browser.wait_visible("#code").await;
    browser.leave_frame().await;
    browser.click("#dock-sms").await;
    browser.enter_frame(1).await;
    let sms = browser.wait_text(".sms .text", "驗證碼").await;
    let code: String = sms.chars().filter(char::is_ascii_digit).take(6).collect();
    assert_eq!(code.len(), 6, "a code in {sms:?}");
    browser.leave_frame().await;
    browser.click("#sms-close").await;
    browser.enter_frame(0).await;
    browser.fill("#code", &code).await;
    browser.click("#verify-code").await;
    assert_eq!(
        browser.wait_visible("#bound-name").await,
        "北區｜台北信義店"
    );
    browser.leave_frame().await;

    the_member_is_visible_to_hq_and_the_store_only(&browser, &app, &user_id).await;
    browser.close().await;
}
