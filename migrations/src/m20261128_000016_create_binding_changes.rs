use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BindingChanges::Table)
                    .col(pk_auto(BindingChanges::Id))
                    .col(
                        text(BindingChanges::Kind).check(Expr::col(BindingChanges::Kind).is_in([
                            "rebind",
                            "reassign_clerk",
                            "reassign_store",
                            "undo",
                        ])),
                    )
                    .col(integer_null(BindingChanges::PerformedByStaffId))
                    .col(timestamp_with_time_zone(BindingChanges::PerformedAt))
                    .col(text(BindingChanges::Reason))
                    // Plain ids (history survives deletions).
                    .col(integer_null(BindingChanges::FromStoreId))
                    .col(integer_null(BindingChanges::ToStoreId))
                    .col(integer_null(BindingChanges::FromClerkId))
                    .col(integer_null(BindingChanges::ToClerkId))
                    .col(integer(BindingChanges::MemberCount))
                    .col(json(BindingChanges::MemberIds))
                    .col(timestamp_with_time_zone_null(BindingChanges::UndoneAt))
                    .col(integer_null(BindingChanges::UndoneByStaffId))
                    .col(integer_null(BindingChanges::UndoesChangeId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_binding_changes_performed_by_staff_id")
                            .from(BindingChanges::Table, BindingChanges::PerformedByStaffId)
                            .to(StaffAccounts::Table, StaffAccounts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(BindingChanges::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum BindingChanges {
    Table,
    Id,
    Kind,
    PerformedByStaffId,
    PerformedAt,
    Reason,
    FromStoreId,
    ToStoreId,
    FromClerkId,
    ToClerkId,
    MemberCount,
    MemberIds,
    UndoneAt,
    UndoneByStaffId,
    UndoesChangeId,
}

#[derive(DeriveIden)]
enum StaffAccounts {
    Table,
    Id,
}
