use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Stores::Table)
                    .col(pk_auto(Stores::Id))
                    .col(text_uniq(Stores::Code))
                    .col(text(Stores::Name))
                    // One nullable FK column: a store is in at most one group by construction.
                    .col(integer_null(Stores::GroupId))
                    .col(boolean(Stores::Active).default(true))
                    .col(timestamp_with_time_zone(Stores::CreatedAt))
                    .col(timestamp_with_time_zone(Stores::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_stores_group_id")
                            .from(Stores::Table, Stores::GroupId)
                            .to(StoreGroups::Table, StoreGroups::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_stores_group_id")
                    .table(Stores::Table)
                    .col(Stores::GroupId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Stores::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Stores {
    Table,
    Id,
    Code,
    Name,
    GroupId,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StoreGroups {
    Table,
    Id,
}
