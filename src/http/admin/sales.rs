//! `/admin/sales`: 業績報表, sales per day or month and per store, group or clerk, online and in
//! store, with a chart; `/admin/sales/export.csv`: the orders behind it (業績明細), one line per
//! sale or refund. Store staff see their own store's (the service holds them to it).

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::{Bytes, Data, Query};
use askama::Template;
use chrono::Utc;
use futures_util::StreamExt;
use futures_util::stream;
use serde::Deserialize;

use super::members::{Choice, choices};
use super::{optional_id, render};
use crate::db::entities::enums::SalesChannel;
use crate::domain::sales_report::{ORDER_LINE_HEADER, OrderLine, SalesPeriod};
use crate::domain::taipei_time;
use crate::http::error::AppError;
use crate::http::layout::Layout;
use crate::http::staff::Staff;
use crate::services::Context;
use crate::services::members;
use crate::services::reports::Dimension;
use crate::services::sales_report::{self, OrderLines, SalesQuery, SalesReport};

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

    /// The same report asked for again (the CSV link keeps the page's filters); empty values
    /// left out.
    fn query_string(report: &SalesReport) -> String {
        let (from, to) = report.period.query_bounds();
        let mut pairs = vec![
            ("per", report.period.granularity.as_str().to_owned()),
            ("from", from),
            ("to", to),
            ("by", report.dimension.as_str().to_owned()),
        ];
        if let Some(id) = report.store_id {
            pairs.push(("store_id", id.to_string()));
        }
        if let Some(id) = report.group_id {
            pairs.push(("group_id", id.to_string()));
        }
        if report.channel.is_some() {
            pairs.push(("channel", channel_str(report.channel).to_owned()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
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
    /// The page's filters as a query string, for the CSV link.
    filters: String,
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
        filters: SalesParams::query_string(&report),
        report,
    })
}

/// The orders behind the report as CSV, with the page's filters and scope: see [`orders_csv`].
pub async fn export(
    ctx: Data<Context>,
    staff: Staff,
    params: Query<SalesParams>,
) -> Result<HttpResponse, AppError> {
    let query = params.query()?;
    let lines = OrderLines::start(&ctx.db, &staff.actor(), &query).await?;
    Ok(orders_csv(ctx, lines, &query.period))
}

/// 業績明細 as a CSV download, streamed a page of orders at a time, with a BOM so Excel reads
/// it as UTF-8 (zh-TW names intact). A database error halfway cuts the download off (logged),
/// so a short file is never mistaken for a whole one.
pub fn orders_csv(ctx: Data<Context>, lines: OrderLines, period: &SalesPeriod) -> HttpResponse {
    let mut head = "\u{FEFF}".as_bytes().to_vec();
    head.extend(csv_lines(std::iter::once(
        ORDER_LINE_HEADER.map(str::to_owned),
    )));
    let pages = stream::unfold(Some(lines), move |lines| {
        let ctx = ctx.clone();
        async move {
            let mut lines = lines?;
            match lines.next_page(&ctx.db).await {
                Ok(Some(page)) => Some((
                    Ok(Bytes::from(csv_lines(page.iter().map(OrderLine::cells)))),
                    Some(lines),
                )),
                Ok(None) => None,
                Err(err) => {
                    tracing::error!(error = %err, "the sales CSV stopped halfway");
                    Some((
                        Err(actix_web::error::ErrorInternalServerError("database error")),
                        None,
                    ))
                }
            }
        }
    });
    let body =
        stream::once(async move { Ok::<_, actix_web::Error>(Bytes::from(head)) }).chain(pages);
    let filename = format!(
        "sales-{}-{}.csv",
        period.range.from.format("%Y%m%d"),
        period.range.to.format("%Y%m%d")
    );
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body)
}

/// CSV records, quoted where needed.
fn csv_lines<const N: usize>(records: impl Iterator<Item = [String; N]>) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(Vec::new());
    for record in records {
        // Writing to a Vec cannot fail.
        let _ = out.write_record(&record);
    }
    out.into_inner().unwrap_or_default()
}
