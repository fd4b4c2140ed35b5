//! The one place an error becomes an HTTP response.
//!
//! Services and handlers return [`AppError`]; `ResponseError` turns it into a status and a JSON
//! body (`{"error", "message", "message_en"}`) and leaves the message in the response's extensions.
//! [`html_for_browsers`] then re-renders that as a zh-TW page for every path that is not an API
//! (`/api/...`) or the LINE webhook, so people get a page and scripts get JSON from the same error.
//! Unexpected errors are logged with their cause chain and shown opaquely.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use sea_orm::DbErr;

use crate::http::layout::Layout;

mod admin;
mod line_webhook;
mod orders;
mod shopper;

pub(crate) use shopper::journey_not_found;

/// A message for a person: zh-TW first, English second.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub zh: String,
    pub en: String,
}

impl Message {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            zh: zh.into(),
            en: en.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("bad request: {}", .0.en)]
    BadRequest(Message),
    #[error("unauthorized: {}", .0.en)]
    Unauthorized(Message),
    #[error("forbidden")]
    Forbidden,
    /// 403 with a reason the person can act on (an expired form, a refused rule).
    #[error("refused: {}", .0.en)]
    Refused(Message),
    #[error("not found: {}", .0.en)]
    NotFound(Message),
    #[error("conflict: {}", .0.en)]
    Conflict(Message),
    #[error("gone: {}", .0.en)]
    Gone(Message),
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("too many requests: {}", .message.en)]
    TooManyRequests {
        message: Message,
        retry_after_secs: u64,
    },
    #[error("unavailable: {}", .0.en)]
    Unavailable(Message),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
    /// Another error under an `error` code of its own, for API clients that branch on it (the
    /// LIFF page tells "not a friend yet" from a wrong SMS code, both 409s otherwise).
    #[error("{code}: {inner}")]
    Coded {
        code: &'static str,
        inner: Box<AppError>,
    },
}

impl AppError {
    pub fn bad_request(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::BadRequest(Message::new(zh, en))
    }

    pub fn not_found(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::NotFound(Message::new(zh, en))
    }

    pub fn conflict(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::Conflict(Message::new(zh, en))
    }

    pub fn unavailable(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::Unavailable(Message::new(zh, en))
    }

    /// The same error under its own `error` code. Unexpected errors keep theirs (`internal`).
    pub fn with_code(self, code: &'static str) -> Self {
        match self {
            AppError::Unexpected(_) => self,
            inner => AppError::Coded {
                code,
                inner: Box::new(inner),
            },
        }
    }

    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            AppError::TooManyRequests {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            AppError::Coded { inner, .. } => inner.retry_after_secs(),
            _ => None,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            AppError::Coded { code, .. } => code,
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::Refused(_) => "refused",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::Gone(_) => "gone",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Unavailable(_) => "unavailable",
            AppError::Unexpected(_) => "internal",
        }
    }

    /// What the person is told. Unexpected errors say nothing of their cause.
    pub fn message(&self) -> Message {
        match self {
            AppError::BadRequest(m)
            | AppError::Unauthorized(m)
            | AppError::NotFound(m)
            | AppError::Conflict(m)
            | AppError::Gone(m)
            | AppError::Refused(m)
            | AppError::Unavailable(m)
            | AppError::TooManyRequests { message: m, .. } => m.clone(),
            AppError::Forbidden => Message::new(
                "您沒有權限查看或變更這個項目。",
                "You are not allowed to see or change this.",
            ),
            AppError::PayloadTooLarge => {
                Message::new("送出的資料太大。", "The request body is too large.")
            }
            AppError::Unexpected(_) => Message::new(
                "系統發生錯誤，請稍後再試。",
                "Something went wrong on our side. Please try again later.",
            ),
            AppError::Coded { inner, .. } => inner.message(),
        }
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        AppError::Unexpected(anyhow::Error::new(err).context("database"))
    }
}

/// "45 秒", "3 分鐘", "5 小時": a wait, rounded up, in the unit a person reads best.
pub(super) fn wait_zh(wait: std::time::Duration) -> String {
    match wait.as_secs().max(1) {
        secs @ ..=90 => format!("{secs} 秒"),
        secs @ ..=7200 => format!("{} 分鐘", secs.div_ceil(60)),
        secs => format!("{} 小時", secs.div_ceil(3600)),
    }
}

pub(super) fn wait_en(wait: std::time::Duration) -> String {
    match wait.as_secs().max(1) {
        1 => "1 second".to_owned(),
        secs @ ..=90 => format!("{secs} seconds"),
        secs @ ..=7200 => format!("{} minutes", secs.div_ceil(60)),
        secs => format!("{} hours", secs.div_ceil(3600)),
    }
}

/// Kept in the response so [`html_for_browsers`] can render the same message as a page.
#[derive(Debug, Clone)]
struct RenderedError {
    message: Message,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Refused(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Coded { inner, .. } => inner.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Unexpected(err) = self {
            tracing::error!(error = ?err, "unexpected error");
        }
        let message = self.message();
        let mut response = HttpResponse::build(self.status_code());
        if let Some(retry_after_secs) = self.retry_after_secs() {
            response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        let mut response = response.json(serde_json::json!({
            "error": self.code(),
            "message": message.zh,
            "message_en": message.en,
        }));
        response.extensions_mut().insert(RenderedError { message });
        response
    }
}

/// Paths whose clients are programs: they keep the JSON error body.
fn wants_json(path: &str) -> bool {
    path.starts_with("/api/")
        || path == "/api"
        || path.starts_with("/line/")
        || path.starts_with("/webhooks/")
        || path == "/healthz"
        // The LINE emulator's stand-in for LINE's API answers JSON like LINE (demo mode only).
        || path.starts_with("/emulator/api/")
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    message: Message,
    layout: Layout,
}

/// Middleware body: re-renders error responses as HTML pages for people (see the module docs).
pub async fn html_for_browsers<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: actix_web::middleware::Next<B>,
) -> Result<ServiceResponse<EitherBody<B, BoxBody>>, actix_web::Error> {
    let json_client = wants_json(req.path());
    let demo = req
        .app_data::<actix_web::web::Data<crate::services::Context>>()
        .is_some_and(|ctx| ctx.settings.demo);
    let res = next.call(req).await?;
    let status = res.status();
    if json_client || !(status.is_client_error() || status.is_server_error()) {
        return Ok(res.map_into_left_body());
    }
    let rendered = res.response().extensions().get::<RenderedError>().cloned();
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if rendered.is_none() && is_html {
        // A page of ours that answers 4xx on purpose (a form shown again with its error).
        return Ok(res.map_into_left_body());
    }
    let message = match rendered {
        Some(rendered) => rendered.message,
        None => generic_message(status),
    };
    let page = ErrorPage {
        status: status.as_u16(),
        message,
        layout: Layout::without_nav(demo),
    };
    let Ok(html) = page.render() else {
        return Ok(res.map_into_left_body());
    };
    let (req, mut old) = res.into_parts();
    let mut new = HttpResponse::build(status);
    for name in [header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
        if let Some(value) = old.headers_mut().remove(&name).next() {
            new.insert_header((name, value));
        }
    }
    new.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    let new = new.content_type("text/html; charset=utf-8").body(html);
    Ok(ServiceResponse::new(req, new).map_into_right_body())
}

/// For errors raised outside our code (actix's own extractors, unknown methods).
fn generic_message(status: StatusCode) -> Message {
    match status {
        StatusCode::NOT_FOUND => Message::new("找不到這個頁面。", "This page does not exist."),
        StatusCode::METHOD_NOT_ALLOWED => {
            Message::new("不支援這個操作。", "This action is not supported here.")
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            Message::new("送出的資料太大。", "The request body is too large.")
        }
        s if s.is_server_error() => Message::new(
            "系統發生錯誤，請稍後再試。",
            "Something went wrong on our side. Please try again later.",
        ),
        _ => Message::new(
            "無法處理這個請求，請檢查輸入的內容。",
            "The request could not be processed; please check what was entered.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unexpected_errors_hide_their_cause() {
        let err = AppError::Unexpected(anyhow::anyhow!("password=hunter2 leaked"));
        let message = err.message();
        assert!(!message.zh.contains("hunter2"));
        assert!(!message.en.contains("hunter2"));
        assert_eq!(err.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn otp_refusals_say_when_to_try_again() {
        use crate::services::otp::OtpError;
        use std::time::Duration;
        let err = AppError::from(OtpError::ResendTooSoon {
            retry_after: Duration::from_secs(45),
        });
        assert_eq!(err.status_code(), StatusCode::TOO_MANY_REQUESTS);
        assert!(
            err.message().zh.contains("請於 45 秒後再重新傳送"),
            "{:?}",
            err.message()
        );
        let err = AppError::from(OtpError::DailyBudgetReached {
            retry_after: Duration::from_secs(5 * 3600 + 1),
        });
        assert!(err.message().zh.contains("6 小時"), "{:?}", err.message());
        let err = AppError::from(OtpError::TooManyCodes {
            limit: crate::services::otp::CodeLimit::PhonePerHour,
            retry_after: Duration::from_secs(601),
        });
        assert!(err.message().zh.contains("11 分鐘"), "{:?}", err.message());
        let err = AppError::from(OtpError::SmsTemplateDisabled);
        assert_eq!(err.message().zh, "簡訊驗證暫停服務，請洽門市人員。");
    }

    #[test]
    fn api_and_webhook_paths_keep_json() {
        assert!(wants_json("/api/v1/stores"));
        assert!(wants_json("/line/webhook"));
        assert!(wants_json("/webhooks/orders/shopify"));
        assert!(!wants_json("/admin/stores"));
        assert!(!wants_json("/apiary"));
    }
}
