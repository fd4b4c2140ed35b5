//! The shop's setup ctx: the checklist answers (前置準備), the live checks against the LINE API,
//! the shop settings and activation (開通). The rules live in `domain::checklist` and are applied
//! here, inside the transaction that stores the answer, so every way in (the admin page, the JSON
//! API) gets the same refusals.
//!
//! Checklist changes, settings changes and activation lock the one `shop_settings` row first
//! (`FOR UPDATE` on PostgreSQL; SQLite serialises writers anyway), so two HQ members answering at
//! once cannot leave auto-LIFF on without a Certified Provider or activate a shop whose checklist
//! was just broken.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;

use crate::db::entities::enums::CheckOutcome;
use crate::db::entities::{checklist_items, shop_settings, staff_accounts, stores};
use crate::domain::checklist::{
    Answer, Answers, ChecklistItem, LiveCheck, Missing, RuleError, SetupFlags, same_basic_id,
};
use crate::domain::shop_settings::ShopSettings;
use crate::line::LineApiError;
use crate::services::Context;
use crate::services::audit::{self, Actor, Change};
use crate::services::error::{Error, NotFound};

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

/// The settings row, locked until the transaction ends (see the module docs).
async fn lock_settings(txn: &impl ConnectionTrait) -> Result<shop_settings::Model, sea_orm::DbErr> {
    shop_settings::Entity::find_by_id(1)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("shop_settings row 1".to_owned()))
}

// ---- Reading the checklist ----

/// Who did something and when (a confirmation, an activation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// The staff member's username; `None` for the command line or a deleted account.
    pub by: Option<String>,
    pub at: DateTime<Utc>,
}

/// One checklist item as the setup page shows it.
#[derive(Debug, Clone)]
pub struct ItemState {
    pub item: ChecklistItem,
    pub answer: Option<Answer>,
    pub confirmed: Option<Stamp>,
    /// Whether the item holds for activation.
    pub holds: bool,
}

/// The last result of one live check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckState {
    pub check: LiveCheck,
    pub checked_at: Option<DateTime<Utc>>,
    pub outcome: Option<CheckOutcome>,
    pub detail: Option<String>,
}

/// A store still outside every group (a warning, not a requirement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UngroupedStore {
    pub id: i32,
    pub code: String,
    pub name: String,
}

/// Everything the setup page and `GET /api/v1/setup` show.
pub struct SetupOverview {
    pub items: Vec<ItemState>,
    pub checks: Vec<CheckState>,
    pub active_stores: u64,
    pub ungrouped_stores: Vec<UngroupedStore>,
    /// What keeps activation back; empty when ready.
    pub missing: Vec<Missing>,
    pub settings: shop_settings::Model,
    pub activated: Option<Stamp>,
}

impl SetupOverview {
    pub fn ready(&self) -> bool {
        self.missing.is_empty()
    }
}

async fn load_answers(txn: &impl ConnectionTrait) -> Result<Answers, sea_orm::DbErr> {
    let rows = checklist_items::Entity::find().all(txn).await?;
    Ok(Answers::from_stored(
        rows.iter().map(|r| (r.key.as_str(), r.value.as_deref())),
    ))
}

async fn active_store_count(db: &impl ConnectionTrait) -> Result<u64, sea_orm::DbErr> {
    stores::Entity::find()
        .filter(stores::Column::Active.eq(true))
        .count(db)
        .await
}

/// The checklist, the live checks, the data items and activation (HQ only).
pub async fn overview(db: &impl ConnectionTrait, actor: &Actor) -> Result<SetupOverview, Error> {
    actor.scope.require_hq()?;
    let rows: HashMap<String, checklist_items::Model> = checklist_items::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.key.clone(), r))
        .collect();
    let answers = Answers::from_stored(rows.values().map(|r| (r.key.as_str(), r.value.as_deref())));
    let usernames: HashMap<i32, String> = staff_accounts::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.username))
        .collect();
    let stamp = |by: Option<i32>, at: Option<DateTime<Utc>>| {
        at.map(|at| Stamp {
            by: by.and_then(|id| usernames.get(&id).cloned()),
            at,
        })
    };
    let active_stores = active_store_count(db).await?;
    let missing = answers.missing(active_stores);
    let items = ChecklistItem::ALL
        .into_iter()
        .map(|item| {
            let row = rows.get(item.key());
            ItemState {
                item,
                answer: answers.get(item),
                confirmed: row.and_then(|r| stamp(r.confirmed_by_staff_id, r.confirmed_at)),
                holds: !missing.contains(&Missing::Item(item)),
            }
        })
        .collect();
    let checks = LiveCheck::ALL
        .into_iter()
        .map(|check| {
            let row = rows.get(check.key());
            CheckState {
                check,
                checked_at: row.and_then(|r| r.last_checked_at),
                outcome: row.and_then(|r| r.last_check_outcome),
                detail: row.and_then(|r| r.last_check_detail.clone()),
            }
        })
        .collect();
    let ungrouped_stores = stores::Entity::find()
        .filter(stores::Column::Active.eq(true))
        .filter(stores::Column::GroupId.is_null())
        .order_by_asc(stores::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(|s| UngroupedStore {
            id: s.id,
            code: s.code,
            name: s.name,
        })
        .collect();
    let settings = shop_settings(db).await?;
    let activated = stamp(settings.activated_by_staff_id, settings.activated_at);
    Ok(SetupOverview {
        items,
        checks,
        active_stores,
        ungrouped_stores,
        missing,
        settings,
        activated,
    })
}

// ---- Answering items ----

/// What an answer changed, for the page (or the API) to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    pub item: ChecklistItem,
    pub answer: Answer,
    /// Items changed as a consequence (auto-LIFF turned off when the Certified Provider went).
    pub also_changed: Vec<(ChecklistItem, Answer)>,
    /// Member phone verification was turned on: every verification sends a paid SMS.
    pub sms_cost_warning: bool,
}

fn unknown_item() -> Error {
    NotFound::ChecklistItem.into()
}

/// HQ answers a checklist item by hand. The rules of `Answers::changes_for` decide; every stored
/// change is audited as `setup.answer` and stamped with who confirmed it and when.
pub async fn answer(
    db: &DatabaseConnection,
    actor: &Actor,
    key: &str,
    value: &str,
) -> Result<Answered, Error> {
    actor.scope.require_hq()?;
    let item = ChecklistItem::from_key(key).ok_or_else(unknown_item)?;
    let answer = item.parse_answer(value).map_err(RuleError::from)?;
    let txn = db.begin().await?;
    lock_settings(&txn).await?;
    let answers = load_answers(&txn).await?;
    let changes = answers.changes_for(item, answer)?;
    let now = Utc::now();
    for (index, (changed, new)) in changes.iter().enumerate() {
        let before = answers.get(*changed);
        if before == Some(*new) {
            continue;
        }
        checklist_items::Entity::insert(checklist_items::ActiveModel {
            key: Set(changed.key().to_owned()),
            value: Set(Some(new.as_str().to_owned())),
            confirmed_by_staff_id: Set(actor.staff_id),
            confirmed_at: Set(Some(now)),
            updated_at: Set(now),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::column(checklist_items::Column::Key)
                .update_columns([
                    checklist_items::Column::Value,
                    checklist_items::Column::ConfirmedByStaffId,
                    checklist_items::Column::ConfirmedAt,
                    checklist_items::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(&txn)
        .await?;
        let mut change = Change::new("setup.answer", "checklist_item", changed.key())
            .before(json!({ "value": before.map(Answer::as_str) }))
            .after(json!({ "value": new.as_str() }));
        if index > 0 {
            change = change.reason(format!(
                "第 {} 項改為「{}」，一併關閉 (turned off with item {})",
                item.number(),
                answer.label_zh(),
                item.number()
            ));
        }
        audit::record(&txn, actor, change).await?;
    }
    txn.commit().await?;
    Ok(Answered {
        item,
        answer,
        also_changed: changes.into_iter().skip(1).collect(),
        sms_cost_warning: item.costs_sms(answer),
    })
}

// ---- Live checks ----

/// Runs every live check against the LINE API now and stores the results (HQ only). LINE being
/// down is a result (`unreachable`), not an error: the page says "could not reach LINE".
pub async fn run_checks(ctx: &Context, actor: &Actor) -> Result<Vec<CheckState>, Error> {
    actor.scope.require_hq()?;
    // LINE is called before any transaction: a slow LINE must not hold the database.
    let webhook_url = ctx.settings.public_url("/line/webhook");
    let (bot, webhook) = tokio::join!(
        ctx.line.bot_info(),
        ctx.line.test_webhook_endpoint(Some(&webhook_url)),
    );
    let bot = match bot {
        Ok(info) => match ctx.settings.line.oa_basic_id.as_deref() {
            Some(configured) if same_basic_id(&info.basic_id, configured) => (
                CheckOutcome::Ok,
                format!(
                    "存取權杖有效：{}（{}）。Token works: {} ({}).",
                    info.display_name, info.basic_id, info.display_name, info.basic_id
                ),
            ),
            Some(configured) => (
                CheckOutcome::Failed,
                format!(
                    "存取權杖有效，但 LINE 回報的官方帳號是 {}，與 LINE_OA_BASIC_ID（{configured}）不符。The token belongs to {}, not LINE_OA_BASIC_ID {configured}.",
                    info.basic_id, info.basic_id
                ),
            ),
            None => (
                CheckOutcome::Failed,
                format!(
                    "存取權杖有效（{}），但尚未設定 LINE_OA_BASIC_ID；請設為 {}。The token works; set LINE_OA_BASIC_ID to {}.",
                    info.display_name, info.basic_id, info.basic_id
                ),
            ),
        },
        Err(err) => failed_check(&err),
    };
    let webhook = match webhook {
        Ok(result) if result.success == Some(true) => (
            CheckOutcome::Ok,
            format!(
                "LINE 已成功呼叫 {webhook_url}（HTTP {}）。LINE reached the webhook.",
                result.status_code
            ),
        ),
        Ok(result) => {
            let https_hint = if webhook_url.starts_with("https://") {
                ""
            } else {
                " LINE 只接受 HTTPS 的 Webhook 網址，請把 PUBLIC_BASE_URL 設為 https。LINE accepts only HTTPS webhook URLs."
            };
            (
                CheckOutcome::Failed,
                format!(
                    "LINE 無法成功呼叫 {webhook_url}：{} {}（HTTP {}）。LINE could not deliver to the webhook.{https_hint}",
                    result.reason, result.detail, result.status_code
                ),
            )
        }
        Err(err) => failed_check(&err),
    };
    let now = Utc::now();
    let results = [(LiveCheck::BotInfo, bot), (LiveCheck::Webhook, webhook)];
    let txn = ctx.db.begin().await?;
    let mut states = Vec::new();
    for (check, (outcome, detail)) in results {
        checklist_items::Entity::insert(checklist_items::ActiveModel {
            key: Set(check.key().to_owned()),
            value: Set(None),
            last_checked_at: Set(Some(now)),
            last_check_outcome: Set(Some(outcome)),
            last_check_detail: Set(Some(detail.clone())),
            updated_at: Set(now),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::column(checklist_items::Column::Key)
                .update_columns([
                    checklist_items::Column::LastCheckedAt,
                    checklist_items::Column::LastCheckOutcome,
                    checklist_items::Column::LastCheckDetail,
                    checklist_items::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(&txn)
        .await?;
        audit::record(
            &txn,
            actor,
            Change::new("setup.check", "checklist_item", check.key())
                .after(json!({ "outcome": outcome, "detail": detail })),
        )
        .await?;
        states.push(CheckState {
            check,
            checked_at: Some(now),
            outcome: Some(outcome),
            detail: Some(detail),
        });
    }
    txn.commit().await?;
    Ok(states)
}

/// A LINE error as a check result: LINE down is `unreachable`, a refusal is `failed` with LINE's
/// own message.
fn failed_check(err: &LineApiError) -> (CheckOutcome, String) {
    match err {
        _ if err.is_retryable() => (
            CheckOutcome::Unreachable,
            format!("無法連線到 LINE，請稍後再檢查一次。Could not reach LINE ({err})."),
        ),
        LineApiError::Api {
            status: 401,
            message,
            ..
        } => (
            CheckOutcome::Failed,
            format!(
                "LINE 拒絕了存取權杖（401）：{message}。請確認 LINE_CHANNEL_ACCESS_TOKEN。LINE refused the access token."
            ),
        ),
        LineApiError::Api {
            status, message, ..
        } => (
            CheckOutcome::Failed,
            format!("LINE 回答 {status}：{message}。LINE answered {status}: {message}."),
        ),
        LineApiError::NotConfigured(setting) => (
            CheckOutcome::Failed,
            format!("尚未設定 {setting}，無法檢查。{setting} is not set."),
        ),
        LineApiError::InvalidResponse(_) | LineApiError::Unreachable(_) => (
            CheckOutcome::Unreachable,
            format!("無法連線到 LINE（回應無法解讀）。Could not reach LINE ({err})."),
        ),
    }
}

// ---- Shop settings ----

/// The shop settings as submitted (checked by `domain::shop_settings`).
pub struct SettingsInput {
    pub shop_name: String,
    pub welcome_message: String,
    pub sms_template: String,
    pub sms_daily_budget: i64,
    pub liff_requires_phone: bool,
}

fn settings_json(s: &shop_settings::Model) -> serde_json::Value {
    json!({
        "shop_name": s.shop_name,
        "welcome_message": s.welcome_message,
        "sms_template": s.sms_template,
        "sms_daily_budget": s.sms_daily_budget,
        "liff_requires_phone": s.liff_requires_phone,
    })
}

/// HQ changes the shop settings; audited as `setup.settings` with before and after.
pub async fn update_settings(
    db: &DatabaseConnection,
    actor: &Actor,
    input: SettingsInput,
) -> Result<shop_settings::Model, Error> {
    actor.scope.require_hq()?;
    let parsed = ShopSettings::parse(
        &input.shop_name,
        &input.welcome_message,
        &input.sms_template,
        input.sms_daily_budget,
        input.liff_requires_phone,
    )?;
    let txn = db.begin().await?;
    let before = lock_settings(&txn).await?;
    let mut active = before.clone().into_active_model();
    active
        .shop_name
        .set_if_not_equals(parsed.shop_name.into_string());
    active
        .welcome_message
        .set_if_not_equals(parsed.welcome_message);
    active
        .sms_template
        .set_if_not_equals(parsed.sms_template.into_string());
    active
        .sms_daily_budget
        .set_if_not_equals(parsed.sms_daily_budget);
    active
        .liff_requires_phone
        .set_if_not_equals(parsed.liff_requires_phone);
    // Saving an unchanged form writes nothing and audits nothing.
    if !active.is_changed() {
        return Ok(before);
    }
    active.updated_at = Set(Utc::now());
    let after = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change::new("setup.settings", "settings", 1)
            .before(settings_json(&before))
            .after(settings_json(&after)),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

// ---- Activation ----

/// Activation was refused: these requirements do not hold yet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("activation refused: {} requirement(s) missing", .0.len())]
pub struct NotReady(pub Vec<Missing>);

/// Opens the store assistant to shoppers once every requirement holds; refused otherwise with
/// what is missing. Activating an active shop changes nothing.
pub async fn activate(
    db: &DatabaseConnection,
    actor: &Actor,
) -> Result<shop_settings::Model, Error> {
    actor.scope.require_hq()?;
    let txn = db.begin().await?;
    let before = lock_settings(&txn).await?;
    let missing = load_answers(&txn)
        .await?
        .missing(active_store_count(&txn).await?);
    if !missing.is_empty() {
        return Err(NotReady(missing).into());
    }
    if before.activated_at.is_some() {
        return Ok(before);
    }
    let now = Utc::now();
    let mut active = before.into_active_model();
    active.activated_at = Set(Some(now));
    active.activated_by_staff_id = Set(actor.staff_id);
    active.updated_at = Set(now);
    let after = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change::new("setup.activate", "settings", 1)
            .before(json!({ "activated": false }))
            .after(json!({ "activated": true, "activated_at": now })),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Closes the store assistant to shoppers again (the binding pages say "not open yet").
pub async fn deactivate(
    db: &DatabaseConnection,
    actor: &Actor,
) -> Result<shop_settings::Model, Error> {
    actor.scope.require_hq()?;
    let txn = db.begin().await?;
    let before = lock_settings(&txn).await?;
    let Some(activated_at) = before.activated_at else {
        return Ok(before);
    };
    let mut active = before.into_active_model();
    active.activated_at = Set(None);
    active.activated_by_staff_id = Set(None);
    active.updated_at = Set(Utc::now());
    let after = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change::new("setup.deactivate", "settings", 1)
            .before(json!({ "activated": true, "activated_at": activated_at }))
            .after(json!({ "activated": false })),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}
