//! Who may see and change what in the admin. The one place the role rule lives: every admin route
//! and every service asks a [`Scope`] instead of looking at roles itself.
//!
//! `hq` sees and changes everything. `store` staff see only their own store (its page, its clerks,
//! later its poster and members) and change nothing outside it.

use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};

/// What a signed-in staff member (or the CLI, which acts as HQ) may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Headquarters: every store, every setting.
    Hq,
    /// One store's staff.
    Store(i32),
}

/// Why an action was refused. HQ-only actions say so (403); another store's objects are treated
/// as not existing (404), so store staff cannot probe which ids exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccessDenied {
    #[error("only headquarters staff may do this")]
    HqOnly,
    #[error("the object belongs to another store")]
    OtherStore,
}

impl Scope {
    /// The scope of an account's role. A `store` account without a store (ruled out by a CHECK)
    /// would see nothing.
    pub fn of(role: StaffRole, store_id: Option<i32>) -> Self {
        match (role, store_id) {
            (StaffRole::Hq, _) => Scope::Hq,
            (StaffRole::Store, Some(id)) => Scope::Store(id),
            (StaffRole::Store, None) => Scope::Store(-1),
        }
    }

    pub fn is_hq(self) -> bool {
        matches!(self, Scope::Hq)
    }

    /// The store a list must be limited to; `None` means every store.
    pub fn store_filter(self) -> Option<i32> {
        match self {
            Scope::Hq => None,
            Scope::Store(id) => Some(id),
        }
    }

    /// Whether the store's page (and what hangs off it: clerks, poster, members) may be shown.
    pub fn can_view_store(self, store_id: i32) -> bool {
        match self {
            Scope::Hq => true,
            Scope::Store(own) => own == store_id,
        }
    }

    /// Whether store-level actions (printing its poster, its clerk cards) may be taken there.
    pub fn can_act_in_store(self, store_id: i32) -> bool {
        self.can_view_store(store_id)
    }

    /// Changing stores, groups, accounts, settings: HQ only.
    pub fn require_hq(self) -> Result<(), AccessDenied> {
        if self.is_hq() {
            Ok(())
        } else {
            Err(AccessDenied::HqOnly)
        }
    }

    pub fn require_view_store(self, store_id: i32) -> Result<(), AccessDenied> {
        if self.can_view_store(store_id) {
            Ok(())
        } else {
            Err(AccessDenied::OtherStore)
        }
    }
}

/// `staff_accounts.role`
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    #[sea_orm(string_value = "hq")]
    Hq,
    #[sea_orm(string_value = "store")]
    Store,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hq_sees_every_store_and_may_change_things() {
        assert!(Scope::Hq.can_view_store(1));
        assert!(Scope::Hq.can_view_store(99));
        assert_eq!(Scope::Hq.require_hq(), Ok(()));
        assert_eq!(Scope::Hq.store_filter(), None);
    }

    #[test]
    fn store_staff_see_only_their_own_store_and_change_nothing_hq_only() {
        let scope = Scope::Store(7);
        assert!(scope.can_view_store(7));
        assert!(scope.can_act_in_store(7));
        assert!(!scope.can_view_store(8));
        assert_eq!(scope.require_view_store(8), Err(AccessDenied::OtherStore));
        assert_eq!(scope.require_hq(), Err(AccessDenied::HqOnly));
        assert_eq!(scope.store_filter(), Some(7));
    }
}
