//! `/admin/reports`: the funnel per store, group or clerk and per day for a range of Taipei days
//! (the last 30 by default), and SMS sent with their estimated cost per store. Store staff see
//! their own store's.

use actix_web::HttpResponse;
use actix_web::web::{Data, Query};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::members::{Choice, choices};
use super::{optional_id, render};
use crate::domain::taipei_time::{self, DayRange};
use crate::http::error::AppError;
use crate::http::layout::Layout;
use crate::http::staff::Staff;
use crate::services::Context;
use crate::services::members;
use crate::services::reports::{
    self, DEFAULT_DAYS, Dimension, FunnelReport, ReportFilter, SmsReport,
};

#[derive(Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    by: String,
    #[serde(default)]
    store_id: String,
    #[serde(default)]
    group_id: String,
    #[serde(default)]
    clerk_id: String,
}

#[derive(Template)]
#[template(path = "admin/reports.html")]
pub struct ReportsPage {
    layout: Layout,
    report: FunnelReport,
    sms: SmsReport,
    by: &'static str,
    stores: Vec<Choice>,
    groups: Vec<Choice>,
    clerks: Vec<Choice>,
}

pub async fn show(
    ctx: Data<Context>,
    staff: Staff,
    query: Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let actor = staff.actor();
    let today = taipei_time::day_of(Utc::now());
    let range = DayRange::parse(&query.from, &query.to, today, DEFAULT_DAYS)
        .map_err(|err| AppError::bad_request(err.zh(), format!("Dates: {err}.")))?;
    let filter = ReportFilter {
        range,
        dimension: Dimension::parse(&query.by)?,
        store_id: optional_id(&query.store_id)?,
        group_id: optional_id(&query.group_id)?,
        clerk_id: optional_id(&query.clerk_id)?,
    };
    let report = reports::funnel(&ctx.db, &actor, &filter).await?;
    let sms = reports::sms(
        &ctx.db,
        &actor,
        range,
        filter.store_id,
        filter.group_id,
        ctx.settings.sms_price,
    )
    .await?;
    let options = members::filter_choices(&ctx.db, &actor).await?;
    render(&ReportsPage {
        layout: Layout::staff(&ctx, &staff, "reports"),
        by: filter.dimension.as_str(),
        report,
        sms,
        stores: choices(options.stores, filter.store_id),
        groups: choices(options.groups, filter.group_id),
        clerks: choices(options.clerks, filter.clerk_id),
    })
}
