//! `/admin/accounts` (HQ): staff logins; `/admin/password`: anyone changes their own password.

use actix_web::HttpResponse;
use actix_web::web::{Data, Path};
use askama::Template;
use serde::Deserialize;

use super::{optional_id, render, see_other};
use crate::db::entities::enums::StaffRole;
use crate::http::error::AppError;
use crate::http::layout::Layout;
use crate::http::staff::{CsrfForm, Staff};
use crate::services::Context;
use crate::services::accounts::{self, NewAccount, OneTimePassword, StaffView};
use crate::services::stores::{self, StoreView};

#[derive(Template)]
#[template(path = "admin/accounts.html")]
pub struct AccountsPage {
    layout: Layout,
    accounts: Vec<StaffView>,
    stores: Vec<StoreView>,
    self_id: i32,
}

pub async fn list(ctx: Data<Context>, staff: Staff) -> Result<HttpResponse, AppError> {
    let actor = staff.actor();
    let accounts = accounts::list_staff(&ctx.db, &actor).await?;
    let stores = stores::list_stores(&ctx.db, &actor).await?;
    render(&AccountsPage {
        layout: Layout::staff(&ctx, &staff, "accounts"),
        accounts,
        stores,
        self_id: staff.id,
    })
}

#[derive(Template)]
#[template(path = "admin/one_time_password.html")]
pub struct OneTimePasswordPage {
    layout: Layout,
    created: bool,
    issued: OneTimePassword,
}

#[derive(Deserialize)]
pub struct CreateForm {
    username: String,
    #[serde(default)]
    display_name: String,
    role: StaffRole,
    #[serde(default)]
    store_id: String,
}

pub async fn create(
    ctx: Data<Context>,
    staff: Staff,
    CsrfForm(form): CsrfForm<CreateForm>,
) -> Result<HttpResponse, AppError> {
    let issued = accounts::create_account(
        &ctx.db,
        &ctx.passwords,
        &staff.actor(),
        NewAccount {
            username: form.username,
            display_name: form.display_name,
            role: form.role,
            store_id: optional_id(&form.store_id)?,
        },
    )
    .await?;
    render(&OneTimePasswordPage {
        layout: Layout::staff(&ctx, &staff, "accounts"),
        created: true,
        issued,
    })
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn deactivate(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    accounts::set_account_active(&ctx.db, &staff.actor(), id.into_inner(), false).await?;
    Ok(see_other("/admin/accounts"))
}

pub async fn reactivate(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    accounts::set_account_active(&ctx.db, &staff.actor(), id.into_inner(), true).await?;
    Ok(see_other("/admin/accounts"))
}

pub async fn reset_password(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let issued =
        accounts::reset_password(&ctx.db, &ctx.passwords, &staff.actor(), id.into_inner()).await?;
    render(&OneTimePasswordPage {
        layout: Layout::staff(&ctx, &staff, "accounts"),
        created: false,
        issued,
    })
}

#[derive(Template)]
#[template(path = "admin/password.html")]
pub struct PasswordPage {
    layout: Layout,
    changed: bool,
}

pub async fn password_page(ctx: Data<Context>, staff: Staff) -> Result<HttpResponse, AppError> {
    render(&PasswordPage {
        layout: Layout::staff(&ctx, &staff, "password"),
        changed: false,
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new_password: String,
    confirm: String,
}

pub async fn change_password(
    ctx: Data<Context>,
    staff: Staff,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    if form.new_password != form.confirm {
        return Err(AppError::bad_request(
            "兩次輸入的新密碼不一致。",
            "The two new passwords do not match.",
        ));
    }
    accounts::change_own_password(
        &ctx.db,
        &ctx.passwords,
        &staff.actor(),
        &form.current,
        &form.new_password,
        staff.session_hash().unwrap_or_default(),
    )
    .await?;
    render(&PasswordPage {
        layout: Layout::staff(&ctx, &staff, "password"),
        changed: true,
    })
}
