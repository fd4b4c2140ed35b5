//! Who is signed in: the [`CurrentStaff`] extractor (session cookie → staff member, or a redirect
//! to the sign-in page), and [`CsrfForm`], the form extractor every admin POST uses, which refuses
//! a form without this session's CSRF token.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{Bytes, Data};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;

use crate::db::entities::enums::StaffRole;
use crate::domain::access::Scope;
use crate::domain::tokens::{constant_time_eq, token_hash};
use crate::http::error::{AppError, Message};
use crate::services::Context;
use crate::services::audit::Actor;
use crate::services::sessions::{self, SessionStaff};

/// The session cookie: a random token; the database keeps only its hash.
pub const SESSION_COOKIE: &str = "sa_session";
/// The form field (and, for raw uploads, the `X-CSRF-Token` header) carrying the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The signed-in staff member. As a handler argument it guarantees a valid session of an active
/// account; without one, people are sent to the sign-in page (303) and `/api` clients get 401.
///
/// ```ignore
/// async fn page(ctx: Data<Context>, staff: CurrentStaff) -> Result<HttpResponse, AppError> {
///     let detail = services::stores::get_store(&ctx.db, &staff.actor(), id).await?; // scope checked there
///     ...
/// }
/// ```
#[derive(Debug, Clone)]
pub struct CurrentStaff {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub role: StaffRole,
    pub store_id: Option<i32>,
    /// Put into every form as the hidden `csrf_token` field.
    pub csrf_token: String,
    session_hash: String,
}

impl CurrentStaff {
    fn new(staff: SessionStaff, session_hash: String) -> Self {
        Self {
            id: staff.staff_id,
            username: staff.username,
            display_name: staff.display_name,
            role: staff.role,
            store_id: staff.store_id,
            csrf_token: staff.csrf_token,
            session_hash,
        }
    }

    /// What this person may reach: all stores (HQ) or their own.
    pub fn scope(&self) -> Scope {
        Scope::of(self.role, self.store_id)
    }

    pub fn is_hq(&self) -> bool {
        self.scope().is_hq()
    }

    /// Who is acting, for services: the scope they check and the name the audit log records.
    pub fn actor(&self) -> Actor {
        Actor::staff(self.id, &self.username, self.scope())
    }

    /// The hash of this session's token (to keep this session when ending the others).
    pub fn session_hash(&self) -> &str {
        &self.session_hash
    }

    /// Refuses a submitted token that is not this session's (constant-time comparison).
    pub fn check_csrf(&self, submitted: &str) -> Result<(), AppError> {
        if !submitted.is_empty() && constant_time_eq(submitted, &self.csrf_token) {
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

impl FromRequest for CurrentStaff {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if let Some(staff) = req.extensions().get::<CurrentStaff>() {
                return Ok(staff.clone());
            }
            let unauthenticated = || {
                if is_api(&req) {
                    AppError::Unauthorized(Message::new(
                        "請先登入。",
                        "Sign in first: this needs a staff session.",
                    ))
                    .into()
                } else {
                    to_login(&req)
                }
            };
            let Some(token) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
                return Err(unauthenticated());
            };
            let ctx = req.app_data::<Data<Context>>().ok_or_else(|| {
                AppError::Unexpected(anyhow::anyhow!("Context is not registered"))
            })?;
            let Some(staff) = sessions::authenticate(&ctx.db, &token)
                .await
                .map_err(AppError::from)?
            else {
                return Err(unauthenticated());
            };
            let staff = CurrentStaff::new(staff, token_hash(&token));
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
        let staff = CurrentStaff::from_request(req, payload);
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
