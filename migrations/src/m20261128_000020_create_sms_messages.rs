use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SmsMessages::Table)
                    .col(pk_auto(SmsMessages::Id))
                    .col(text(SmsMessages::PhoneE164))
                    .col(integer_null(SmsMessages::StoreId))
                    .col(text(SmsMessages::Provider))
                    .col(text(SmsMessages::Purpose))
                    .col(
                        text(SmsMessages::Status)
                            .check(Expr::col(SmsMessages::Status).is_in(["sent", "failed"])),
                    )
                    .col(text_null(SmsMessages::ProviderMessageId))
                    .col(integer(SmsMessages::CostUnits).default(1))
                    .col(text_null(SmsMessages::Error))
                    .col(timestamp_with_time_zone(SmsMessages::SentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sms_messages_store_id")
                            .from(SmsMessages::Table, SmsMessages::StoreId)
                            .to(Stores::Table, Stores::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sms_messages_sent_at")
                    .table(SmsMessages::Table)
                    .col(SmsMessages::SentAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sms_messages_store_id_sent_at")
                    .table(SmsMessages::Table)
                    .col(SmsMessages::StoreId)
                    .col(SmsMessages::SentAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SmsMessages::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SmsMessages {
    Table,
    Id,
    #[sea_orm(iden = "phone_e164")]
    PhoneE164,
    StoreId,
    Provider,
    Purpose,
    Status,
    ProviderMessageId,
    CostUnits,
    Error,
    SentAt,
}

#[derive(DeriveIden)]
enum Stores {
    Table,
    Id,
}
