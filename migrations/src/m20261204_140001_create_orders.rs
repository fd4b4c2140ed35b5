//! Sales: one row per booking. A sale (an online order or an in-store purchase) is a positive row;
//! each refund or cancellation of it is a negative row of its own, linked by `parent_id` and booked
//! on the day it happened, so a report of a past month never changes when a refund comes later.
//!
//! Every row carries the attribution snapshot taken when it was recorded (the store, group and
//! clerk credited as the binding stood at the order time, the level, or why nothing was credited),
//! so rebinding a member later never rewrites past reports. `(source, external_id)` is unique:
//! a redelivered web-shop order, a repeated API call or a double-submitted in-store form (whose
//! idempotency key is its external id under the source `in_store`) inserts nothing the second time.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const KINDS: [&str; 2] = ["sale", "refund"];
const CHANNELS: [&str; 2] = ["online", "in_store"];
const STATUSES: [&str; 3] = ["paid", "cancelled", "refunded"];
const LEVELS: [&str; 2] = ["store", "clerk"];
const UNATTRIBUTED_REASONS: [&str; 5] = [
    "no_customer",
    "unknown_member",
    "not_bound",
    "before_binding",
    "window_expired",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(big_pk_auto(Orders::Id))
                    .col(text(Orders::Kind).check(Expr::col(Orders::Kind).is_in(KINDS)))
                    .col(big_integer_null(Orders::ParentId))
                    .col(text(Orders::Channel).check(Expr::col(Orders::Channel).is_in(CHANNELS)))
                    .col(text(Orders::Source))
                    .col(text(Orders::ExternalId))
                    .col(text(Orders::Status).check(Expr::col(Orders::Status).is_in(STATUSES)))
                    // NT$, whole dollars: positive for a sale, negative for a refund.
                    .col(big_integer(Orders::Amount))
                    // On a sale: how much of it has been refunded so far (its refund rows, negated).
                    .col(big_integer(Orders::RefundedAmount).default(0))
                    // A sale: when it was ordered; a refund: when it was refunded.
                    .col(timestamp_with_time_zone(Orders::OrderedAt))
                    // The Taiwan (UTC+8) calendar day and month of `ordered_at`, as 20261128 and 202611.
                    .col(integer(Orders::BookedDay))
                    .col(integer(Orders::BookedMonth))
                    .col(timestamp_with_time_zone(Orders::ReceivedAt))
                    .col(integer_null(Orders::MemberId))
                    // The customer as the order named them (E.164 / LINE user id), matched or not.
                    .col(text_null(Orders::CustomerPhone))
                    .col(text_null(Orders::CustomerLineUserId))
                    .col(
                        text(Orders::AttributionLevel)
                            .check(Expr::col(Orders::AttributionLevel).is_in(LEVELS)),
                    )
                    .col(integer_null(Orders::CreditedStoreId))
                    // The credited store's group at the time; no foreign key, so deleting an
                    // emptied group leaves past reports as they were.
                    .col(integer_null(Orders::CreditedGroupId))
                    .col(integer_null(Orders::CreditedClerkId))
                    .col(
                        text_null(Orders::UnattributedReason).check(
                            Expr::col(Orders::UnattributedReason).is_in(UNATTRIBUTED_REASONS),
                        ),
                    )
                    // In-store: the store where the purchase was made (may differ from the credited one).
                    .col(integer_null(Orders::EntryStoreId))
                    // Who recorded it: the clerk, or the account of the API token or import.
                    .col(integer_null(Orders::OperatorStaffId))
                    .col(text_null(Orders::ReceiptNo))
                    .col(text_null(Orders::Note))
                    .col(timestamp_with_time_zone_null(Orders::VoidedAt))
                    .col(integer_null(Orders::VoidedByStaffId))
                    .col(text_null(Orders::VoidReason))
                    .check(
                        Expr::col(Orders::Kind)
                            .eq("sale")
                            .and(Expr::col(Orders::Amount).gt(0))
                            .and(Expr::col(Orders::ParentId).is_null())
                            .or(Expr::col(Orders::Kind)
                                .eq("refund")
                                .and(Expr::col(Orders::Amount).lt(0))
                                .and(Expr::col(Orders::ParentId).is_not_null())),
                    )
                    .check(
                        Expr::col(Orders::RefundedAmount).gte(0).and(
                            Expr::col(Orders::Kind)
                                .eq("refund")
                                .or(Expr::col(Orders::RefundedAmount)
                                    .lte(Expr::col(Orders::Amount))),
                        ),
                    )
                    // Credited to a store, or not credited with a reason: never both, never neither.
                    .check(
                        Expr::col(Orders::CreditedStoreId)
                            .is_not_null()
                            .and(Expr::col(Orders::UnattributedReason).is_null())
                            .or(Expr::col(Orders::CreditedStoreId)
                                .is_null()
                                .and(Expr::col(Orders::UnattributedReason).is_not_null())),
                    )
                    // A void always says why.
                    .check(
                        Expr::col(Orders::VoidedAt)
                            .is_null()
                            .and(Expr::col(Orders::VoidReason).is_null())
                            .or(Expr::col(Orders::VoidedAt)
                                .is_not_null()
                                .and(Expr::col(Orders::VoidReason).is_not_null())),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_orders_parent_id")
                            .from(Orders::Table, Orders::ParentId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_orders_member_id")
                            .from(Orders::Table, Orders::MemberId)
                            .to(Members::Table, Members::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_orders_credited_store_id")
                            .from(Orders::Table, Orders::CreditedStoreId)
                            .to(Stores::Table, Stores::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_orders_credited_clerk_id")
                            .from(Orders::Table, Orders::CreditedClerkId)
                            .to(StaffAccounts::Table, StaffAccounts::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_orders_entry_store_id")
                            .from(Orders::Table, Orders::EntryStoreId)
                            .to(Stores::Table, Stores::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_orders_operator_staff_id")
                            .from(Orders::Table, Orders::OperatorStaffId)
                            .to(StaffAccounts::Table, StaffAccounts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_orders_voided_by_staff_id")
                            .from(Orders::Table, Orders::VoidedByStaffId)
                            .to(StaffAccounts::Table, StaffAccounts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for index in indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Orders::Table).to_owned())
            .await
    }
}

fn indexes() -> Vec<IndexCreateStatement> {
    let index = |name: &str| Index::create().name(name).table(Orders::Table).to_owned();
    vec![
        // Idempotency: one row per order (or refund, or in-store submission) of a source.
        index("uq_orders_source_external_id")
            .col(Orders::Source)
            .col(Orders::ExternalId)
            .unique()
            .to_owned(),
        // A member's own purchases (the member card) and "did they buy elsewhere this month".
        index("idx_orders_member_id")
            .col(Orders::MemberId)
            .col(Orders::OrderedAt)
            .to_owned(),
        // The refunds of a sale.
        index("idx_orders_parent_id")
            .col(Orders::ParentId)
            .and_where(Expr::col(Orders::ParentId).is_not_null())
            .to_owned(),
        // A store's orders, newest first (store staff see their own store's).
        index("idx_orders_credited_store_id")
            .col(Orders::CreditedStoreId)
            .col(Orders::OrderedAt)
            .to_owned(),
        // Per-day reports that need single orders (members who bought on a day).
        index("idx_orders_booked_day")
            .col(Orders::BookedDay)
            .col(Orders::CreditedStoreId)
            .col(Orders::MemberId)
            .to_owned(),
        // HQ's list of orders no store was credited for.
        index("idx_orders_unattributed")
            .col(Orders::OrderedAt)
            .and_where(Expr::col(Orders::CreditedStoreId).is_null())
            .to_owned(),
        // The purchases recorded in a store (the clerk view's list).
        index("idx_orders_entry_store_id")
            .col(Orders::EntryStoreId)
            .col(Orders::OrderedAt)
            .and_where(Expr::col(Orders::EntryStoreId).is_not_null())
            .to_owned(),
        // A receipt is recorded once per store, so two phones cannot both enter the same sale;
        // a void frees the number for a corrected entry.
        index("uq_orders_in_store_receipt")
            .col(Orders::EntryStoreId)
            .col(Orders::ReceiptNo)
            .unique()
            .and_where(Expr::col(Orders::Source).eq("in_store"))
            .and_where(Expr::col(Orders::ReceiptNo).is_not_null())
            .and_where(Expr::col(Orders::VoidedAt).is_null())
            .to_owned(),
    ]
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    Kind,
    ParentId,
    Channel,
    Source,
    ExternalId,
    Status,
    Amount,
    RefundedAmount,
    OrderedAt,
    BookedDay,
    BookedMonth,
    ReceivedAt,
    MemberId,
    CustomerPhone,
    CustomerLineUserId,
    AttributionLevel,
    CreditedStoreId,
    CreditedGroupId,
    CreditedClerkId,
    UnattributedReason,
    EntryStoreId,
    OperatorStaffId,
    ReceiptNo,
    Note,
    VoidedAt,
    VoidedByStaffId,
    VoidReason,
}

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Stores {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum StaffAccounts {
    Table,
    Id,
}
