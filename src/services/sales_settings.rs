//! HQ's sales settings: the attribution level and window (歸因層級, 歸因有效期限) and the per-store
//! switch for in-store purchase entry (新增門市消費). Changes are audited; they apply to orders
//! recorded from now on — past orders keep the snapshot they were recorded with.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, DatabaseConnection, EntityTrait, IntoActiveModel, Set, TransactionTrait,
};
use serde_json::json;

use crate::db::entities::enums::AttributionLevel;
use crate::db::entities::{shop_settings, stores};
use crate::domain::attribution::AttributionRules;
use crate::services::audit::{self, Actor, Change};
use crate::services::error::{Error, Invalid, NotFound};
use crate::services::orders::attribution_rules;

/// The attribution settings now (HQ).
pub async fn rules(db: &DatabaseConnection, actor: &Actor) -> Result<AttributionRules, Error> {
    actor.scope.require_hq()?;
    Ok(attribution_rules(db).await?)
}

/// Sets the level and window from the settings form.
pub async fn update_rules(
    db: &DatabaseConnection,
    actor: &Actor,
    level: &str,
    window_days: &str,
) -> Result<AttributionRules, Error> {
    actor.scope.require_hq()?;
    let rules = AttributionRules::parse(level, window_days).map_err(Invalid::Attribution)?;
    let txn = db.begin().await?;
    let before = shop_settings::Entity::find_by_id(1)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::Unexpected(anyhow::anyhow!("shop_settings row 1 is missing")))?;
    let mut active = before.clone().into_active_model();
    active.attribution_level.set_if_not_equals(rules.level);
    active
        .attribution_window_days
        .set_if_not_equals(rules.window_days.and_then(|d| i32::try_from(d).ok()));
    if !active.is_changed() {
        return Ok(rules);
    }
    active.updated_at = Set(Utc::now());
    let after = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change::new("settings.attribution", "settings", 1)
            .before(rules_json(
                before.attribution_level,
                before.attribution_window_days,
            ))
            .after(rules_json(
                after.attribution_level,
                after.attribution_window_days,
            )),
    )
    .await?;
    txn.commit().await?;
    Ok(rules)
}

fn rules_json(level: AttributionLevel, window_days: Option<i32>) -> serde_json::Value {
    json!({ "attribution_level": level, "attribution_window_days": window_days })
}

/// Turns in-store purchase entry on or off for a store (HQ).
pub async fn set_purchase_entry(
    db: &DatabaseConnection,
    actor: &Actor,
    store_id: i32,
    enabled: bool,
) -> Result<(), Error> {
    actor.scope.require_hq()?;
    let txn = db.begin().await?;
    let store = stores::Entity::find_by_id(store_id)
        .one(&txn)
        .await?
        .ok_or(NotFound::Store)?;
    if store.purchase_entry_enabled == enabled {
        return Ok(());
    }
    let mut active = store.into_active_model();
    active.purchase_entry_enabled = Set(enabled);
    active.updated_at = Set(Utc::now());
    active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change::new("store.purchase_entry", "store", store_id)
            .store(Some(store_id))
            .before(json!({ "purchase_entry_enabled": !enabled }))
            .after(json!({ "purchase_entry_enabled": enabled })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
