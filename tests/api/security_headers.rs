//! Frame and content-security headers: every staff page (sign-in, admin pages, posters, error
//! pages under `/admin`) refuses framing and inline code, and its markup needs none; the shopper
//! pages are left as LINE's in-app browser needs them.

use store_assistant::db::entities::enums::StaffRole;

use crate::browser::Browser;
use crate::helpers::{STAFF_PASSWORD, TestApp, spawn_app};
use crate::member_fixtures;

fn assert_staff_headers(response: &reqwest::Response, path: &str) {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(header("x-frame-options").as_deref(), Some("DENY"), "{path}");
    let policy = header("content-security-policy").unwrap_or_else(|| panic!("no CSP on {path}"));
    for directive in [
        "frame-ancestors 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "default-src 'none'",
    ] {
        assert!(policy.contains(directive), "{path}: {policy}");
    }
    assert!(!policy.contains("unsafe-inline"), "{path}: {policy}");
}

/// What the policy would block: inline `<script>` and `<style>` elements, `style="…"` and
/// `on…="…"` attributes. Returns the offending snippets.
fn inline_code(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    let mut rest = lower.as_str();
    while let Some(start) = rest.find('<') {
        let tag_end = rest[start..]
            .find('>')
            .map_or(rest.len(), |end| start + end + 1);
        let tag = &rest[start..tag_end];
        let name: String = tag[1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let inline_script = name == "script" && !tag.contains(" src=");
        let attributes = tag.split_whitespace().skip(1);
        let inline_attribute = attributes.clone().any(|attribute| {
            attribute.starts_with("style=")
                || (attribute.starts_with("on")
                    && attribute.contains('=')
                    && attribute[2..attribute.find('=').unwrap()]
                        .chars()
                        .all(|c| c.is_ascii_alphabetic()))
        });
        if name == "style" || inline_script || inline_attribute {
            found.push(tag.chars().take(120).collect());
        }
        rest = &rest[tag_end..];
    }
    found
}

#[test]
fn the_inline_code_finder_finds_what_the_policy_blocks() {
    assert!(
        inline_code("<p class=a>x</p><script src=\"/assets/admin.js\" defer></script>").is_empty()
    );
    assert!(inline_code("<form data-confirm=\"確定？\" action=/x>").is_empty());
    assert_eq!(inline_code("<script>alert(1)</script>").len(), 1);
    assert_eq!(inline_code("<style>p{}</style>").len(), 1);
    assert_eq!(inline_code("<div style=\"color:red\">").len(), 1);
    assert_eq!(
        inline_code("<form onsubmit=\"return confirm('x')\">").len(),
        1
    );
    assert_eq!(
        inline_code("<button type=button onclick=\"print()\">").len(),
        1
    );
}

/// Every linked asset answers 200 with its type (the page's styles and script really load).
async fn assert_assets_load(app: &TestApp, html: &str, path: &str) {
    for (marker, content_type) in [
        ("href=\"/assets/", "text/css"),
        ("src=\"/assets/", "text/javascript"),
    ] {
        for piece in html.split(marker).skip(1) {
            let asset = format!("/assets/{}", &piece[..piece.find('"').unwrap()]);
            let response = app.get(&asset).await;
            assert_eq!(response.status().as_u16(), 200, "{asset} on {path}");
            let served = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(served.starts_with(content_type), "{asset}: {served}");
            assert!(
                response.headers()["cache-control"]
                    .to_str()
                    .unwrap()
                    .contains("immutable"),
                "{asset} is versioned"
            );
        }
    }
}

#[tokio::test]
async fn staff_pages_refuse_frames_and_carry_no_inline_code() {
    let app = spawn_app().await;
    let store = app.create_store("TP01", "台北信義店", Some("北區")).await;
    let clerk = member_fixtures::clerk(&app, store).await;
    let member = member_fixtures::line_member(
        &app,
        store,
        Some(clerk),
        "U0123456789abcdef0123456789abcdef",
        "小明",
    )
    .await;

    let sign_in = app.get("/admin/login").await;
    assert_staff_headers(&sign_in, "/admin/login");
    let html = sign_in.text().await.unwrap();
    assert_eq!(inline_code(&html), Vec::<String>::new(), "/admin/login");
    assert!(
        html.contains("/assets/admin.css?v="),
        "the sign-in page is styled"
    );
    assert_assets_load(&app, &html, "/admin/login").await;

    let hq = app.hq().await;
    let pages = [
        "/admin".to_owned(),
        "/admin/stores".to_owned(),
        format!("/admin/stores/{store}"),
        "/admin/stores/import".to_owned(),
        format!("/admin/stores/{store}/poster"),
        format!("/admin/stores/{store}/clerks/{clerk}/card"),
        "/admin/posters".to_owned(),
        "/admin/groups".to_owned(),
        "/admin/accounts".to_owned(),
        "/admin/audit".to_owned(),
        "/admin/setup".to_owned(),
        "/admin/sales-settings".to_owned(),
        "/admin/api-tokens".to_owned(),
        "/admin/password".to_owned(),
        "/admin/members".to_owned(),
        format!("/admin/members/{member}"),
        "/admin/members/reassign".to_owned(),
        "/admin/binding-changes".to_owned(),
        "/admin/conflicts".to_owned(),
        "/admin/reports".to_owned(),
        "/admin/sales".to_owned(),
        // Error pages shown under /admin are staff pages too.
        "/admin/no-such-page".to_owned(),
        "/admin/stores/999999".to_owned(),
    ];
    for path in &pages {
        let response = hq.get(path).await;
        assert_staff_headers(&response, path);
        let html = response.text().await.unwrap();
        assert!(html.contains("<html"), "{path} is a page");
        assert_eq!(inline_code(&html), Vec::<String>::new(), "{path}");
        assert_assets_load(&app, &html, path).await;
    }
    // Downloads under /admin carry them too (harmless, and nothing there may be framed).
    for path in ["/admin/stores/export.csv", "/admin/members/export.csv"] {
        assert_staff_headers(&hq.get(path).await, path);
    }
    let clerk_pages = app.store_staff(store).await;
    assert_staff_headers(&clerk_pages.get("/admin").await, "/admin as a clerk");

    // The clerk's phone view is a staff page too.
    let card = store_assistant::domain::member_card::issue(
        app.ctx.settings.secret_key.expose().as_bytes(),
        member,
        chrono::Utc::now().timestamp(),
    );
    let desk_pages = [
        (&clerk_pages, "/clerk".to_owned()),
        (&clerk_pages, "/clerk/qr".to_owned()),
        (&clerk_pages, format!("/clerk/member?card={}", card.text)),
        // A refusal is the desk again, with the message.
        (&clerk_pages, "/clerk/member?phone=0987654321".to_owned()),
        (&hq, "/clerk".to_owned()),
        (&hq, format!("/clerk?store={store}")),
    ];
    for (who, path) in desk_pages {
        let response = who.get(&path).await;
        assert_staff_headers(&response, &path);
        let html = response.text().await.unwrap();
        assert!(html.contains("/assets/clerk.css?v="), "{path} is styled");
        assert_eq!(inline_code(&html), Vec::<String>::new(), "{path}");
        assert_assets_load(&app, &html, &path).await;
    }
}

#[tokio::test]
async fn shopper_pages_do_not_carry_the_staff_policy() {
    let app = spawn_app().await;
    let store = app.create_store("TP01", "台北信義店", None).await;
    let journey = app.seed_journey(store, chrono::Duration::hours(72)).await;
    for path in [
        format!("/j/{}", journey.id),
        "/liff".to_owned(),
        "/privacy".to_owned(),
        "/healthz".to_owned(),
        "/no-such-page".to_owned(),
        "/administrator".to_owned(),
    ] {
        let response = app.get(&path).await;
        assert!(
            response.headers().get("content-security-policy").is_none()
                && response.headers().get("x-frame-options").is_none(),
            "{path}: {:?}",
            response.headers()
        );
    }
    let landing = app
        .get(&format!("/j/{}", journey.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        landing.contains("/assets/base.css?v="),
        "the landing page is styled"
    );
    assert_assets_load(&app, &landing, "/j/…").await;
}

#[tokio::test]
async fn an_unknown_or_stale_asset_address_is_not_cached_for_long() {
    let app = spawn_app().await;
    assert_eq!(app.get("/assets/nothing.css").await.status().as_u16(), 404);
    let stale = app.get("/assets/admin.css?v=0000000000000000").await;
    assert_eq!(stale.status().as_u16(), 200);
    assert_eq!(stale.headers()["cache-control"], "no-cache");
}

/// In Chromium, under the policy: the staff pages are styled, and the script the policy allows
/// runs — a form with data-confirm asks first (dismissed: nothing happens; accepted: sent), and a
/// CSV file chosen on the import page is uploaded and its result shown.
#[tokio::test]
async fn staff_page_script_runs_under_the_policy_in_chromium() {
    let app = spawn_app().await;
    let store = app.create_store("TP01", "台北信義店", None).await;
    let (_, username) = app.create_account(StaffRole::Hq, None).await;
    let browser = Browser::start_sized("staff_page_script_runs_under_the_policy", 1280, 900).await;
    browser.goto(&app.url("/admin/login")).await;
    browser.fill("#username", &username).await;
    browser.fill("#password", STAFF_PASSWORD).await;
    browser.click("form button[type=submit]").await;
    browser.wait_visible("nav").await;

    // admin.css applies: the nav bar is a flex row (base.css alone would leave it a block).
    let display = browser
        .client
        .execute(
            "return getComputedStyle(document.querySelector('.admin-nav .bar')).display",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(display, "flex");

    let token_of = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
            use store_assistant::db::entities::qr_tokens;
            qr_tokens::Entity::find()
                .filter(qr_tokens::Column::StoreId.eq(store))
                .filter(qr_tokens::Column::ClerkId.is_null())
                .filter(qr_tokens::Column::RevokedAt.is_null())
                .all(&db)
                .await
                .unwrap()
                .into_iter()
                .map(|t| t.id)
                .collect::<Vec<_>>()
        }
    };
    browser
        .goto(&app.url(&format!("/admin/stores/{store}")))
        .await;
    let before = token_of(&app).await;
    let rotate = format!("form[action='/admin/stores/{store}/qr/rotate'] button");
    browser.click(&rotate).await;
    let question = browser
        .client
        .get_alert_text()
        .await
        .expect("a confirm dialog");
    assert!(question.contains("確定更換"), "{question}");
    browser.client.dismiss_alert().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(token_of(&app).await, before, "dismissed: nothing rotated");
    browser.click(&rotate).await;
    browser.client.accept_alert().await.unwrap();
    browser.wait_visible(".notice").await;
    assert_ne!(token_of(&app).await, before, "accepted: rotated");

    browser.goto(&app.url("/admin/stores/import")).await;
    let csv = std::env::temp_dir().join(format!("stores-{}.csv", uuid::Uuid::new_v4().simple()));
    std::fs::write(&csv, "store_code,store_name,group_name\nTP02,台北大安店,\n").unwrap();
    let input = browser
        .client
        .find(fantoccini::Locator::Css("#file"))
        .await
        .unwrap();
    input.send_keys(&csv.display().to_string()).await.unwrap();
    browser.wait_text(".notice", "新增 1 間").await;
    std::fs::remove_file(&csv).ok();
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use store_assistant::db::entities::stores;
    let imported = stores::Entity::find()
        .filter(stores::Column::Code.eq("TP02"))
        .one(&app.db)
        .await
        .unwrap();
    assert_eq!(imported.map(|s| s.name).as_deref(), Some("台北大安店"));
    browser.close().await;
}
