//! Printable QR posters and clerk cards (`templates/posters/`), and HQ's rotation and revocation
//! of the codes. Store staff print their own store's poster and their own card; HQ any of them,
//! or every active store's poster at once (`/admin/posters`).

use actix_web::HttpResponse;
use actix_web::web::{Data, Path};
use askama::Template;

use super::stores::Empty;
use super::{render, see_other};
use crate::http::error::AppError;
use crate::http::layout::Layout;
use crate::http::staff::{CsrfForm, Staff};
use crate::services::Context;
use crate::services::posters::{self, Posters};
use crate::services::qr::{self, TokenOwner};

/// One document of A4 posters, or of clerk cards, each on its own printed page.
#[derive(Template)]
#[template(path = "posters/sheets.html")]
pub struct SheetsPage {
    layout: Layout,
    posters: Posters,
    /// Clerk cards (A6) instead of A4 posters.
    card: bool,
    /// Where the screen-only "back" link goes.
    back: String,
}

pub async fn store_poster(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let posters = posters::store_poster(&ctx.db, &ctx.settings, &staff.actor(), id).await?;
    render(&SheetsPage {
        layout: Layout::public(&ctx),
        posters,
        card: false,
        back: format!("/admin/stores/{id}"),
    })
}

pub async fn clerk_card(
    ctx: Data<Context>,
    staff: Staff,
    path: Path<(i32, i32)>,
) -> Result<HttpResponse, AppError> {
    let (store_id, clerk_id) = path.into_inner();
    let posters =
        posters::clerk_card(&ctx.db, &ctx.settings, &staff.actor(), store_id, clerk_id).await?;
    render(&SheetsPage {
        layout: Layout::public(&ctx),
        posters,
        card: true,
        back: format!("/admin/stores/{store_id}"),
    })
}

pub async fn all_posters(ctx: Data<Context>, staff: Staff) -> Result<HttpResponse, AppError> {
    let posters = posters::all_posters(&ctx.db, &ctx.settings, &staff.actor()).await?;
    render(&SheetsPage {
        layout: Layout::public(&ctx),
        posters,
        card: false,
        back: "/admin/stores".to_owned(),
    })
}

fn done(store_id: i32, notice: &str) -> HttpResponse {
    see_other(format!("/admin/stores/{store_id}?notice={notice}"))
}

pub async fn rotate_store(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    qr::rotate(&ctx.db, &staff.actor(), TokenOwner::Store(id)).await?;
    Ok(done(id, "qr_rotated"))
}

pub async fn revoke_store(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    qr::revoke(&ctx.db, &staff.actor(), TokenOwner::Store(id)).await?;
    Ok(done(id, "qr_revoked"))
}

pub async fn rotate_clerk(
    ctx: Data<Context>,
    staff: Staff,
    path: Path<(i32, i32)>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let (store_id, clerk_id) = path.into_inner();
    qr::rotate(
        &ctx.db,
        &staff.actor(),
        TokenOwner::Clerk { store_id, clerk_id },
    )
    .await?;
    Ok(done(store_id, "clerk_qr_rotated"))
}

pub async fn revoke_clerk(
    ctx: Data<Context>,
    staff: Staff,
    path: Path<(i32, i32)>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let (store_id, clerk_id) = path.into_inner();
    qr::revoke(
        &ctx.db,
        &staff.actor(),
        TokenOwner::Clerk { store_id, clerk_id },
    )
    .await?;
    Ok(done(store_id, "clerk_qr_revoked"))
}
