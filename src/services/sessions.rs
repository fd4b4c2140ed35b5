//! Staff sign-in: password check with throttling, database-backed sessions, sign-out.
//!
//! Throttling is decided by the database, never by a read followed by a write: a sign-in first
//! records its attempt (as a failure until the password proves right), then counts the other
//! failures of the account and of the client address. Of two concurrent tries the one that counts
//! last always sees the other, so a burst of wrong passwords gets at most the allowed number of
//! password checks; the rest are refused before any hashing. The insert and the count are
//! separate statements on purpose: inside one transaction, neither would see the other's row.
//!
//! The browser holds a random session token; the database keeps only its SHA-256 hash, so a copy
//! of the table hands out no live session. A session ends after [`IDLE_HOURS`] without use, after
//! [`MAX_AGE_DAYS`] in any case, at sign-out, and as soon as its account is deactivated.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::db::entities::enums::StaffRole;
use crate::db::entities::{login_attempts, staff_accounts, staff_sessions};
use crate::domain::login_throttle;
use crate::domain::tokens::{random_token, token_hash};
use crate::services::passwords::{HashingError, Passwords};

pub const IDLE_HOURS: i64 = 12;
pub const MAX_AGE_DAYS: i64 = 7;
/// `last_seen_at` is written at most this often, so reading pages does not write on every request.
const TOUCH_EVERY_SECS: i64 = 60;

/// The signed-in staff member behind a valid session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionStaff {
    pub staff_id: i32,
    pub username: String,
    pub display_name: String,
    pub role: StaffRole,
    pub store_id: Option<i32>,
    pub csrf_token: String,
}

pub struct SignedIn {
    /// Goes into the session cookie; never stored.
    pub token: String,
    pub staff: SessionStaff,
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown username, wrong password or deactivated account: one answer for all three.
    #[error("wrong username or password")]
    BadCredentials,
    #[error("too many failed sign-ins; try again after {until}")]
    Throttled { until: DateTime<Utc> },
    #[error(transparent)]
    Hashing(#[from] HashingError),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

/// Checks a username and password and opens a session. `client_ip` is the client's address as
/// the limits count it (`http::client_ip`).
pub async fn login(
    db: &impl ConnectionTrait,
    passwords: &Passwords,
    username: &str,
    password: &str,
    client_ip: &str,
) -> Result<SignedIn, LoginError> {
    let now = Utc::now();
    // Attempts are recorded under the name as typed (normalised), known account or not.
    let username: String = username.trim().to_lowercase().chars().take(64).collect();

    let attempt = login_attempts::ActiveModel {
        username: Set(username.clone()),
        client_ip: Set(client_ip.to_owned()),
        succeeded: Set(false),
        attempted_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let (account_failures, ip_failures) =
        other_failures(db, &username, client_ip, attempt.id, now).await?;
    if let Err(until) = login_throttle::check(&account_failures, &ip_failures, now) {
        // A refused try checked no password: it is not a failure, and must not prolong the pause.
        forget_attempt(db, attempt.id).await?;
        return Err(LoginError::Throttled { until });
    }

    let account = staff_accounts::Entity::find()
        .filter(staff_accounts::Column::Username.eq(&username))
        .one(db)
        .await?;
    // Unknown accounts still cost one hash check, so timing does not tell which usernames exist.
    let verified = match passwords
        .verify(password, account.as_ref().map(|a| a.password_hash.as_str()))
        .await
    {
        Ok(verified) => verified,
        Err(err) => {
            forget_attempt(db, attempt.id).await?;
            return Err(err.into());
        }
    };
    let Some(account) = account.filter(|a| verified && a.active) else {
        return Err(LoginError::BadCredentials);
    };
    let mut succeeded = attempt.into_active_model();
    succeeded.succeeded = Set(true);
    succeeded.update(db).await?;

    clean_up(db, now).await?;
    let token = random_token(32);
    let csrf_token = random_token(32);
    staff_sessions::ActiveModel {
        token_hash: Set(token_hash(&token)),
        staff_id: Set(account.id),
        csrf_token: Set(csrf_token.clone()),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + Duration::hours(IDLE_HOURS)),
    }
    .insert(db)
    .await?;
    let mut active = account.clone().into_active_model();
    active.last_login_at = Set(Some(now));
    active.update(db).await?;

    Ok(SignedIn {
        token,
        staff: SessionStaff {
            staff_id: account.id,
            username: account.username,
            display_name: account.display_name,
            role: account.role,
            store_id: account.store_id,
            csrf_token,
        },
    })
}

/// Failures in the throttling window other than attempt `mine` (tries still being checked count
/// as failures): the account's since its last successful sign-in, and the address's.
async fn other_failures(
    db: &impl ConnectionTrait,
    username: &str,
    client_ip: &str,
    mine: i32,
    now: DateTime<Utc>,
) -> Result<(Vec<DateTime<Utc>>, Vec<DateTime<Utc>>), sea_orm::DbErr> {
    let since = now - login_throttle::window();
    let by_account = login_attempts::Entity::find()
        .filter(login_attempts::Column::Username.eq(username))
        .filter(login_attempts::Column::Id.ne(mine))
        .filter(login_attempts::Column::AttemptedAt.gt(since))
        .order_by_asc(login_attempts::Column::AttemptedAt)
        .all(db)
        .await?;
    let last_success = by_account
        .iter()
        .filter(|a| a.succeeded)
        .map(|a| a.attempted_at)
        .max();
    let account_failures = by_account
        .iter()
        .filter(|a| !a.succeeded && last_success.is_none_or(|ok| a.attempted_at > ok))
        .map(|a| a.attempted_at)
        .collect();
    let ip_failures = login_attempts::Entity::find()
        .select_only()
        .column(login_attempts::Column::AttemptedAt)
        .filter(login_attempts::Column::ClientIp.eq(client_ip))
        .filter(login_attempts::Column::Id.ne(mine))
        .filter(login_attempts::Column::Succeeded.eq(false))
        .filter(login_attempts::Column::AttemptedAt.gt(since))
        .into_tuple::<DateTime<Utc>>()
        .all(db)
        .await?;
    Ok((account_failures, ip_failures))
}

/// Expired sessions are removed at each successful sign-in. Sign-in attempts are kept for
/// `RETENTION_LOGIN_ATTEMPTS_DAYS` and deleted by housekeeping.
async fn clean_up(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<(), sea_orm::DbErr> {
    staff_sessions::Entity::delete_many()
        .filter(staff_sessions::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    Ok(())
}

async fn forget_attempt(db: &impl ConnectionTrait, id: i32) -> Result<(), sea_orm::DbErr> {
    login_attempts::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// The staff member behind a session token, if the session is valid and the account active.
/// Extends the idle expiry as a side effect.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<SessionStaff>, sea_orm::DbErr> {
    let now = Utc::now();
    let Some((session, Some(account))) = staff_sessions::Entity::find_by_id(token_hash(token))
        .find_also_related(staff_accounts::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let expired = session.expires_at <= now
        || session.created_at + Duration::days(MAX_AGE_DAYS) <= now
        || !account.active;
    if expired {
        staff_sessions::Entity::delete_by_id(session.token_hash)
            .exec(db)
            .await?;
        return Ok(None);
    }
    if now - session.last_seen_at > Duration::seconds(TOUCH_EVERY_SECS) {
        let mut active = session.clone().into_active_model();
        active.last_seen_at = Set(now);
        active.expires_at = Set(now + Duration::hours(IDLE_HOURS));
        active.update(db).await?;
    }
    Ok(Some(SessionStaff {
        staff_id: account.id,
        username: account.username,
        display_name: account.display_name,
        role: account.role,
        store_id: account.store_id,
        csrf_token: session.csrf_token,
    }))
}

/// Ends the session of this token (sign-out). Unknown tokens are fine: the result is the same.
pub async fn logout(db: &impl ConnectionTrait, token: &str) -> Result<(), sea_orm::DbErr> {
    staff_sessions::Entity::delete_by_id(token_hash(token))
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of an account (deactivation, password reset), except the one whose token
/// hash is `keep` (the member changing their own password stays signed in).
pub async fn end_sessions_of(
    db: &impl ConnectionTrait,
    staff_id: i32,
    keep: Option<&str>,
) -> Result<(), sea_orm::DbErr> {
    let mut delete =
        staff_sessions::Entity::delete_many().filter(staff_sessions::Column::StaffId.eq(staff_id));
    if let Some(keep) = keep {
        delete = delete.filter(staff_sessions::Column::TokenHash.ne(keep));
    }
    delete.exec(db).await?;
    Ok(())
}
