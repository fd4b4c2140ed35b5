//! The emulated LINE API (`/emulator/api`, which `LINE_API_BASE_URL` names in demo mode): the
//! endpoints the product calls, with LINE's paths, authentication, JSON shapes and refusals
//! (see LINE's OpenAPI documents). Answers are built here, by hand, because they are LINE's.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Emulator;
use super::id_token::{self, Claims};
use super::world::Sender;
use crate::services::demo;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .route("/oauth2/v2.1/verify", web::post().to(verify_id_token))
            .route("/oauth2/v2.1/verify", web::get().to(verify_access_token))
            .route("/v2/profile", web::get().to(user_profile))
            .route("/friendship/v1/status", web::get().to(friendship))
            .route("/v2/bot/message/reply", web::post().to(reply))
            .route("/v2/bot/message/push", web::post().to(push))
            .route("/v2/bot/profile/{user_id}", web::get().to(profile))
            .route("/v2/bot/info", web::get().to(bot_info))
            .route("/v2/bot/channel/webhook/test", web::post().to(webhook_test))
            .default_service(web::to(not_found)),
    );
}

fn answer(status: StatusCode, body: Value) -> HttpResponse {
    HttpResponse::build(status).json(body)
}

/// A refusal in LINE's words: its status and JSON body.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    body: Value,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LINE emulator refused: {} {}", self.status, self.body)
    }
}

impl actix_web::ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        answer(self.status, self.body.clone())
    }
}

type Answer = Result<HttpResponse, Refusal>;

/// Messaging API error: `{message, details}`.
fn api_error(status: StatusCode, message: &str) -> Refusal {
    Refusal {
        status,
        body: json!({ "message": message }),
    }
}

/// LINE Login error: `{error, error_description}`.
fn login_error(status: StatusCode, description: &str) -> Refusal {
    Refusal {
        status,
        body: json!({ "error": "invalid_request", "error_description": description }),
    }
}

async fn not_found() -> Answer {
    Err(api_error(StatusCode::NOT_FOUND, "Not found"))
}

fn bearer(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

/// The channel access token, as the Messaging API demands it.
fn require_channel_token(req: &HttpRequest, emulator: &Emulator) -> Result<(), Refusal> {
    let expected = emulator.inner.channel.channel_access_token.expose();
    match bearer(req) {
        Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => Ok(()),
        _ => Err(api_error(
            StatusCode::UNAUTHORIZED,
            "Authentication failed. Confirm that the access token in the authorization header is valid.",
        )),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// ---- LINE Login ----

#[derive(Deserialize)]
struct VerifyForm {
    id_token: Option<String>,
    client_id: Option<String>,
    nonce: Option<String>,
}

/// `POST /oauth2/v2.1/verify`: only tokens this emulator issued verify (see `id_token`).
async fn verify_id_token(emulator: web::Data<Emulator>, body: web::Bytes) -> Answer {
    let form = serde_urlencoded::from_bytes::<VerifyForm>(&body)
        .map_err(|_| login_error(StatusCode::BAD_REQUEST, "invalid request body"))?;
    let token = form
        .id_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| login_error(StatusCode::BAD_REQUEST, "id_token is required."))?;
    let client_id = form
        .client_id
        .filter(|c| !c.is_empty())
        .ok_or_else(|| login_error(StatusCode::BAD_REQUEST, "client_id is required."))?;
    let claims = id_token::verify(
        emulator.inner.channel.emulator_key.expose().as_bytes(),
        &token,
        &client_id,
        form.nonce.as_deref().filter(|n| !n.is_empty()),
        chrono::Utc::now().timestamp(),
    )
    .map_err(|refusal| login_error(StatusCode::BAD_REQUEST, refusal.description()))?;
    Ok(answer(StatusCode::OK, json!(claims)))
}

#[derive(Deserialize)]
struct AccessTokenQuery {
    access_token: Option<String>,
}

/// `GET /oauth2/v2.1/verify?access_token=…`: a token this emulator issued, still valid.
async fn verify_access_token(
    emulator: web::Data<Emulator>,
    query: web::Query<AccessTokenQuery>,
) -> Answer {
    let token = query
        .access_token
        .as_deref()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| login_error(StatusCode::BAD_REQUEST, "access_token is required."))?;
    let (_, left) = emulator
        .world()
        .access_token(token)
        .ok_or_else(|| login_error(StatusCode::BAD_REQUEST, "invalid access token"))?;
    Ok(answer(
        StatusCode::OK,
        json!({
            "scope": "profile openid chat_message.write",
            "client_id": demo::LOGIN_CHANNEL_ID,
            "expires_in": left.num_seconds(),
        }),
    ))
}

/// The user a bearer access token was issued to, as LINE Login refuses a bad one.
fn access_token_user(req: &HttpRequest, emulator: &Emulator) -> Result<String, Refusal> {
    bearer(req)
        .and_then(|token| emulator.world().access_token_user(token))
        .ok_or_else(|| login_error(StatusCode::UNAUTHORIZED, "The access token is invalid."))
}

/// `GET /v2/profile` with the user's access token: the user's own profile.
async fn user_profile(req: HttpRequest, emulator: web::Data<Emulator>) -> Answer {
    let user = emulator.world().user(&access_token_user(&req, &emulator)?);
    Ok(answer(
        StatusCode::OK,
        json!({ "userId": user.user_id, "displayName": user.display_name }),
    ))
}

/// `GET /friendship/v1/status` with the user's access token.
async fn friendship(req: HttpRequest, emulator: web::Data<Emulator>) -> Answer {
    let user_id = access_token_user(&req, &emulator)?;
    Ok(answer(
        StatusCode::OK,
        json!({ "friendFlag": emulator.world().user(&user_id).friend }),
    ))
}

/// A fresh ID token and access token for a logged-in user (the LIFF SDK stand-in asks for them).
pub(super) fn tokens_for(
    emulator: &Emulator,
    user_id: &str,
    display_name: &str,
) -> (String, String) {
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        iss: id_token::ISSUER.to_owned(),
        sub: user_id.to_owned(),
        aud: demo::LOGIN_CHANNEL_ID.to_owned(),
        exp: now + 3600,
        iat: now,
        nonce: None,
        amr: vec!["linesso".to_owned()],
        name: display_name.to_owned(),
    };
    let id_token = id_token::issue(
        emulator.inner.channel.emulator_key.expose().as_bytes(),
        &claims,
    );
    (id_token, emulator.world().issue_access_token(user_id))
}

// ---- Messaging API ----

/// Checks `messages` as LINE does (1 to 5 message objects, each with its required fields).
fn check_messages(body: &Value) -> Result<Vec<Value>, Refusal> {
    let problem = |property: String, message: &str| Refusal {
        status: StatusCode::BAD_REQUEST,
        body: json!({
            "message": "The request body has 1 error(s)",
            "details": [{ "message": message, "property": property }],
        }),
    };
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        return Err(problem("messages".into(), "must be specified"));
    };
    if messages.is_empty() || messages.len() > 5 {
        return Err(problem("messages".into(), "Size must be between 1 and 5"));
    }
    for (i, message) in messages.iter().enumerate() {
        let field = |name: &str| message.get(name).and_then(Value::as_str).unwrap_or("");
        match field("type") {
            "text" if field("text").is_empty() => {
                return Err(problem(format!("messages[{i}].text"), "must be specified"));
            }
            "text" if field("text").chars().count() > 5000 => {
                return Err(problem(
                    format!("messages[{i}].text"),
                    "Length must be between 0 and 5000",
                ));
            }
            "template" if field("altText").is_empty() => {
                return Err(problem(
                    format!("messages[{i}].altText"),
                    "must be specified",
                ));
            }
            "template" if message.get("template").is_none() => {
                return Err(problem(
                    format!("messages[{i}].template"),
                    "must be specified",
                ));
            }
            "text" | "template" | "sticker" | "image" | "video" | "audio" | "location"
            | "imagemap" | "flex" => {}
            _ => return Err(problem(format!("messages[{i}].type"), "invalid type")),
        }
    }
    Ok(messages.clone())
}

fn sent(messages: &[Value]) -> Value {
    let sent: Vec<Value> = messages
        .iter()
        .map(|_| json!({ "id": super::world::random_hex(8), "quoteToken": super::world::random_hex(16) }))
        .collect();
    json!({ "sentMessages": sent })
}

fn parse_json(body: &[u8]) -> Result<Value, Refusal> {
    serde_json::from_slice(body).map_err(|_| {
        api_error(
            StatusCode::BAD_REQUEST,
            "The request body could not be parsed as JSON",
        )
    })
}

/// `POST /v2/bot/message/reply`: a reply token works once, for the user it was issued for.
async fn reply(req: HttpRequest, emulator: web::Data<Emulator>, body: web::Bytes) -> Answer {
    require_channel_token(&req, &emulator)?;
    let body = parse_json(&body)?;
    let messages = check_messages(&body)?;
    let token = body.get("replyToken").and_then(Value::as_str).unwrap_or("");
    let Ok(user_id) = emulator.world().use_reply_token(token) else {
        return Err(api_error(StatusCode::BAD_REQUEST, "Invalid reply token"));
    };
    for message in &messages {
        emulator
            .world()
            .add_message(&user_id, Sender::Oa, message.clone());
    }
    Ok(answer(StatusCode::OK, sent(&messages)))
}

/// `POST /v2/bot/message/push` with an optional `X-Line-Retry-Key` (a UUID; a repeat is 409).
async fn push(req: HttpRequest, emulator: web::Data<Emulator>, body: web::Bytes) -> Answer {
    require_channel_token(&req, &emulator)?;
    let retry_key = match req.headers().get("x-line-retry-key") {
        None => None,
        Some(value) => match value
            .to_str()
            .ok()
            .and_then(|v| uuid::Uuid::parse_str(v).ok())
        {
            Some(key) => Some(key.hyphenated().to_string()),
            None => {
                return Err(api_error(
                    StatusCode::BAD_REQUEST,
                    "The retry key must be formatted as UUID",
                ));
            }
        },
    };
    let body = parse_json(&body)?;
    let messages = check_messages(&body)?;
    let to = body.get("to").and_then(Value::as_str).unwrap_or("");
    if emulator.world().known_user(to).is_none() {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            "The property, 'to', in the request body is invalid (line: -, column: -)",
        ));
    }
    if let Some(key) = retry_key
        && !emulator.world().accept_retry_key(&key)
    {
        let mut body = sent(&messages);
        body["message"] = json!("The retry key is already accepted");
        return Err(Refusal {
            status: StatusCode::CONFLICT,
            body,
        });
    }
    for message in &messages {
        emulator
            .world()
            .add_message(to, Sender::Oa, message.clone());
    }
    Ok(answer(StatusCode::OK, sent(&messages)))
}

/// `GET /v2/bot/profile/{userId}`: only users who are friends of the OA.
async fn profile(
    req: HttpRequest,
    emulator: web::Data<Emulator>,
    path: web::Path<String>,
) -> Answer {
    require_channel_token(&req, &emulator)?;
    match emulator.world().known_user(&path) {
        Some(user) if user.friend => Ok(answer(
            StatusCode::OK,
            json!({
                "displayName": user.display_name,
                "userId": user.user_id,
                "language": "zh-TW",
            }),
        )),
        _ => Err(api_error(StatusCode::NOT_FOUND, "Not found")),
    }
}

/// `GET /v2/bot/info`.
async fn bot_info(req: HttpRequest, emulator: web::Data<Emulator>) -> Answer {
    require_channel_token(&req, &emulator)?;
    Ok(answer(
        StatusCode::OK,
        json!({
            "userId": demo::BOT_USER_ID,
            "basicId": demo::OA_BASIC_ID,
            "displayName": demo::OA_DISPLAY_NAME,
            "chatMode": "bot",
            "markAsReadMode": "auto",
        }),
    ))
}

/// `POST /v2/bot/channel/webhook/test`: sends the console's "Verify" webhook (no events, signed)
/// and reports what came back. Only this server's own URLs are called.
async fn webhook_test(req: HttpRequest, emulator: web::Data<Emulator>, body: web::Bytes) -> Answer {
    require_channel_token(&req, &emulator)?;
    let body: Value = if body.is_empty() {
        json!({})
    } else {
        parse_json(&body)?
    };
    let endpoint = body
        .get("endpoint")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| emulator.url("/line/webhook"));
    let timestamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    if !emulator.is_own_url(&endpoint) {
        return Ok(answer(
            StatusCode::OK,
            json!({
                "success": false, "timestamp": timestamp, "statusCode": 0,
                "reason": "COULD_NOT_CONNECT",
                "detail": "the LINE emulator delivers webhooks to this server only",
            }),
        ));
    }
    let result = match emulator.deliver(&endpoint, Vec::new()).await {
        Ok(status @ 200..=299) => json!({
            "success": true, "timestamp": timestamp, "statusCode": status,
            "reason": "OK", "detail": status.to_string(),
        }),
        Ok(status) => json!({
            "success": false, "timestamp": timestamp, "statusCode": status,
            "reason": "ERROR_STATUS_CODE", "detail": format!("The webhook returned HTTP status code other than 200.({status})"),
        }),
        Err(why) => json!({
            "success": false, "timestamp": timestamp, "statusCode": 0,
            "reason": "COULD_NOT_CONNECT", "detail": why,
        }),
    };
    Ok(answer(StatusCode::OK, result))
}
