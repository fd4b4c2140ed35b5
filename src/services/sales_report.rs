//! 業績報表: sales per Taiwan day or month and per store, group or clerk, online and in store
//! (orders, sales, refunds, net, members who bought), within the actor's scope. Store staff get
//! their own store's sales, whatever they ask for; asking for another store is refused. Orders no
//! store was credited for are one row of HQ's unfiltered report.
//!
//! Everything is read from the report totals kept with every booking (`services::orders::books`,
//! and the database triggers of the migration `keep_month_totals`): amounts per day from
//! `sales_daily`, per month from `sales_monthly` (a month of 1,000,000 orders over 1,000 stores is
//! ~175,000 day cells but ~8,000 month cells, bench/RESULTS.md). Members who bought per month come
//! from `sales_buyer_counts` where a row of it is exactly what is asked (a whole store, group,
//! clerk or everything, in one channel or both), and are otherwise counted over `sales_buyers`
//! (a group's stores, several months together: small, or not the monthly report). Members who
//! bought per day are counted over the month's orders themselves (a distinct count cannot be
//! summed from days). Stores, groups and clerks are the attribution snapshot taken when each order
//! was recorded: a store that changes group later keeps its past sales in the old group.
//!
//! [`OrderLines`] pages through the bookings behind the same figures, for the orders export
//! (業績明細 CSV): one line per sale or refund with what its snapshot credited.
//!
//! The SQL is written out: every value inlined is an integer or one of our own enum strings.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, Statement};

use crate::db::entities::enums::{SalesChannel, UnattributedReason};
use crate::domain::access::Scope;
use crate::domain::sales_report::{
    Amounts, Credited, Granularity, OrderLine, SalesChart, SalesFigures, SalesPeriod, day_key,
};
use crate::services::audit::Actor;
use crate::services::members::{Directory, PhoneView, member_label};
use crate::services::reports::Dimension;

/// What the report is asked for.
#[derive(Debug, Clone, Copy)]
pub struct SalesQuery {
    pub period: SalesPeriod,
    pub dimension: Dimension,
    pub store_id: Option<i32>,
    pub group_id: Option<i32>,
    /// `None`: both channels.
    pub channel: Option<SalesChannel>,
}

#[derive(Debug, thiserror::Error)]
pub enum SalesReportError {
    /// Store staff asked for another store's sales.
    #[error("store staff see their own store's sales only")]
    OtherStore,
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// Who a row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReportKey {
    Store(i32),
    /// `None`: stores that were in no group.
    Group(Option<i32>),
    /// `clerk_id` `None`: credited to the store without a clerk (store level, or the store's own QR).
    Clerk {
        store_id: i32,
        clerk_id: Option<i32>,
    },
    /// No store was credited (HQ only).
    Unattributed,
}

impl ReportKey {
    pub fn is_unattributed(&self) -> bool {
        matches!(self, ReportKey::Unattributed)
    }

    pub fn store_id(&self) -> Option<i32> {
        match self {
            ReportKey::Store(id) | ReportKey::Clerk { store_id: id, .. } => Some(*id),
            _ => None,
        }
    }
}

/// One store, group or clerk over the whole period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    pub key: ReportKey,
    pub label: String,
    pub figures: SalesFigures,
}

/// Every selected store together on one day or month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodRow {
    /// `20261128` or `202611`.
    pub period: i32,
    pub label: String,
    pub figures: SalesFigures,
}

/// One store, group or clerk on one day or month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailRow {
    pub period: i32,
    pub period_label: String,
    pub key: ReportKey,
    pub label: String,
    pub figures: SalesFigures,
}

pub struct SalesReport {
    pub period: SalesPeriod,
    pub dimension: Dimension,
    pub channel: Option<SalesChannel>,
    /// The store the report is limited to (always the own store for store staff).
    pub store_id: Option<i32>,
    pub group_id: Option<i32>,
    pub totals: SalesFigures,
    /// By net sales, highest first; unattributed last.
    pub by_key: Vec<KeyRow>,
    /// Every day or month of the period, empty ones too.
    pub by_period: Vec<PeriodRow>,
    /// Non-empty (period, key) pairs, by period, then as `by_key`.
    pub rows: Vec<DetailRow>,
    pub chart: SalesChart,
    /// Whether the actor's scope has any sale at all (else the page explains where sales come from).
    pub any_sales: bool,
}

/// The stores, group and channel the SQL is limited to, after the actor's scope.
#[derive(Debug, Clone, Copy)]
struct Limits {
    store_id: Option<i32>,
    group_id: Option<i32>,
    channel: Option<SalesChannel>,
}

/// Which table a query reads, which says how "none" is written and how periods are keyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// `sales_daily`, `sales_monthly` or `sales_buyers`: 0 is "none".
    Rollup(&'static str),
    /// `orders`: NULL is "none"; only sales not voided, of a member.
    Orders,
}

impl Source {
    fn table(self) -> &'static str {
        match self {
            Source::Rollup(table) => table,
            Source::Orders => "orders",
        }
    }

    /// A credited id column with "none" as 0.
    fn id(self, column: &str) -> String {
        match self {
            Source::Rollup(_) => format!("\"{column}\""),
            Source::Orders => format!("COALESCE(\"{column}\", 0)"),
        }
    }

    /// The expressions that key a row of the dimension (one or two integers).
    fn key_columns(self, dimension: Dimension) -> Vec<String> {
        let store = self.id("credited_store_id");
        match dimension {
            Dimension::Store => vec![store],
            // Unattributed is -1, so it is not mixed up with stores in no group (0).
            Dimension::Group => vec![format!(
                "CASE WHEN {store} = 0 THEN -1 ELSE {} END",
                self.id("credited_group_id")
            )],
            Dimension::Clerk => vec![store, self.id("credited_clerk_id")],
        }
    }

    /// `… AS key_a, … AS key_b` and the GROUP BY list: constants are selected, never grouped by
    /// (PostgreSQL reads `GROUP BY 0` as a column position).
    fn select_keys(self, dimension: Option<Dimension>) -> (String, Vec<String>) {
        let keys = dimension.map_or_else(Vec::new, |d| self.key_columns(d));
        let a = keys.first().cloned().unwrap_or_else(|| "0".to_owned());
        let b = keys.get(1).cloned().unwrap_or_else(|| "0".to_owned());
        (format!("{a} AS key_a, {b} AS key_b"), keys)
    }

    fn conditions(self, period: &SalesPeriod, limits: &Limits) -> Vec<String> {
        let mut conditions = Vec::new();
        match (self, period.granularity) {
            (Source::Rollup("sales_buyers"), _) | (Source::Rollup(_), Granularity::Month) => {
                let (from, to) = period.month_keys();
                conditions.push(format!("\"booked_month\" BETWEEN {from} AND {to}"));
            }
            _ => {
                let (from, to) = period.day_keys();
                conditions.push(format!("\"booked_day\" BETWEEN {from} AND {to}"));
            }
        }
        if self == Source::Orders {
            conditions.push(
                "\"kind\" = 'sale' AND \"voided_at\" IS NULL AND \"member_id\" IS NOT NULL"
                    .to_owned(),
            );
        }
        conditions.extend(filter_conditions(limits));
        conditions
    }

    /// Every table keys both periods by the same column names.
    fn period_column(self, granularity: Granularity) -> &'static str {
        match granularity {
            Granularity::Month => "\"booked_month\"",
            Granularity::Day => "\"booked_day\"",
        }
    }
}

/// The store, group and channel filters, on columns every table names alike.
fn filter_conditions(limits: &Limits) -> Vec<String> {
    let mut conditions = Vec::new();
    if let Some(store_id) = limits.store_id {
        conditions.push(format!("\"credited_store_id\" = {store_id}"));
    }
    if let Some(group_id) = limits.group_id {
        conditions.push(format!("\"credited_group_id\" = {group_id}"));
    }
    if let Some(channel) = limits.channel {
        conditions.push(format!("\"channel\" = '{}'", channel_sql(channel)));
    }
    conditions
}

fn channel_sql(channel: SalesChannel) -> &'static str {
    match channel {
        SalesChannel::Online => "online",
        SalesChannel::InStore => "in_store",
    }
}

#[derive(Debug, FromQueryResult)]
struct CellSums {
    period: i32,
    key_a: i32,
    key_b: i32,
    channel: String,
    orders: i64,
    gross: i64,
    refunds: i64,
    refunded: i64,
}

#[derive(Debug, Clone, FromQueryResult)]
struct BuyerCount {
    period: i32,
    key_a: i32,
    key_b: i32,
    n: i64,
}

/// The report: see the module docs.
pub async fn sales(
    db: &impl ConnectionTrait,
    actor: &Actor,
    query: &SalesQuery,
) -> Result<SalesReport, SalesReportError> {
    let limits = limits(actor.scope, query)?;
    let backend = db.get_database_backend();
    let period = &query.period;
    let dimension = query.dimension;

    let cells = amounts(db, backend, period, dimension, &limits).await?;
    let buyer_source = match period.granularity {
        Granularity::Month => Source::Rollup("sales_buyers"),
        Granularity::Day => Source::Orders,
    };
    let several_periods = period.keys().len() > 1;
    let buyers_by_cell = buyers(db, buyer_source, period, dimension, &limits, true, true).await?;
    // With one period, the period's buyers are the total and a key's are its cell's.
    let buyers_by_key = if several_periods {
        buyers(db, buyer_source, period, dimension, &limits, false, true).await?
    } else {
        buyers_by_cell.clone()
    };
    let buyers_by_period =
        buyers(db, buyer_source, period, dimension, &limits, true, false).await?;
    let total_buyers = if several_periods {
        buyers(db, buyer_source, period, dimension, &limits, false, false)
            .await?
            .first()
            .map_or(0, |row| row.n)
    } else {
        buyers_by_period.first().map_or(0, |row| row.n)
    };

    let key_of = |a: i32, b: i32| report_key(dimension, a, b);
    let mut by_cell: BTreeMap<(i32, ReportKey), SalesFigures> = BTreeMap::new();
    let mut by_key: HashMap<ReportKey, SalesFigures> = HashMap::new();
    let mut by_period: BTreeMap<i32, SalesFigures> = period
        .keys()
        .into_iter()
        .map(|k| (k, SalesFigures::default()))
        .collect();
    let mut totals = SalesFigures::default();
    for cell in &cells {
        let Some(channel) = parse_channel(&cell.channel) else {
            continue;
        };
        let amounts = Amounts {
            orders: u64::try_from(cell.orders).unwrap_or_default(),
            gross: cell.gross,
            refunds: u64::try_from(cell.refunds).unwrap_or_default(),
            refunded: cell.refunded,
        };
        let key = key_of(cell.key_a, cell.key_b);
        for figures in [
            by_cell.entry((cell.period, key)).or_default(),
            by_key.entry(key).or_default(),
            by_period.entry(cell.period).or_default(),
            &mut totals,
        ] {
            figures.channel_mut(channel).add(&amounts);
        }
    }
    for row in &buyers_by_cell {
        by_cell
            .entry((row.period, key_of(row.key_a, row.key_b)))
            .or_default()
            .buyers = count(row.n);
    }
    for row in &buyers_by_key {
        by_key
            .entry(key_of(row.key_a, row.key_b))
            .or_default()
            .buyers = count(row.n);
    }
    for row in &buyers_by_period {
        by_period.entry(row.period).or_default().buyers = count(row.n);
    }
    totals.buyers = count(total_buyers);

    let directory = Directory::load(db).await?;
    let label = |key: &ReportKey| key_label(&directory, key);
    let mut keys: Vec<KeyRow> = by_key
        .into_iter()
        .map(|(key, figures)| KeyRow {
            label: label(&key),
            key,
            figures,
        })
        .collect();
    keys.sort_by(|a, b| {
        (a.key.is_unattributed(), -a.figures.total().net(), &a.label).cmp(&(
            b.key.is_unattributed(),
            -b.figures.total().net(),
            &b.label,
        ))
    });
    let rank: HashMap<ReportKey, usize> =
        keys.iter().enumerate().map(|(i, k)| (k.key, i)).collect();
    let mut rows: Vec<DetailRow> = by_cell
        .into_iter()
        .filter(|(_, figures)| !figures.is_empty())
        .map(|((key_period, key), figures)| DetailRow {
            period: key_period,
            period_label: period.label(key_period),
            label: label(&key),
            key,
            figures,
        })
        .collect();
    rows.sort_by_key(|row| {
        (
            row.period,
            rank.get(&row.key).copied().unwrap_or(usize::MAX),
        )
    });
    let by_period: Vec<PeriodRow> = by_period
        .into_iter()
        .map(|(key, figures)| PeriodRow {
            period: key,
            label: period.label(key),
            figures,
        })
        .collect();
    let chart = SalesChart::new(
        &by_period
            .iter()
            .map(|row| {
                (
                    row.label.clone(),
                    row.figures.online.net(),
                    row.figures.in_store.net(),
                )
            })
            .collect::<Vec<_>>(),
    );
    let any_sales = !cells.is_empty() || any_sales(db, backend, &limits).await?;
    Ok(SalesReport {
        period: *period,
        dimension,
        channel: query.channel,
        store_id: limits.store_id,
        group_id: limits.group_id,
        totals,
        by_key: keys,
        by_period,
        rows,
        chart,
        any_sales,
    })
}

/// The actor's scope applied to the filters: store staff are held to their own store.
fn limits(scope: Scope, query: &SalesQuery) -> Result<Limits, SalesReportError> {
    let store_id = match scope {
        Scope::Hq => query.store_id,
        Scope::Store(own) => match query.store_id {
            Some(asked) if asked != own => return Err(SalesReportError::OtherStore),
            _ => Some(own),
        },
    };
    Ok(Limits {
        store_id,
        group_id: query.group_id,
        channel: query.channel,
    })
}

fn report_key(dimension: Dimension, a: i32, b: i32) -> ReportKey {
    match dimension {
        Dimension::Store if a == 0 => ReportKey::Unattributed,
        Dimension::Store => ReportKey::Store(a),
        Dimension::Group if a < 0 => ReportKey::Unattributed,
        Dimension::Group => ReportKey::Group((a != 0).then_some(a)),
        Dimension::Clerk if a == 0 => ReportKey::Unattributed,
        Dimension::Clerk => ReportKey::Clerk {
            store_id: a,
            clerk_id: (b != 0).then_some(b),
        },
    }
}

/// How a row is named: "A01 台北信義店", "北區", "A01 · 小美". Names are today's; a deleted
/// group is named by its id.
pub(crate) fn key_label(directory: &Directory, key: &ReportKey) -> String {
    match key {
        ReportKey::Store(id) => format!(
            "{} {}",
            directory.store_code(*id),
            directory.store_name(*id)
        ),
        ReportKey::Group(Some(id)) => directory
            .groups
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("群組 #{id}（已刪除）")),
        ReportKey::Group(None) => "（未分組 no group）".to_owned(),
        ReportKey::Clerk { store_id, clerk_id } => {
            let clerk = match clerk_id {
                Some(id) => directory
                    .clerk(*id)
                    .unwrap_or_else(|| format!("人員 #{id}")),
                None => "（門市，未指定人員 store）".to_owned(),
            };
            format!("{} · {clerk}", directory.store_code(*store_id))
        }
        ReportKey::Unattributed => "（未歸因 unattributed）".to_owned(),
    }
}

fn parse_channel(text: &str) -> Option<SalesChannel> {
    match text {
        "online" => Some(SalesChannel::Online),
        "in_store" => Some(SalesChannel::InStore),
        _ => None,
    }
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}

fn where_clause(conditions: &[String]) -> String {
    format!("WHERE {}", conditions.join(" AND "))
}

/// Sales and refunds per period, key and channel, from `sales_daily` or `sales_monthly`.
async fn amounts(
    db: &impl ConnectionTrait,
    backend: DbBackend,
    period: &SalesPeriod,
    dimension: Dimension,
    limits: &Limits,
) -> Result<Vec<CellSums>, DbErr> {
    let source = Source::Rollup(match period.granularity {
        Granularity::Day => "sales_daily",
        Granularity::Month => "sales_monthly",
    });
    let (keys, mut group_by) = source.select_keys(Some(dimension));
    let period_column = source.period_column(period.granularity);
    group_by.extend([period_column.to_owned(), "\"channel\"".to_owned()]);
    let sql = format!(
        "SELECT {period_column} AS period, {keys}, \"channel\" AS channel, \
         CAST(SUM(\"order_count\") AS BIGINT) AS orders, CAST(SUM(\"gross_amount\") AS BIGINT) AS gross, \
         CAST(SUM(\"refund_count\") AS BIGINT) AS refunds, CAST(SUM(\"refund_amount\") AS BIGINT) AS refunded \
         FROM \"{}\" {} GROUP BY {}",
        source.table(),
        where_clause(&source.conditions(period, limits)),
        group_by.join(", "),
    );
    CellSums::find_by_statement(Statement::from_string(backend, sql))
        .all(db)
        .await
}

/// Different members who bought, grouped by period and/or key (both off: the total).
async fn buyers(
    db: &impl ConnectionTrait,
    source: Source,
    period: &SalesPeriod,
    dimension: Dimension,
    limits: &Limits,
    per_period: bool,
    per_key: bool,
) -> Result<Vec<BuyerCount>, DbErr> {
    if per_period
        && source == Source::Rollup("sales_buyers")
        && let Some(kept) = KeptCount::answering(dimension, limits, per_key)
    {
        return kept.read(db, period, limits.channel).await;
    }
    let (keys, mut group_by) = source.select_keys(per_key.then_some(dimension));
    let period_column = if per_period {
        group_by.push(source.period_column(period.granularity).to_owned());
        source.period_column(period.granularity)
    } else {
        "0"
    };
    let group_by = if group_by.is_empty() {
        String::new()
    } else {
        format!("GROUP BY {}", group_by.join(", "))
    };
    let sql = format!(
        "SELECT {period_column} AS period, {keys}, COUNT(DISTINCT \"member_id\") AS n FROM \"{}\" {} {group_by}",
        source.table(),
        where_clause(&source.conditions(period, limits)),
    );
    BuyerCount::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
        .all(db)
        .await
}

/// A row set of `sales_buyer_counts` that is exactly a per-month buyer count the report asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KeptCount {
    scope: &'static str,
    /// Only the rows of this store or group (`key_a`).
    key_a: Option<i32>,
}

impl KeptCount {
    /// The kept counts that answer "members who bought, per month and per key of `dimension`"
    /// (`per_key`) or "per month" within `limits`; `None` where the limits cut across a scope (a
    /// group's stores: a store may have changed group within the month), so the count is made.
    fn answering(dimension: Dimension, limits: &Limits, per_key: bool) -> Option<Self> {
        let scope = |scope, key_a| Some(Self { scope, key_a });
        match (limits.store_id, limits.group_id, per_key) {
            (None, None, false) => scope("all", None),
            (None, None, true) => scope(Self::scope_of(dimension), None),
            (Some(store_id), None, false) => scope("store", Some(store_id)),
            (Some(store_id), None, true) if dimension != Dimension::Group => {
                scope(Self::scope_of(dimension), Some(store_id))
            }
            (None, Some(group_id), false) => scope("group", Some(group_id)),
            (None, Some(group_id), true) if dimension == Dimension::Group => {
                scope("group", Some(group_id))
            }
            _ => None,
        }
    }

    fn scope_of(dimension: Dimension) -> &'static str {
        match dimension {
            Dimension::Store => "store",
            Dimension::Group => "group",
            Dimension::Clerk => "clerk",
        }
    }

    async fn read(
        self,
        db: &impl ConnectionTrait,
        period: &SalesPeriod,
        channel: Option<SalesChannel>,
    ) -> Result<Vec<BuyerCount>, DbErr> {
        let (from, to) = period.month_keys();
        let channel = channel.map_or("both", channel_sql);
        let mut conditions = vec![
            format!("\"booked_month\" BETWEEN {from} AND {to}"),
            format!("\"scope\" = '{}'", self.scope),
            format!("\"channel\" = '{channel}'"),
            "\"buyers\" > 0".to_owned(),
        ];
        if let Some(key_a) = self.key_a {
            conditions.push(format!("\"key_a\" = {key_a}"));
        }
        let sql = format!(
            "SELECT \"booked_month\" AS period, \"key_a\" AS key_a, \"key_b\" AS key_b, \
             CAST(\"buyers\" AS BIGINT) AS n FROM \"sales_buyer_counts\" {}",
            where_clause(&conditions)
        );
        BuyerCount::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
            .all(db)
            .await
    }
}

/// Whether anything was ever booked within the limits' store.
async fn any_sales(
    db: &impl ConnectionTrait,
    backend: DbBackend,
    limits: &Limits,
) -> Result<bool, DbErr> {
    let condition = match limits.store_id {
        Some(store_id) => format!("WHERE \"credited_store_id\" = {store_id}"),
        None => String::new(),
    };
    let sql = format!("SELECT 1 AS one FROM \"sales_daily\" {condition} LIMIT 1");
    Ok(db
        .query_one_raw(Statement::from_string(backend, sql))
        .await?
        .is_some())
}

/// The orders export reads this many bookings per query.
pub const ORDER_LINES_PAGE: u64 = 2_000;

/// The bookings behind a report, one page at a time: every sale and refund of the period (voided
/// in-store purchases left out, as in the report), within the same filters and scope, by Taiwan
/// day, then as recorded. A page is one day's bookings after the last one read, so a month of a
/// million orders is never in memory at once and each query sorts at most one day.
pub struct OrderLines {
    limits: Limits,
    days: Vec<i32>,
    /// Index into `days` of the day being read.
    day: usize,
    /// The last booking read on that day.
    after_id: i64,
    directory: Directory,
    phones: PhoneView,
    page_size: u64,
}

#[derive(Debug, FromQueryResult)]
struct OrderLineRow {
    id: i64,
    kind: String,
    channel: SalesChannel,
    source: String,
    external_id: String,
    amount: i64,
    ordered_at: DateTime<Utc>,
    member_id: Option<i32>,
    customer_phone: Option<String>,
    credited_store_id: Option<i32>,
    credited_group_id: Option<i32>,
    credited_clerk_id: Option<i32>,
    unattributed_reason: Option<UnattributedReason>,
    operator_staff_id: Option<i32>,
    entry_store_id: Option<i32>,
    member_name: Option<String>,
    member_phone: Option<String>,
    member_erased_at: Option<DateTime<Utc>>,
}

impl OrderLines {
    /// Checks the actor's scope (store staff: their own store only) before anything is read.
    pub async fn start(
        db: &impl ConnectionTrait,
        actor: &Actor,
        query: &SalesQuery,
    ) -> Result<Self, SalesReportError> {
        Ok(Self {
            limits: limits(actor.scope, query)?,
            days: query.period.range.days().map(day_key).collect(),
            day: 0,
            after_id: 0,
            directory: Directory::load(db).await?,
            phones: PhoneView::of(actor.scope),
            page_size: ORDER_LINES_PAGE,
        })
    }

    /// Smaller pages, so tests see a day split over several.
    pub fn with_page_size(self, page_size: u64) -> Self {
        Self {
            page_size: page_size.max(1),
            ..self
        }
    }

    /// The next page of lines; `None` when every day has been read.
    pub async fn next_page(
        &mut self,
        db: &impl ConnectionTrait,
    ) -> Result<Option<Vec<OrderLine>>, DbErr> {
        while let Some(&day) = self.days.get(self.day) {
            let mut conditions = vec![
                format!("\"orders\".\"booked_day\" = {day}"),
                format!("\"orders\".\"id\" > {}", self.after_id),
                "\"orders\".\"voided_at\" IS NULL".to_owned(),
            ];
            conditions.extend(filter_conditions(&self.limits));
            let sql = format!(
                "SELECT \"orders\".\"id\" AS id, \"kind\" AS kind, \"channel\" AS channel, \
                 \"source\" AS source, \"external_id\" AS external_id, \"amount\" AS amount, \
                 \"ordered_at\" AS ordered_at, \"member_id\" AS member_id, \
                 \"customer_phone\" AS customer_phone, \"credited_store_id\" AS credited_store_id, \
                 \"credited_group_id\" AS credited_group_id, \"credited_clerk_id\" AS credited_clerk_id, \
                 \"unattributed_reason\" AS unattributed_reason, \"operator_staff_id\" AS operator_staff_id, \
                 \"entry_store_id\" AS entry_store_id, \"members\".\"display_name\" AS member_name, \
                 \"members\".\"phone_e164\" AS member_phone, \"members\".\"erased_at\" AS member_erased_at \
                 FROM \"orders\" LEFT JOIN \"members\" ON \"members\".\"id\" = \"orders\".\"member_id\" \
                 {} ORDER BY \"orders\".\"id\" LIMIT {}",
                where_clause(&conditions),
                self.page_size,
            );
            let rows = OrderLineRow::find_by_statement(Statement::from_string(
                db.get_database_backend(),
                sql,
            ))
            .all(db)
            .await?;
            match rows.last() {
                Some(last) => {
                    self.after_id = last.id;
                    if (rows.len() as u64) < self.page_size {
                        self.next_day();
                    }
                    return Ok(Some(rows.into_iter().map(|row| self.line(row)).collect()));
                }
                None => self.next_day(),
            }
        }
        Ok(None)
    }

    fn next_day(&mut self) {
        self.day += 1;
        self.after_id = 0;
    }

    fn line(&self, row: OrderLineRow) -> OrderLine {
        let directory = &self.directory;
        let credited = match (row.credited_store_id, row.credited_clerk_id) {
            (None, _) => Credited::Nobody(row.unattributed_reason),
            (Some(_), None) => Credited::Store,
            (Some(_), Some(_)) => Credited::Clerk,
        };
        let store = row.credited_store_id;
        let name_of = |id: Option<i32>| {
            id.map(|id| directory.clerk(id).unwrap_or_else(|| format!("人員 #{id}")))
                .unwrap_or_default()
        };
        let group = match (store, row.credited_group_id) {
            (Some(_), Some(group_id)) => key_label(directory, &ReportKey::Group(Some(group_id))),
            _ => String::new(),
        };
        let phone = row
            .member_phone
            .as_deref()
            .or(row.customer_phone.as_deref())
            .map(|phone| self.phones.show(phone))
            .unwrap_or_default();
        OrderLine {
            order_id: row.id,
            refund: row.kind == "refund",
            channel: row.channel,
            source: row.source,
            external_id: row.external_id,
            amount: row.amount,
            ordered_at: row.ordered_at,
            credited,
            group,
            store_code: store.map(|id| directory.store_code(id)).unwrap_or_default(),
            store_name: store.map(|id| directory.store_name(id)).unwrap_or_default(),
            clerk: name_of(row.credited_clerk_id),
            member_id: row.member_id,
            member: row
                .member_id
                .map(|_| member_label(row.member_erased_at.is_some(), row.member_name.as_deref()))
                .unwrap_or_default(),
            phone,
            // Only an in-store entry has someone who typed it in at a store.
            entered_by: row
                .entry_store_id
                .and(row.operator_staff_id)
                .map(|id| name_of(Some(id)))
                .unwrap_or_default(),
        }
    }
}
