//! `/admin/sales`: 業績報表, sales per day or month and per store, group or clerk, online and in
//! store, with a chart. Store staff see their own store's (the service holds them to it).

use actix_web::HttpResponse;
use actix_web::web::{Data, Query};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::members::{Choice, choices};
use super::{optional_id, render};
use crate::db::entities::enums::SalesChannel;
use crate::domain::sales_report::SalesPeriod;
use crate::domain::taipei_time;
use crate::http::error::AppError;
use crate::http::layout::Layout;
use crate::http::staff::Staff;
use crate::services::Context;
use crate::services::members;
use crate::services::reports::Dimension;
use crate::services::sales_report::{self, SalesQuery, SalesReport};

/// The detail table (per period and store, group or clerk) shows at most this many rows; the CSV
/// export and the API have them all.
const DETAIL_ROWS: usize = 500;

/// The report's query string, shared by the page, its CSV export and `/api/v1/reports/sales`.
#[derive(Deserialize, Default)]
pub struct SalesParams {
    #[serde(default)]
    per: String,
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
    channel: String,
}

impl SalesParams {
    pub fn query(&self) -> Result<SalesQuery, AppError> {
        let today = taipei_time::day_of(Utc::now());
        Ok(SalesQuery {
            period: SalesPeriod::parse(&self.per, &self.from, &self.to, today)?,
            dimension: Dimension::parse(&self.by)?,
            store_id: optional_id(&self.store_id)?,
            group_id: optional_id(&self.group_id)?,
            channel: parse_channel(&self.channel)?,
        })
    }
}

/// `online`, `in_store`, or empty for both.
pub fn parse_channel(text: &str) -> Result<Option<SalesChannel>, AppError> {
    match text.trim() {
        "" | "all" => Ok(None),
        "online" => Ok(Some(SalesChannel::Online)),
        "in_store" => Ok(Some(SalesChannel::InStore)),
        _ => Err(AppError::bad_request(
            "通路請選擇全部、線上（online）或門市（in_store）。",
            "Choose the channel: all, online or in_store.",
        )),
    }
}

pub fn channel_str(channel: Option<SalesChannel>) -> &'static str {
    match channel {
        None => "",
        Some(SalesChannel::Online) => "online",
        Some(SalesChannel::InStore) => "in_store",
    }
}

#[derive(Template)]
#[template(path = "admin/sales.html")]
pub struct SalesPage {
    layout: Layout,
    report: SalesReport,
    per: &'static str,
    by: &'static str,
    channel: &'static str,
    from: String,
    to: String,
    stores: Vec<Choice>,
    groups: Vec<Choice>,
    detail_rows: usize,
}

impl SalesPage {
    fn key_heading(&self) -> &'static str {
        match self.report.dimension {
            Dimension::Store => "門市",
            Dimension::Group => "群組",
            Dimension::Clerk => "人員",
        }
    }

    fn key_heading_en(&self) -> &'static str {
        match self.report.dimension {
            Dimension::Store => "Store",
            Dimension::Group => "Group",
            Dimension::Clerk => "Clerk",
        }
    }
}

pub async fn show(
    ctx: Data<Context>,
    staff: Staff,
    params: Query<SalesParams>,
) -> Result<HttpResponse, AppError> {
    let actor = staff.actor();
    let query = params.query()?;
    let report = sales_report::sales(&ctx.db, &actor, &query).await?;
    let options = members::filter_choices(&ctx.db, &actor).await?;
    let (from, to) = report.period.query_bounds();
    render(&SalesPage {
        layout: Layout::staff(&ctx, &staff, "sales"),
        per: report.period.granularity.as_str(),
        by: report.dimension.as_str(),
        channel: channel_str(report.channel),
        from,
        to,
        stores: choices(options.stores, report.store_id),
        groups: choices(options.groups, report.group_id),
        detail_rows: DETAIL_ROWS,
        report,
    })
}
