//! The member card: `/me` in LIFF (against a fake LINE Login), `/me/{link}` from the OA chat
//! (會員卡 or the card postback), expired and tampered links, the code refresh `/clerk` accepts,
//! the member's own valid purchases, and an erased member's link.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use store_assistant::db::entities::enums::StaffRole;
use store_assistant::db::entities::members;
use store_assistant::domain::amount::Ntd;
use store_assistant::domain::member_card;
use store_assistant::domain::signed_link::{self, MemberCardLink};
use store_assistant::services::audit::Actor;
use store_assistant::services::orders::in_store::{self, NewPurchase};
use store_assistant::services::{members::personal_data, sales_settings};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::{LOGIN_CHANNEL_ID, TestApp, spawn_app};
use crate::member_fixtures::{clerk, line_member, phone_member, set_bound_at};

const MEMBER_LINE_ID: &str = "U4af4980629a0c8d3e5f7d6e1b2c3d4e5";
const OTHER_LINE_ID: &str = "U0000000000000000000000000000beef";

/// A store in 北區 with a clerk, and 王小明 bound to it through that clerk's card (LINE).
struct Shop {
    app: TestApp,
    store: i32,
    member: i32,
}

async fn shop() -> Shop {
    let app = spawn_app().await;
    let store = app.create_store("A01", "台北信義店", Some("北區")).await;
    let clerk = clerk(&app, store).await;
    let member = line_member(&app, store, Some(clerk), MEMBER_LINE_ID, "王小明").await;
    set_bound_at(&app, member, Utc::now() - Duration::days(1)).await;
    Shop { app, store, member }
}

fn secret(app: &TestApp) -> Vec<u8> {
    app.ctx.settings.secret_key.expose().as_bytes().to_vec()
}

fn card_link(app: &TestApp, member_id: i32, expires_at: i64) -> String {
    signed_link::sign(
        &secret(app),
        &MemberCardLink {
            member_id,
            expires_at,
        },
    )
}

fn fresh_link(app: &TestApp, member_id: i32) -> String {
    card_link(
        app,
        member_id,
        (Utc::now() + Duration::hours(1)).timestamp(),
    )
}

async fn text(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The digits shown under the QR code.
fn shown_code(page: &str) -> String {
    let marker = "id=\"card-code\">";
    let start = page.find(marker).expect("the card shows a code") + marker.len();
    page[start..].split('<').next().unwrap().trim().to_owned()
}

// ---- The OA chat ----

async fn reply_ok(app: &TestApp) {
    Mock::given(method("POST"))
        .and(path("/v2/bot/message/reply"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"sentMessages": []})))
        .mount(&app.line_api)
        .await;
}

async fn send_event(app: &TestApp, event: Value) {
    let body = json!({"destination": "Ubot", "events": [event]});
    assert_eq!(app.post_webhook(body.to_string()).await.status(), 200);
}

fn event_from(user: &str, event_id: &str, kind: Value) -> Value {
    let mut event = json!({
        "mode": "active", "timestamp": 1_700_000_000_000_i64,
        "webhookEventId": event_id, "deliveryContext": {"isRedelivery": false},
        "replyToken": format!("rt-{event_id}"),
        "source": {"type": "user", "userId": user},
    });
    for (key, value) in kind.as_object().unwrap() {
        event[key] = value.clone();
    }
    event
}

fn text_message(user: &str, event_id: &str, text: &str) -> Value {
    event_from(
        user,
        event_id,
        json!({"type": "message", "message": {"type": "text", "id": "1", "quoteToken": "q", "text": text}}),
    )
}

/// The reply the OA sent with `rt-{event_id}`.
async fn reply_to(app: &TestApp, event_id: &str) -> Value {
    let token = format!("rt-{event_id}");
    for _ in 0..300 {
        let requests = app.line_api.received_requests().await.unwrap_or_default();
        if let Some(reply) = requests
            .iter()
            .filter(|r| r.url.path() == "/v2/bot/message/reply")
            .map(|r| r.body_json::<Value>().unwrap())
            .find(|body| body["replyToken"] == token.as_str())
        {
            return reply;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the OA never replied to {event_id}");
}

#[tokio::test]
async fn a_member_who_types_the_card_word_gets_a_button_to_the_card() {
    let s = shop().await;
    reply_ok(&s.app).await;
    send_event(&s.app, text_message(MEMBER_LINE_ID, "01HCARD", " 會員卡 ")).await;
    let reply = reply_to(&s.app, "01HCARD").await;
    let uri = reply["messages"][0]["template"]["actions"][0]["uri"]
        .as_str()
        .expect("a button with a link")
        .to_owned();
    assert!(uri.starts_with(&s.app.url("/me/")), "{uri}");

    let response = s.app.client.get(&uri).send().await.unwrap();
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    let (status, page) = text(response).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<html lang=\"zh-TW\">"));
    assert!(page.contains("王小明"));
    assert!(page.contains("北區｜台北信義店"));
    assert!(
        page.contains("id=\"bound-clerk\""),
        "the clerk who helped: {page}"
    );
    assert!(page.contains("<svg"), "the QR code is drawn in the page");
    assert!(page.contains("id=\"no-purchases\""), "the empty state");
    assert!(page.contains("/assets/me.js?v="));
    let code = shown_code(&page);
    let now = Utc::now().timestamp();
    assert_eq!(
        member_card::verify(&secret(&s.app), &code, now),
        Ok(s.member)
    );
}

#[tokio::test]
async fn the_card_postback_gets_the_card_and_someone_not_a_member_hears_how_to_join() {
    let s = shop().await;
    reply_ok(&s.app).await;
    let postback = json!({"type": "postback", "postback": {"data": "action=member_card"}});
    send_event(
        &s.app,
        event_from(MEMBER_LINE_ID, "01HPOSTBACK", postback.clone()),
    )
    .await;
    let reply = reply_to(&s.app, "01HPOSTBACK").await;
    let uri = reply["messages"][0]["template"]["actions"][0]["uri"]
        .as_str()
        .unwrap();
    assert_eq!(s.app.client.get(uri).send().await.unwrap().status(), 200);

    send_event(&s.app, event_from(OTHER_LINE_ID, "01HSTRANGER", postback)).await;
    let reply = reply_to(&s.app, "01HSTRANGER").await;
    assert_eq!(reply["messages"][0]["type"], "text");
    let words = reply["messages"][0]["text"].as_str().unwrap();
    assert!(words.contains("您還不是會員"), "{words}");
    assert!(words.contains("掃描"), "{words}");
}

// ---- The LIFF page ----

fn id_token(sub: &str) -> String {
    format!(
        "eyJhbGciOiJIUzI1NiJ9.{}.signature",
        URL_SAFE_NO_PAD.encode(json!({"sub": sub}).to_string())
    )
}

/// LINE vouches for `user`'s ID token and access token `user-access-token`.
async fn line_vouches_for(app: &TestApp, user: &str) {
    let exp = Utc::now().timestamp() + 3600;
    Mock::given(method("POST"))
        .and(path("/oauth2/v2.1/verify"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "iss": "https://access.line.me", "sub": user, "aud": LOGIN_CHANNEL_ID,
            "exp": exp, "iat": exp - 3600, "name": "小明"
        })))
        .mount(&app.line_api)
        .await;
    Mock::given(method("GET"))
        .and(path("/oauth2/v2.1/verify"))
        .and(query_param("access_token", "user-access-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "scope": "profile openid", "client_id": LOGIN_CHANNEL_ID, "expires_in": 2_591_659
        })))
        .mount(&app.line_api)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/profile"))
        .and(header("authorization", "Bearer user-access-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "userId": user, "displayName": "小明"
        })))
        .mount(&app.line_api)
        .await;
}

async fn open_in_liff(app: &TestApp, body: Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/api/me/open"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_liff_page_opens_the_card_of_the_line_user_line_vouches_for() {
    let s = shop().await;
    for page_path in ["/me", "/liff/me"] {
        let (status, page) = text(s.app.get(page_path).await).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains(crate::helpers::LIFF_ID));
        assert!(page.contains("/assets/me-liff.js?v="));
        assert!(
            page.contains("您還不是會員"),
            "the not-a-member state is in the page"
        );
    }

    line_vouches_for(&s.app, MEMBER_LINE_ID).await;
    let (status, body) = open_in_liff(
        &s.app,
        json!({"id_token": id_token(MEMBER_LINE_ID), "access_token": "user-access-token"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let card_path = body["card_path"].as_str().unwrap();
    assert!(card_path.starts_with("/me/"), "{card_path}");
    let (status, page) = text(s.app.get(card_path).await).await;
    assert_eq!(status, 200);
    assert!(page.contains("王小明"));

    // Without the access token LINE cannot say whose login it is.
    let (status, body) = open_in_liff(&s.app, json!({"id_token": id_token(MEMBER_LINE_ID)})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("access_token_missing"))
    );
}

#[tokio::test]
async fn a_line_user_who_is_not_a_member_is_told_how_to_join() {
    let s = shop().await;
    line_vouches_for(&s.app, OTHER_LINE_ID).await;
    let (status, body) = open_in_liff(
        &s.app,
        json!({"id_token": id_token(OTHER_LINE_ID), "access_token": "user-access-token"}),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"], "not_member");
    assert!(body["message"].as_str().unwrap().contains("掃描"));
    assert!(body.get("card_path").is_none());
}

#[tokio::test]
async fn an_id_token_with_someone_elses_access_token_opens_nothing() {
    let s = shop().await;
    // LINE says the access token is the stranger's, the ID token the member's.
    line_vouches_for(&s.app, OTHER_LINE_ID).await;
    Mock::given(method("POST"))
        .and(path("/oauth2/v2.1/verify"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "iss": "https://access.line.me", "sub": MEMBER_LINE_ID, "aud": LOGIN_CHANNEL_ID,
            "exp": Utc::now().timestamp() + 3600, "iat": Utc::now().timestamp()
        })))
        .with_priority(1)
        .mount(&s.app.line_api)
        .await;
    let (status, body) = open_in_liff(
        &s.app,
        json!({"id_token": id_token(MEMBER_LINE_ID), "access_token": "user-access-token"}),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert!(body.get("card_path").is_none());
}

// ---- The link ----

#[tokio::test]
async fn expired_and_tampered_links_say_how_to_get_a_new_one() {
    let s = shop().await;
    let expired = card_link(&s.app, s.member, Utc::now().timestamp() - 1);
    let (status, page) = text(s.app.get(&format!("/me/{expired}")).await).await;
    assert_eq!(status, 410);
    assert!(page.contains("已過期") && page.contains("會員卡"), "{page}");
    assert!(!page.contains("王小明"));

    // Another member's id under this member's signature.
    let link = fresh_link(&s.app, s.member);
    let (_, tag) = link.split_once('.').unwrap();
    let payload = URL_SAFE_NO_PAD
        .encode(json!({"m": s.member + 1, "e": Utc::now().timestamp() + 3600}).to_string());
    for tampered in [format!("{payload}.{tag}"), "garbage".to_owned()] {
        let (status, page) = text(s.app.get(&format!("/me/{tampered}")).await).await;
        assert_eq!(status, 400, "{tampered}");
        assert!(page.contains("連結無效"), "{page}");
        let response = s.app.get(&format!("/api/me/{tampered}/code")).await;
        assert_eq!(response.status().as_u16(), 400);
    }
    let response = s.app.get(&format!("/api/me/{expired}/code")).await;
    assert_eq!(response.status().as_u16(), 410);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "link_expired");
}

#[tokio::test]
async fn the_refreshed_code_finds_the_member_at_the_clerks_desk() {
    let s = shop().await;
    let link = fresh_link(&s.app, s.member);
    let response = s.app.get(&format!("/api/me/{link}/code")).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    let code = body["code"].as_str().unwrap();
    let expires_in = body["expires_in_secs"].as_i64().unwrap();
    assert!((1..=300).contains(&expires_in), "{body}");
    assert!(body["qr_svg"].as_str().unwrap().starts_with("<svg"));

    let desk = s.app.store_staff(s.store).await;
    let (status, page) = text(desk.get(&format!("/clerk/member?card={code}")).await).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("王小明"));
}

#[tokio::test]
async fn the_card_lists_only_the_members_own_valid_purchases() {
    let s = shop().await;
    let other = phone_member(&s.app, s.store, None, "+886987654321", None).await;
    set_bound_at(&s.app, other, Utc::now() - Duration::days(1)).await;
    let (hq_id, _) = s.app.create_account(StaffRole::Hq, None).await;
    let hq = s.app.api_token(hq_id, "網店同步").await;
    let online = |id: &str, amount: i64, member: Value, hours_ago: i64| {
        json!({
            "source": "cyberbiz", "external_id": id, "amount": amount,
            "ordered_at": (Utc::now() - Duration::hours(hours_ago)).to_rfc3339(),
            "member": member
        })
    };
    for order in [
        online("WEB-1", 1200, json!({"line_user_id": MEMBER_LINE_ID}), 5),
        online("WEB-OTHER", 777, json!({"phone": "0987654321"}), 4),
    ] {
        let (status, body) = hq.call("POST", "/orders", Some(order)).await;
        assert_eq!(status, 201, "{body}");
    }
    sales_settings::set_purchase_entry(&s.app.db, &Actor::cli(), s.store, true)
        .await
        .unwrap();
    let purchase = |key: &str, amount: i64| NewPurchase {
        idempotency_key: key.to_owned(),
        store_id: s.store,
        member_id: s.member,
        amount: Ntd::new(amount).unwrap(),
        receipt_no: None,
        note: None,
    };
    in_store::record_purchase(&s.app.db, &Actor::cli(), purchase("desk-purchase-1", 3456))
        .await
        .unwrap();
    let voided =
        in_store::record_purchase(&s.app.db, &Actor::cli(), purchase("desk-purchase-2", 999))
            .await
            .unwrap();
    in_store::void_purchase(&s.app.db, &Actor::cli(), voided.order.sale.id, "打錯金額")
        .await
        .unwrap();

    let link = fresh_link(&s.app, s.member);
    let (status, page) = text(s.app.get(&format!("/me/{link}")).await).await;
    assert_eq!(status, 200, "{page}");
    assert!(!page.contains("id=\"no-purchases\""));
    // Newest first: the in-store purchase (now), then the web order (5 hours ago).
    let in_store_at = page.find("NT$3,456").expect("the in-store purchase");
    let online_at = page.find("NT$1,200").expect("the web-shop order");
    assert!(in_store_at < online_at);
    assert!(page.contains("門市消費 · 北區｜台北信義店"), "{page}");
    assert!(page.contains("網路商店"));
    assert!(!page.contains("NT$777"), "another member's order");
    assert!(!page.contains("NT$999"), "a voided purchase");
}

#[tokio::test]
async fn an_erased_members_link_no_longer_opens() {
    let s = shop().await;
    let link = fresh_link(&s.app, s.member);
    assert_eq!(s.app.get(&format!("/me/{link}")).await.status(), 200);
    personal_data::erase(&s.app.db, &Actor::cli(), s.member, "會員要求刪除個資")
        .await
        .unwrap();
    let (status, page) = text(s.app.get(&format!("/me/{link}")).await).await;
    assert_eq!(status, 410, "{page}");
    assert!(!page.contains("王小明"));
    assert_eq!(
        s.app
            .get(&format!("/api/me/{link}/code"))
            .await
            .status()
            .as_u16(),
        410
    );
    // Nor does the chat find the member any more.
    let still_linked = members::Entity::find()
        .filter(members::Column::LineUserId.eq(MEMBER_LINE_ID))
        .filter(members::Column::ErasedAt.is_null())
        .one(&s.app.db)
        .await
        .unwrap();
    assert!(still_linked.is_none());
}
