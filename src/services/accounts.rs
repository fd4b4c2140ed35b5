//! Staff accounts: creating them (CLI, first start, the admin) and the first HQ login.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, PaginatorTrait, Set};

use crate::db::entities::enums::StaffRole;
use crate::db::entities::staff_accounts;
use crate::domain::password::{self, PasswordRuleError};
use crate::domain::username::{Username, UsernameError};
use crate::error::is_unique_violation;

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
    Database(#[from] sea_orm::DbErr),
}

pub struct NewStaff {
    pub username: String,
    pub password: String,
    pub role: StaffRole,
    pub store_id: Option<i32>,
    pub display_name: String,
}

/// Creates a staff account; the unique username index decides races, not a prior lookup.
pub async fn create_staff(
    db: &impl ConnectionTrait,
    new: NewStaff,
) -> Result<staff_accounts::Model, CreateStaffError> {
    let username = Username::parse(&new.username)?;
    password::check_new_password(&new.password)?;
    if (new.role == StaffRole::Store) != new.store_id.is_some() {
        return Err(CreateStaffError::StoreMismatch);
    }
    let now = Utc::now();
    let account = staff_accounts::ActiveModel {
        username: Set(username.as_str().to_owned()),
        password_hash: Set(password::hash_password(&new.password)),
        role: Set(new.role),
        store_id: Set(new.store_id),
        display_name: Set(new.display_name.trim().to_owned()),
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
) -> Result<Option<InitialAccount>, CreateStaffError> {
    if staff_accounts::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let password = password::generate_password();
    match create_staff(
        db,
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
