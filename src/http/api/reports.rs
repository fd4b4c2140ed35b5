//! `GET /api/v1/reports/sales`: 業績報表 as JSON (the page's filters and groupings, the same
//! figures), and `GET /api/v1/reports/sales/orders.csv`: the orders behind it, as the page's CSV
//! export. Store tokens get their own store's sales; asking for another store is refused (403).

use actix_web::HttpResponse;
use actix_web::web::{Data, Query};
use serde::Serialize;

use super::ok;
use crate::db::entities::enums::SalesChannel;
use crate::domain::sales_report::{Amounts, SalesFigures};
use crate::http::admin::sales::SalesParams;
use crate::http::error::AppError;
use crate::http::staff::Staff;
use crate::services::Context;
use crate::services::sales_report::{self, ReportKey, SalesReport};

/// The report's orders as CSV: the page's own export (same filters, scope and streaming).
pub use crate::http::admin::sales::export as sales_orders_csv;

#[derive(Serialize)]
struct ReportOut {
    per: &'static str,
    /// First and last Taiwan day covered.
    from: String,
    to: String,
    by: &'static str,
    store_id: Option<i32>,
    group_id: Option<i32>,
    channel: Option<SalesChannel>,
    totals: FiguresOut,
    by_key: Vec<KeyOut>,
    by_period: Vec<PeriodOut>,
    rows: Vec<RowOut>,
}

/// Orders, sales and refunds of one channel or both; amounts in NT$, refunds zero or negative.
#[derive(Serialize)]
struct AmountsOut {
    orders: u64,
    sales: i64,
    refunds: u64,
    refunded: i64,
    net: i64,
}

impl From<Amounts> for AmountsOut {
    fn from(a: Amounts) -> Self {
        Self {
            orders: a.orders,
            sales: a.gross,
            refunds: a.refunds,
            refunded: a.refunded,
            net: a.net(),
        }
    }
}

#[derive(Serialize)]
struct FiguresOut {
    #[serde(flatten)]
    total: AmountsOut,
    online: AmountsOut,
    in_store: AmountsOut,
    /// Distinct members who bought: rows do not add up to the total.
    buyers: u64,
}

impl From<SalesFigures> for FiguresOut {
    fn from(f: SalesFigures) -> Self {
        Self {
            total: f.total().into(),
            online: f.online.into(),
            in_store: f.in_store.into(),
            buyers: f.buyers,
        }
    }
}

/// Who a row is about: a store, a group (`group_id` null: stores in no group), a clerk of a
/// store (`clerk_id` null: the store without a clerk), or nobody credited.
#[derive(Serialize)]
struct KeyIds {
    kind: &'static str,
    store_id: Option<i32>,
    group_id: Option<i32>,
    clerk_id: Option<i32>,
}

impl From<ReportKey> for KeyIds {
    fn from(key: ReportKey) -> Self {
        let ids = |kind, store_id, group_id, clerk_id| Self {
            kind,
            store_id,
            group_id,
            clerk_id,
        };
        match key {
            ReportKey::Store(id) => ids("store", Some(id), None, None),
            ReportKey::Group(id) => ids("group", None, id, None),
            ReportKey::Clerk { store_id, clerk_id } => ids("clerk", Some(store_id), None, clerk_id),
            ReportKey::Unattributed => ids("unattributed", None, None, None),
        }
    }
}

#[derive(Serialize)]
struct KeyOut {
    key: KeyIds,
    label: String,
    figures: FiguresOut,
}

#[derive(Serialize)]
struct PeriodOut {
    /// `2026-11-28` or `2026-11`.
    period: String,
    figures: FiguresOut,
}

#[derive(Serialize)]
struct RowOut {
    period: String,
    key: KeyIds,
    label: String,
    figures: FiguresOut,
}

impl From<SalesReport> for ReportOut {
    fn from(report: SalesReport) -> Self {
        Self {
            per: report.period.granularity.as_str(),
            from: report.period.range.from.to_string(),
            to: report.period.range.to.to_string(),
            by: report.dimension.as_str(),
            store_id: report.store_id,
            group_id: report.group_id,
            channel: report.channel,
            totals: report.totals.into(),
            by_key: report
                .by_key
                .into_iter()
                .map(|row| KeyOut {
                    key: row.key.into(),
                    label: row.label,
                    figures: row.figures.into(),
                })
                .collect(),
            by_period: report
                .by_period
                .into_iter()
                .map(|row| PeriodOut {
                    period: row.label,
                    figures: row.figures.into(),
                })
                .collect(),
            rows: report
                .rows
                .into_iter()
                .map(|row| RowOut {
                    period: row.period_label,
                    key: row.key.into(),
                    label: row.label,
                    figures: row.figures.into(),
                })
                .collect(),
        }
    }
}

pub async fn sales(
    ctx: Data<Context>,
    staff: Staff,
    params: Query<SalesParams>,
) -> Result<HttpResponse, AppError> {
    let report = sales_report::sales(&ctx.db, &staff.actor(), &params.query()?).await?;
    ok(&ReportOut::from(report))
}
