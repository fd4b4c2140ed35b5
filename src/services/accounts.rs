//! Staff accounts: creating them (CLI, first start, the admin) and the first HQ login.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, PaginatorTrait, Set};

use crate::db::entities::enums::StaffRole;
use crate::db::entities::staff_accounts;
use crate::db::is_unique_violation;
use crate::domain::password::{self, PasswordRuleError};
use crate::domain::username::{Username, UsernameError};
use crate::services::passwords::{HashingError, Passwords};

#[derive(Debug, thiserror::Error)]
pub enum CreateStaffError {
    #[error(transparent)]
    InvalidUsername(#[from] UsernameError),
    #[error(transparent)]
    WeakPassword(#[from] PasswordRuleError),
    #[error("the username is already taken")]
    UsernameTaken,
    #[error("store staff must belong to a store, and HQ staff to none")]
    StoreMismatch,
    #[error(transparent)]
    Hashing(#[from] HashingError),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

pub struct NewStaff {
    pub username: String,
    pub password: String,
    pub role: StaffRole,
    pub store_id: Option<i32>,
    pub display_name: String,
}

/// A new account that passed the rules, its password hashed: ready to insert. Hashing comes
/// first, so no transaction stays open while argon2 runs.
pub struct CheckedStaff {
    username: Username,
    password_hash: String,
    role: StaffRole,
    store_id: Option<i32>,
    display_name: String,
}

impl NewStaff {
    pub async fn check(self, passwords: &Passwords) -> Result<CheckedStaff, CreateStaffError> {
        let username = Username::parse(&self.username)?;
        password::check_new_password(&self.password)?;
        if (self.role == StaffRole::Store) != self.store_id.is_some() {
            return Err(CreateStaffError::StoreMismatch);
        }
        Ok(CheckedStaff {
            username,
            password_hash: passwords.hash(&self.password).await?,
            role: self.role,
            store_id: self.store_id,
            display_name: self.display_name.trim().to_owned(),
        })
    }
}

/// Creates a staff account; the unique username index decides races, not a prior lookup.
pub async fn create_staff(
    db: &impl ConnectionTrait,
    passwords: &Passwords,
    new: NewStaff,
) -> Result<staff_accounts::Model, CreateStaffError> {
    insert_staff(db, new.check(passwords).await?).await
}

async fn insert_staff(
    db: &impl ConnectionTrait,
    new: CheckedStaff,
) -> Result<staff_accounts::Model, CreateStaffError> {
    let now = Utc::now();
    let account = staff_accounts::ActiveModel {
        username: Set(new.username.as_str().to_owned()),
        password_hash: Set(new.password_hash),
        role: Set(new.role),
        store_id: Set(new.store_id),
        display_name: Set(new.display_name),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(None),
        password_changed_at: Set(Some(now)),
        ..Default::default()
    };
    account.insert(db).await.map_err(|err| {
        if is_unique_violation(&err) {
            CreateStaffError::UsernameTaken
        } else {
            CreateStaffError::Database(err)
        }
    })
}

/// The login handed out on a fresh install, shown once in the log.
pub struct InitialAccount {
    pub username: String,
    pub password: String,
}

pub const INITIAL_HQ_USERNAME: &str = "admin";

/// On a database without any staff account, creates the `admin` HQ account with a random password.
/// Two instances starting together race on the unique username: the loser creates nothing.
pub async fn ensure_initial_hq(
    db: &impl ConnectionTrait,
    passwords: &Passwords,
) -> Result<Option<InitialAccount>, CreateStaffError> {
    if staff_accounts::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let password = password::generate_password();
    match create_staff(
        db,
        passwords,
        NewStaff {
            username: INITIAL_HQ_USERNAME.to_owned(),
            password: password.clone(),
            role: StaffRole::Hq,
            store_id: None,
            display_name: "總公司管理員".to_owned(),
        },
    )
    .await
    {
        Ok(_) => Ok(Some(InitialAccount {
            username: INITIAL_HQ_USERNAME.to_owned(),
            password,
        })),
        Err(CreateStaffError::UsernameTaken) => Ok(None),
        Err(err) => Err(err),
    }
}

// ---- The staff accounts admin (HQ) ----

use sea_orm::{DatabaseConnection, IntoActiveModel, QueryOrder, TransactionTrait};
use serde_json::json;

use crate::db::entities::stores;
use crate::services::audit::{self, Actor, Change};
use crate::services::error::{Error, Invalid, NotFound, Refusal};
use crate::services::sessions;

/// An account as the admin lists it, with its store's name.
pub struct StaffView {
    pub account: staff_accounts::Model,
    pub store_name: Option<String>,
}

/// A password handed out once (new account, reset): shown on the page, never stored in clear.
pub struct OneTimePassword {
    pub account: staff_accounts::Model,
    pub password: String,
}

fn staff_json(account: &staff_accounts::Model) -> serde_json::Value {
    json!({
        "username": account.username,
        "display_name": account.display_name,
        "role": account.role,
        "store_id": account.store_id,
        "active": account.active,
    })
}

fn staff_not_found() -> Error {
    NotFound::Account.into()
}

/// Every account (HQ only), by username.
pub async fn list_staff(db: &impl ConnectionTrait, actor: &Actor) -> Result<Vec<StaffView>, Error> {
    actor.scope.require_hq()?;
    let store_names: std::collections::HashMap<i32, String> = stores::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    Ok(staff_accounts::Entity::find()
        .order_by_asc(staff_accounts::Column::Username)
        .all(db)
        .await?
        .into_iter()
        .map(|account| StaffView {
            store_name: account
                .store_id
                .and_then(|id| store_names.get(&id).cloned()),
            account,
        })
        .collect())
}

pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub role: StaffRole,
    pub store_id: Option<i32>,
}

/// Creates an account with a generated one-time password (HQ only).
pub async fn create_account(
    db: &DatabaseConnection,
    passwords: &Passwords,
    actor: &Actor,
    new: NewAccount,
) -> Result<OneTimePassword, Error> {
    actor.scope.require_hq()?;
    let display_name = new.display_name.trim();
    if display_name.chars().count() > 100 || display_name.chars().any(char::is_control) {
        return Err(Invalid::DisplayName.into());
    }
    let password = password::generate_password();
    let checked = NewStaff {
        username: new.username,
        password: password.clone(),
        role: new.role,
        store_id: if new.role == StaffRole::Store {
            new.store_id
        } else {
            None
        },
        display_name: display_name.to_owned(),
    }
    .check(passwords)
    .await?;
    let txn = db.begin().await?;
    if let Some(store_id) = checked.store_id {
        stores::Entity::find_by_id(store_id)
            .one(&txn)
            .await?
            .ok_or(Invalid::UnknownStore)?;
    }
    let account = insert_staff(&txn, checked).await?;
    audit::record(
        &txn,
        actor,
        Change::new("staff.create", "staff", account.id)
            .store(account.store_id)
            .after(staff_json(&account)),
    )
    .await?;
    txn.commit().await?;
    Ok(OneTimePassword { account, password })
}

/// Deactivates (ending its sessions at once) or reactivates an account. HQ cannot deactivate
/// their own account, so nobody locks the last door behind them.
pub async fn set_account_active(
    db: &DatabaseConnection,
    actor: &Actor,
    staff_id: i32,
    active_now: bool,
) -> Result<staff_accounts::Model, Error> {
    actor.scope.require_hq()?;
    if !active_now && actor.staff_id == Some(staff_id) {
        return Err(Refusal::OwnAccount.into());
    }
    let txn = db.begin().await?;
    let before = staff_accounts::Entity::find_by_id(staff_id)
        .one(&txn)
        .await?
        .ok_or_else(staff_not_found)?;
    if before.active == active_now {
        return Ok(before);
    }
    let mut active = before.clone().into_active_model();
    active.active = Set(active_now);
    active.updated_at = Set(Utc::now());
    let after = active.update(&txn).await?;
    if !active_now {
        sessions::end_sessions_of(&txn, staff_id, None).await?;
    }
    let action = if active_now {
        "staff.reactivate"
    } else {
        "staff.deactivate"
    };
    audit::record(
        &txn,
        actor,
        Change::new(action, "staff", staff_id)
            .store(after.store_id)
            .before(staff_json(&before))
            .after(staff_json(&after)),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Gives an account a new generated password, shown once, and ends its sessions (HQ only).
pub async fn reset_password(
    db: &DatabaseConnection,
    passwords: &Passwords,
    actor: &Actor,
    staff_id: i32,
) -> Result<OneTimePassword, Error> {
    actor.scope.require_hq()?;
    let password = password::generate_password();
    let hash = passwords.hash(&password).await?;
    let txn = db.begin().await?;
    let before = staff_accounts::Entity::find_by_id(staff_id)
        .one(&txn)
        .await?
        .ok_or_else(staff_not_found)?;
    let now = Utc::now();
    let mut active = before.clone().into_active_model();
    active.password_hash = Set(hash);
    active.password_changed_at = Set(Some(now));
    active.updated_at = Set(now);
    let account = active.update(&txn).await?;
    sessions::end_sessions_of(&txn, staff_id, None).await?;
    audit::record(
        &txn,
        actor,
        Change::new("staff.reset_password", "staff", staff_id).store(account.store_id),
    )
    .await?;
    txn.commit().await?;
    Ok(OneTimePassword { account, password })
}

/// Changes the actor's own password after checking the current one; other sessions end, the
/// session `keep_session_hash` stays.
pub async fn change_own_password(
    db: &DatabaseConnection,
    passwords: &Passwords,
    actor: &Actor,
    current: &str,
    new_password: &str,
    keep_session_hash: &str,
) -> Result<(), Error> {
    let Some(staff_id) = actor.staff_id else {
        return Err(Error::Forbidden);
    };
    password::check_new_password(new_password).map_err(CreateStaffError::from)?;
    let account = staff_accounts::Entity::find_by_id(staff_id)
        .one(db)
        .await?
        .ok_or_else(staff_not_found)?;
    if !passwords
        .verify(current, Some(&account.password_hash))
        .await?
    {
        return Err(Invalid::WrongCurrentPassword.into());
    }
    let hash = passwords.hash(new_password).await?;
    let txn = db.begin().await?;
    let now = Utc::now();
    let mut active = account.into_active_model();
    active.password_hash = Set(hash);
    active.password_changed_at = Set(Some(now));
    active.updated_at = Set(now);
    let account = active.update(&txn).await?;
    sessions::end_sessions_of(&txn, staff_id, Some(keep_session_hash)).await?;
    audit::record(
        &txn,
        actor,
        Change::new("staff.change_password", "staff", staff_id).store(account.store_id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
