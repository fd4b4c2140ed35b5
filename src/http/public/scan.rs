//! The printed code's endpoints: the scan (`/q/{token}`), which starts a journey and redirects to
//! route A or B, and the code's pictures (`/qr/{token}.png?size=N`, `/qr/{token}.svg`) with ETags,
//! since posters and admin pages fetch them often.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::http::error::AppError;
use crate::http::layout::Layout;
use crate::services::Context;
use crate::services::qr::{self, ImageFormat};
use crate::services::scan::{self, Scanned};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/q/{token}", web::get().to(scan))
        .route("/qr/{token}.png", web::get().to(png))
        .route("/qr/{token}.svg", web::get().to(svg));
}

/// Shown instead of a journey while the shop is not open yet or the store is deactivated.
#[derive(Template)]
#[template(path = "public/scan_closed.html")]
struct ScanClosedPage {
    layout: Layout,
    shop_name: String,
    /// The deactivated store's name; `None` while the whole shop is not open yet.
    store_name: Option<String>,
}

async fn scan(
    ctx: web::Data<Context>,
    token: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let client = crate::http::client_addr(&req);
    let page = match scan::scan(&ctx, &token, client).await? {
        Scanned::Redirect(location) => {
            return Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish());
        }
        Scanned::NotOpen { shop_name } => ScanClosedPage {
            layout: Layout::public(&ctx),
            shop_name,
            store_name: None,
        },
        Scanned::StoreClosed {
            shop_name,
            store_name,
        } => ScanClosedPage {
            layout: Layout::public(&ctx),
            shop_name,
            store_name: Some(store_name),
        },
    };
    let mut response = crate::http::render(&page)?;
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

#[derive(Deserialize)]
struct SizeQuery {
    size: Option<u32>,
}

async fn png(
    ctx: web::Data<Context>,
    token: web::Path<String>,
    query: web::Query<SizeQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    image(&ctx, &token, ImageFormat::Png, query.size, &req).await
}

async fn svg(
    ctx: web::Data<Context>,
    token: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    image(&ctx, &token, ImageFormat::Svg, None, &req).await
}

async fn image(
    ctx: &Context,
    token: &str,
    format: ImageFormat,
    size: Option<u32>,
    req: &HttpRequest,
) -> Result<HttpResponse, AppError> {
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    let image = qr::image(&ctx.db, &ctx.settings, token, format, size, if_none_match).await?;
    let format = image.format;
    let etag = image.etag.clone();
    let mut response = match image.into_body() {
        None => HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish(),
        Some(body) => HttpResponse::Ok()
            .content_type(format.content_type())
            .insert_header((header::ETAG, etag))
            .body(body),
    };
    // An hour fresh, then a cheap revalidation: the picture of a token never changes, but a
    // revoked token's picture should not live on in caches for long.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("public, max-age=3600"),
    );
    Ok(response)
}
