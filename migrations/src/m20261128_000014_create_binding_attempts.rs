use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BindingAttempts::Table)
                    .col(pk_auto(BindingAttempts::Id))
                    .col(integer_null(BindingAttempts::MemberId))
                    .col(text_null(BindingAttempts::JourneyId))
                    .col(integer(BindingAttempts::StoreId))
                    .col(integer_null(BindingAttempts::ClerkId))
                    .col(text(BindingAttempts::Outcome).check(
                        Expr::col(BindingAttempts::Outcome).is_in([
                            "bound",
                            "already_bound",
                            "conflict",
                            "expired",
                        ]),
                    ))
                    .col(integer_null(BindingAttempts::BoundStoreId))
                    .col(timestamp_with_time_zone(BindingAttempts::AttemptedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_binding_attempts_member_id")
                            .from(BindingAttempts::Table, BindingAttempts::MemberId)
                            .to(Members::Table, Members::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_binding_attempts_store_id")
                            .from(BindingAttempts::Table, BindingAttempts::StoreId)
                            .to(Stores::Table, Stores::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_binding_attempts_member_id")
                    .table(BindingAttempts::Table)
                    .col(BindingAttempts::MemberId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_binding_attempts_store_id_attempted_at")
                    .table(BindingAttempts::Table)
                    .col(BindingAttempts::StoreId)
                    .col(BindingAttempts::AttemptedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(BindingAttempts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum BindingAttempts {
    Table,
    Id,
    MemberId,
    JourneyId,
    StoreId,
    ClerkId,
    Outcome,
    BoundStoreId,
    AttemptedAt,
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
