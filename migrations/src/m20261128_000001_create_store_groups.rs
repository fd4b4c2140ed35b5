use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StoreGroups::Table)
                    .col(pk_auto(StoreGroups::Id))
                    .col(text_uniq(StoreGroups::Name))
                    .col(timestamp_with_time_zone(StoreGroups::CreatedAt))
                    .col(timestamp_with_time_zone(StoreGroups::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StoreGroups::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum StoreGroups {
    Table,
    Id,
    Name,
    CreatedAt,
    UpdatedAt,
}
