use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Bindings::Table)
                    .col(pk_auto(Bindings::Id))
                    // One binding per member.
                    .col(integer_uniq(Bindings::MemberId))
                    .col(integer(Bindings::StoreId))
                    .col(integer_null(Bindings::ClerkId))
                    .col(
                        text(Bindings::Route)
                            .check(Expr::col(Bindings::Route).is_in(["liff", "phone"])),
                    )
                    .col(text_null(Bindings::JourneyId))
                    .col(timestamp_with_time_zone(Bindings::BoundAt))
                    .col(timestamp_with_time_zone(Bindings::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_bindings_member_id")
                            .from(Bindings::Table, Bindings::MemberId)
                            .to(Members::Table, Members::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_bindings_store_id")
                            .from(Bindings::Table, Bindings::StoreId)
                            .to(Stores::Table, Stores::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_bindings_clerk_id")
                            .from(Bindings::Table, Bindings::ClerkId)
                            .to(StaffAccounts::Table, StaffAccounts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_bindings_store_id")
                    .table(Bindings::Table)
                    .col(Bindings::StoreId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_bindings_clerk_id")
                    .table(Bindings::Table)
                    .col(Bindings::ClerkId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Bindings::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Bindings {
    Table,
    Id,
    MemberId,
    StoreId,
    ClerkId,
    Route,
    JourneyId,
    BoundAt,
    UpdatedAt,
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
