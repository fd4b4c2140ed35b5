use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChecklistItems::Table)
                    .col(text(ChecklistItems::Key).primary_key())
                    .col(text_null(ChecklistItems::Value))
                    .col(integer_null(ChecklistItems::ConfirmedByStaffId))
                    .col(timestamp_with_time_zone_null(ChecklistItems::ConfirmedAt))
                    .col(timestamp_with_time_zone_null(ChecklistItems::LastCheckedAt))
                    .col(text_null(ChecklistItems::LastCheckOutcome).check(
                        Expr::col(ChecklistItems::LastCheckOutcome).is_in([
                            "ok",
                            "failed",
                            "unreachable",
                        ]),
                    ))
                    .col(text_null(ChecklistItems::LastCheckDetail))
                    .col(timestamp_with_time_zone(ChecklistItems::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_checklist_items_confirmed_by_staff_id")
                            .from(ChecklistItems::Table, ChecklistItems::ConfirmedByStaffId)
                            .to(StaffAccounts::Table, StaffAccounts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ChecklistItems::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ChecklistItems {
    Table,
    Key,
    Value,
    ConfirmedByStaffId,
    ConfirmedAt,
    LastCheckedAt,
    LastCheckOutcome,
    LastCheckDetail,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StaffAccounts {
    Table,
    Id,
}
