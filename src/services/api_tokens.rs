//! API tokens for scripts on `/api/v1` (`Authorization: Bearer …`). HQ issues a token for a staff
//! account; the token acts with that account's scope, so a store account's token sees only its
//! store. The token is shown once; the database keeps only its SHA-256 hash. Revoked tokens and
//! tokens of deactivated accounts stop working at once.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde_json::json;

use crate::db::entities::enums::StaffRole;
use crate::db::entities::{api_tokens, staff_accounts};
use crate::domain::tokens::{random_token, token_hash};
use crate::services::audit::{self, Actor, Change};
use crate::services::error::{Error, Invalid, NameField, NotFound};
use crate::services::stores::parse_name;

/// Tokens start with this, so a leaked one is recognisable in logs and secret scanners.
pub const TOKEN_PREFIX: &str = "sat_";
/// `last_used_at` is written at most this often, so busy scripts do not write on every call.
const TOUCH_EVERY_SECS: i64 = 60;

/// A token as the admin lists it (never the token itself).
pub struct TokenView {
    pub token: api_tokens::Model,
    pub username: String,
    pub role: StaffRole,
    pub store_id: Option<i32>,
}

/// A new token, shown once.
pub struct IssuedToken {
    pub token: String,
    pub row: api_tokens::Model,
    pub username: String,
}

/// The staff member a valid token acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenStaff {
    pub staff_id: i32,
    pub username: String,
    pub display_name: String,
    pub role: StaffRole,
    pub store_id: Option<i32>,
    pub token_id: i32,
    pub token_name: String,
}

fn token_not_found() -> Error {
    NotFound::ApiToken.into()
}

/// Every token, newest first (HQ only).
pub async fn list(db: &impl ConnectionTrait, actor: &Actor) -> Result<Vec<TokenView>, Error> {
    actor.scope.require_hq()?;
    Ok(api_tokens::Entity::find()
        .find_also_related(staff_accounts::Entity)
        .order_by_desc(api_tokens::Column::CreatedAt)
        .order_by_desc(api_tokens::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(token, staff)| {
            staff.map(|staff| TokenView {
                token,
                username: staff.username,
                role: staff.role,
                store_id: staff.store_id,
            })
        })
        .collect())
}

/// Issues a token that acts as the account `staff_id` (HQ only; the account must be active).
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    name: &str,
    staff_id: i32,
) -> Result<IssuedToken, Error> {
    actor.scope.require_hq()?;
    let name = parse_name(name, NameField::ApiToken)?;
    let token = format!("{TOKEN_PREFIX}{}", random_token(32));
    let txn = db.begin().await?;
    let staff = staff_accounts::Entity::find_by_id(staff_id)
        .one(&txn)
        .await?
        .filter(|s| s.active)
        .ok_or(Invalid::TokenAccount)?;
    let row = api_tokens::ActiveModel {
        token_hash: Set(token_hash(&token)),
        staff_id: Set(staff.id),
        name: Set(name.into_string()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        Change::new("api_token.create", "api_token", row.id)
            .store(staff.store_id)
            .after(json!({ "name": row.name, "staff": staff.username, "role": staff.role })),
    )
    .await?;
    txn.commit().await?;
    Ok(IssuedToken {
        token,
        row,
        username: staff.username,
    })
}

/// Revokes a token at once (HQ only). Revoking a revoked token changes nothing.
pub async fn revoke(
    db: &DatabaseConnection,
    actor: &Actor,
    token_id: i32,
) -> Result<api_tokens::Model, Error> {
    actor.scope.require_hq()?;
    let txn = db.begin().await?;
    let before = api_tokens::Entity::find_by_id(token_id)
        .one(&txn)
        .await?
        .ok_or_else(token_not_found)?;
    if before.revoked_at.is_some() {
        return Ok(before);
    }
    let mut active = before.clone().into_active_model();
    active.revoked_at = Set(Some(Utc::now()));
    let after = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change::new("api_token.revoke", "api_token", token_id)
            .before(json!({ "name": before.name, "revoked": false }))
            .after(json!({ "name": after.name, "revoked": true })),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// The staff member behind a bearer token: the token exists, is not revoked, and its account is
/// active. Notes the use in `last_used_at`.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<TokenStaff>, sea_orm::DbErr> {
    if !token.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    let Some((row, Some(staff))) = api_tokens::Entity::find()
        .filter(api_tokens::Column::TokenHash.eq(token_hash(token)))
        .find_also_related(staff_accounts::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if row.revoked_at.is_some() || !staff.active {
        return Ok(None);
    }
    let now = Utc::now();
    if stale(row.last_used_at, now) {
        api_tokens::Entity::update_many()
            .col_expr(api_tokens::Column::LastUsedAt, Expr::value(now))
            .filter(api_tokens::Column::Id.eq(row.id))
            .exec(db)
            .await?;
    }
    Ok(Some(TokenStaff {
        staff_id: staff.id,
        username: staff.username,
        display_name: staff.display_name,
        role: staff.role,
        store_id: staff.store_id,
        token_id: row.id,
        token_name: row.name,
    }))
}

fn stale(last_used: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_used.is_none_or(|at| now - at > Duration::seconds(TOUCH_EVERY_SECS))
}
