//! Route A: `/liff` and `/api/liff/*` against a fake LINE verify/friendship API.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use store_assistant::db::entities::enums::{AttemptOutcome, FunnelStage, Route};
use store_assistant::db::entities::{
    binding_attempts, bindings, funnel_events, member_conflicts, members, otp_challenges,
};
use store_assistant::services::binding::{self, Identity};
use wiremock::matchers::{body_string_contains, header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use store_assistant::domain::phone::TaiwanMobile;
use store_assistant::domain::rate_limit::RateLimit;
use store_assistant::services::binding::liff::LiffBindLimits;
use store_assistant::startup::BuildOptions;

use crate::helpers::{LOGIN_CHANNEL_ID, SeededJourney, TestApp, spawn_app, spawn_app_with_options};

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

/// LINE vouches for the shopper's login: the ID token verifies with these claims, and the access
/// token sent beside it is valid for our channel and belongs to the same user (`sub`).
async fn line_verifies(app: &TestApp, answer: serde_json::Value) {
    let user = answer["sub"].as_str().unwrap_or_default().to_owned();
    id_token_verifies(app, answer).await;
    access_token_of(app, &user, LOGIN_CHANNEL_ID).await;
}

async fn id_token_verifies(app: &TestApp, answer: serde_json::Value) {
    Mock::given(method("POST"))
        .and(path("/oauth2/v2.1/verify"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .mount(&app.line_api)
        .await;
}

/// LINE Login says the access token `user-access-token` was issued by `channel` to `user`.
async fn access_token_of(app: &TestApp, user: &str, channel: &str) {
    user_access_token(app, "user-access-token", user, channel).await;
}

/// LINE Login says the access token `token` was issued by `channel` to `user`.
async fn user_access_token(app: &TestApp, token: &str, user: &str, channel: &str) {
    Mock::given(method("GET"))
        .and(path("/oauth2/v2.1/verify"))
        .and(query_param("access_token", token))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "scope": "profile openid", "client_id": channel, "expires_in": 2_591_659
        })))
        .mount(&app.line_api)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/profile"))
        .and(header("authorization", format!("Bearer {token}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "userId": user, "displayName": "小明"
        })))
        .mount(&app.line_api)
        .await;
}

/// How many requests the fake LINE API got for `method path`.
async fn line_calls(app: &TestApp, method: &str, path: &str) -> usize {
    app.line_api
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == method && r.url.path() == path)
        .count()
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
    id_token_verifies(&app, claims("U-verified", "9999999999", None)).await;
    access_token_of(&app, "U-verified", LOGIN_CHANNEL_ID).await;
    friendship(&app, true).await;
    the_login_is_refused_and_nothing_is_written(&app, &journey).await;
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
        // The client's own tries (3) all meet LINE down.
        .up_to_n_times(3)
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

    // LINE is back: the same request (the page's Retry button) binds.
    line_verifies(&app, claims("U-verified", LOGIN_CHANNEL_ID, None)).await;
    friendship(&app, true).await;
    let retried = post_bind(&app, bind_body(&journey)).await;
    assert_eq!(retried.status(), 200);
    assert_eq!(counts(&app).await, (1, 1));
}

#[tokio::test]
async fn the_friendship_check_failing_is_retryable_with_nothing_written() {
    let app = spawn_app().await;
    let journey = store_and_journey(&app).await;
    line_verifies(&app, claims("U-verified", LOGIN_CHANNEL_ID, None)).await;
    Mock::given(method("GET"))
        .and(path("/friendship/v1/status"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&app.line_api)
        .await;
    let response = post_bind(&app, bind_body(&journey)).await;
    assert_eq!(response.status(), 503);
    assert_eq!(counts(&app).await, (0, 0));
}

#[tokio::test]
async fn a_liff_binding_shows_at_once_in_the_stores_member_count_and_hqs_audit() {
    let app = spawn_app().await;
    let store = app.seed_store("TP001", Some("北區")).await;
    let journey = app.seed_journey(store, Duration::hours(72)).await;
    line_verifies(&app, claims("U-verified", LOGIN_CHANNEL_ID, None)).await;
    friendship(&app, true).await;
    let staff = app.store_staff(store).await;
    let before = staff.get("/admin/members").await.text().await.unwrap();
    assert!(before.contains("共 0 位"), "{before}");

    assert_eq!(post_bind(&app, bind_body(&journey)).await.status(), 200);

    let after = staff.get("/admin/members").await.text().await.unwrap();
    assert!(after.contains("共 1 位"), "{after}");
    assert!(after.contains("小明"));
    let audit = app
        .hq()
        .await
        .get("/admin/audit")
        .await
        .text()
        .await
        .unwrap();
    assert!(audit.contains("binding.created"));
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
    assert_eq!(counts(&app).await, (0, 0));
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

/// An app whose bind limits let a burst of a hundred through (the concurrency tests).
async fn spawn_app_without_bind_limits() -> TestApp {
    let generous = RateLimit {
        burst: 1_000,
        refill: std::time::Duration::from_millis(1),
        max_addresses: 100,
    };
    let options = BuildOptions {
        liff_bind_limits: LiffBindLimits {
            per_address: generous,
            per_journey: generous,
        },
        ..BuildOptions::default()
    };
    spawn_app_with_options(|_| {}, options).await
}

#[tokio::test]
async fn a_hundred_concurrent_binds_of_the_same_user_give_one_member_and_one_binding() {
    let app = spawn_app_without_bind_limits().await;
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

    // The second scan opens the LIFF app again: a fresh ID token for the same user.
    let mut second_body = bind_body(&second);
    second_body["id_token"] = serde_json::json!("eyJhbGciOiJIUzI1NiJ9.e30.another-login");
    let response = post_bind(&app, second_body).await;

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

// ---- The phone step (HQ requires a verified phone for LIFF members too) ----

const PHONE: &str = "0912-345-678";
const PHONE_E164: &str = "+886912345678";

/// A journey, LINE vouching for `U-verified`, SMS codes allowed and the phone setting on.
async fn phone_step_app() -> (TestApp, SeededJourney) {
    phone_step_app_on(spawn_app().await).await
}

async fn phone_step_app_on(app: TestApp) -> (TestApp, SeededJourney) {
    let journey = store_and_journey(&app).await;
    line_verifies(&app, claims("U-verified", LOGIN_CHANNEL_ID, None)).await;
    friendship(&app, true).await;
    app.allow_sms(true).await;
    app.set_liff_requires_phone(true).await;
    (app, journey)
}

async fn post_phone_code(app: &TestApp, journey: &str, phone: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/liff/phone-code"))
        .json(&serde_json::json!({"journey": journey, "phone": phone, "consent": true}))
        .send()
        .await
        .unwrap()
}

fn bind_body_with_code(journey: &SeededJourney, phone: &str, code: &str) -> serde_json::Value {
    let mut body = bind_body(journey);
    body["phone"] = serde_json::json!(phone);
    body["code"] = serde_json::json!(code);
    body
}

/// Sends a code for the journey and returns it (read from the log SMS provider's outbox).
async fn code_for(app: &TestApp, journey: &SeededJourney, phone: &str) -> String {
    let response = post_phone_code(app, &journey.id, phone).await;
    assert_eq!(response.status(), 200);
    app.last_sms_code(phone)
}

fn wrong(code: &str) -> String {
    code.chars()
        .map(|c| {
            if c == '9' {
                '0'
            } else {
                char::from(c as u8 + 1)
            }
        })
        .collect()
}

async fn error_of(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn with_the_phone_setting_off_there_is_no_phone_step() {
    let app = spawn_app().await;
    let journey = store_and_journey(&app).await;
    line_verifies(&app, claims("U-verified", LOGIN_CHANNEL_ID, None)).await;
    friendship(&app, true).await;
    app.allow_sms(true).await;

    let summary: serde_json::Value = app
        .get(&format!("/api/liff/journeys/{}", journey.id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(summary["phone_required"], false);
    // No SMS is paid for a step the shop does not ask for.
    let (status, json) = error_of(post_phone_code(&app, &journey.id, PHONE).await).await;
    assert_eq!(
        (status, json["error"].as_str()),
        (403, Some("phone_not_required"))
    );
    assert_eq!(app.sms_count(), 0);
    // A phone in the bind request is ignored: the binding is by LINE alone, as before.
    let response = post_bind(&app, bind_body_with_code(&journey, PHONE, "123456")).await;
    assert_eq!(response.status(), 200);
    let member = members::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!(member.line_user_id.as_deref(), Some("U-verified"));
    assert_eq!(member.phone_e164, None);
    assert_eq!(counts(&app).await, (1, 1));
}

#[tokio::test]
async fn with_the_phone_setting_on_a_bind_without_a_phone_is_refused_and_nothing_is_written() {
    let (app, journey) = phone_step_app().await;
    let summary: serde_json::Value = app
        .get(&format!("/api/liff/journeys/{}", journey.id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(summary["phone_required"], true);

    let (status, json) = error_of(post_bind(&app, bind_body(&journey)).await).await;

    assert_eq!(status, 403);
    assert_eq!(json["error"], "phone_required");
    assert!(
        json["message"].as_str().unwrap().contains("驗證手機"),
        "{json}"
    );
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
async fn with_the_phone_setting_on_the_right_code_gives_one_member_with_line_id_and_phone() {
    let (app, journey) = phone_step_app().await;
    let response = post_phone_code(&app, &journey.id, PHONE).await;
    assert_eq!(response.status(), 200);
    let sent: serde_json::Value = response.json().await.unwrap();
    assert_eq!(sent["masked_phone"], "0912***678");
    assert_eq!(sent["phone"], "0912345678");
    let code = app.last_sms_code(PHONE);

    let response = post_bind(&app, bind_body_with_code(&journey, "0912345678", &code)).await;

    assert_eq!(response.status(), 200);
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["outcome"], "bound");
    assert_eq!(json["binding_name"], "北區｜TP001 店");
    let member = members::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!(member.line_user_id.as_deref(), Some("U-verified"));
    assert_eq!(member.phone_e164.as_deref(), Some(PHONE_E164));
    assert!(member.phone_verified_at.is_some());
    assert_eq!(member.registered_via, Route::Liff);
    let binding = bindings::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((binding.member_id, binding.route), (member.id, Route::Liff));
    assert_eq!(counts(&app).await, (1, 1));
    for stage in [FunnelStage::CodeSent, FunnelStage::CodeVerified] {
        let recorded = funnel_events::Entity::find()
            .filter(funnel_events::Column::Stage.eq(stage))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(recorded, 1, "{stage:?}");
    }
}

#[tokio::test]
async fn a_retried_bind_whose_code_was_used_by_the_first_try_says_bound_again() {
    let (app, journey) = phone_step_app().await;
    let code = code_for(&app, &journey, PHONE).await;
    let body = bind_body_with_code(&journey, PHONE, &code);
    assert_eq!(post_bind(&app, body.clone()).await.status(), 200);

    // The answer to the first try was lost; the page sends the same request again.
    let response = post_bind(&app, body).await;

    assert_eq!(response.status(), 200);
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["outcome"], "already_bound_here");
    assert_eq!(counts(&app).await, (1, 1));
}

#[tokio::test]
async fn a_wrong_code_is_refused_and_nothing_is_written() {
    let (app, journey) = phone_step_app().await;
    let code = code_for(&app, &journey, PHONE).await;

    let (status, json) =
        error_of(post_bind(&app, bind_body_with_code(&journey, PHONE, &wrong(&code))).await).await;

    assert_eq!(status, 400);
    assert_eq!(json["error"], "phone_code");
    assert!(
        json["message"].as_str().unwrap().contains("驗證碼不正確"),
        "{json}"
    );
    assert_eq!(counts(&app).await, (0, 0));
    // The right code still works afterwards.
    let response = post_bind(&app, bind_body_with_code(&journey, PHONE, &code)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(counts(&app).await, (1, 1));
}

#[tokio::test]
async fn an_expired_code_is_refused_and_nothing_is_written() {
    let (app, journey) = phone_step_app().await;
    let code = code_for(&app, &journey, PHONE).await;
    otp_challenges::Entity::update_many()
        .col_expr(
            otp_challenges::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - Duration::seconds(1)),
        )
        .exec(&app.db)
        .await
        .unwrap();

    let (status, json) =
        error_of(post_bind(&app, bind_body_with_code(&journey, PHONE, &code)).await).await;

    assert_eq!(status, 410);
    assert_eq!(json["error"], "phone_code");
    assert!(
        json["message"].as_str().unwrap().contains("驗證碼已過期"),
        "{json}"
    );
    assert_eq!(counts(&app).await, (0, 0));
}

#[tokio::test]
async fn a_code_sent_for_another_journey_binds_nothing_here() {
    let (app, journey) = phone_step_app().await;
    let store = app.seed_store("NT009", None).await;
    let other = app.seed_journey(store, Duration::hours(72)).await;
    let code = code_for(&app, &other, PHONE).await;

    let (status, json) =
        error_of(post_bind(&app, bind_body_with_code(&journey, PHONE, &code)).await).await;

    assert_eq!((status, json["error"].as_str()), (400, Some("phone_code")));
    assert_eq!(counts(&app).await, (0, 0));
    // The code is still good on the page it was asked for.
    let response = post_bind(&app, bind_body_with_code(&other, PHONE, &code)).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(counts(&app).await, (1, 1));
}

#[tokio::test]
async fn line_refusing_the_token_keeps_the_code_unused() {
    let app = spawn_app().await;
    let journey = store_and_journey(&app).await;
    app.allow_sms(true).await;
    app.set_liff_requires_phone(true).await;
    line_refuses(&app, "Invalid IdToken signature.").await;
    let code = code_for(&app, &journey, PHONE).await;

    let response = post_bind(&app, bind_body_with_code(&journey, PHONE, &code)).await;

    // The token is checked first: the code is neither tried nor used.
    assert_eq!(response.status(), 401);
    let challenge = otp_challenges::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((challenge.wrong_tries, challenge.consumed_at), (0, None));
    assert_eq!(counts(&app).await, (0, 0));
}

#[tokio::test]
async fn a_phone_of_another_member_is_recorded_as_a_conflict_and_not_merged() {
    let (app, journey) = phone_step_app().await;
    let other_store = app.seed_store("NT009", Some("南區")).await;
    let earlier = app.seed_journey(other_store, Duration::hours(72)).await;
    let phone_member = binding::bind(
        &app.db,
        &earlier.id,
        Identity::Phone {
            phone: TaiwanMobile::parse(PHONE_E164).unwrap(),
            line_user_id: None,
        },
    )
    .await
    .unwrap()
    .member_id;
    let code = code_for(&app, &journey, PHONE).await;

    let response = post_bind(&app, bind_body_with_code(&journey, PHONE, &code)).await;

    assert_eq!(response.status(), 200);
    let line_member = members::Entity::find()
        .filter(members::Column::LineUserId.eq("U-verified"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(line_member.id, phone_member);
    assert_eq!(
        line_member.phone_e164, None,
        "the phone stays with its owner"
    );
    let owner = members::Entity::find_by_id(phone_member)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(owner.line_user_id, None, "nothing is merged");
    let conflicts = member_conflicts::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(conflicts.len(), 1);
    let conflict = &conflicts[0];
    assert_eq!(
        (conflict.line_member_id, conflict.phone_member_id),
        (line_member.id, phone_member)
    );
    assert_eq!(conflict.line_user_id, "U-verified");
    assert_eq!(conflict.phone_e164, PHONE_E164);
    assert_eq!(conflict.journey_id.as_deref(), Some(journey.id.as_str()));
    let attempt = binding_attempts::Entity::find()
        .filter(binding_attempts::Column::MemberId.eq(line_member.id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(attempt.outcome, AttemptOutcome::Conflict);
}

#[tokio::test]
async fn twenty_concurrent_binds_with_the_same_code_give_one_member_and_one_binding() {
    let (app, journey) = phone_step_app_on(spawn_app_without_bind_limits().await).await;
    let code = code_for(&app, &journey, PHONE).await;
    let body = bind_body_with_code(&journey, PHONE, &code);

    let responses =
        futures_util::future::join_all((0..20).map(|_| post_bind(&app, body.clone()))).await;

    let mut bound = 0;
    for response in responses {
        let (status, json) = error_of(response).await;
        match status {
            200 if json["outcome"] == "bound" => bound += 1,
            200 => assert_eq!(json["outcome"], "already_bound_here"),
            // The code is single use: a request that lost the race before the winner committed.
            _ => assert_eq!((status, json["error"].as_str()), (409, Some("phone_code"))),
        }
    }
    assert_eq!(bound, 1);
    assert_eq!(counts(&app).await, (1, 1));
    let member = members::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!(
        (member.line_user_id.as_deref(), member.phone_e164.as_deref()),
        (Some("U-verified"), Some(PHONE_E164))
    );
}

#[tokio::test]
async fn the_phone_code_endpoint_checks_the_phone_the_journey_and_the_sms_rules() {
    let (app, journey) = phone_step_app().await;

    let (status, json) = error_of(post_phone_code(&app, &journey.id, "02-2345-6789").await).await;
    assert_eq!(
        (status, json["error"].as_str()),
        (400, Some("phone_invalid"))
    );
    assert!(
        json["message"].as_str().unwrap().contains("0912-345-678"),
        "{json}"
    );

    let (status, _) = error_of(post_phone_code(&app, "no-such-journey", PHONE).await).await;
    assert_eq!(status, 404);
    let store = app.seed_store("NT009", None).await;
    let expired = app.seed_journey(store, Duration::seconds(-1)).await;
    let (status, _) = error_of(post_phone_code(&app, &expired.id, PHONE).await).await;
    assert_eq!(status, 410);

    let no_consent = app
        .client
        .post(app.url("/api/liff/phone-code"))
        .json(&serde_json::json!({"journey": journey.id, "phone": PHONE}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_consent.status(), 400);
    assert_eq!(app.sms_count(), 0);

    assert_eq!(
        post_phone_code(&app, &journey.id, PHONE).await.status(),
        200
    );
    // services::otp's cooldown applies here too.
    let again = post_phone_code(&app, &journey.id, PHONE).await;
    assert_eq!(again.status(), 429);
    assert!(again.headers().contains_key("retry-after"));
    assert_eq!(app.sms_count(), 1);
}

#[tokio::test]
async fn the_phone_step_is_refused_while_sms_codes_are_off() {
    let (app, journey) = phone_step_app().await;
    app.allow_sms(false).await;
    let (status, json) = error_of(post_phone_code(&app, &journey.id, PHONE).await).await;
    assert_eq!(status, 503);
    assert!(
        json["message"].as_str().unwrap().contains("簡訊驗證暫停"),
        "{json}"
    );
    assert_eq!(app.sms_count(), 0);
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

/// An app whose LIFF page loads [`FAKE_LIFF_SDK`] (served by the fake LINE API).
async fn app_with_fake_liff_sdk() -> TestApp {
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
    app
}

#[tokio::test]
async fn the_liff_page_reaches_bound_in_a_browser_and_escapes_the_store_name() {
    let app = app_with_fake_liff_sdk().await;
    line_verifies(&app, claims("U-browser", LOGIN_CHANNEL_ID, None)).await;
    friendship(&app, true).await;
    let hostile = "<script>alert('x')</script>信義店 & Co";
    let store = app.seed_store("TP001", Some("北區")).await;
    app.rename_store(store, hostile).await;
    let journey = app.seed_journey(store, Duration::hours(72)).await;

    let browser = crate::browser::Browser::start("liff_page_reaches_bound").await;
    // LINE opens the endpoint with the scan's `ref` inside liff.state.
    browser
        .goto(&app.url(&format!("/liff?liff.state=%3Fref%3D{}", journey.id)))
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

#[tokio::test]
async fn the_liff_page_finds_the_journey_in_ref_journey_and_liff_state() {
    let app = app_with_fake_liff_sdk().await;
    let store = app.seed_store("TP001", Some("北區")).await;
    let journey = app.seed_journey(store, Duration::hours(72)).await;
    let id = &journey.id;

    let browser = crate::browser::Browser::start("liff_page_reads_ref").await;
    for query in [
        // The scan redirects to https://liff.line.me/{LIFF_ID}?ref={journey}; after the LIFF
        // SDK's redirect the endpoint sees the query itself …
        format!("ref={id}"),
        // … before it, LINE hands it over inside liff.state (with or without a path).
        format!("liff.state=%3Fref%3D{id}"),
        format!("liff.state=%2Fbind%3Fref%3D{id}%23top"),
        // The older `journey` parameter still works.
        format!("journey={id}"),
        format!("liff.state=%3Fjourney%3D{id}"),
    ] {
        browser.goto(&app.url(&format!("/liff?{query}"))).await;
        let offered = browser.wait_visible("#binding-name").await;
        assert_eq!(offered, "北區｜TP001 店", "/liff?{query}");
    }
    browser.goto(&app.url("/liff?ref=")).await;
    let error = browser.wait_visible("#error-zh").await;
    assert!(error.contains("QR code"), "{error}");
    browser.close().await;
}

#[tokio::test]
async fn the_liff_page_takes_the_phone_step_in_a_browser_when_hq_requires_it() {
    let app = app_with_fake_liff_sdk().await;
    line_verifies(&app, claims("U-browser", LOGIN_CHANNEL_ID, None)).await;
    friendship(&app, true).await;
    app.allow_sms(true).await;
    app.set_liff_requires_phone(true).await;
    let store = app.seed_store("TP001", Some("北區")).await;
    let journey = app.seed_journey(store, Duration::hours(72)).await;

    let browser = crate::browser::Browser::start("liff_page_phone_step").await;
    browser
        .goto(&app.url(&format!("/liff?ref={}", journey.id)))
        .await;
    browser.wait_visible("#binding-name").await;
    browser.click("#consent").await;
    browser.click("#bind-button").await;
    // A landline is refused on the same step, saying what a valid number looks like.
    browser.fill("#phone", "02-2345-6789").await;
    browser.click("#send-code").await;
    let error = browser.wait_visible("#phone-error").await;
    assert!(error.contains("0912-345-678"), "{error}");
    assert_eq!(app.sms_count(), 0);

    browser.fill("#phone", PHONE).await;
    browser.click("#send-code").await;
    let masked = browser.wait_visible("#masked-phone").await;
    assert_eq!(masked, "0912***678");
    let code = app.last_sms_code(PHONE);
    // A wrong code first: the page stays on the step and says so.
    browser.fill("#code", &wrong(&code)).await;
    browser.click("#verify-button").await;
    let error = browser.wait_visible("#phone-error").await;
    assert!(error.contains("驗證碼不正確"), "{error}");
    browser.fill("#code", &code).await;
    browser.click("#verify-button").await;
    let bound = browser.wait_visible("#bound-name").await;
    assert_eq!(bound, "北區｜TP001 店");
    browser.close().await;

    let member = members::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!(member.line_user_id.as_deref(), Some("U-browser"));
    assert_eq!(member.phone_e164.as_deref(), Some(PHONE_E164));
    assert_eq!(counts(&app).await, (1, 1));
}

#[tokio::test]
async fn a_second_line_user_on_a_bound_journey_is_refused_and_nothing_is_written() {
    let app = spawn_app().await;
    let journey = store_and_journey(&app).await;
    for (token, user) in [
        ("token-of-first", "U-first"),
        ("token-of-second", "U-second"),
    ] {
        Mock::given(method("POST"))
            .and(path("/oauth2/v2.1/verify"))
            .and(body_string_contains(format!("id_token={token}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(claims(
                user,
                LOGIN_CHANNEL_ID,
                None,
            )))
            .mount(&app.line_api)
            .await;
        user_access_token(&app, &format!("access-{token}"), user, LOGIN_CHANNEL_ID).await;
    }
    friendship(&app, true).await;
    let body = |token: &str| {
        let mut body = bind_body(&journey);
        body["id_token"] = serde_json::json!(token);
        body["access_token"] = serde_json::json!(format!("access-{token}"));
        body
    };
    assert_eq!(post_bind(&app, body("token-of-first")).await.status(), 200);

    let (status, json) = error_of(post_bind(&app, body("token-of-second")).await).await;

    assert_eq!(status, 409);
    assert_eq!(json["error"], "journey_completed");
    assert!(json["message"].as_str().unwrap().contains("重新掃描"));
    assert_eq!(counts(&app).await, (1, 1));
    // The first shopper coming back still gets their answer.
    let again: serde_json::Value = post_bind(&app, body("token-of-first"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["outcome"], "already_bound_here");
}

// ---- The access token: required, verified, and the ID token's own user's ----

/// A bind of `journey` is answered 401 (LINE could not confirm the shopper) and creates nothing.
async fn the_login_is_refused_and_nothing_is_written(app: &TestApp, journey: &SeededJourney) {
    let response = post_bind(app, bind_body(journey)).await;
    assert_eq!(response.status(), 401);
    let json: serde_json::Value = response.json().await.unwrap();
    assert!(json["message"].as_str().unwrap().contains("LINE"), "{json}");
    assert_eq!(counts(app).await, (0, 0));
}

#[tokio::test]
async fn a_bind_without_an_access_token_is_refused_without_asking_line() {
    let app = spawn_app().await;
    let journey = store_and_journey(&app).await;
    line_verifies(&app, claims("U-verified", LOGIN_CHANNEL_ID, None)).await;
    friendship(&app, true).await;
    for missing in [serde_json::Value::Null, serde_json::json!("")] {
        let mut body = bind_body(&journey);
        body["access_token"] = missing;

        let (status, json) = error_of(post_bind(&app, body).await).await;

        assert_eq!(status, 400);
        assert_eq!(json["error"], "access_token_missing");
        assert!(json["message"].as_str().unwrap().contains("LINE"), "{json}");
    }
    assert_eq!(line_calls(&app, "POST", "/oauth2/v2.1/verify").await, 0);
    assert_eq!(counts(&app).await, (0, 0));
}

#[tokio::test]
async fn an_access_token_of_another_user_is_refused() {
    let app = spawn_app().await;
    let journey = store_and_journey(&app).await;
    id_token_verifies(&app, claims("U-verified", LOGIN_CHANNEL_ID, None)).await;
    // The access token is genuine and ours, but someone else's: a stolen ID token beside it.
    access_token_of(&app, "U-someone-else", LOGIN_CHANNEL_ID).await;
    friendship(&app, true).await;

    the_login_is_refused_and_nothing_is_written(&app, &journey).await;
}

#[tokio::test]
async fn an_access_token_issued_for_another_channel_is_refused() {
    let app = spawn_app().await;
    let journey = store_and_journey(&app).await;
    id_token_verifies(&app, claims("U-verified", LOGIN_CHANNEL_ID, None)).await;
    access_token_of(&app, "U-verified", "9999999999").await;
    friendship(&app, true).await;

    the_login_is_refused_and_nothing_is_written(&app, &journey).await;
}

#[tokio::test]
async fn an_access_token_line_refuses_is_refused() {
    let app = spawn_app().await;
    let journey = store_and_journey(&app).await;
    id_token_verifies(&app, claims("U-verified", LOGIN_CHANNEL_ID, None)).await;
    Mock::given(method("GET"))
        .and(path("/oauth2/v2.1/verify"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "invalid_request", "error_description": "access token expired"
        })))
        .mount(&app.line_api)
        .await;
    friendship(&app, true).await;

    the_login_is_refused_and_nothing_is_written(&app, &journey).await;
}

// ---- An ID token binds on one journey only ----

#[tokio::test]
async fn an_id_token_accepted_on_one_journey_is_refused_on_another_without_asking_line() {
    let app = spawn_app().await;
    let first = store_and_journey(&app).await;
    let other_store = app.seed_store("NT009", Some("南區")).await;
    let second = app.seed_journey(other_store, Duration::hours(72)).await;
    line_verifies(&app, claims("U-verified", LOGIN_CHANNEL_ID, None)).await;
    friendship(&app, true).await;
    assert_eq!(post_bind(&app, bind_body(&first)).await.status(), 200);
    let verified = line_calls(&app, "POST", "/oauth2/v2.1/verify").await;

    // The same token replayed on another scan (someone who copied it).
    let (status, json) = error_of(post_bind(&app, bind_body(&second)).await).await;

    assert_eq!(status, 409);
    assert_eq!(json["error"], "id_token_used");
    assert_eq!(
        line_calls(&app, "POST", "/oauth2/v2.1/verify").await,
        verified,
        "refused before LINE is asked"
    );
    assert_eq!(
        binding_attempts::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        1,
        "nothing is recorded for the replay"
    );
    // On its own journey the same token is a double tap: the shopper's binding again.
    let again: serde_json::Value = post_bind(&app, bind_body(&first))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["outcome"], "already_bound_here");
}

// ---- Binds are limited per client address and per journey, before LINE is asked ----

/// An app whose bind limits allow `per_address` and `per_journey` binds, then one an hour.
async fn app_with_bind_limits(per_address: u32, per_journey: u32) -> TestApp {
    let limit = |burst| RateLimit {
        burst,
        refill: std::time::Duration::from_secs(3600),
        max_addresses: 100,
    };
    let options = BuildOptions {
        liff_bind_limits: LiffBindLimits {
            per_address: limit(per_address),
            per_journey: limit(per_journey),
        },
        ..BuildOptions::default()
    };
    let app = spawn_app_with_options(|_| {}, options).await;
    line_verifies(&app, claims("U-verified", LOGIN_CHANNEL_ID, None)).await;
    // Not a friend: every bind reaches LINE and binds nothing, so each one counts.
    friendship(&app, false).await;
    app
}

#[tokio::test]
async fn binds_beyond_the_per_address_limit_get_429_without_asking_line() {
    let app = app_with_bind_limits(2, 100).await;
    let store = app.seed_store("TP001", None).await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let journey = app.seed_journey(store, Duration::hours(72)).await;
        statuses.push(post_bind(&app, bind_body(&journey)).await);
    }

    let refused = statuses.pop().unwrap();
    assert!(statuses.iter().all(|r| r.status() == 409), "not a friend");
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["retry-after"], "3600");
    let json: serde_json::Value = refused.json().await.unwrap();
    assert!(
        json["message"].as_str().unwrap().contains("60 分鐘"),
        "{json}"
    );
    assert_eq!(line_calls(&app, "POST", "/oauth2/v2.1/verify").await, 2);
}

#[tokio::test]
async fn binds_beyond_the_per_journey_limit_get_429_and_other_journeys_go_on() {
    let app = app_with_bind_limits(100, 2).await;
    let journey = store_and_journey(&app).await;
    for _ in 0..2 {
        assert_eq!(post_bind(&app, bind_body(&journey)).await.status(), 409);
    }

    let refused = post_bind(&app, bind_body(&journey)).await;

    assert_eq!(refused.status(), 429);
    assert_eq!(line_calls(&app, "POST", "/oauth2/v2.1/verify").await, 2);
    let store = app.seed_store("TP002", None).await;
    let other = app.seed_journey(store, Duration::hours(72)).await;
    assert_eq!(post_bind(&app, bind_body(&other)).await.status(), 409);
}
