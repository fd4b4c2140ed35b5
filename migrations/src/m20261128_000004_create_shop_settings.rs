use sea_orm_migration::{prelude::*, schema::*, sea_orm::sea_query::value::prelude::Utc};

const DEFAULT_SHOP_NAME: &str = "我的品牌";
const DEFAULT_WELCOME_MESSAGE: &str =
    "歡迎加入好友！請回到門市掃描 QR code，或傳送門市頁面上的綁定碼，即可完成會員綁定。";
const DEFAULT_SMS_TEMPLATE: &str =
    "【{shop}】您的驗證碼為 {code}，{minutes} 分鐘內有效，請勿提供給他人。";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ShopSettings::Table)
                    // The single settings row: id is always 1.
                    .col(
                        integer(ShopSettings::Id)
                            .primary_key()
                            .check(Expr::col(ShopSettings::Id).eq(1)),
                    )
                    .col(text(ShopSettings::ShopName))
                    .col(text(ShopSettings::WelcomeMessage))
                    .col(text(ShopSettings::SmsTemplate))
                    .col(integer(ShopSettings::SmsDailyBudget).default(500))
                    .col(boolean(ShopSettings::LiffRequiresPhone).default(false))
                    .col(timestamp_with_time_zone_null(ShopSettings::ActivatedAt))
                    .col(integer_null(ShopSettings::ActivatedByStaffId))
                    .col(timestamp_with_time_zone(ShopSettings::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_shop_settings_activated_by_staff_id")
                            .from(ShopSettings::Table, ShopSettings::ActivatedByStaffId)
                            .to(StaffAccounts::Table, StaffAccounts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .execute(
                Query::insert()
                    .into_table(ShopSettings::Table)
                    .columns([
                        ShopSettings::Id,
                        ShopSettings::ShopName,
                        ShopSettings::WelcomeMessage,
                        ShopSettings::SmsTemplate,
                        ShopSettings::UpdatedAt,
                    ])
                    .values_panic([
                        1.into(),
                        DEFAULT_SHOP_NAME.into(),
                        DEFAULT_WELCOME_MESSAGE.into(),
                        DEFAULT_SMS_TEMPLATE.into(),
                        Utc::now().into(),
                    ])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ShopSettings::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ShopSettings {
    Table,
    Id,
    ShopName,
    WelcomeMessage,
    SmsTemplate,
    SmsDailyBudget,
    LiffRequiresPhone,
    ActivatedAt,
    ActivatedByStaffId,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StaffAccounts {
    Table,
    Id,
}
