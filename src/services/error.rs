//! What a use case refuses, as data. Services say *what* went wrong; the HTTP layer
//! (`http::error`) decides the status and the words a person reads, in one place.

use chrono::{DateTime, Utc};
use sea_orm::DbErr;

use crate::domain::access::AccessDenied;
use crate::domain::attribution::RulesError;
use crate::domain::checklist::RuleError;
use crate::domain::members::{MergeBlocked, ReasonError};
use crate::domain::shop_settings::SettingsError;
use crate::domain::stores::{NameError, StoreCodeError};
use crate::services::accounts::CreateStaffError;
use crate::services::passwords::HashingError;
use crate::services::setup::NotReady;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0:?} not found")]
    NotFound(NotFound),
    #[error("access denied")]
    Denied(#[from] AccessDenied),
    /// The actor has no staff account of its own (the CLI) for an action on one's own account.
    #[error("forbidden")]
    Forbidden,
    #[error("account: {0}")]
    Account(#[from] CreateStaffError),
    #[error(transparent)]
    Checklist(#[from] RuleError),
    #[error(transparent)]
    ShopSettings(#[from] SettingsError),
    #[error(transparent)]
    NotReady(#[from] NotReady),
    #[error("too many scans; retry in {0:?}")]
    TooManyScans(std::time::Duration),
    #[error("invalid input: {0:?}")]
    Invalid(Invalid),
    #[error("refused: {0:?}")]
    Refused(Refusal),
    #[error("the QR code is no longer valid")]
    QrCodeRetired,
    #[error("password hashing: {0}")]
    Hashing(#[from] HashingError),
    #[error(transparent)]
    Database(#[from] DbErr),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// The thing a request names that does not exist (or is outside the actor's reach).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotFound {
    Store,
    Group,
    Clerk,
    Member,
    Account,
    ApiToken,
    Conflict,
    BindingChange,
    ChecklistItem,
    QrCode,
}

/// Which name a [`NameError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameField {
    Store,
    Group,
    ApiToken,
}

/// Input a person can correct.
#[derive(Debug)]
pub enum Invalid {
    Name(NameField, NameError),
    StoreCode(StoreCodeError),
    /// A form names a store that does not exist.
    UnknownStore,
    ReportGrouping,
    MemberSearch,
    Reason(ReasonError),
    Note(ReasonError),
    DisplayName,
    WrongCurrentPassword,
    /// An API token must act for an active account.
    TokenAccount,
    Attribution(RulesError),
    Rebind(RebindProblem),
}

/// Why HQ's rebinding, reassignment or undo cannot be done as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RebindProblem {
    StoreMissing,
    /// The store's name.
    StoreInactive(String),
    ClerkMissing,
    ClerkOfOtherStore,
    ClerkInactive,
    Unchanged,
    ReassignKind,
    SameSourceAndTarget,
    ReassignAcrossStores,
    NothingToReassign,
    UndoOfUndo,
}

/// A request that is well-formed but conflicts with the current state.
#[derive(Debug)]
pub enum Refusal {
    StoreCodeTaken(String),
    /// Shoppers see store names: each store has its own.
    StoreNameTaken(String),
    GroupNameTaken(String),
    GroupNotEmpty {
        name: String,
        stores: u64,
    },
    OwnAccount,
    ClerkDeactivated,
    QrCodeReplaced,
    AlreadyErased,
    ConflictResolved,
    MergeBlocked(MergeBlocked),
    NotBound,
    PreviewChanged {
        expected: u64,
        now: u64,
    },
    AlreadyUndone,
    UndoTooLate {
        performed_at: DateTime<Utc>,
    },
}

impl From<NotFound> for Error {
    fn from(missing: NotFound) -> Self {
        Error::NotFound(missing)
    }
}

impl From<Invalid> for Error {
    fn from(invalid: Invalid) -> Self {
        Error::Invalid(invalid)
    }
}

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Self {
        Error::Refused(refusal)
    }
}

impl Error {
    /// A database error that a unique constraint raised becomes `refusal`; any other stays itself.
    pub fn unique_or(err: DbErr, refusal: impl FnOnce() -> Refusal) -> Self {
        if crate::db::is_unique_violation(&err) {
            Error::Refused(refusal())
        } else {
            Error::Database(err)
        }
    }
}
