//! Reports: the funnel (scans, journeys started, friends added, codes sent and verified,
//! bindings) per store, group or clerk and per Taipei day, from `funnel_events`; SMS sent and the
//! estimated SMS cost per store, from `sms_messages`. Store staff get their own store's only.
//!
//! Funnel events are counted in the database, grouped by Taipei day, store, clerk and stage, so a
//! report reads a few hundred rows whatever the traffic. A store's group is its group today: moving
//! a store to another group moves its history with it. Rebinding changes no funnel event: the
//! funnel says who brought the shopper in at the time.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect, Select,
};

use crate::config::SmsPrice;
use crate::db::entities::enums::{FunnelStage, SmsStatus};
use crate::db::entities::{funnel_events, sms_messages};
use crate::domain::reports::{FunnelChart, FunnelCounts, format_twd};
use crate::domain::taipei_time::{self, DayRange};
use crate::services::audit::Actor;
use crate::services::error::{Error, Invalid};
use crate::services::members::Directory;

/// The default report range: the last 30 Taipei days, today included.
pub const DEFAULT_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Store,
    Group,
    Clerk,
}

impl Dimension {
    pub fn parse(text: &str) -> Result<Self, Error> {
        match text.trim() {
            "" | "store" => Ok(Dimension::Store),
            "group" => Ok(Dimension::Group),
            "clerk" => Ok(Dimension::Clerk),
            _ => Err(Invalid::ReportGrouping.into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Store => "store",
            Dimension::Group => "group",
            Dimension::Clerk => "clerk",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct ReportFilter {
    pub range: DayRange,
    pub dimension: Dimension,
    pub store_id: Option<i32>,
    pub group_id: Option<i32>,
    pub clerk_id: Option<i32>,
}

/// One store, group or clerk on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    pub day: NaiveDate,
    pub label: String,
    pub counts: FunnelCounts,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyTotal {
    pub label: String,
    pub counts: FunnelCounts,
}

pub struct FunnelReport {
    pub range: DayRange,
    pub dimension: Dimension,
    pub totals: FunnelCounts,
    /// Per store, group or clerk over the whole range, by label.
    pub by_key: Vec<KeyTotal>,
    /// Every day of the range (empty days too), all selected stores together.
    pub by_day: Vec<(NaiveDate, FunnelCounts)>,
    /// Per day and store/group/clerk, days with no events left out; by day, then label.
    pub rows: Vec<ReportRow>,
}

#[derive(Debug, FromQueryResult)]
struct StageCount {
    day: String,
    store_id: i32,
    clerk_id: Option<i32>,
    stage: FunnelStage,
    n: i64,
}

/// The Taipei day of `column` as `YYYY-MM-DD`, in the database's own dialect.
fn taipei_day_sql(backend: DbBackend, table: &str, column: &str) -> String {
    match backend {
        DbBackend::Postgres => format!(
            "to_char((\"{table}\".\"{column}\" AT TIME ZONE 'UTC') + INTERVAL '8 hours', 'YYYY-MM-DD')"
        ),
        // SQLite keeps RFC 3339 text; its date functions read the offset.
        _ => format!("strftime('%Y-%m-%d', \"{table}\".\"{column}\", '+8 hours')"),
    }
}

/// The stores a report may include: the scope, then the filters. `None`: every store (HQ
/// without filters), so the query needs no list of ids.
fn store_ids(
    directory: &Directory,
    actor: &Actor,
    store_id: Option<i32>,
    group_id: Option<i32>,
) -> Option<Vec<i32>> {
    if actor.scope.is_hq() && store_id.is_none() && group_id.is_none() {
        return None;
    }
    let ids = directory
        .stores_in(actor.scope)
        .into_iter()
        .filter(|s| store_id.is_none_or(|id| s.id == id))
        .filter(|s| group_id.is_none_or(|g| s.group_id == Some(g)))
        .map(|s| s.id)
        .collect();
    Some(ids)
}

async fn stage_counts(
    db: &impl ConnectionTrait,
    range: DayRange,
    stores: Option<&[i32]>,
    clerk_id: Option<i32>,
) -> Result<Vec<StageCount>, Error> {
    if stores.is_some_and(|s| s.is_empty()) {
        return Ok(Vec::new());
    }
    let day = Expr::cust(taipei_day_sql(
        db.get_database_backend(),
        "funnel_events",
        "occurred_at",
    ));
    let (start, end) = range.utc_bounds();
    let mut query: Select<funnel_events::Entity> = funnel_events::Entity::find()
        .select_only()
        .column_as(day.clone(), "day")
        .column_as(funnel_events::Column::StoreId, "store_id")
        .column_as(funnel_events::Column::ClerkId, "clerk_id")
        .column_as(funnel_events::Column::Stage, "stage")
        .column_as(funnel_events::Column::Id.count(), "n")
        .filter(funnel_events::Column::OccurredAt.gte(start))
        .filter(funnel_events::Column::OccurredAt.lt(end));
    if let Some(stores) = stores {
        query = query.filter(funnel_events::Column::StoreId.is_in(stores.iter().copied()));
    }
    if let Some(clerk_id) = clerk_id {
        query = query.filter(funnel_events::Column::ClerkId.eq(clerk_id));
    }
    Ok(query
        .group_by(day)
        .group_by(funnel_events::Column::StoreId)
        .group_by(funnel_events::Column::ClerkId)
        .group_by(funnel_events::Column::Stage)
        .into_model::<StageCount>()
        .all(db)
        .await?)
}

/// The funnel per day and per store, group or clerk, within the actor's scope.
pub async fn funnel(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &ReportFilter,
) -> Result<FunnelReport, Error> {
    let directory = Directory::load(db).await?;
    let stores = store_ids(&directory, actor, filter.store_id, filter.group_id);
    let counts = stage_counts(db, filter.range, stores.as_deref(), filter.clerk_id).await?;

    let label = |row: &StageCount| -> String {
        match filter.dimension {
            Dimension::Store => format!(
                "{} {}",
                directory.store_code(row.store_id),
                directory.store_name(row.store_id)
            ),
            Dimension::Group => directory
                .group_of(row.store_id)
                .unwrap_or_else(|| "（未分組 no group）".to_owned()),
            Dimension::Clerk => match row.clerk_id {
                Some(clerk) => directory.clerk_with_store(clerk),
                None => format!(
                    "（門市 QR，未指定人員）({})",
                    directory.store_code(row.store_id)
                ),
            },
        }
    };

    let mut totals = FunnelCounts::default();
    let mut by_key: BTreeMap<String, FunnelCounts> = BTreeMap::new();
    let mut by_day: BTreeMap<NaiveDate, FunnelCounts> = filter
        .range
        .days()
        .map(|d| (d, FunnelCounts::default()))
        .collect();
    let mut rows: BTreeMap<(NaiveDate, String), FunnelCounts> = BTreeMap::new();
    for row in &counts {
        let Ok(day) = NaiveDate::parse_from_str(&row.day, "%Y-%m-%d") else {
            continue;
        };
        let n = u64::try_from(row.n).unwrap_or_default();
        let key = label(row);
        totals.add(row.stage, n);
        by_key.entry(key.clone()).or_default().add(row.stage, n);
        by_day.entry(day).or_default().add(row.stage, n);
        rows.entry((day, key)).or_default().add(row.stage, n);
    }
    Ok(FunnelReport {
        range: filter.range,
        dimension: filter.dimension,
        totals,
        by_key: by_key
            .into_iter()
            .map(|(label, counts)| KeyTotal { label, counts })
            .collect(),
        by_day: by_day.into_iter().collect(),
        rows: rows
            .into_iter()
            .map(|((day, label), counts)| ReportRow { day, label, counts })
            .collect(),
    })
}

/// SMS of one store (or of no store) in the range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsRow {
    pub label: String,
    pub sent: u64,
    pub failed: u64,
    /// Cost units of the sent messages (a long message may count as several).
    pub units: u64,
    /// `units` × `SMS_PRICE_TWD`, e.g. "NT$12.50".
    pub estimated_cost: String,
}

pub struct SmsReport {
    pub rows: Vec<SmsRow>,
    pub total: SmsRow,
    /// The price per unit used, e.g. "NT$1.00".
    pub price: String,
}

#[derive(Debug, FromQueryResult)]
struct SmsCount {
    store_id: Option<i32>,
    status: SmsStatus,
    n: i64,
    units: i64,
}

/// SMS sent and failed, and the estimated cost, per store; store staff see their store's.
pub async fn sms(
    db: &impl ConnectionTrait,
    actor: &Actor,
    range: DayRange,
    store_id: Option<i32>,
    group_id: Option<i32>,
    price: SmsPrice,
) -> Result<SmsReport, Error> {
    let directory = Directory::load(db).await?;
    let (start, end) = range.utc_bounds();
    let mut query = sms_messages::Entity::find()
        .select_only()
        .column_as(sms_messages::Column::StoreId, "store_id")
        .column_as(sms_messages::Column::Status, "status")
        .column_as(sms_messages::Column::Id.count(), "n")
        .column_as(
            Expr::cust("COALESCE(SUM(\"sms_messages\".\"cost_units\"), 0)"),
            "units",
        )
        .filter(sms_messages::Column::SentAt.gte(start))
        .filter(sms_messages::Column::SentAt.lt(end));
    // Messages without a store are HQ's: only the unfiltered HQ report shows them.
    if let Some(stores) = store_ids(&directory, actor, store_id, group_id) {
        query = query.filter(sms_messages::Column::StoreId.is_in(stores));
    }
    let counts = query
        .group_by(sms_messages::Column::StoreId)
        .group_by(sms_messages::Column::Status)
        .into_model::<SmsCount>()
        .all(db)
        .await?;

    let mut per_store: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    for row in counts {
        let label = match row.store_id {
            Some(id) => format!("{} {}", directory.store_code(id), directory.store_name(id)),
            None => "（無門市 no store）".to_owned(),
        };
        let entry = per_store.entry(label).or_default();
        let n = u64::try_from(row.n).unwrap_or_default();
        match row.status {
            SmsStatus::Sent => {
                entry.0 += n;
                entry.2 += u64::try_from(row.units).unwrap_or_default();
            }
            SmsStatus::Failed => entry.1 += n,
        }
    }
    let sms_row = |label: String, (sent, failed, units): (u64, u64, u64)| SmsRow {
        label,
        sent,
        failed,
        units,
        estimated_cost: format_twd(price.cost_hundredths(units)),
    };
    let sum = per_store
        .values()
        .fold((0, 0, 0), |acc, v| (acc.0 + v.0, acc.1 + v.1, acc.2 + v.2));
    Ok(SmsReport {
        rows: per_store
            .into_iter()
            .map(|(label, counts)| sms_row(label, counts))
            .collect(),
        total: sms_row("合計 Total".to_owned(), sum),
        price: format_twd(u64::from(price.hundredths_twd)),
    })
}

/// The dashboard's funnel: the last 30 days in the actor's scope, as counts and a chart.
pub struct DashboardFunnel {
    pub range: DayRange,
    pub counts: FunnelCounts,
    pub chart: FunnelChart,
}

pub async fn dashboard(db: &impl ConnectionTrait, actor: &Actor) -> Result<DashboardFunnel, Error> {
    let range = DayRange::last_days(taipei_time::day_of(Utc::now()), DEFAULT_DAYS);
    let directory = Directory::load(db).await?;
    let stores = store_ids(&directory, actor, None, None);
    let mut counts = FunnelCounts::default();
    for row in stage_counts(db, range, stores.as_deref(), None).await? {
        counts.add(row.stage, u64::try_from(row.n).unwrap_or_default());
    }
    Ok(DashboardFunnel {
        range,
        chart: FunnelChart::new(&counts),
        counts,
    })
}
