//! Route B: landing page, OA chat code → signed phone link, SMS code, bind by phone.

use chrono::Duration;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use store_assistant::db::entities::enums::FunnelStage;
use store_assistant::db::entities::{bindings, funnel_events, journeys, members};
use store_assistant::domain::line_user::LineUserId;
use store_assistant::services::binding::phone;

use crate::helpers::{SeededJourney, TestApp, spawn_app};

const PHONE: &str = "0912-345-678";

/// A route-B journey with a binding code, in a store of 北區.
async fn journey_with_code(app: &TestApp, code: &str) -> SeededJourney {
    let store = app.seed_store("TP001", Some("北區")).await;
    route_b_journey(app, store, Some(code)).await
}

/// A route-B journey of `store`, with a binding code or none.
async fn route_b_journey(app: &TestApp, store: i32, code: Option<&str>) -> SeededJourney {
    let journey = app.seed_journey(store, Duration::hours(72)).await;
    let row = journeys::Entity::find_by_id(journey.id.clone())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut row: journeys::ActiveModel = row.into();
    row.binding_code = Set(code.map(str::to_owned));
    row.route = Set(store_assistant::db::entities::enums::Route::Phone);
    row.update(&app.db).await.unwrap();
    journey
}

async fn post_form(app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_landing_page_offers_the_chat_with_the_code_and_the_phone_step() {
    let app = spawn_app().await;
    let journey = journey_with_code(&app, "K7P3QX").await;
    let response = app.get(&format!("/j/{}", journey.id)).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("北區｜TP001 店"));
    assert!(
        html.contains(
            "https://line.me/R/oaMessage/@storetest/?%E7%B6%81%E5%AE%9A%E7%A2%BC%20K7P3QX"
        )
    );
    assert!(html.contains(r#"action="/j/"#));
}

#[tokio::test]
async fn the_landing_page_escapes_the_store_name() {
    let app = spawn_app().await;
    let journey = journey_with_code(&app, "K7P3QX").await;
    let store = journeys::Entity::find_by_id(journey.id.clone())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .store_id;
    app.rename_store(store, "<script>alert(1)</script>").await;
    let html = app
        .get(&format!("/j/{}", journey.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{html}"
    );
    assert!(!html.contains("<script>alert(1)</script>"));
}

#[tokio::test]
async fn unknown_and_expired_journeys_ask_to_scan_again() {
    let app = spawn_app().await;
    let unknown = app.get("/j/no-such-journey").await;
    assert_eq!(unknown.status(), 404);
    assert!(unknown.text().await.unwrap().contains("QR code"));
    let store = app.seed_store("TP001", None).await;
    let expired = app.seed_journey(store, Duration::seconds(-1)).await;
    let response = app.get(&format!("/j/{}", expired.id)).await;
    assert_eq!(response.status(), 410);
    assert!(response.text().await.unwrap().contains("過期"));
}

#[tokio::test]
async fn the_code_sent_in_the_chat_gets_a_button_to_a_signed_phone_page() {
    let app = spawn_app().await;
    let journey = journey_with_code(&app, "K7P3QX").await;
    let replies =
        phone::handle_chat_message(&app.ctx, &LineUserId::from_line("U-chat"), "綁定碼 k7p3qx")
            .await
            .unwrap()
            .expect("a binding code gets a reply");
    let json = serde_json::to_value(&replies).unwrap();
    let uri = json[0]["template"]["actions"][0]["uri"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(uri.starts_with(&app.url("/p/")), "{uri}");
    let row = journeys::Entity::find_by_id(journey.id.clone())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.line_user_id.as_deref(), Some("U-chat"));

    // Another LINE account cannot take over the same code.
    let other = phone::handle_chat_message(&app.ctx, &LineUserId::from_line("U-other"), "K7P3QX")
        .await
        .unwrap()
        .unwrap();
    assert!(
        serde_json::to_string(&other)
            .unwrap()
            .contains("其他 LINE 帳號")
    );
    // Ordinary chat is not answered.
    assert!(
        phone::handle_chat_message(&app.ctx, &LineUserId::from_line("U-chat"), "你好")
            .await
            .unwrap()
            .is_none()
    );

    let page = app.client.get(&uri).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("北區｜TP001 店"));
}

#[tokio::test]
async fn altered_phone_links_are_refused() {
    let app = spawn_app().await;
    let response = app.get("/p/eyJqIjoieCJ9.AAAA").await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("綁定碼"));
}

#[tokio::test]
async fn a_verified_phone_from_the_chat_link_binds_with_the_line_user_id() {
    let app = spawn_app().await;
    app.allow_sms(true).await;
    let journey = journey_with_code(&app, "K7P3QX").await;
    let replies = phone::handle_chat_message(&app.ctx, &LineUserId::from_line("U-chat"), "K7P3QX")
        .await
        .unwrap()
        .unwrap();
    let uri = serde_json::to_value(&replies).unwrap()[0]["template"]["actions"][0]["uri"]
        .as_str()
        .unwrap()
        .to_owned();
    let link = uri.rsplit('/').next().unwrap().to_owned();

    let sent = post_form(
        &app,
        &format!("/j/{}/phone", journey.id),
        &[("phone", PHONE), ("consent", "yes"), ("link", &link)],
    )
    .await;
    assert_eq!(sent.status(), 200);
    assert!(sent.text().await.unwrap().contains("0912***678"));
    let code = app.last_sms_code(PHONE);
    let bound = post_form(
        &app,
        &format!("/j/{}/verify", journey.id),
        &[("phone", "0912345678"), ("code", &code), ("link", &link)],
    )
    .await;
    assert_eq!(bound.status(), 200);
    let bound_html = bound.text().await.unwrap();
    assert!(
        bound_html.contains(r#"您已綁定：<strong id="bound-name">北區｜TP001 店</strong>"#),
        "{bound_html}"
    );

    let member = members::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!(member.phone_e164.as_deref(), Some("+886912345678"));
    assert_eq!(member.line_user_id.as_deref(), Some("U-chat"));
    for stage in [
        FunnelStage::Friend,
        FunnelStage::CodeSent,
        FunnelStage::CodeVerified,
        FunnelStage::Bound,
    ] {
        let n = funnel_events::Entity::find()
            .filter(funnel_events::Column::Stage.eq(stage))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(n, 1, "{stage:?}");
    }
}

#[tokio::test]
async fn the_phone_step_works_straight_from_the_landing_page_without_line() {
    let app = spawn_app().await;
    app.allow_sms(true).await;
    let journey = journey_with_code(&app, "K7P3QX").await;
    post_form(
        &app,
        &format!("/j/{}/phone", journey.id),
        &[("phone", "０９１２３４５６７８"), ("consent", "yes")],
    )
    .await;
    let code = app.last_sms_code(PHONE);
    let bound = post_form(
        &app,
        &format!("/j/{}/verify", journey.id),
        &[("phone", "0912345678"), ("code", &code)],
    )
    .await;
    assert_eq!(bound.status(), 200);
    let member = members::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!(member.line_user_id, None);
    assert_eq!(bindings::Entity::find().count(&app.db).await.unwrap(), 1);
}

#[tokio::test]
async fn a_bad_phone_number_is_shown_again_with_an_example() {
    let app = spawn_app().await;
    app.allow_sms(true).await;
    let journey = journey_with_code(&app, "K7P3QX").await;
    let response = post_form(
        &app,
        &format!("/j/{}/phone", journey.id),
        &[("phone", "02-2345-6789"), ("consent", "yes")],
    )
    .await;
    assert_eq!(response.status(), 400);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("0912-345-678"),
        "says what a valid number looks like"
    );
    assert!(
        html.contains(r#"value="02-2345-6789""#),
        "keeps what was typed"
    );
    assert!(app.ctx.sms.outbox().unwrap().is_empty());
}

#[tokio::test]
async fn the_phone_step_needs_consent() {
    let app = spawn_app().await;
    app.allow_sms(true).await;
    let journey = journey_with_code(&app, "K7P3QX").await;
    let response = post_form(
        &app,
        &format!("/j/{}/phone", journey.id),
        &[("phone", PHONE)],
    )
    .await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("同意"));
    assert!(app.ctx.sms.outbox().unwrap().is_empty());
}

#[tokio::test]
async fn a_wrong_code_shows_the_code_page_again_and_binds_nothing() {
    let app = spawn_app().await;
    app.allow_sms(true).await;
    let journey = journey_with_code(&app, "K7P3QX").await;
    post_form(
        &app,
        &format!("/j/{}/phone", journey.id),
        &[("phone", PHONE), ("consent", "yes")],
    )
    .await;
    let code = app.last_sms_code(PHONE);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let response = post_form(
        &app,
        &format!("/j/{}/verify", journey.id),
        &[("phone", PHONE), ("code", wrong)],
    )
    .await;
    assert_eq!(response.status(), 400);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains(r#"id="code-error""#)
    );
    assert_eq!(members::Entity::find().count(&app.db).await.unwrap(), 0);
}

#[tokio::test]
async fn sms_codes_are_refused_while_the_sms_template_setting_is_off() {
    let app = spawn_app().await;
    app.allow_sms(false).await;
    let journey = journey_with_code(&app, "K7P3QX").await;
    let response = post_form(
        &app,
        &format!("/j/{}/phone", journey.id),
        &[("phone", PHONE), ("consent", "yes")],
    )
    .await;
    assert_eq!(response.status(), 503);
    assert!(response.text().await.unwrap().contains("門市人員"));
    assert!(app.ctx.sms.outbox().unwrap().is_empty());
}

#[tokio::test]
async fn a_hundred_concurrent_verifications_of_the_same_phone_give_one_member_and_one_binding() {
    let app = spawn_app().await;
    app.allow_sms(true).await;
    let journey = journey_with_code(&app, "K7P3QX").await;
    post_form(
        &app,
        &format!("/j/{}/phone", journey.id),
        &[("phone", PHONE), ("consent", "yes")],
    )
    .await;
    let code = app.last_sms_code(PHONE);
    let path = format!("/j/{}/verify", journey.id);
    let responses = futures_util::future::join_all((0..100).map(|_| {
        let form = [("phone", PHONE), ("code", code.as_str())];
        let request = app.client.post(app.url(&path)).form(&form);
        async move { request.send().await.unwrap() }
    }))
    .await;
    let ok = responses.iter().filter(|r| r.status() == 200).count();
    assert!(ok >= 1, "the right code binds");
    assert_eq!(members::Entity::find().count(&app.db).await.unwrap(), 1);
    assert_eq!(bindings::Entity::find().count(&app.db).await.unwrap(), 1);
}

#[tokio::test]
async fn the_prefilled_code_sent_through_a_signed_webhook_gets_the_phone_button_as_reply() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, ResponseTemplate};
    let app = spawn_app().await;
    let journey = journey_with_code(&app, "K7P3QX").await;
    Mock::given(method("POST"))
        .and(path("/v2/bot/message/reply"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"sentMessages": []})),
        )
        .expect(1)
        .mount(&app.line_api)
        .await;
    let body = serde_json::json!({
        "destination": "Ubot",
        "events": [{
            "type": "message", "mode": "active", "timestamp": 1_700_000_000_000_i64,
            "webhookEventId": "01HROUTEB0000000000000000", "deliveryContext": {"isRedelivery": false},
            "replyToken": "reply-token-1",
            "source": {"type": "user", "userId": "U-webhook"},
            "message": {"type": "text", "id": "1", "quoteToken": "q", "text": "綁定碼 K7P3QX"}
        }]
    });
    assert_eq!(app.post_webhook(body.to_string()).await.status(), 200);

    let mut waited = 0;
    let reply = loop {
        waited += 1;
        assert!(waited < 300, "the OA never replied");
        let requests = app.line_api.received_requests().await.unwrap_or_default();
        if let Some(reply) = requests
            .iter()
            .find(|r| r.url.path() == "/v2/bot/message/reply")
        {
            break reply.body_json::<serde_json::Value>().unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(reply["replyToken"], "reply-token-1");
    let uri = reply["messages"][0]["template"]["actions"][0]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.starts_with(&app.url("/p/")), "{uri}");
    let row = journeys::Entity::find_by_id(journey.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.line_user_id.as_deref(), Some("U-webhook"));
    assert_eq!(app.client.get(uri).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_shopper_walks_route_b_in_a_browser_from_the_scan_to_bound() {
    use store_assistant::db::entities::enums::Route;
    use store_assistant::services::audit::Actor;
    use store_assistant::services::qr::{self, TokenOwner};
    use store_assistant::services::setup;

    let app = spawn_app().await;
    let hostile = "<b>信義店</b> & Co";
    let store = app.create_store("TP01", hostile, Some("北區")).await;
    app.complete_checklist(false).await;
    app.allow_sms(true).await;
    setup::activate(&app.db, &Actor::cli()).await.unwrap();
    let token = qr::ensure_token(&app.db, TokenOwner::Store(store), None)
        .await
        .unwrap()
        .token;

    let browser = crate::browser::Browser::start("route_b_from_scan_to_bound").await;
    // The printed QR encodes /q/{token}; without a Certified Provider it leads to the landing page.
    browser.goto(&app.url(&format!("/q/{token}"))).await;
    let offered = browser.wait_visible("#binding-name").await;
    assert_eq!(offered, format!("北區｜{hostile}"));
    let current = browser.client.current_url().await.unwrap();
    assert!(current.path().starts_with("/j/"), "{current}");
    browser.wait_visible("#binding-code").await;

    browser.fill("#phone", "０９１２ ３４５ ６７８").await;
    browser.click("#phone-form input[name=consent]").await;
    browser.click("#send-code").await;
    assert_eq!(browser.wait_visible("#masked-phone").await, "0912***678");
    let code = app.last_sms_code(PHONE);
    browser.fill("#code", &code).await;
    browser.click("#verify-code").await;
    let bound = browser.wait_visible("#bound-name").await;
    assert_eq!(bound, format!("北區｜{hostile}"));
    assert!(
        browser
            .inner_html("#bound-name")
            .await
            .contains("&lt;b&gt;")
    );
    browser.close().await;

    let member = members::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!(member.phone_e164.as_deref(), Some("+886912345678"));
    let binding = bindings::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((binding.member_id, binding.store_id), (member.id, store));
    let journey = journeys::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(journey.route, Route::Phone);
    assert_eq!(journey.member_id, Some(member.id));
}

#[tokio::test]
async fn addresses_of_one_ipv6_network_share_the_sms_limit_per_address() {
    let app = crate::helpers::spawn_app_with(|vars| {
        vars.insert("TRUST_X_FORWARDED_FOR".to_owned(), "true".to_owned());
    })
    .await;
    app.allow_sms(true).await;
    let store = app.seed_store("TP001", Some("北區")).await;
    let ask = |host: String, n: u32| {
        let app = &app;
        async move {
            let journey = route_b_journey(app, store, None).await;
            app.client
                .post(app.url(&format!("/j/{}/phone", journey.id)))
                .header("x-forwarded-for", host)
                .form(&[
                    ("phone", format!("0912{n:06}").as_str()),
                    ("consent", "yes"),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    // Twelve addresses of one /64 (one subscriber's network), each a new phone and journey.
    let mut statuses = Vec::new();
    for n in 0..12u32 {
        let response = ask(format!("2001:db8:1:2::{:x}", n + 1), n).await;
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses[..10], [200; 10], "{statuses:?}");
    assert_eq!(statuses[10..], [429, 429], "{statuses:?}");
    assert_eq!(app.sms_count(), 10);
    // Another /64 is another client.
    let other = ask("2001:db8:1:3::1".to_owned(), 50).await;
    assert_eq!(other.status().as_u16(), 200);
}

// ---- One scan binds one member; the phone step belongs to route B ----

const OTHER_PHONE: &str = "0987-654-321";

/// Sends a code to `phone` on the journey's landing page and returns it.
async fn send_landing_code(app: &TestApp, journey: &SeededJourney, phone: &str) -> String {
    let sent = post_form(
        app,
        &format!("/j/{}/phone", journey.id),
        &[("phone", phone), ("consent", "yes")],
    )
    .await;
    assert_eq!(sent.status(), 200, "the code is sent");
    app.last_sms_code(phone)
}

async fn verify_on_landing(
    app: &TestApp,
    journey: &SeededJourney,
    phone: &str,
    code: &str,
) -> reqwest::Response {
    post_form(
        app,
        &format!("/j/{}/verify", journey.id),
        &[("phone", phone), ("code", code)],
    )
    .await
}

#[tokio::test]
async fn a_route_a_journey_gets_no_sms_from_the_landing_page() {
    let app = spawn_app().await;
    app.allow_sms(true).await;
    let store = app.seed_store("TP001", Some("北區")).await;
    // Seeded journeys take route A (LIFF): the shop asked for no SMS.
    let journey = app.seed_journey(store, Duration::hours(72)).await;

    let response = post_form(
        &app,
        &format!("/j/{}/phone", journey.id),
        &[("phone", PHONE), ("consent", "yes")],
    )
    .await;

    assert_eq!(response.status(), 409);
    assert!(response.text().await.unwrap().contains("LINE"));
    assert_eq!(app.sms_count(), 0);
}

#[tokio::test]
async fn a_code_from_the_liff_phone_step_binds_nothing_on_the_route_b_page() {
    let app = spawn_app().await;
    app.allow_sms(true).await;
    // HQ wants LIFF members to verify a phone too: the LIFF page may send a code for route A.
    app.set_liff_requires_phone(true).await;
    let store = app.seed_store("TP001", Some("北區")).await;
    let journey = app.seed_journey(store, Duration::hours(72)).await;
    let sent = app
        .client
        .post(app.url("/api/liff/phone-code"))
        .json(&serde_json::json!({"journey": journey.id, "phone": PHONE, "consent": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200, "the LIFF page's phone step still works");
    let code = app.last_sms_code(PHONE);

    // Typed on the route-B page instead, it would register a member without LINE.
    let response = verify_on_landing(&app, &journey, PHONE, &code).await;

    assert_eq!(response.status(), 409);
    assert_eq!(members::Entity::find().count(&app.db).await.unwrap(), 0);
}

#[tokio::test]
async fn a_bound_journey_sends_no_more_codes() {
    let app = spawn_app().await;
    app.allow_sms(true).await;
    let journey = journey_with_code(&app, "K7P3QX").await;
    let code = send_landing_code(&app, &journey, PHONE).await;
    assert_eq!(
        verify_on_landing(&app, &journey, PHONE, &code)
            .await
            .status(),
        200
    );

    let response = post_form(
        &app,
        &format!("/j/{}/phone", journey.id),
        &[("phone", OTHER_PHONE), ("consent", "yes")],
    )
    .await;

    assert_eq!(response.status(), 409);
    assert!(response.text().await.unwrap().contains("重新掃描"));
    assert_eq!(app.sms_count(), 1);
}

#[tokio::test]
async fn two_tabs_verifying_different_phones_at_once_bind_one_member_and_tell_the_other() {
    let app = spawn_app().await;
    app.allow_sms(true).await;
    let journey = journey_with_code(&app, "K7P3QX").await;
    let first = send_landing_code(&app, &journey, PHONE).await;
    let second = send_landing_code(&app, &journey, OTHER_PHONE).await;

    let (a, b) = tokio::join!(
        verify_on_landing(&app, &journey, PHONE, &first),
        verify_on_landing(&app, &journey, OTHER_PHONE, &second),
    );

    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "one binds, the other is refused");
    let refused = if a.status() == 409 { a } else { b };
    assert!(refused.text().await.unwrap().contains("重新掃描"));
    assert_eq!(members::Entity::find().count(&app.db).await.unwrap(), 1);
    assert_eq!(bindings::Entity::find().count(&app.db).await.unwrap(), 1);
}

#[tokio::test]
async fn a_completed_journey_binds_no_second_phone_later() {
    let app = spawn_app().await;
    app.allow_sms(true).await;
    let journey = journey_with_code(&app, "K7P3QX").await;
    let first = send_landing_code(&app, &journey, PHONE).await;
    let second = send_landing_code(&app, &journey, OTHER_PHONE).await;
    assert_eq!(
        verify_on_landing(&app, &journey, PHONE, &first)
            .await
            .status(),
        200
    );

    let response = verify_on_landing(&app, &journey, OTHER_PHONE, &second).await;

    assert_eq!(response.status(), 409);
    assert_eq!(members::Entity::find().count(&app.db).await.unwrap(), 1);
}

#[tokio::test]
async fn a_double_tap_on_verify_shows_the_shoppers_binding_both_times() {
    let app = spawn_app().await;
    app.allow_sms(true).await;
    let journey = journey_with_code(&app, "K7P3QX").await;
    let code = send_landing_code(&app, &journey, PHONE).await;

    let (a, b) = tokio::join!(
        verify_on_landing(&app, &journey, PHONE, &code),
        verify_on_landing(&app, &journey, PHONE, &code),
    );
    // And once more after both have finished (the page reloaded).
    let c = verify_on_landing(&app, &journey, PHONE, &code).await;

    for response in [a, b, c] {
        assert_eq!(response.status(), 200);
        let html = response.text().await.unwrap();
        assert!(
            html.contains(r#"您已綁定：<strong id="bound-name">北區｜TP001 店</strong>"#),
            "{html}"
        );
    }
    assert_eq!(members::Entity::find().count(&app.db).await.unwrap(), 1);
    assert_eq!(bindings::Entity::find().count(&app.db).await.unwrap(), 1);
}
