//! `/api/v1/accounts` (HQ): staff logins. New and reset passwords are in the answer, once.

use actix_web::HttpResponse;
use actix_web::web::{Data, Json, Path};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ActiveJson, created, ok};
use crate::db::entities::enums::StaffRole;
use crate::db::entities::staff_accounts;
use crate::http::error::AppError;
use crate::http::staff::Staff;
use crate::services::Context;
use crate::services::accounts::{self, NewAccount, OneTimePassword};

#[derive(Serialize)]
struct AccountJson {
    id: i32,
    username: String,
    display_name: String,
    role: StaffRole,
    store_id: Option<i32>,
    store_name: Option<String>,
    active: bool,
    last_login_at: Option<DateTime<Utc>>,
}

impl AccountJson {
    fn new(account: staff_accounts::Model, store_name: Option<String>) -> Self {
        Self {
            id: account.id,
            username: account.username,
            display_name: account.display_name,
            role: account.role,
            store_id: account.store_id,
            store_name,
            active: account.active,
            last_login_at: account.last_login_at,
        }
    }
}

#[derive(Serialize)]
struct IssuedJson {
    account: AccountJson,
    /// Shown once; the account should change it after signing in.
    one_time_password: String,
}

impl From<OneTimePassword> for IssuedJson {
    fn from(issued: OneTimePassword) -> Self {
        Self {
            account: AccountJson::new(issued.account, None),
            one_time_password: issued.password,
        }
    }
}

pub async fn list(ctx: Data<Context>, staff: Staff) -> Result<HttpResponse, AppError> {
    let accounts: Vec<AccountJson> = accounts::list_staff(&ctx.db, &staff.actor())
        .await?
        .into_iter()
        .map(|v| AccountJson::new(v.account, v.store_name))
        .collect();
    ok(&serde_json::json!({ "accounts": accounts }))
}

#[derive(Deserialize)]
pub struct NewAccountJson {
    username: String,
    #[serde(default)]
    display_name: String,
    role: StaffRole,
    #[serde(default)]
    store_id: Option<i32>,
}

pub async fn create(
    ctx: Data<Context>,
    staff: Staff,
    body: Json<NewAccountJson>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let issued = accounts::create_account(
        &ctx.db,
        &ctx.passwords,
        &staff.actor(),
        NewAccount {
            username: body.username,
            display_name: body.display_name,
            role: body.role,
            store_id: body.store_id,
        },
    )
    .await?;
    created(&IssuedJson::from(issued))
}

pub async fn set_active(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    body: Json<ActiveJson>,
) -> Result<HttpResponse, AppError> {
    let account =
        accounts::set_account_active(&ctx.db, &staff.actor(), id.into_inner(), body.active).await?;
    ok(&AccountJson::new(account, None))
}

pub async fn reset_password(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
) -> Result<HttpResponse, AppError> {
    let issued =
        accounts::reset_password(&ctx.db, &ctx.passwords, &staff.actor(), id.into_inner()).await?;
    ok(&IssuedJson::from(issued))
}
