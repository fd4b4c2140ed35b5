//! Sign-in and sign-out. The sign-in form is protected against login CSRF with a double-submit
//! cookie (there is no session yet to hold a token).

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::web::{Data, Form, Query};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use chrono::{FixedOffset, Utc};
use serde::Deserialize;

use super::render;
use crate::domain::tokens::{constant_time_eq, random_token};
use crate::http::client_network;
use crate::http::error::{AppError, Message};
use crate::http::layout::Layout;
use crate::http::staff::{CsrfForm, SESSION_COOKIE, csrf_refused};
use crate::services::Context;
use crate::services::sessions::{self, LoginError};

const LOGIN_CSRF_COOKIE: &str = "sa_login_csrf";

#[derive(Template)]
#[template(path = "admin/login.html")]
pub struct LoginPage {
    layout: Layout,
    csrf_token: String,
    next: String,
    username: String,
    error: Option<Message>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Only admin and clerk paths on this site: never an absolute or protocol-relative URL (open
/// redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if (path.starts_with("/admin") || is_clerk_path(path))
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.starts_with("/admin/login")
                && !path.starts_with("/admin/logout") =>
        {
            path.to_owned()
        }
        _ => "/admin".to_owned(),
    }
}

/// `/clerk`, `/clerk/…` or `/clerk?…`: a member card scanned with the phone's camera app sends a
/// signed-out clerk to the sign-in page and then on to the member.
fn is_clerk_path(path: &str) -> bool {
    path.strip_prefix("/clerk")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'))
}

fn cookie(ctx: &Context, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(ctx.settings.cookies_secure())
        .finish()
}

fn removal(ctx: &Context, name: &'static str) -> Cookie<'static> {
    let mut gone = cookie(ctx, name, String::new());
    gone.make_removal();
    gone
}

pub async fn login_page(
    ctx: Data<Context>,
    req: HttpRequest,
    query: Query<LoginQuery>,
) -> Result<HttpResponse, AppError> {
    let token = req
        .cookie(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|t| t.len() >= 32)
        .unwrap_or_else(|| random_token(32));
    let page = LoginPage {
        layout: Layout::public(&ctx),
        csrf_token: token.clone(),
        next: safe_next(query.next.as_deref()),
        username: String::new(),
        error: None,
    };
    let mut response = render(&page)?;
    response
        .add_cookie(&cookie(&ctx, LOGIN_CSRF_COOKIE, token))
        .map_err(|err| AppError::Unexpected(err.into()))?;
    Ok(response)
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    ctx: Data<Context>,
    req: HttpRequest,
    form: Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let expected = req.cookie(LOGIN_CSRF_COOKIE).map(|c| c.value().to_owned());
    if !expected.is_some_and(|t| !t.is_empty() && constant_time_eq(&t, &form.csrf_token)) {
        return Err(csrf_refused());
    }
    let ip = client_network(&req);
    match sessions::login(&ctx.db, &ctx.passwords, &form.username, &form.password, &ip).await {
        Ok(signed_in) => {
            let mut response = HttpResponse::SeeOther()
                .insert_header((header::LOCATION, safe_next(Some(&form.next))))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish();
            let session = cookie(&ctx, SESSION_COOKIE, signed_in.token);
            response
                .add_cookie(&session)
                .and_then(|()| response.add_cookie(&removal(&ctx, LOGIN_CSRF_COOKIE)))
                .map_err(|err| AppError::Unexpected(err.into()))?;
            Ok(response)
        }
        Err(LoginError::BadCredentials) => render(&LoginPage {
            layout: Layout::public(&ctx),
            csrf_token: form.csrf_token.clone(),
            next: safe_next(Some(&form.next)),
            username: form.username.trim().to_owned(),
            // The same words whether the account exists or not.
            error: Some(Message::new(
                "帳號或密碼錯誤。",
                "Wrong username or password.",
            )),
        }),
        Err(LoginError::Throttled { until }) => {
            let wait = (until - Utc::now()).num_seconds().max(1) as u64;
            let minutes = wait.div_ceil(60);
            let taipei = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
            let at = until.with_timezone(&taipei).format("%H:%M");
            Err(AppError::TooManyRequests {
                message: Message::new(
                    format!("登入失敗次數過多，請在 {minutes} 分鐘後（{at} 之後）再試。"),
                    format!(
                        "Too many failed sign-ins. Try again in {minutes} minute(s), after {at} (Taiwan time)."
                    ),
                ),
                retry_after_secs: wait,
            })
        }
        Err(LoginError::Hashing(err)) => Err(err.into()),
        Err(LoginError::Database(err)) => Err(err.into()),
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn logout(
    ctx: Data<Context>,
    req: HttpRequest,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    if let Some(token) = req.cookie(SESSION_COOKIE) {
        sessions::logout(&ctx.db, token.value()).await?;
    }
    let mut response = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin/login"))
        .finish();
    response
        .add_cookie(&removal(&ctx, SESSION_COOKIE))
        .map_err(|err| AppError::Unexpected(err.into()))?;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_admin_pages() {
        assert_eq!(safe_next(Some("/admin/stores/3")), "/admin/stores/3");
        assert_eq!(safe_next(Some("//evil.example/admin")), "/admin");
        assert_eq!(safe_next(Some("https://evil.example")), "/admin");
        assert_eq!(safe_next(Some("/admin\\..\\x")), "/admin");
        assert_eq!(safe_next(Some("/admin/logout")), "/admin");
        assert_eq!(safe_next(None), "/admin");
        assert_eq!(
            safe_next(Some("/clerk/member?card=7-12345678")),
            "/clerk/member?card=7-12345678"
        );
        assert_eq!(safe_next(Some("/clerk")), "/clerk");
        assert_eq!(safe_next(Some("/clerkish")), "/admin");
    }
}
