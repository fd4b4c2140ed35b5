//! Which member an order is for, and the binding that credits it as it stood at the order's time.

use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, JoinType, QueryFilter,
    QuerySelect, RelationTrait,
};

use crate::db::entities::enums::UnattributedReason;
use crate::db::entities::{binding_change_members, binding_changes, bindings, members, stores};
use crate::domain::attribution::{BindingHistory, Referrer, ReferrerChange};
use crate::domain::line_user::LineUserId;
use crate::domain::orders::CustomerRef;
use crate::domain::phone::TaiwanMobile;

/// The member an order names, or why there is none.
pub(super) struct CustomerMatch {
    pub member_id: Option<i32>,
    pub missing: UnattributedReason,
    /// The member's binding as it stands, read with the member.
    pub binding: Option<CurrentBinding>,
}

/// A member's binding as it stands now, with its store's group.
#[derive(Clone)]
pub(super) struct CurrentBinding {
    referrer: Referrer,
    bound_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    store_group_id: Option<i32>,
}

/// A member found by one of an order's references, with their binding (if any).
type MemberRow = (
    i32,
    Option<LineUserId>,
    Option<TaiwanMobile>,
    Option<i32>,
    Option<i32>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<i32>,
);

/// The member each order names, or why there is none, in one statement for all of them: for each
/// order the member id is tried, then the LINE user id, then the phone, and the first that finds
/// a member wins. The member's binding and its store's group come in the same statement.
pub(super) async fn match_customers(
    txn: &impl ConnectionTrait,
    customers: &[&CustomerRef],
) -> Result<Vec<CustomerMatch>, DbErr> {
    let ids: HashSet<i32> = customers.iter().filter_map(|c| c.member_id).collect();
    let line_user_ids: HashSet<&str> = customers
        .iter()
        .filter_map(|c| c.line_user_id.as_ref().map(LineUserId::as_str))
        .collect();
    let phones: HashSet<&str> = customers
        .iter()
        .filter_map(|c| c.phone.as_ref().map(TaiwanMobile::e164))
        .collect();
    let mut any = Condition::any();
    if !ids.is_empty() {
        any = any.add(members::Column::Id.is_in(ids));
    }
    if !line_user_ids.is_empty() {
        any = any.add(members::Column::LineUserId.is_in(line_user_ids));
    }
    if !phones.is_empty() {
        any = any.add(members::Column::PhoneE164.is_in(phones));
    }
    let found = if any.is_empty() {
        Vec::new()
    } else {
        members::Entity::find()
            .select_only()
            .column(members::Column::Id)
            .column(members::Column::LineUserId)
            .column(members::Column::PhoneE164)
            .column(bindings::Column::StoreId)
            .column(bindings::Column::ClerkId)
            .column(bindings::Column::BoundAt)
            .column(bindings::Column::UpdatedAt)
            .column(stores::Column::GroupId)
            .join(JoinType::LeftJoin, members::Relation::Binding.def())
            .join(JoinType::LeftJoin, bindings::Relation::Store.def())
            .filter(any)
            .into_tuple::<MemberRow>()
            .all(txn)
            .await?
    };
    let mut by_id = HashMap::new();
    let mut by_line_user_id = HashMap::new();
    let mut by_phone = HashMap::new();
    for row in &found {
        by_id.insert(row.0, row);
        if let Some(line_user_id) = &row.1 {
            by_line_user_id.insert(line_user_id.as_str(), row);
        }
        if let Some(phone) = &row.2 {
            by_phone.insert(phone.e164(), row);
        }
    }
    Ok(customers
        .iter()
        .map(|customer| {
            if customer.is_empty() {
                return CustomerMatch {
                    member_id: None,
                    missing: UnattributedReason::NoCustomer,
                    binding: None,
                };
            }
            let row = customer
                .member_id
                .and_then(|id| by_id.get(&id))
                .or_else(|| {
                    let line_user_id = customer.line_user_id.as_ref()?;
                    by_line_user_id.get(line_user_id.as_str())
                })
                .or_else(|| by_phone.get(customer.phone.as_ref()?.e164()));
            CustomerMatch {
                member_id: row.map(|row| row.0),
                missing: UnattributedReason::UnknownMember,
                binding: row.and_then(|row| current_binding(row)),
            }
        })
        .collect())
}

fn current_binding(row: &MemberRow) -> Option<CurrentBinding> {
    let (_, _, _, store_id, clerk_id, bound_at, updated_at, store_group_id) = row;
    Some(CurrentBinding {
        referrer: Referrer {
            store_id: (*store_id)?,
            clerk_id: *clerk_id,
        },
        bound_at: (*bound_at)?,
        updated_at: (*updated_at)?,
        store_group_id: *store_group_id,
    })
}

/// A member's binding as far as an order needs it.
pub(super) struct MemberBinding {
    pub history: BindingHistory,
    /// The group of the store the member is bound to now, read with the binding: most orders
    /// credit that store, and then its group needs no look-up of its own.
    pub store_group_id: Option<i32>,
}

impl MemberBinding {
    /// The group of `store_id`, when it is the store the member is bound to now.
    pub fn group_of(&self, store_id: i32) -> Option<Option<i32>> {
        (self.history.current.store_id == store_id).then_some(self.store_group_id)
    }
}

/// The member's binding as far as `at` needs it: the binding as it stands (read with the member)
/// and HQ's changes after `at`.
pub(super) async fn binding_history(
    txn: &impl ConnectionTrait,
    member_id: i32,
    binding: CurrentBinding,
    at: DateTime<Utc>,
) -> Result<MemberBinding, DbErr> {
    let CurrentBinding {
        referrer: current,
        bound_at,
        updated_at,
        store_group_id,
    } = binding;
    // Every change of the referrer touches `updated_at`: unchanged since `at`, no change matters.
    let changes = if updated_at <= at {
        Vec::new()
    } else {
        binding_change_members::Entity::find()
            .select_only()
            .column(binding_changes::Column::PerformedAt)
            .column(binding_change_members::Column::FromStoreId)
            .column(binding_change_members::Column::FromClerkId)
            .column(binding_change_members::Column::ToStoreId)
            .column(binding_change_members::Column::ToClerkId)
            .join(
                JoinType::InnerJoin,
                binding_change_members::Relation::Change.def(),
            )
            .filter(binding_change_members::Column::MemberId.eq(member_id))
            .filter(binding_changes::Column::PerformedAt.gt(at))
            .into_tuple::<(DateTime<Utc>, i32, Option<i32>, i32, Option<i32>)>()
            .all(txn)
            .await?
            .into_iter()
            .map(
                |(changed_at, from_store, from_clerk, to_store, to_clerk)| ReferrerChange {
                    at: changed_at,
                    from: Referrer {
                        store_id: from_store,
                        clerk_id: from_clerk,
                    },
                    to: Referrer {
                        store_id: to_store,
                        clerk_id: to_clerk,
                    },
                },
            )
            .collect()
    };
    Ok(MemberBinding {
        history: BindingHistory {
            bound_at,
            current,
            changes,
        },
        store_group_id,
    })
}
