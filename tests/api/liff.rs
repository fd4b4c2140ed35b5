//! Route A: `/liff` and `/api/liff/*` against a fake LINE verify/friendship API.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use sea_orm::{EntityTrait, PaginatorTrait};
use store_assistant::db::entities::{binding_attempts, bindings, members};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::{LOGIN_CHANNEL_ID, SeededJourney, TestApp, spawn_app};

/// An ID token as the LIFF SDK hands it over: only LINE can say whether it is genuine.
fn id_token(nonce: Option<&str>) -> String {
    let claims = match nonce {
        Some(nonce) => serde_json::json!({"sub": "U-from-token", "nonce": nonce}),
        None => serde_json::json!({"sub": "U-from-token"}),
    };
    format!(
        "eyJhbGciOiJIUzI1NiJ9.{}.signature",
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

fn claims(sub: &str, aud: &str, nonce: Option<&str>) -> serde_json::Value {
    let exp = chrono::Utc::now().timestamp() + 3600;
    serde_json::json!({
        "iss": "https://access.line.me", "sub": sub, "aud": aud, "exp": exp, "iat": exp - 3600,
        "nonce": nonce, "name": "小明", "amr": ["linesso"]
    })
}

async fn line_verifies(app: &TestApp, answer: serde_json::Value) {
    Mock::given(method("POST"))
        .and(path("/oauth2/v2.1/verify"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .mount(&app.line_api)
        .await;
}

async fn line_refuses(app: &TestApp, description: &str) {
    Mock::given(method("POST"))
        .and(path("/oauth2/v2.1/verify"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            serde_json::json!({"error": "invalid_request", "error_description": description}),
        ))
        .mount(&app.line_api)
        .await;
}

async fn friendship(app: &TestApp, friend: bool) {
    Mock::given(method("GET"))
        .and(path("/friendship/v1/status"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"friendFlag": friend})),
        )
        .mount(&app.line_api)
        .await;
}

async fn post_bind(app: &TestApp, body: serde_json::Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/liff/bind"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn bind_body(journey: &SeededJourney) -> serde_json::Value {
    serde_json::json!({
        "journey": journey.id,
        "id_token": id_token(None),
        "access_token": "user-access-token",
        "consent": true
    })
}

async fn counts(app: &TestApp) -> (u64, u64) {
    (
        members::Entity::find().count(&app.db).await.unwrap(),
        bindings::Entity::find().count(&app.db).await.unwrap(),
    )
}

async fn store_and_journey(app: &TestApp) -> SeededJourney {
    let store = app.seed_store("TP001", Some("北區")).await;
    app.seed_journey(store, Duration::hours(72)).await
}

#[tokio::test]
async fn a_valid_token_binds_and_the_user_id_comes_from_line_not_the_client() {
    let app = spawn_app().await;
    let journey = store_and_journey(&app).await;
    line_verifies(&app, claims("U-verified", LOGIN_CHANNEL_ID, None)).await;
    friendship(&app, true).await;
    let mut body = bind_body(&journey);
    body["user_id"] = serde_json::json!("U-attacker");
    body["friend"] = serde_json::json!(true);

    let response = post_bind(&app, body).await;

    assert_eq!(response.status(), 200);
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["outcome"], "bound");
    assert_eq!(json["binding_name"], "北區｜TP001 店");
    assert_eq!(json["message"], "您已綁定：北區｜TP001 店");
    let member = members::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!(member.line_user_id.as_deref(), Some("U-verified"));
    assert_eq!(member.display_name.as_deref(), Some("小明"));
    assert_eq!(counts(&app).await, (1, 1));
}

#[tokio::test]
async fn an_expired_token_is_refused_and_nothing_is_created() {
    let app = spawn_app().await;
    let journey = store_and_journey(&app).await;
    line_refuses(&app, "IdToken expired.").await;
    let response = post_bind(&app, bind_body(&journey)).await;
    assert_eq!(response.status(), 401);
    assert_eq!(counts(&app).await, (0, 0));
}

#[tokio::test]
async fn a_forged_token_is_refused() {
    let app = spawn_app().await;
    let journey = store_and_journey(&app).await;
    line_refuses(&app, "Invalid IdToken signature.").await;
    let response = post_bind(&app, bind_body(&journey)).await;
    assert_eq!(response.status(), 401);
    let json: serde_json::Value = response.json().await.unwrap();
    assert!(json["message"].as_str().unwrap().contains("LINE"));
    assert_eq!(counts(&app).await, (0, 0));
}

#[tokio::test]
async fn a_token_for_another_channel_is_refused_even_if_the_endpoint_answers() {
    let app = spawn_app().await;
    let journey = store_and_journey(&app).await;
    line_verifies(&app, claims("U-verified", "9999999999", None)).await;
    friendship(&app, true).await;
    let response = post_bind(&app, bind_body(&journey)).await;
    assert_eq!(response.status(), 401);
    assert_eq!(counts(&app).await, (0, 0));
}

#[tokio::test]
async fn a_token_with_another_nonce_is_refused() {
    let app = spawn_app().await;
    let journey = store_and_journey(&app).await;
    // The token names a nonce, so the journey's nonce is demanded from LINE …
    Mock::given(method("POST"))
        .and(path("/oauth2/v2.1/verify"))
        .and(body_string_contains(
            format!("nonce={}", journey.nonce).as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(claims(
            "U-verified",
            LOGIN_CHANNEL_ID,
            Some("nonce-of-another-journey"),
        )))
        .expect(1)
        .mount(&app.line_api)
        .await;
    friendship(&app, true).await;
    let mut body = bind_body(&journey);
    body["id_token"] = serde_json::json!(id_token(Some("nonce-of-another-journey")));
    // … and the answer is checked again here.
    let response = post_bind(&app, body).await;
    assert_eq!(response.status(), 401);
    assert_eq!(counts(&app).await, (0, 0));
}

#[tokio::test]
async fn a_token_with_the_journeys_nonce_binds() {
    let app = spawn_app().await;
    let journey = store_and_journey(&app).await;
    line_verifies(
        &app,
        claims("U-verified", LOGIN_CHANNEL_ID, Some(&journey.nonce)),
    )
    .await;
    friendship(&app, true).await;
    let mut body = bind_body(&journey);
    body["id_token"] = serde_json::json!(id_token(Some(&journey.nonce)));
    assert_eq!(post_bind(&app, body).await.status(), 200);
    assert_eq!(counts(&app).await, (1, 1));
}

#[tokio::test]
async fn a_shopper_who_is_not_a_friend_is_asked_to_add_the_oa_and_nothing_is_created() {
    let app = spawn_app().await;
    let journey = store_and_journey(&app).await;
    line_verifies(&app, claims("U-verified", LOGIN_CHANNEL_ID, None)).await;
    friendship(&app, false).await;
    let response = post_bind(&app, bind_body(&journey)).await;
    assert_eq!(response.status(), 409);
    let json: serde_json::Value = response.json().await.unwrap();
    assert!(json["message"].as_str().unwrap().contains("好友"));
    assert_eq!(counts(&app).await, (0, 0));
}

#[tokio::test]
async fn line_down_is_a_retryable_error_with_nothing_half_written() {
    let app = spawn_app().await;
    let journey = store_and_journey(&app).await;
    Mock::given(method("POST"))
        .and(path("/oauth2/v2.1/verify"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&app.line_api)
        .await;
    let response = post_bind(&app, bind_body(&journey)).await;
    assert_eq!(response.status(), 503);
    assert_eq!(counts(&app).await, (0, 0));
    assert_eq!(
        binding_attempts::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn an_expired_journey_is_410_without_asking_line() {
    let app = spawn_app().await;
    let store = app.seed_store("TP001", None).await;
    let journey = app.seed_journey(store, Duration::seconds(-5)).await;
    Mock::given(method("POST"))
        .and(path("/oauth2/v2.1/verify"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&app.line_api)
        .await;
    let response = post_bind(&app, bind_body(&journey)).await;
    assert_eq!(response.status(), 410);
    let json: serde_json::Value = response.json().await.unwrap();
    assert!(json["message"].as_str().unwrap().contains("過期"));
    let summary = app.get(&format!("/api/liff/journeys/{}", journey.id)).await;
    assert_eq!(summary.status(), 410);
}

#[tokio::test]
async fn binding_without_consent_is_refused() {
    let app = spawn_app().await;
    let journey = store_and_journey(&app).await;
    let mut body = bind_body(&journey);
    body["consent"] = serde_json::json!(false);
    let response = post_bind(&app, body).await;
    assert_eq!(response.status(), 400);
    assert_eq!(counts(&app).await, (0, 0));
}

#[tokio::test]
async fn malformed_bind_requests_get_a_clear_400() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/liff/bind"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["error"], "bad_request");
}

#[tokio::test]
async fn a_hundred_concurrent_binds_of_the_same_user_give_one_member_and_one_binding() {
    let app = spawn_app().await;
    let journey = store_and_journey(&app).await;
    line_verifies(&app, claims("U-verified", LOGIN_CHANNEL_ID, None)).await;
    friendship(&app, true).await;
    let body = bind_body(&journey);
    let responses =
        futures_util::future::join_all((0..100).map(|_| post_bind(&app, body.clone()))).await;
    let mut outcomes = Vec::new();
    for response in responses {
        assert_eq!(response.status(), 200);
        let json: serde_json::Value = response.json().await.unwrap();
        outcomes.push(json["outcome"].as_str().unwrap().to_owned());
    }
    assert_eq!(outcomes.iter().filter(|o| *o == "bound").count(), 1);
    assert!(
        outcomes
            .iter()
            .all(|o| o == "bound" || o == "already_bound_here")
    );
    assert_eq!(counts(&app).await, (1, 1));
}

#[tokio::test]
async fn a_second_stores_journey_for_a_bound_member_says_already_bound() {
    let app = spawn_app().await;
    let first = store_and_journey(&app).await;
    let other_store = app.seed_store("NT009", Some("南區")).await;
    let second = app.seed_journey(other_store, Duration::hours(72)).await;
    line_verifies(&app, claims("U-verified", LOGIN_CHANNEL_ID, None)).await;
    friendship(&app, true).await;
    assert_eq!(post_bind(&app, bind_body(&first)).await.status(), 200);

    let response = post_bind(&app, bind_body(&second)).await;

    assert_eq!(response.status(), 200);
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["outcome"], "already_bound_elsewhere");
    assert_eq!(json["binding_name"], "北區｜TP001 店");
    let binding = bindings::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(binding.store_id, other_store);
    assert_eq!(
        binding_attempts::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        2
    );
}

#[tokio::test]
async fn the_liff_page_loads_the_configured_sdk_in_zh_tw() {
    let app = spawn_app().await;
    let response = app.get("/liff?journey=abc").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"<html lang="zh-TW">"#));
    assert!(html.contains("static.line-scdn.net/liff/edge/2/sdk.js"));
    assert!(html.contains(r#"data-liff-id="1234567890-AbCdEfGh""#));
    assert!(html.contains("個人資料"));
}

#[tokio::test]
async fn the_journey_summary_names_store_and_group() {
    let app = spawn_app().await;
    let journey = store_and_journey(&app).await;
    let response = app.get(&format!("/api/liff/journeys/{}", journey.id)).await;
    assert_eq!(response.status(), 200);
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["binding_name"], "北區｜TP001 店");
    assert_eq!(app.get("/api/liff/journeys/unknown").await.status(), 404);
}

/// A stand-in for the LIFF SDK: a shopper already logged in to LINE, with fixed tokens.
const FAKE_LIFF_SDK: &str = r#"
window.liff = {
  init: function (config) { window.__liffId = config.liffId; return Promise.resolve(); },
  isLoggedIn: function () { return true; },
  login: function () {},
  getIDToken: function () { return "header.eyJzdWIiOiJVLWZyb20tdG9rZW4ifQ.signature"; },
  getAccessToken: function () { return "user-access-token"; }
};
"#;

#[tokio::test]
async fn the_liff_page_reaches_bound_in_a_browser_and_escapes_the_store_name() {
    let app = crate::helpers::spawn_app_with(|vars| {
        let sdk = format!("{}/liff-sdk.js", vars["LINE_API_BASE_URL"]);
        vars.insert("LIFF_SDK_URL".into(), sdk);
    })
    .await;
    Mock::given(method("GET"))
        .and(path("/liff-sdk.js"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/javascript")
                .set_body_string(FAKE_LIFF_SDK),
        )
        .mount(&app.line_api)
        .await;
    line_verifies(&app, claims("U-browser", LOGIN_CHANNEL_ID, None)).await;
    friendship(&app, true).await;
    let hostile = "<script>alert('x')</script>信義店 & Co";
    let store = app.seed_store("TP001", Some("北區")).await;
    app.rename_store(store, hostile).await;
    let journey = app.seed_journey(store, Duration::hours(72)).await;

    let browser = crate::browser::Browser::start("liff_page_reaches_bound").await;
    // LINE opens the endpoint with the journey inside liff.state.
    browser
        .goto(&app.url(&format!("/liff?liff.state=%3Fjourney%3D{}", journey.id)))
        .await;
    let offered = browser.wait_visible("#binding-name").await;
    assert_eq!(offered, format!("北區｜{hostile}"));
    browser.click("#consent").await;
    browser.click("#bind-button").await;
    let bound = browser.wait_visible("#bound-name").await;
    assert_eq!(bound, format!("北區｜{hostile}"));
    let html = browser.inner_html("#bound-name").await;
    assert!(html.contains("&lt;script&gt;"), "{html}");
    browser.close().await;

    let member = members::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!(member.line_user_id.as_deref(), Some("U-browser"));
}
