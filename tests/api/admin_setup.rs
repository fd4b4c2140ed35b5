//! The setup checklist page (前置準備): answers with who and when, the auto-LIFF rule, the SMS
//! cost warning, the live checks against a fake LINE, shop settings, activation, API tokens, and
//! escaping.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use store_assistant::db::entities::enums::CheckOutcome;
use store_assistant::db::entities::{api_tokens, audit_log, checklist_items, shop_settings};
use store_assistant::domain::tokens::token_hash;
use store_assistant::services::setup;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::{CHANNEL_ACCESS_TOKEN, OA_BASIC_ID, TestApp, spawn_app, spawn_app_with};

async fn item(app: &TestApp, key: &str) -> Option<checklist_items::Model> {
    checklist_items::Entity::find_by_id(key.to_owned())
        .one(&app.db)
        .await
        .unwrap()
}

async fn audit_rows(app: &TestApp, action: &str) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .order_by_asc(audit_log::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

async fn settings(app: &TestApp) -> shop_settings::Model {
    setup::shop_settings(&app.db).await.unwrap()
}

#[tokio::test]
async fn the_setup_page_lists_every_item_with_where_to_do_it_and_the_data_items() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let response = hq.get("/admin/setup").await;
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap();
    for text in [
        "1. LINE 官方帳號與 LINE Login 通路已連結",
        "2. LINE 快速登入已啟用",
        "3. 官方帳號已認證（藍盾或綠盾）",
        "4. LINE 認證提供者",
        "5. 自動產生 LIFF 網址",
        "6. 「快速結帳並註冊」已開啟",
        "7. 會員手機：必填、驗證、註冊時驗證電話",
        "8. 簡訊範本「顧客請求發送驗證碼通知」已開啟",
        "LINE Developers",
        "LINE Official Account Manager",
        "網店後台",
        "簡訊費用",
        "營業中的門市",
        "至少需要一間營業中的門市",
        "尚未開通",
        "立即檢查",
        "/line/webhook",
    ] {
        assert!(page.contains(text), "the page shows {text}");
    }
}

#[tokio::test]
async fn an_answer_is_stored_with_who_confirmed_it_when_and_audited() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let response = hq
        .post_form("/admin/setup/items/quick_login", &[("value", "yes")])
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("已記錄第 2 項"));
    assert!(page.contains(&format!("Confirmed by {}", hq.username)));

    let row = item(&app, "quick_login").await.expect("stored");
    assert_eq!(row.value.as_deref(), Some("yes"));
    assert_eq!(row.confirmed_by_staff_id, Some(hq.id));
    assert!(row.confirmed_at.is_some());

    let audit = audit_rows(&app, "setup.answer").await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor_staff_id, Some(hq.id));
    assert_eq!(audit[0].entity_id.as_deref(), Some("quick_login"));
    assert_eq!(
        audit[0].before_json,
        Some(serde_json::json!({"value": null}))
    );
    assert_eq!(
        audit[0].after_json,
        Some(serde_json::json!({"value": "yes"}))
    );

    // The same answer again changes nothing and writes no second audit row.
    hq.post_form("/admin/setup/items/quick_login", &[("value", "yes")])
        .await;
    assert_eq!(audit_rows(&app, "setup.answer").await.len(), 1);
}

#[tokio::test]
async fn answers_that_do_not_fit_the_item_are_refused() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    for (key, value, status) in [
        ("quick_login", "blue", 400),
        ("quick_login", "maybe", 400),
        ("oa_verified", "yes", 400),
        ("no_such_item", "yes", 404),
        ("line_bot_info", "yes", 404),
    ] {
        let response = hq
            .post_form(&format!("/admin/setup/items/{key}"), &[("value", value)])
            .await;
        assert_eq!(response.status().as_u16(), status, "{key}={value}");
    }
    assert!(
        checklist_items::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
    let response = hq
        .post_form("/admin/setup/items/oa_verified", &[("value", "green")])
        .await;
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn auto_liff_is_refused_without_a_certified_provider_and_nothing_is_stored() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let response = hq
        .post_form("/admin/setup/items/auto_liff", &[("value", "yes")])
        .await;
    assert_eq!(response.status().as_u16(), 409);
    let page = response.text().await.unwrap();
    assert!(page.contains("沒有 LINE 認證提供者時不能開啟"), "{page}");
    assert!(item(&app, "auto_liff").await.is_none());
    assert!(audit_rows(&app, "setup.answer").await.is_empty());

    // "No" Certified Provider: still refused.
    hq.post_form("/admin/setup/items/certified_provider", &[("value", "no")])
        .await;
    let response = hq
        .post_form("/admin/setup/items/auto_liff", &[("value", "yes")])
        .await;
    assert_eq!(response.status().as_u16(), 409);
    assert!(item(&app, "auto_liff").await.is_none());

    // With one, it is accepted, and the scan-time route becomes LIFF.
    hq.post_form("/admin/setup/items/certified_provider", &[("value", "yes")])
        .await;
    let response = hq
        .post_form("/admin/setup/items/auto_liff", &[("value", "yes")])
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let flags = setup::flags(&app.db).await.unwrap();
    assert!(flags.certified_provider && flags.auto_liff);
}

#[tokio::test]
async fn losing_the_certified_provider_turns_auto_liff_off_and_the_page_says_so() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    app.complete_checklist(true).await;
    let response = hq
        .post_form("/admin/setup/items/certified_provider", &[("value", "no")])
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("第 5 項「自動產生 LIFF 網址」已一併改為「否」"),
        "{page}"
    );
    assert_eq!(
        item(&app, "auto_liff").await.unwrap().value.as_deref(),
        Some("no")
    );
    let flags = setup::flags(&app.db).await.unwrap();
    assert!(!flags.auto_liff && !flags.certified_provider);
    let audit = audit_rows(&app, "setup.answer").await;
    let last_two: Vec<_> = audit
        .iter()
        .rev()
        .take(2)
        .map(|r| r.entity_id.clone().unwrap())
        .collect();
    assert_eq!(last_two, ["auto_liff", "certified_provider"]);
    assert!(audit.last().unwrap().reason.is_some());
}

#[tokio::test]
async fn turning_on_phone_verification_shows_the_sms_cost_warning() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let page = hq
        .post_form(
            "/admin/setup/items/member_phone_verification",
            &[("value", "yes")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("簡訊費用提醒"), "{page}");
    assert!(page.contains("每日簡訊上限為 500 則"));
    let page = hq
        .post_form(
            "/admin/setup/items/member_phone_verification",
            &[("value", "no")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("簡訊費用提醒"));
}

#[tokio::test]
async fn activation_is_refused_with_the_missing_list_until_the_checklist_holds() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let response = hq.post_form("/admin/setup/activate", &[]).await;
    assert_eq!(response.status().as_u16(), 409);
    let page = response.text().await.unwrap();
    assert!(page.contains("還不能開通"), "{page}");
    for number in 1..=8 {
        assert!(
            page.contains(&format!("{number}. ")),
            "item {number} listed"
        );
    }
    assert!(page.contains("至少需要一間營業中的門市"));
    assert!(settings(&app).await.activated_at.is_none());

    // Everything but a grey shield and no store.
    app.complete_checklist(false).await;
    hq.post_form("/admin/setup/items/oa_verified", &[("value", "none")])
        .await;
    let page = hq
        .post_form("/admin/setup/activate", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("3. 官方帳號尚未確認為藍盾或綠盾"), "{page}");
    assert!(page.contains("至少需要一間營業中的門市"));
    assert!(!page.contains("1. 尚未確認"));

    hq.post_form("/admin/setup/items/oa_verified", &[("value", "green")])
        .await;
    let store = app.create_store("TP01", "台北信義店", None).await;
    // An inactive store does not count.
    store_assistant::services::stores::set_store_active(
        &app.db,
        &store_assistant::services::audit::Actor::cli(),
        store,
        false,
    )
    .await
    .unwrap();
    let response = hq.post_form("/admin/setup/activate", &[]).await;
    assert_eq!(response.status().as_u16(), 409);
    app.create_store("TP02", "台北大安店", None).await;

    let response = hq.post_form("/admin/setup/activate", &[]).await;
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("已開通"));
    let activated = settings(&app).await;
    assert!(activated.activated_at.is_some());
    assert_eq!(activated.activated_by_staff_id, Some(hq.id));
    assert!(setup::flags(&app.db).await.unwrap().activated);
    assert_eq!(audit_rows(&app, "setup.activate").await.len(), 1);

    let response = hq.post_form("/admin/setup/deactivate", &[]).await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(settings(&app).await.activated_at.is_none());
    assert!(!setup::flags(&app.db).await.unwrap().activated);
    assert_eq!(audit_rows(&app, "setup.deactivate").await.len(), 1);
}

#[tokio::test]
async fn stores_without_a_group_are_a_warning_with_their_names_escaped() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    app.create_store("EV01", "<script>alert(1)</script>", None)
        .await;
    app.create_store("GR01", "分組店", Some("<b>北區</b>"))
        .await;
    hq.post_form(
        "/admin/setup/settings",
        &[
            ("shop_name", "<img src=x onerror=alert(2)>"),
            ("welcome_message", "歡迎"),
            ("sms_template", "{code}"),
            ("sms_daily_budget", "10"),
        ],
    )
    .await;
    let page = hq.get("/admin/setup").await.text().await.unwrap();
    assert!(page.contains("還沒有群組"));
    assert!(page.contains("alert(1)"), "the name is listed");
    assert!(!page.contains("<script>alert(1)"));
    assert!(!page.contains("<img src=x"));
    assert!(
        !page.contains("分組店"),
        "grouped stores are not warned about"
    );
}

#[tokio::test]
async fn shop_settings_are_validated_and_audited() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let form = |template: &'static str, budget: &'static str| {
        vec![
            ("shop_name", "好好買"),
            ("welcome_message", "歡迎加入好好買！"),
            ("sms_template", template),
            ("sms_daily_budget", budget),
            ("liff_requires_phone", "on"),
        ]
    };
    let before = settings(&app).await;
    for (template, budget, expected) in [
        ("【{shop}】請於 {minutes} 分鐘內輸入", "100", "{code}"),
        ("驗證碼 {cdoe}{code}", "100", "{cdoe}"),
        ("驗證碼 {code}", "-1", "每日簡訊上限"),
        ("驗證碼 {code}", "many", "每日簡訊上限"),
    ] {
        let response = hq
            .post_form("/admin/setup/settings", &form(template, budget))
            .await;
        assert_eq!(response.status().as_u16(), 400, "{template} {budget}");
        let page = response.text().await.unwrap();
        assert!(page.contains(expected), "{expected}: {page}");
    }
    assert_eq!(settings(&app).await, before);

    let response = hq
        .post_form(
            "/admin/setup/settings",
            &form("【{shop}】驗證碼 {code}，{minutes} 分鐘內有效", "250"),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let after = settings(&app).await;
    assert_eq!(after.shop_name, "好好買");
    assert_eq!(after.sms_daily_budget, 250);
    assert!(after.liff_requires_phone);
    let audit = audit_rows(&app, "setup.settings").await;
    assert_eq!(audit.len(), 1);
    assert_eq!(
        audit[0].before_json.as_ref().unwrap()["sms_daily_budget"],
        500
    );
    assert_eq!(
        audit[0].after_json.as_ref().unwrap()["sms_daily_budget"],
        250
    );

    // The unticked checkbox turns the flag off.
    let mut fields = form("【{shop}】驗證碼 {code}，{minutes} 分鐘內有效", "250");
    fields.pop();
    hq.post_form("/admin/setup/settings", &fields).await;
    assert!(!settings(&app).await.liff_requires_phone);
}

// ---- Live checks against the fake LINE API ----

fn bot_info(basic_id: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "userId": "Ub0000000000000000000000000000000",
        "basicId": basic_id,
        "displayName": "好好買官方帳號",
        "chatMode": "bot",
        "markAsReadMode": "auto"
    }))
}

fn webhook_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "success": true,
        "timestamp": "2026-11-28T10:00:00.000Z",
        "statusCode": 200,
        "reason": "OK",
        "detail": "200"
    }))
}

async fn check_row(app: &TestApp, key: &str) -> checklist_items::Model {
    item(app, key).await.expect("the check result is stored")
}

#[tokio::test]
async fn a_good_token_checks_ok_with_the_bots_name_and_basic_id() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    Mock::given(method("GET"))
        .and(path("/v2/bot/info"))
        .and(header(
            "authorization",
            format!("Bearer {CHANNEL_ACCESS_TOKEN}").as_str(),
        ))
        .respond_with(bot_info(OA_BASIC_ID))
        .expect(1)
        .mount(&app.line_api)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/bot/channel/webhook/test"))
        .and(body_json(serde_json::json!({
            "endpoint": format!("{}/line/webhook", app.address)
        })))
        .respond_with(webhook_ok())
        .expect(1)
        .mount(&app.line_api)
        .await;
    let response = hq.post_form("/admin/setup/check", &[]).await;
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("好好買官方帳號"), "{page}");
    assert!(page.contains(OA_BASIC_ID));
    assert!(!page.contains("無法連線到 LINE，"));
    let bot = check_row(&app, "line_bot_info").await;
    assert_eq!(bot.last_check_outcome, Some(CheckOutcome::Ok));
    assert!(bot.last_checked_at.is_some());
    assert_eq!(bot.value, None, "a check is not an answer");
    assert_eq!(
        check_row(&app, "line_webhook").await.last_check_outcome,
        Some(CheckOutcome::Ok)
    );
    assert_eq!(audit_rows(&app, "setup.check").await.len(), 2);
}

#[tokio::test]
async fn another_oas_token_fails_the_basic_id_check() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    Mock::given(method("GET"))
        .and(path("/v2/bot/info"))
        .respond_with(bot_info("@otherbrand"))
        .mount(&app.line_api)
        .await;
    let page = hq
        .post_form("/admin/setup/check", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("@otherbrand"));
    assert!(page.contains("LINE_OA_BASIC_ID"));
    assert_eq!(
        check_row(&app, "line_bot_info").await.last_check_outcome,
        Some(CheckOutcome::Failed)
    );
}

#[tokio::test]
async fn a_bad_token_fails_the_check_with_lines_message() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let refusal = ResponseTemplate::new(401).set_body_json(serde_json::json!({
        "message": "Authentication failed. Confirm that the access token in the authorization header is valid."
    }));
    Mock::given(method("GET"))
        .and(path("/v2/bot/info"))
        .respond_with(refusal.clone())
        .mount(&app.line_api)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/bot/channel/webhook/test"))
        .respond_with(refusal)
        .mount(&app.line_api)
        .await;
    let response = hq.post_form("/admin/setup/check", &[]).await;
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("未通過"));
    assert!(page.contains("Authentication failed. Confirm that the access token"));
    let bot = check_row(&app, "line_bot_info").await;
    assert_eq!(bot.last_check_outcome, Some(CheckOutcome::Failed));
    assert!(bot.last_check_detail.unwrap().contains("401"));
}

#[tokio::test]
async fn a_webhook_line_cannot_deliver_to_fails_with_lines_reason() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    Mock::given(method("POST"))
        .and(path("/v2/bot/channel/webhook/test"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "success": false,
            "timestamp": "2026-11-28T10:00:00.000Z",
            "statusCode": 0,
            "reason": "COULD_NOT_CONNECT",
            "detail": "Connection refused"
        })))
        .mount(&app.line_api)
        .await;
    hq.post_form("/admin/setup/check", &[]).await;
    let webhook = check_row(&app, "line_webhook").await;
    assert_eq!(webhook.last_check_outcome, Some(CheckOutcome::Failed));
    let detail = webhook.last_check_detail.unwrap();
    assert!(detail.contains("COULD_NOT_CONNECT"), "{detail}");
    assert!(
        detail.contains("HTTPS"),
        "the http test URL gets the HTTPS hint"
    );
}

#[tokio::test]
async fn line_answering_503_is_could_not_reach_line_not_a_500() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    Mock::given(method("GET"))
        .and(path("/v2/bot/info"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&app.line_api)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/bot/channel/webhook/test"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&app.line_api)
        .await;
    let response = hq.post_form("/admin/setup/check", &[]).await;
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("無法連線到 LINE"), "{page}");
    for key in ["line_bot_info", "line_webhook"] {
        assert_eq!(
            check_row(&app, key).await.last_check_outcome,
            Some(CheckOutcome::Unreachable),
            "{key}"
        );
    }
}

#[tokio::test]
async fn line_at_a_closed_port_is_could_not_reach_line_not_a_500() {
    // A port that was just free: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app_with(|vars| {
        vars.insert(
            "LINE_API_BASE_URL".to_owned(),
            format!("http://127.0.0.1:{closed}"),
        );
    })
    .await;
    let hq = app.hq().await;
    let response = hq.post_form("/admin/setup/check", &[]).await;
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("無法連線到 LINE"));
    let bot = check_row(&app, "line_bot_info").await;
    assert_eq!(bot.last_check_outcome, Some(CheckOutcome::Unreachable));
    assert!(!bot.last_check_detail.unwrap().contains("127.0.0.1"));
}

#[tokio::test]
async fn without_line_credentials_the_checks_ask_the_demo_emulator_and_pass() {
    // No Messaging API credentials: demo mode, whose made-up channel the emulator answers for.
    let app = spawn_app_with(|vars| {
        vars.remove("LINE_CHANNEL_ACCESS_TOKEN");
        vars.remove("LINE_CHANNEL_SECRET");
        vars.remove("LINE_API_BASE_URL");
    })
    .await;
    let hq = app.hq().await;
    let response = hq.post_form("/admin/setup/check", &[]).await;
    assert_eq!(response.status().as_u16(), 200);
    for key in ["line_bot_info", "line_webhook"] {
        let row = check_row(&app, key).await;
        assert_eq!(
            row.last_check_outcome,
            Some(CheckOutcome::Ok),
            "{key}: {:?}",
            row.last_check_detail
        );
    }
}

// ---- API tokens ----

#[tokio::test]
async fn an_api_token_is_shown_once_stored_hashed_noted_when_used_and_revocable() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let response = hq
        .post_form(
            "/admin/api-tokens",
            &[
                ("name", "<i>匯入腳本</i>"),
                ("staff_id", &hq.id.to_string()),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("匯入腳本") && !page.contains("<i>匯入腳本"));
    let token = page
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .find(|word| word.starts_with("sat_") && word.len() > 20)
        .expect("the token is on the page")
        .to_owned();
    let row = api_tokens::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.token_hash, token_hash(&token));
    assert_eq!(row.staff_id, hq.id);
    assert!(row.last_used_at.is_none());
    assert_eq!(audit_rows(&app, "api_token.create").await.len(), 1);

    // Listed later without the token itself.
    let list = hq.get("/admin/api-tokens").await.text().await.unwrap();
    assert!(list.contains("匯入腳本"));
    assert!(!list.contains(&token));

    let call = |token: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/api/v1/stores"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(call(token.clone()).await, 200);
    let used = api_tokens::Entity::find_by_id(row.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(used.last_used_at.is_some());

    let response = hq
        .post_form(&format!("/admin/api-tokens/{}/revoke", row.id), &[])
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(call(token).await, 401);
    assert_eq!(audit_rows(&app, "api_token.revoke").await.len(), 1);
}

#[tokio::test]
async fn a_token_cannot_be_issued_for_a_deactivated_or_unknown_account() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let store = app.create_store("TP01", "台北信義店", None).await;
    let (clerk, _) = app
        .create_account(
            store_assistant::db::entities::enums::StaffRole::Store,
            Some(store),
        )
        .await;
    hq.post_form(&format!("/admin/accounts/{clerk}/deactivate"), &[])
        .await;
    for staff_id in [clerk.to_string(), "99999".to_owned()] {
        let response = hq
            .post_form(
                "/admin/api-tokens",
                &[("name", "腳本"), ("staff_id", &staff_id)],
            )
            .await;
        assert_eq!(response.status().as_u16(), 400);
    }
    assert!(
        api_tokens::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
}
