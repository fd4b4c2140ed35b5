//! Who is signed in: the one [`Staff`] extractor (a session cookie, or on `/api` paths also a
//! bearer token), and [`CsrfForm`], the form extractor every admin POST uses, which refuses a form
//! without this session's CSRF token.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{Method, header};
use actix_web::web::{Bytes, Data};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;

use crate::db::entities::enums::StaffRole;
use crate::domain::access::Scope;
use crate::domain::tokens::{constant_time_eq, token_hash};
use crate::http::error::{AppError, Message};
use crate::services::Context;
use crate::services::api_tokens;
use crate::services::audit::Actor;
use crate::services::sessions::{self, SessionStaff};

/// The session cookie: a random token; the database keeps only its hash.
pub const SESSION_COOKIE: &str = "sa_session";
/// The form field (and, for raw uploads, the `X-CSRF-Token` header) carrying the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The staff member behind a request. As a handler argument it guarantees an active account
/// signed in by one of two means:
/// - admin pages: a session cookie only; without one, people are sent to the sign-in page (303);
/// - `/api` paths: a bearer token (`Authorization: Bearer …`, from `/admin/api-tokens`) or a
///   session cookie; with a session, unsafe methods also need the session's CSRF token in
///   `X-CSRF-Token` (a browser sends cookies on cross-site requests, never a bearer token).
///   Anything else is 401 JSON.
///
/// ```ignore
/// async fn page(ctx: Data<Context>, staff: Staff) -> Result<HttpResponse, AppError> {
///     let detail = services::stores::get_store(&ctx.db, &staff.actor(), id).await?; // scope checked there
///     ...
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Staff {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub role: StaffRole,
    pub store_id: Option<i32>,
    pub via: Via,
}

/// How the staff member proved who they are.
#[derive(Debug, Clone)]
pub enum Via {
    /// A session cookie. The CSRF token goes into every form (and `GET /api/v1/me` hands it out);
    /// the session's hash keeps this session when the others are ended.
    Session {
        csrf_token: String,
        session_hash: String,
    },
    /// An API token, named in the audit log beside the account.
    Token { id: i32, name: String },
}

impl Staff {
    fn by_session(staff: SessionStaff, session_hash: String) -> Self {
        Self {
            id: staff.staff_id,
            username: staff.username,
            display_name: staff.display_name,
            role: staff.role,
            store_id: staff.store_id,
            via: Via::Session {
                csrf_token: staff.csrf_token,
                session_hash,
            },
        }
    }

    /// What this person may reach: all stores (HQ) or their own.
    pub fn scope(&self) -> Scope {
        Scope::of(self.role, self.store_id)
    }

    pub fn is_hq(&self) -> bool {
        self.scope().is_hq()
    }

    /// Who is acting, for services: the scope they check and the name the audit log records (a
    /// token call as `amy (api:nightly import)`).
    pub fn actor(&self) -> Actor {
        let mut actor = Actor::staff(self.id, &self.username, self.scope());
        if let Via::Token { name, .. } = &self.via {
            actor.label = format!("{} (api:{name})", self.username);
        }
        actor
    }

    /// This session's CSRF token (empty for a token call, which has no forms).
    pub fn csrf_token(&self) -> &str {
        match &self.via {
            Via::Session { csrf_token, .. } => csrf_token,
            Via::Token { .. } => "",
        }
    }

    /// The hash of this session's token (to keep this session when ending the others).
    pub fn session_hash(&self) -> Option<&str> {
        match &self.via {
            Via::Session { session_hash, .. } => Some(session_hash),
            Via::Token { .. } => None,
        }
    }

    /// Refuses a submitted token that is not this session's (constant-time comparison).
    pub fn check_csrf(&self, submitted: &str) -> Result<(), AppError> {
        let expected = self.csrf_token();
        if !submitted.is_empty() && !expected.is_empty() && constant_time_eq(submitted, expected) {
            Ok(())
        } else {
            Err(csrf_refused())
        }
    }
}

pub fn csrf_refused() -> AppError {
    AppError::Refused(Message::new(
        "這個表單已失效或不是從本系統送出的（CSRF 檢查未通過）。請回到上一頁重新整理後再送出。",
        "This form has expired or did not come from this site (CSRF check failed). Go back, reload the page and submit again.",
    ))
}

fn is_api(req: &HttpRequest) -> bool {
    let path = req.path();
    path == "/api" || path.starts_with("/api/")
}

/// 303 to the sign-in page, remembering where the person was going (GET pages only).
fn to_login(req: &HttpRequest) -> actix_web::Error {
    let next = if req.method() == actix_web::http::Method::GET {
        let mut url = url::Url::parse("http://x/admin/login").expect("static URL");
        let target = match req.query_string() {
            "" => req.path().to_owned(),
            query => format!("{}?{query}", req.path()),
        };
        url.query_pairs_mut().append_pair("next", &target);
        format!("/admin/login?{}", url.query().unwrap_or_default())
    } else {
        "/admin/login".to_owned()
    };
    let response = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish();
    actix_web::error::InternalError::from_response("sign-in required", response).into()
}

fn unauthorized(zh: &str, en: &str) -> actix_web::Error {
    AppError::Unauthorized(Message::new(zh, en)).into()
}

fn api_csrf_refused() -> actix_web::Error {
    AppError::Refused(Message::new(
        "CSRF 檢查未通過：以登入工作階段呼叫 API 變更資料時，請在 X-CSRF-Token 標頭帶上 GET /api/v1/me 取得的 csrf_token；腳本請改用 API 權杖。",
        "CSRF check failed: with a session cookie, send the csrf_token from GET /api/v1/me in the X-CSRF-Token header; scripts should use an API token.",
    ))
    .into()
}

/// Methods that change nothing; every other method needs the CSRF header with a session.
fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn context(req: &HttpRequest) -> Result<&Data<Context>, AppError> {
    req.app_data::<Data<Context>>()
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("Context is not registered")))
}

/// An `/api` call's bearer token, if it sent one: the staff member it acts for, or 401.
async fn by_token(req: &HttpRequest) -> Result<Option<Staff>, actix_web::Error> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            unauthorized(
                "Authorization 標頭格式應為「Bearer 權杖」。",
                "The Authorization header must be \"Bearer TOKEN\".",
            )
        })?;
    let staff = api_tokens::authenticate(&context(req)?.db, token)
        .await
        .map_err(AppError::from)?
        .ok_or_else(|| {
            unauthorized(
                "這個 API 權杖無效、已撤銷，或它的帳號已停用。",
                "This API token is unknown or revoked, or its account is deactivated.",
            )
        })?;
    Ok(Some(Staff {
        id: staff.staff_id,
        username: staff.username,
        display_name: staff.display_name,
        role: staff.role,
        store_id: staff.store_id,
        via: Via::Token {
            id: staff.token_id,
            name: staff.token_name,
        },
    }))
}

/// The session cookie's staff member, or 401 (`/api`) / the sign-in page (admin pages).
async fn by_session(req: &HttpRequest) -> Result<Staff, actix_web::Error> {
    let unauthenticated = || {
        if is_api(req) {
            unauthorized("請先登入。", "Sign in first: this needs a staff session.")
        } else {
            to_login(req)
        }
    };
    let Some(token) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
        return Err(unauthenticated());
    };
    let Some(staff) = sessions::authenticate(&context(req)?.db, &token)
        .await
        .map_err(AppError::from)?
    else {
        return Err(unauthenticated());
    };
    Ok(Staff::by_session(staff, token_hash(&token)))
}

impl FromRequest for Staff {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if let Some(staff) = req.extensions().get::<Staff>() {
                return Ok(staff.clone());
            }
            let api = is_api(&req);
            let staff = match api.then(|| by_token(&req)) {
                Some(token) => match token.await? {
                    Some(staff) => staff,
                    None => by_session(&req).await?,
                },
                None => by_session(&req).await?,
            };
            if api && matches!(staff.via, Via::Session { .. }) && !is_safe(req.method()) {
                let submitted = req
                    .headers()
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                staff
                    .check_csrf(submitted)
                    .map_err(|_| api_csrf_refused())?;
            }
            req.extensions_mut().insert(staff.clone());
            Ok(staff)
        })
    }
}

/// A url-encoded form from a signed-in staff member whose `csrf_token` field matches the session.
/// Use it for every admin POST; the inner type does not need a `csrf_token` field.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let staff = Staff::from_request(req, payload);
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            let staff = staff.await?;
            let body = body.await?;
            let submitted = url::form_urlencoded::parse(&body)
                .find(|(key, _)| key == CSRF_FIELD)
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default();
            staff.check_csrf(&submitted)?;
            let form = serde_urlencoded::from_bytes::<T>(&body).map_err(|err| {
                AppError::bad_request(
                    format!("送出的資料格式不正確：{err}"),
                    format!("The submitted data is not in the expected format: {err}"),
                )
            })?;
            Ok(CsrfForm(form))
        })
    }
}
