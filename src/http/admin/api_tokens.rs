//! `/admin/api-tokens` (HQ): tokens for scripts on `/api/v1`. A token acts as the account it is
//! issued for; it is shown once, then only its name, account and use are listed.

use actix_web::HttpResponse;
use actix_web::web::{Data, Path};
use askama::Template;
use serde::Deserialize;

use super::{render, see_other, taipei_time};
use crate::http::error::AppError;
use crate::http::layout::Layout;
use crate::http::staff::{CsrfForm, Staff};
use crate::services::Context;
use crate::services::accounts::{self, StaffView};
use crate::services::api_tokens::{self, IssuedToken};

/// A token as listed.
pub struct TokenRow {
    id: i32,
    name: String,
    username: String,
    is_hq: bool,
    created_at: String,
    last_used_at: Option<String>,
    revoked_at: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/api_tokens.html")]
pub struct TokensPage {
    layout: Layout,
    tokens: Vec<TokenRow>,
    accounts: Vec<StaffView>,
    self_id: i32,
    issued: Option<IssuedToken>,
}

async fn tokens_page(
    ctx: &Context,
    staff: &Staff,
    issued: Option<IssuedToken>,
) -> Result<HttpResponse, AppError> {
    let actor = staff.actor();
    let tokens = api_tokens::list(&ctx.db, &actor)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.token.id,
            name: t.token.name,
            username: t.username,
            is_hq: t.store_id.is_none(),
            created_at: taipei_time(t.token.created_at),
            last_used_at: t.token.last_used_at.map(taipei_time),
            revoked_at: t.token.revoked_at.map(taipei_time),
        })
        .collect();
    let accounts = accounts::list_staff(&ctx.db, &actor)
        .await?
        .into_iter()
        .filter(|a| a.account.active)
        .collect();
    render(&TokensPage {
        layout: Layout::staff(ctx, staff, "api-tokens"),
        tokens,
        accounts,
        self_id: staff.id,
        issued,
    })
}

pub async fn list(ctx: Data<Context>, staff: Staff) -> Result<HttpResponse, AppError> {
    tokens_page(&ctx, &staff, None).await
}

#[derive(Deserialize)]
pub struct CreateForm {
    name: String,
    staff_id: i32,
}

/// Issues a token and shows it once on the page.
pub async fn create(
    ctx: Data<Context>,
    staff: Staff,
    CsrfForm(form): CsrfForm<CreateForm>,
) -> Result<HttpResponse, AppError> {
    let issued = api_tokens::create(&ctx.db, &staff.actor(), &form.name, form.staff_id).await?;
    tokens_page(&ctx, &staff, Some(issued)).await
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn revoke(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    api_tokens::revoke(&ctx.db, &staff.actor(), id.into_inner()).await?;
    Ok(see_other("/admin/api-tokens"))
}
