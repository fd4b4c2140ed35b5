//! `/admin/setup` (HQ): the setup checklist (前置準備) with its live checks, the shop settings, and
//! activation (開通). The rules are in `services::setup`; this module only shapes the page.

use actix_web::HttpResponse;
use actix_web::web::{Data, Path};
use askama::Template;
use serde::Deserialize;

use super::{render, taipei_time};
use crate::db::entities::enums::CheckOutcome;
use crate::domain::checklist::{Answer, ChecklistItem, Missing};
use crate::http::error::AppError;
use crate::http::layout::Layout;
use crate::http::staff::{CsrfForm, Staff};
use crate::services::Context;
use crate::services::demo::{self as demo_shop, DemoRoute};
use crate::services::setup::{
    self, Answered, CheckState, ItemState, SettingsInput, SetupOverview, Stamp,
};

/// What just happened, said at the top of the page.
pub enum Notice {
    Answered(Answered),
    Checked,
    SettingsSaved,
    Activated,
    Deactivated,
    DemoRoute(DemoRoute),
}

/// A notice as the page shows it.
pub struct NoticeView {
    lines: Vec<(String, String)>,
    /// Member phone verification was just turned on: the SMS cost warning.
    sms_cost: bool,
}

impl NoticeView {
    fn new(notice: Notice) -> Self {
        let line = |zh: &str, en: &str| (zh.to_owned(), en.to_owned());
        let (lines, sms_cost) = match notice {
            Notice::Answered(answered) => {
                let guide = answered.item.guide();
                let mut lines = vec![(
                    format!(
                        "已記錄第 {} 項「{}」：{}。",
                        answered.item.number(),
                        guide.title_zh,
                        answered.answer.label_zh()
                    ),
                    format!(
                        "Item {} ({}) recorded: {}.",
                        answered.item.number(),
                        guide.title_en,
                        answered.answer.label_en()
                    ),
                )];
                for (item, answer) in &answered.also_changed {
                    lines.push((
                        format!(
                            "因為沒有認證提供者，第 {} 項「{}」已一併改為「{}」。",
                            item.number(),
                            item.guide().title_zh,
                            answer.label_zh()
                        ),
                        format!(
                            "Without a Certified Provider, item {} ({}) was set to {} as well.",
                            item.number(),
                            item.guide().title_en,
                            answer.label_en()
                        ),
                    ));
                }
                (lines, answered.sms_cost_warning)
            }
            Notice::Checked => (
                vec![line(
                    "已向 LINE 重新檢查，結果如下。",
                    "Checked with LINE just now; results below.",
                )],
                false,
            ),
            Notice::SettingsSaved => (
                vec![line("已儲存商店設定。", "Shop settings saved.")],
                false,
            ),
            Notice::Activated => (
                vec![line(
                    "已開通：顧客現在可以掃描門市 QR code 綁定。",
                    "Activated: shoppers can now scan store QR codes and bind.",
                )],
                false,
            ),
            Notice::Deactivated => (
                vec![line(
                    "已停止開通：顧客掃描 QR code 會看到「尚未開放」。",
                    "Deactivated: shoppers who scan now see \"not open yet\".",
                )],
                false,
            ),
            Notice::DemoRoute(DemoRoute::Liff) => (
                vec![line(
                    "示範：已回答所有前置準備項目，並設為有認證提供者、開啟自動產生 LIFF 網址（路線 A：LIFF 一站式綁定）。",
                    "Demo: every item answered, with a Certified Provider and auto LIFF on (route A: LIFF one pass).",
                )],
                false,
            ),
            Notice::DemoRoute(DemoRoute::OaChat) => (
                vec![line(
                    "示範：已回答所有前置準備項目，並設為沒有認證提供者（路線 B：加好友後以簡訊驗證手機）。",
                    "Demo: every item answered, without a Certified Provider (route B: OA friend, then SMS).",
                )],
                false,
            ),
        };
        Self { lines, sms_cost }
    }
}

/// One checklist item as the page shows it.
pub struct ItemRow {
    number: usize,
    key: &'static str,
    title_zh: &'static str,
    title_en: &'static str,
    where_zh: &'static str,
    where_en: &'static str,
    todo_zh: &'static str,
    todo_en: &'static str,
    /// `None` until answered.
    answer: Option<Answer>,
    holds: bool,
    choices: Vec<(Answer, bool)>,
    confirmed: Option<String>,
    sms_costs: bool,
}

impl ItemRow {
    fn new(ctx: &ItemState) -> Self {
        let guide = ctx.item.guide();
        Self {
            number: ctx.item.number(),
            key: ctx.item.key(),
            title_zh: guide.title_zh,
            title_en: guide.title_en,
            where_zh: guide.where_zh,
            where_en: guide.where_en,
            todo_zh: guide.todo_zh,
            todo_en: guide.todo_en,
            answer: ctx.answer,
            holds: ctx.holds,
            choices: ctx
                .item
                .choices()
                .iter()
                .map(|choice| (*choice, ctx.answer == Some(*choice)))
                .collect(),
            confirmed: ctx.confirmed.as_ref().map(stamp),
            sms_costs: ctx.item == ChecklistItem::MemberPhoneVerification,
        }
    }
}

/// One live check as the page shows it.
pub struct CheckRow {
    title_zh: &'static str,
    title_en: &'static str,
    where_zh: &'static str,
    todo_zh: &'static str,
    /// `ok`, `failed`, `unreachable`, or `unchecked`.
    outcome: &'static str,
    detail: String,
    checked_at: Option<String>,
}

impl CheckRow {
    fn new(ctx: &CheckState) -> Self {
        let guide = ctx.check.guide();
        Self {
            title_zh: guide.title_zh,
            title_en: guide.title_en,
            where_zh: guide.where_zh,
            todo_zh: guide.todo_zh,
            outcome: match ctx.outcome {
                None => "unchecked",
                Some(CheckOutcome::Ok) => "ok",
                Some(CheckOutcome::Failed) => "failed",
                Some(CheckOutcome::Unreachable) => "unreachable",
            },
            detail: ctx.detail.clone().unwrap_or_default(),
            checked_at: ctx.checked_at.map(taipei_time),
        }
    }
}

fn stamp(stamp: &Stamp) -> String {
    format!(
        "{} · {}",
        stamp.by.as_deref().unwrap_or("系統 system"),
        taipei_time(stamp.at)
    )
}

#[derive(Template)]
#[template(path = "admin/setup.html")]
pub struct SetupPage {
    layout: Layout,
    items: Vec<ItemRow>,
    checks: Vec<CheckRow>,
    overview: SetupOverview,
    missing: Vec<Missing>,
    activated: Option<String>,
    notice: Option<NoticeView>,
    webhook_url: String,
    /// Demo mode: the route shoppers take now (`a` or `b`).
    demo_route: &'static str,
}

async fn setup_page(
    ctx: &Context,
    staff: &Staff,
    notice: Option<Notice>,
) -> Result<HttpResponse, AppError> {
    let overview = setup::overview(&ctx.db, &staff.actor()).await?;
    let flags = setup::flags(&ctx.db).await?;
    render(&SetupPage {
        demo_route: if flags.certified_provider && flags.auto_liff {
            "a"
        } else {
            "b"
        },
        layout: Layout::staff(ctx, staff, "setup"),
        items: overview.items.iter().map(ItemRow::new).collect(),
        checks: overview.checks.iter().map(CheckRow::new).collect(),
        missing: overview.missing.clone(),
        activated: overview.activated.as_ref().map(stamp),
        overview,
        notice: notice.map(NoticeView::new),
        webhook_url: ctx.settings.public_url("/line/webhook"),
    })
}

pub async fn show(ctx: Data<Context>, staff: Staff) -> Result<HttpResponse, AppError> {
    setup_page(&ctx, &staff, None).await
}

#[derive(Deserialize)]
pub struct AnswerForm {
    value: String,
}

pub async fn answer(
    ctx: Data<Context>,
    staff: Staff,
    key: Path<String>,
    CsrfForm(form): CsrfForm<AnswerForm>,
) -> Result<HttpResponse, AppError> {
    let answered = setup::answer(&ctx.db, &staff.actor(), &key, &form.value).await?;
    setup_page(&ctx, &staff, Some(Notice::Answered(answered))).await
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn check(
    ctx: Data<Context>,
    staff: Staff,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    setup::run_checks(&ctx, &staff.actor()).await?;
    setup_page(&ctx, &staff, Some(Notice::Checked)).await
}

#[derive(Deserialize)]
pub struct SettingsForm {
    shop_name: String,
    welcome_message: String,
    sms_template: String,
    sms_daily_budget: String,
    /// A checkbox: present ("on") when ticked.
    #[serde(default)]
    liff_requires_phone: Option<String>,
}

pub async fn save_settings(
    ctx: Data<Context>,
    staff: Staff,
    CsrfForm(form): CsrfForm<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let sms_daily_budget = form.sms_daily_budget.trim().parse().map_err(|_| {
        AppError::bad_request(
            "每日簡訊上限須為整數。",
            "The SMS daily budget must be a whole number.",
        )
    })?;
    setup::update_settings(
        &ctx.db,
        &staff.actor(),
        SettingsInput {
            shop_name: form.shop_name,
            welcome_message: form.welcome_message,
            sms_template: form.sms_template,
            sms_daily_budget,
            liff_requires_phone: form.liff_requires_phone.is_some(),
        },
    )
    .await?;
    setup_page(&ctx, &staff, Some(Notice::SettingsSaved)).await
}

pub async fn activate(
    ctx: Data<Context>,
    staff: Staff,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    setup::activate(&ctx.db, &staff.actor()).await?;
    setup_page(&ctx, &staff, Some(Notice::Activated)).await
}

pub async fn deactivate(
    ctx: Data<Context>,
    staff: Staff,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    setup::deactivate(&ctx.db, &staff.actor()).await?;
    setup_page(&ctx, &staff, Some(Notice::Deactivated)).await
}

#[derive(Deserialize)]
pub struct DemoRouteForm {
    route: String,
}

/// Demo mode only: answers the checklist for route A or route B in one go.
pub async fn demo_route(
    ctx: Data<Context>,
    staff: Staff,
    CsrfForm(form): CsrfForm<DemoRouteForm>,
) -> Result<HttpResponse, AppError> {
    if !ctx.settings.demo {
        return Err(AppError::not_found(
            "只有示範模式才有這個功能。",
            "This exists in demo mode only.",
        ));
    }
    let route = DemoRoute::parse(&form.route)
        .ok_or_else(|| AppError::bad_request("請選擇路線 A 或 B。", "Choose route A or B."))?;
    demo_shop::use_route(&ctx.db, &staff.actor(), route).await?;
    setup_page(&ctx, &staff, Some(Notice::DemoRoute(route))).await
}
