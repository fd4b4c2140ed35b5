//! The shop's setup state: the checklist answers, the shop settings and activation.

use sea_orm::{ConnectionTrait, EntityTrait};

use crate::db::entities::{checklist_items, shop_settings};
use crate::domain::checklist::{ChecklistItem, SetupFlags};

/// The flags every request path needs (route at scan time, SMS allowed, open or not).
pub async fn flags(db: &impl ConnectionTrait) -> Result<SetupFlags, sea_orm::DbErr> {
    let items = checklist_items::Entity::find().all(db).await?;
    let yes = |item: ChecklistItem| {
        items
            .iter()
            .any(|row| row.key == item.key() && row.value.as_deref() == Some("yes"))
    };
    let settings = shop_settings(db).await?;
    Ok(SetupFlags {
        activated: settings.activated_at.is_some(),
        certified_provider: yes(ChecklistItem::CertifiedProvider),
        auto_liff: yes(ChecklistItem::AutoLiff),
        sms_template_enabled: yes(ChecklistItem::SmsTemplateEnabled),
    })
}

/// The one shop settings row (seeded by the migrations).
pub async fn shop_settings(
    db: &impl ConnectionTrait,
) -> Result<shop_settings::Model, sea_orm::DbErr> {
    shop_settings::Entity::find_by_id(1)
        .one(db)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("shop_settings row 1".to_owned()))
}
