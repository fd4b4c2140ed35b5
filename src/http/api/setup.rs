//! `/api/v1/setup` (HQ): the checklist, live checks, shop settings and activation, as JSON.

use actix_web::HttpResponse;
use actix_web::web::{Data, Json, Path};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::ok;
use crate::db::entities::enums::CheckOutcome;
use crate::db::entities::shop_settings;
use crate::domain::checklist::Missing;
use crate::http::error::AppError;
use crate::http::staff::Staff;
use crate::services::Context;
use crate::services::setup::{self, CheckState, SettingsInput, SetupOverview, Stamp};

#[derive(Serialize)]
struct CheckJson {
    key: &'static str,
    title: &'static str,
    title_en: &'static str,
    /// `ok`, `failed`, `unreachable`; `null` before the first check.
    outcome: Option<CheckOutcome>,
    detail: Option<String>,
    checked_at: Option<DateTime<Utc>>,
}

impl From<&CheckState> for CheckJson {
    fn from(c: &CheckState) -> Self {
        let guide = c.check.guide();
        Self {
            key: c.check.key(),
            title: guide.title_zh,
            title_en: guide.title_en,
            outcome: c.outcome,
            detail: c.detail.clone(),
            checked_at: c.checked_at,
        }
    }
}

fn missing_json(missing: &[Missing]) -> Vec<Value> {
    missing
        .iter()
        .map(|m| json!({ "key": m.key(), "message": m.zh(), "message_en": m.en() }))
        .collect()
}

fn stamp_json(stamp: Option<&Stamp>) -> (Option<DateTime<Utc>>, Option<String>) {
    (stamp.map(|s| s.at), stamp.and_then(|s| s.by.clone()))
}

fn settings_json(s: &shop_settings::Model) -> Value {
    json!({
        "shop_name": s.shop_name,
        "welcome_message": s.welcome_message,
        "sms_template": s.sms_template,
        "sms_daily_budget": s.sms_daily_budget,
        "liff_requires_phone": s.liff_requires_phone,
    })
}

fn overview_json(o: &SetupOverview) -> Value {
    let items: Vec<Value> = o
        .items
        .iter()
        .map(|i| {
            let guide = i.item.guide();
            let (confirmed_at, confirmed_by) = stamp_json(i.confirmed.as_ref());
            json!({
                "key": i.item.key(),
                "number": i.item.number(),
                "title": guide.title_zh,
                "title_en": guide.title_en,
                "where": guide.where_zh,
                "where_en": guide.where_en,
                "answer": i.answer.map(|a| a.as_str()),
                "choices": i.item.choices().iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                "holds": i.holds,
                "confirmed_by": confirmed_by,
                "confirmed_at": confirmed_at,
            })
        })
        .collect();
    let (activated_at, activated_by) = stamp_json(o.activated.as_ref());
    json!({
        "activated": o.activated.is_some(),
        "activated_at": activated_at,
        "activated_by": activated_by,
        "ready": o.ready(),
        "missing": missing_json(&o.missing),
        "items": items,
        "checks": o.checks.iter().map(CheckJson::from).collect::<Vec<_>>(),
        "active_stores": o.active_stores,
        "ungrouped_stores": o.ungrouped_stores.iter()
            .map(|s| json!({ "id": s.id, "code": s.code, "name": s.name }))
            .collect::<Vec<_>>(),
        "settings": settings_json(&o.settings),
    })
}

async fn overview(ctx: &Context, staff: &Staff) -> Result<HttpResponse, AppError> {
    ok(&overview_json(
        &setup::overview(&ctx.db, &staff.actor()).await?,
    ))
}

pub async fn show(ctx: Data<Context>, staff: Staff) -> Result<HttpResponse, AppError> {
    overview(&ctx, &staff).await
}

#[derive(Deserialize)]
pub struct AnswerJson {
    value: String,
}

/// Answers an item; says what else changed and, for phone verification, the SMS cost warning.
pub async fn answer(
    ctx: Data<Context>,
    staff: Staff,
    key: Path<String>,
    body: Json<AnswerJson>,
) -> Result<HttpResponse, AppError> {
    let answered = setup::answer(&ctx.db, &staff.actor(), &key, &body.value).await?;
    let warning = answered.sms_cost_warning.then(|| {
        json!({
            "message": "已開啟會員手機驗證：每位顧客驗證手機都會發送簡訊，會產生簡訊費用。",
            "message_en": "Member phone verification is on: every verification sends a paid SMS.",
        })
    });
    ok(&json!({
        "key": answered.item.key(),
        "value": answered.answer.as_str(),
        "also_changed": answered.also_changed.iter()
            .map(|(item, answer)| json!({ "key": item.key(), "value": answer.as_str() }))
            .collect::<Vec<_>>(),
        "sms_cost_warning": warning,
    }))
}

/// Runs the live checks now; LINE being down is an `unreachable` result, not an error.
pub async fn run_checks(ctx: Data<Context>, staff: Staff) -> Result<HttpResponse, AppError> {
    let checks = setup::run_checks(&ctx, &staff.actor()).await?;
    ok(&json!({ "checks": checks.iter().map(CheckJson::from).collect::<Vec<_>>() }))
}

#[derive(Deserialize)]
pub struct SettingsJson {
    shop_name: String,
    welcome_message: String,
    sms_template: String,
    sms_daily_budget: i64,
    liff_requires_phone: bool,
}

pub async fn update_settings(
    ctx: Data<Context>,
    staff: Staff,
    body: Json<SettingsJson>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let settings = setup::update_settings(
        &ctx.db,
        &staff.actor(),
        SettingsInput {
            shop_name: body.shop_name,
            welcome_message: body.welcome_message,
            sms_template: body.sms_template,
            sms_daily_budget: body.sms_daily_budget,
            liff_requires_phone: body.liff_requires_phone,
        },
    )
    .await?;
    ok(&settings_json(&settings))
}

/// Activates; refused (409) with what is missing until the checklist holds.
pub async fn activate(ctx: Data<Context>, staff: Staff) -> Result<HttpResponse, AppError> {
    setup::activate(&ctx.db, &staff.actor()).await?;
    overview(&ctx, &staff).await
}

pub async fn deactivate(ctx: Data<Context>, staff: Staff) -> Result<HttpResponse, AppError> {
    setup::deactivate(&ctx.db, &staff.actor()).await?;
    overview(&ctx, &staff).await
}
