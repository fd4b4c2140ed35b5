use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(pk_auto(AuditLog::Id))
                    .col(timestamp_with_time_zone(AuditLog::OccurredAt))
                    .col(integer_null(AuditLog::ActorStaffId))
                    .col(text(AuditLog::ActorLabel))
                    .col(text(AuditLog::Action))
                    .col(text(AuditLog::EntityType))
                    .col(text_null(AuditLog::EntityId))
                    // Plain id: the log outlives the store.
                    .col(integer_null(AuditLog::StoreId))
                    .col(json_null(AuditLog::BeforeJson))
                    .col(json_null(AuditLog::AfterJson))
                    .col(text_null(AuditLog::Reason))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_audit_log_actor_staff_id")
                            .from(AuditLog::Table, AuditLog::ActorStaffId)
                            .to(StaffAccounts::Table, StaffAccounts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_log_store_id_occurred_at")
                    .table(AuditLog::Table)
                    .col(AuditLog::StoreId)
                    .col(AuditLog::OccurredAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_log_occurred_at")
                    .table(AuditLog::Table)
                    .col(AuditLog::OccurredAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditLog::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    OccurredAt,
    ActorStaffId,
    ActorLabel,
    Action,
    EntityType,
    EntityId,
    StoreId,
    BeforeJson,
    AfterJson,
    Reason,
}

#[derive(DeriveIden)]
enum StaffAccounts {
    Table,
    Id,
}
