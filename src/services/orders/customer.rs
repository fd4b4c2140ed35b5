//! Which member an order is for, and the binding that credits it as it stood at the order's time.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, RelationTrait,
};

use crate::db::entities::enums::UnattributedReason;
use crate::db::entities::{binding_change_members, binding_changes, bindings, members, stores};
use crate::domain::attribution::{BindingHistory, Referrer, ReferrerChange};
use crate::domain::orders::CustomerRef;

/// The member an order names, or why there is none.
pub(super) struct CustomerMatch {
    pub member_id: Option<i32>,
    pub missing: UnattributedReason,
}

/// Tries the member id, then the LINE user id, then the phone: the first that finds a member wins.
pub(super) async fn match_customer(
    txn: &impl ConnectionTrait,
    customer: &CustomerRef,
) -> Result<CustomerMatch, DbErr> {
    if customer.is_empty() {
        return Ok(CustomerMatch {
            member_id: None,
            missing: UnattributedReason::NoCustomer,
        });
    }
    let mut lookups = Vec::new();
    if let Some(id) = customer.member_id {
        lookups.push(members::Column::Id.eq(id));
    }
    if let Some(line_user_id) = &customer.line_user_id {
        lookups.push(members::Column::LineUserId.eq(line_user_id.as_str()));
    }
    if let Some(phone) = &customer.phone {
        lookups.push(members::Column::PhoneE164.eq(phone.e164()));
    }
    for lookup in lookups {
        if let Some((id,)) = members::Entity::find()
            .select_only()
            .column(members::Column::Id)
            .filter(lookup)
            .into_tuple::<(i32,)>()
            .one(txn)
            .await?
        {
            return Ok(CustomerMatch {
                member_id: Some(id),
                missing: UnattributedReason::UnknownMember,
            });
        }
    }
    Ok(CustomerMatch {
        member_id: None,
        missing: UnattributedReason::UnknownMember,
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

/// The member's binding as far as `at` needs it: the current referrer (with its store's group)
/// and HQ's changes after `at`.
pub(super) async fn binding_history(
    txn: &impl ConnectionTrait,
    member_id: i32,
    at: DateTime<Utc>,
) -> Result<Option<MemberBinding>, DbErr> {
    let Some((store_id, clerk_id, bound_at, updated_at, store_group_id)) = bindings::Entity::find()
        .select_only()
        .column(bindings::Column::StoreId)
        .column(bindings::Column::ClerkId)
        .column(bindings::Column::BoundAt)
        .column(bindings::Column::UpdatedAt)
        .column(stores::Column::GroupId)
        .join(
            sea_orm::JoinType::InnerJoin,
            bindings::Relation::Store.def(),
        )
        .filter(bindings::Column::MemberId.eq(member_id))
        .into_tuple::<(i32, Option<i32>, DateTime<Utc>, DateTime<Utc>, Option<i32>)>()
        .one(txn)
        .await?
    else {
        return Ok(None);
    };
    let current = Referrer { store_id, clerk_id };
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
                sea_orm::JoinType::InnerJoin,
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
    Ok(Some(MemberBinding {
        history: BindingHistory {
            bound_at,
            current,
            changes,
        },
        store_group_id,
    }))
}
