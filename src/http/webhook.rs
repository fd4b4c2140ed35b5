//! `POST /line/webhook`: LINE Platform → us. Reads the raw body (bounded), hands it with the
//! signature header to the webhook service, answers 200 once the events are durable.

use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;

use crate::http::error::AppError;
use crate::services;
use crate::services::Context;

/// LINE's bodies are a few KiB; 1 MiB leaves room for large batches and stops memory abuse.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub async fn receive(
    ctx: web::Data<Context>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let body = read_body(&req, payload, MAX_BODY_BYTES).await?;
    let signature = req
        .headers()
        .get("x-line-signature")
        .map(|value| value.as_bytes());
    let receipt = services::webhook::receive(&ctx, signature, &body).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ok", "events": receipt.events })))
}

/// Reads the body, refusing with 413 as soon as it is known to exceed `limit`: from
/// `Content-Length` before reading anything, or while streaming — never buffering (or hashing)
/// more than `limit` bytes.
pub(crate) async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::Bytes, AppError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(AppError::PayloadTooLarge);
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(0).min(limit as u64) as usize);
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|err| {
            AppError::bad_request(
                format!("無法讀取請求內容：{err}"),
                format!("The request body could not be read: {err}"),
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
