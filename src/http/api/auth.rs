//! Who calls the JSON API: [`ApiStaff`] accepts either a bearer token (`Authorization: Bearer …`,
//! from `/admin/api-tokens`) or a staff session cookie. With a session, unsafe methods also need
//! the session's CSRF token in `X-CSRF-Token` (a browser sends cookies on cross-site requests; it
//! does not send a bearer token, so token calls need no CSRF token). Anything else is 401 JSON.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{Method, header};
use actix_web::web::Data;
use actix_web::{FromRequest, HttpRequest};

use crate::db::entities::enums::StaffRole;
use crate::domain::access::Scope;
use crate::http::error::{AppError, Message};
use crate::http::staff::{CSRF_HEADER, CurrentStaff};
use crate::services::Context;
use crate::services::api_tokens;
use crate::services::audit::Actor;

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Via {
    /// A staff session cookie; its CSRF token is handed out by `GET /api/v1/me`.
    Session {
        csrf_token: String,
    },
    Token {
        id: i32,
        name: String,
    },
}

/// The staff member behind an API call, by session or by token.
#[derive(Debug, Clone)]
pub struct ApiStaff {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub role: StaffRole,
    pub store_id: Option<i32>,
    pub via: Via,
}

impl ApiStaff {
    pub fn scope(&self) -> Scope {
        Scope::of(self.role, self.store_id)
    }

    /// The actor services check and the audit log names: a token call is recorded with the
    /// token's name beside the account (`amy (api:nightly import)`).
    pub fn actor(&self) -> Actor {
        let mut actor = Actor::staff(self.id, &self.username, self.scope());
        if let Via::Token { name, .. } = &self.via {
            actor.label = format!("{} (api:{name})", self.username);
        }
        actor
    }
}

fn unauthorized(zh: &str, en: &str) -> actix_web::Error {
    AppError::Unauthorized(Message::new(zh, en)).into()
}

fn csrf_refused() -> actix_web::Error {
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

impl FromRequest for ApiStaff {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if let Some(value) = req.headers().get(header::AUTHORIZATION) {
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
                let ctx = req.app_data::<Data<Context>>().ok_or_else(|| {
                    AppError::Unexpected(anyhow::anyhow!("Context is not registered"))
                })?;
                let staff = api_tokens::authenticate(&ctx.db, token)
                    .await
                    .map_err(AppError::from)?
                    .ok_or_else(|| {
                        unauthorized(
                            "這個 API 權杖無效、已撤銷，或它的帳號已停用。",
                            "This API token is unknown or revoked, or its account is deactivated.",
                        )
                    })?;
                return Ok(ApiStaff {
                    id: staff.staff_id,
                    username: staff.username,
                    display_name: staff.display_name,
                    role: staff.role,
                    store_id: staff.store_id,
                    via: Via::Token {
                        id: staff.token_id,
                        name: staff.token_name,
                    },
                });
            }
            // No token: a session cookie (401 JSON without one, as for every `/api` path).
            let staff = CurrentStaff::from_request(&req, &mut Payload::None).await?;
            if !is_safe(req.method()) {
                let submitted = req
                    .headers()
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                staff.check_csrf(submitted).map_err(|_| csrf_refused())?;
            }
            Ok(ApiStaff {
                id: staff.id,
                username: staff.username,
                display_name: staff.display_name,
                role: staff.role,
                store_id: staff.store_id,
                via: Via::Session {
                    csrf_token: staff.csrf_token,
                },
            })
        })
    }
}
