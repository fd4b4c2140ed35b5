//! The shopper's side of the emulated LINE: the phone frame, the LINE app screens (the OA's
//! profile with its add-friend button, the OA chat), LINE Login's consent screen, the LIFF URL
//! launcher, the stand-in LIFF SDK and the SMS inbox. Which emulated LINE user is "this phone"
//! is a cookie (`emu_line_user`, the user id); a new one is made on the first visit.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use serde_json::{Value, json};

use super::world::{self, LineUser, Sender};
use super::{Emulator, PREFIX, api};
use crate::domain::taipei_time;
use crate::http::error::AppError;
use crate::http::layout::Layout;
use crate::http::render;
use crate::services::demo;

const USER_COOKIE: &str = "emu_line_user";
const SDK: &str = include_str!("liff-sdk.js");

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(home))
        .route("/", web::get().to(home))
        .route("/phone", web::get().to(phone))
        .route("/phone/new-user", web::post().to(new_user))
        .route("/liff-sdk.js", web::get().to(sdk))
        .route("/liff/session", web::get().to(liff_session))
        .route("/liff/login", web::get().to(login_page))
        .route("/liff/login", web::post().to(login))
        .route("/liff/logout", web::post().to(logout))
        .route("/liff/{liff_id}", web::get().to(liff_launcher))
        .route("/line/R/ti/p/{basic_id}", web::get().to(oa_profile))
        .route("/line/R/oaMessage/{basic_id}/", web::get().to(oa_message))
        .route("/line/friend", web::post().to(add_friend))
        .route("/chat", web::get().to(chat))
        .route("/chat/count", web::get().to(chat_count))
        .route("/chat/send", web::post().to(send))
        .route("/sms", web::get().to(sms));
}

/// This phone's LINE user, and the cookie to set when it was just made.
fn current_user(req: &HttpRequest, emulator: &Emulator) -> (LineUser, Option<Cookie<'static>>) {
    if let Some(cookie) = req.cookie(USER_COOKIE)
        && world::is_user_id(cookie.value())
    {
        return (emulator.world().user(cookie.value()), None);
    }
    let user = emulator.world().user(&world::new_user_id());
    (user.clone(), Some(user_cookie(&user.user_id)))
}

fn user_cookie(user_id: &str) -> Cookie<'static> {
    Cookie::build(USER_COOKIE, user_id.to_owned())
        .path(PREFIX)
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish()
}

fn with_cookie(mut response: HttpResponse, cookie: Option<Cookie<'static>>) -> HttpResponse {
    if let Some(cookie) = cookie {
        let _ = response.add_cookie(&cookie);
    }
    response
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}

/// Only places on this server: an absolute URL on it, or a path. Browsers drop tabs and line
/// breaks from URLs (`/\t/evil.example` becomes `//evil.example`), so control characters are refused.
fn own_target(emulator: &Emulator, target: &str) -> Option<String> {
    if target.chars().any(char::is_control) {
        return None;
    }
    let is_path = target.starts_with('/') && !target.starts_with("//") && !target.contains('\\');
    (is_path || emulator.is_own_url(target)).then(|| target.to_owned())
}

fn unknown(what_zh: &str, what_en: &str) -> AppError {
    AppError::not_found(
        format!("LINE 模擬器找不到{what_zh}。"),
        format!("The LINE emulator does not know this {what_en}."),
    )
}

async fn home() -> HttpResponse {
    see_other(&format!("{PREFIX}/phone"))
}

// ---- The phone frame ----

#[derive(Template)]
#[template(path = "emulator/phone.html")]
struct PhonePage {
    layout: Layout,
    user: LineUser,
    screen: String,
    oa_profile: String,
}

#[derive(Deserialize)]
struct PhoneQuery {
    open: Option<String>,
}

async fn phone(
    req: HttpRequest,
    emulator: web::Data<Emulator>,
    query: web::Query<PhoneQuery>,
) -> Result<HttpResponse, AppError> {
    let (user, cookie) = current_user(&req, &emulator);
    let screen = query
        .open
        .as_deref()
        .and_then(|target| own_target(&emulator, target))
        .unwrap_or_else(|| format!("{PREFIX}/chat"));
    let page = render(&PhonePage {
        layout: Layout::demo(),
        user,
        screen,
        oa_profile: oa_profile_path(),
    })?;
    Ok(with_cookie(page, cookie))
}

fn oa_profile_path() -> String {
    format!("{PREFIX}/line/R/ti/p/%40{}", &demo::OA_BASIC_ID[1..])
}

/// A different shopper on the same phone: a new LINE user, not a friend, not logged in.
async fn new_user() -> HttpResponse {
    let mut response = see_other(&format!("{PREFIX}/phone"));
    let _ = response.add_cookie(&user_cookie(&world::new_user_id()));
    response
}

// ---- LIFF ----

async fn sdk() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(SDK)
}

#[derive(Deserialize)]
struct LiffQuery {
    liff_id: Option<String>,
    redirect_uri: Option<String>,
}

/// What `liff.init` learns: logged in or not, and then fresh tokens and the profile.
async fn liff_session(
    req: HttpRequest,
    emulator: web::Data<Emulator>,
    query: web::Query<LiffQuery>,
) -> HttpResponse {
    if query.liff_id.as_deref() != Some(demo::LIFF_ID) {
        return HttpResponse::BadRequest()
            .json(json!({ "error": "INIT_FAILED", "message": "liffId is not valid" }));
    }
    let (user, cookie) = current_user(&req, &emulator);
    let body = if user.logged_in {
        let (id_token, access_token) =
            api::tokens_for(&emulator, &user.user_id, &user.display_name);
        json!({
            "loggedIn": true,
            "idToken": id_token,
            "accessToken": access_token,
            "profile": { "userId": user.user_id, "displayName": user.display_name },
        })
    } else {
        json!({ "loggedIn": false })
    };
    with_cookie(HttpResponse::Ok().json(body), cookie)
}

#[derive(Template)]
#[template(path = "emulator/login.html")]
struct LoginPage {
    user: LineUser,
    oa_name: &'static str,
    liff_id: String,
    redirect_uri: String,
}

/// LINE Login's consent screen for the LIFF app, with the channel's "add friend" option.
async fn login_page(
    req: HttpRequest,
    emulator: web::Data<Emulator>,
    query: web::Query<LiffQuery>,
) -> Result<HttpResponse, AppError> {
    if query.liff_id.as_deref() != Some(demo::LIFF_ID) {
        return Err(unknown("這個 LIFF 應用程式", "LIFF app"));
    }
    let redirect_uri = query
        .redirect_uri
        .as_deref()
        .and_then(|uri| own_target(&emulator, uri))
        .ok_or_else(|| {
            AppError::bad_request(
                "登入後要回到的網址不在本伺服器上。",
                "The redirect URI is not on this server.",
            )
        })?;
    let (user, cookie) = current_user(&req, &emulator);
    let page = render(&LoginPage {
        user,
        oa_name: demo::OA_DISPLAY_NAME,
        liff_id: demo::LIFF_ID.to_owned(),
        redirect_uri,
    })?;
    Ok(with_cookie(page, cookie))
}

#[derive(Deserialize)]
struct LoginForm {
    redirect_uri: String,
    add_friend: Option<String>,
}

async fn login(
    req: HttpRequest,
    emulator: web::Data<Emulator>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let target = own_target(&emulator, &form.redirect_uri).ok_or_else(|| {
        AppError::bad_request(
            "登入後要回到的網址不在本伺服器上。",
            "The redirect URI is not on this server.",
        )
    })?;
    let (user, cookie) = current_user(&req, &emulator);
    emulator
        .world()
        .update_user(&user.user_id, |u| u.logged_in = true);
    if form.add_friend.is_some() && !user.friend {
        befriend(&emulator, &user.user_id).await;
    }
    Ok(with_cookie(see_other(&target), cookie))
}

async fn logout(req: HttpRequest, emulator: web::Data<Emulator>) -> HttpResponse {
    let (user, cookie) = current_user(&req, &emulator);
    emulator
        .world()
        .update_user(&user.user_id, |u| u.logged_in = false);
    with_cookie(HttpResponse::NoContent().finish(), cookie)
}

/// `https://liff.line.me/{liffId}?…` opens the LIFF app's endpoint URL (`/liff`) with the query.
async fn liff_launcher(
    req: HttpRequest,
    emulator: web::Data<Emulator>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    if path.as_str() != demo::LIFF_ID {
        return Err(unknown("這個 LIFF 應用程式", "LIFF app"));
    }
    let mut target = emulator.url("/liff");
    if !req.query_string().is_empty() {
        target.push('?');
        target.push_str(req.query_string());
    }
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, target))
        .finish())
}

// ---- The LINE app: the OA's profile and its chat ----

#[derive(Template)]
#[template(path = "emulator/oa_profile.html")]
struct OaProfilePage {
    user: LineUser,
    oa_name: &'static str,
    basic_id: &'static str,
}

fn check_basic_id(text: &str) -> Result<(), AppError> {
    if text == demo::OA_BASIC_ID {
        Ok(())
    } else {
        Err(unknown("這個官方帳號", "Official Account"))
    }
}

async fn oa_profile(
    req: HttpRequest,
    emulator: web::Data<Emulator>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    check_basic_id(&path)?;
    let (user, cookie) = current_user(&req, &emulator);
    let page = render(&OaProfilePage {
        user,
        oa_name: demo::OA_DISPLAY_NAME,
        basic_id: demo::OA_BASIC_ID,
    })?;
    Ok(with_cookie(page, cookie))
}

/// `https://line.me/R/oaMessage/{basicId}/?{text}`: the chat, with the text typed in.
async fn oa_message(
    req: HttpRequest,
    emulator: web::Data<Emulator>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    check_basic_id(&path)?;
    let prefill = percent_decode_str(req.query_string())
        .decode_utf8_lossy()
        .into_owned();
    chat_page(&req, &emulator, prefill)
}

/// Adds the OA as a friend: LINE sends the OA a signed follow event.
async fn befriend(emulator: &Emulator, user_id: &str) {
    let was = emulator.world().user(user_id);
    emulator.world().update_user(user_id, |u| u.friend = true);
    if !was.friend {
        let _ = emulator
            .send_user_event(
                user_id,
                "follow",
                json!({ "follow": { "isUnblocked": false } }),
            )
            .await;
    }
}

#[derive(Deserialize)]
struct FriendForm {
    /// Where to go next (the chat by default).
    next: Option<String>,
}

async fn add_friend(
    req: HttpRequest,
    emulator: web::Data<Emulator>,
    form: web::Form<FriendForm>,
) -> HttpResponse {
    let (user, cookie) = current_user(&req, &emulator);
    befriend(&emulator, &user.user_id).await;
    let next = form
        .next
        .as_deref()
        .and_then(|n| own_target(&emulator, n))
        .unwrap_or_else(|| format!("{PREFIX}/chat"));
    with_cookie(see_other(&next), cookie)
}

/// One chat bubble.
struct Bubble {
    mine: bool,
    text: String,
    /// Buttons (label, link); links are http(s) only.
    buttons: Vec<(String, Option<String>)>,
    time: String,
}

fn bubble(message: &world::ChatMessage) -> Bubble {
    let body = &message.body;
    let str_of = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
    let (text, buttons) = match body.get("type").and_then(Value::as_str) {
        Some("text") => (str_of(body, "text"), Vec::new()),
        Some("template") => {
            let template = body.get("template").cloned().unwrap_or_default();
            let text = match str_of(&template, "text") {
                t if t.is_empty() => str_of(body, "altText"),
                t => t,
            };
            let buttons = template
                .get("actions")
                .and_then(Value::as_array)
                .map(|actions| {
                    actions
                        .iter()
                        .map(|a| {
                            let uri = str_of(a, "uri");
                            let link = (uri.starts_with("https://") || uri.starts_with("http://"))
                                .then_some(uri);
                            (str_of(a, "label"), link)
                        })
                        .collect()
                })
                .unwrap_or_default();
            (text, buttons)
        }
        Some(other) => (format!("[{other}]"), Vec::new()),
        None => (String::new(), Vec::new()),
    };
    Bubble {
        mine: message.from == Sender::User,
        text,
        buttons,
        time: taipei_time::format_minutes(message.at),
    }
}

#[derive(Template)]
#[template(path = "emulator/chat.html")]
struct ChatPage {
    user: LineUser,
    oa_name: &'static str,
    bubbles: Vec<Bubble>,
    count: usize,
    prefill: String,
    oa_profile: String,
}

fn chat_page(
    req: &HttpRequest,
    emulator: &Emulator,
    prefill: String,
) -> Result<HttpResponse, AppError> {
    let (user, cookie) = current_user(req, emulator);
    let messages = emulator.world().chat(&user.user_id);
    let page = render(&ChatPage {
        count: messages.len(),
        bubbles: messages.iter().map(bubble).collect(),
        user,
        oa_name: demo::OA_DISPLAY_NAME,
        prefill,
        oa_profile: oa_profile_path(),
    })?;
    Ok(with_cookie(page, cookie))
}

#[derive(Deserialize)]
struct ChatQuery {
    text: Option<String>,
}

async fn chat(
    req: HttpRequest,
    emulator: web::Data<Emulator>,
    query: web::Query<ChatQuery>,
) -> Result<HttpResponse, AppError> {
    chat_page(&req, &emulator, query.into_inner().text.unwrap_or_default())
}

/// How many messages the chat holds, so the open chat screen knows when the OA answered.
async fn chat_count(req: HttpRequest, emulator: web::Data<Emulator>) -> HttpResponse {
    let (user, cookie) = current_user(&req, &emulator);
    let count = emulator.world().chat(&user.user_id).len();
    with_cookie(HttpResponse::Ok().json(json!({ "count": count })), cookie)
}

#[derive(Deserialize)]
struct SendForm {
    text: String,
}

/// The shopper sends a text: it shows in the chat and LINE sends the OA a signed message event.
async fn send(
    req: HttpRequest,
    emulator: web::Data<Emulator>,
    form: web::Form<SendForm>,
) -> HttpResponse {
    let (user, cookie) = current_user(&req, &emulator);
    let text: String = form.text.trim().chars().take(5000).collect();
    if !text.is_empty() {
        emulator.world().add_message(
            &user.user_id,
            Sender::User,
            json!({ "type": "text", "text": text }),
        );
        let _ = emulator
            .send_user_event(
                &user.user_id,
                "message",
                json!({
                    "message": {
                        "id": world::random_hex(8),
                        "type": "text",
                        "quoteToken": world::random_hex(16),
                        "text": text,
                    }
                }),
            )
            .await;
    }
    with_cookie(see_other(&format!("{PREFIX}/chat")), cookie)
}

// ---- SMS ----

struct SmsView {
    to: String,
    text: String,
    time: String,
}

#[derive(Template)]
#[template(path = "emulator/sms.html")]
struct SmsPage {
    provider_is_log: bool,
    messages: Vec<SmsView>,
}

/// The texts the `log` SMS provider "sent", newest first: the demo phone's SMS inbox.
async fn sms(emulator: web::Data<Emulator>) -> Result<HttpResponse, AppError> {
    let messages = emulator
        .inner
        .outbox
        .as_ref()
        .map(|outbox| outbox.messages())
        .unwrap_or_default();
    render(&SmsPage {
        provider_is_log: emulator.inner.outbox.is_some(),
        messages: messages
            .iter()
            .rev()
            .map(|m| SmsView {
                to: m.to.national(),
                text: m.text.clone(),
                time: taipei_time::format(m.sent_at),
            })
            .collect(),
    })
}
