use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Members::Table)
                    .col(pk_auto(Members::Id))
                    .col(text_null(Members::LineUserId).unique_key())
                    .col(text_null(Members::PhoneE164).unique_key())
                    .col(text_null(Members::DisplayName))
                    .col(
                        text(Members::RegisteredVia)
                            .check(Expr::col(Members::RegisteredVia).is_in(["liff", "phone"])),
                    )
                    .col(timestamp_with_time_zone_null(Members::PhoneVerifiedAt))
                    .col(timestamp_with_time_zone_null(Members::LineLinkedAt))
                    .col(timestamp_with_time_zone_null(Members::ConsentAt))
                    .col(text_null(Members::ConsentVersion))
                    .col(timestamp_with_time_zone_null(Members::ErasedAt))
                    .col(timestamp_with_time_zone(Members::CreatedAt))
                    .col(timestamp_with_time_zone(Members::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Members::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
    LineUserId,
    #[sea_orm(iden = "phone_e164")]
    PhoneE164,
    DisplayName,
    RegisteredVia,
    PhoneVerifiedAt,
    LineLinkedAt,
    ConsentAt,
    ConsentVersion,
    ErasedAt,
    CreatedAt,
    UpdatedAt,
}
