//! The monthly sales report (業績報表) over a big month: seeds `--stores` stores (in groups of 20,
//! a tenth in no group, 3 clerks each), `--members` members (85% bound, 60% of those through a
//! clerk) and `--orders` sales in one Taiwan month, then times `services::sales_report::sales` —
//! what `/admin/sales` calls — for HQ (all stores per store, per group and per clerk; one group;
//! one store; online only) and for a store's own staff, `--iterations` times each, and prints the
//! median and 95th percentile.
//!
//! The orders are a realistic mix: online (65%) and in store, paid, partly refunded (6%, the
//! refund booked on its own later day, some in the next month) and cancelled (3%), credited at
//! store level for the first ten days and at clerk level after HQ switched, and unattributed ones
//! of every kind (no customer, unknown member, member not bound, ordered before binding).
//!
//! Seeding is bulk INSERTs of the product's entities, and the report totals (`sales_daily`,
//! `sales_buyers`; then `sales_monthly` and `sales_buyer_counts` by the migration that sums and
//! counts them, as when an existing database is migrated) are derived from the orders with one
//! INSERT … SELECT each, instead of
//! booking a million orders one transaction at a time. So that the totals are the ones the
//! product would keep, `--sample` orders are first recorded through the product's own
//! `services::orders::ingest` (with refunds told with the order and learned later, both
//! attribution levels, every kind of customer); the totals it kept are compared with the
//! derivation over the same orders, and the run stops if they differ. Finally the report's HQ
//! totals are checked against a count over the orders table.
//!
//! `cargo run --release --example sales_report_bench -- --database-url sqlite://bench/out/report.db`
//! (a fresh database; `bench/orders.sh` runs it on SQLite and PostgreSQL).

#[path = "support/seed.rs"]
mod seed;

use std::time::{Duration as StdDuration, Instant};

use anyhow::{Context as _, ensure};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use clap::Parser;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Iterable, PaginatorTrait,
    PrimaryKeyToColumn, QueryOrder, Set, Statement,
};
use store_assistant::db::entities::enums::{
    AttributionLevel, OrderKind, OrderStatus, SalesChannel, UnattributedReason,
};
use store_assistant::db::entities::{
    orders, sales_buyer_counts, sales_buyers, sales_daily, sales_monthly,
};
use store_assistant::domain::access::Scope;
use store_assistant::domain::line_user::LineUserId;
use store_assistant::domain::orders::booked_day_and_month;
use store_assistant::domain::phone::TaiwanMobile;
use store_assistant::domain::sales_report::SalesPeriod;
use store_assistant::services::audit::Actor;
use store_assistant::services::orders::{ChangedAmount, ingest};
use store_assistant::services::reports::Dimension;
use store_assistant::services::sales_report::{SalesQuery, sales};
use store_assistant::webshops::generic::OrderJson;

use migrations::{Migrator, MigratorTrait};
use seed::{Mix, Shape, Shop};

#[derive(Debug, Parser)]
struct Args {
    /// A fresh database: an SQLite file (`sqlite://…`) or an empty PostgreSQL database.
    #[arg(long)]
    database_url: String,
    #[arg(long, default_value_t = 1_000)]
    stores: usize,
    #[arg(long, default_value_t = 300_000)]
    members: usize,
    /// Sales in the month (refund rows come on top).
    #[arg(long, default_value_t = 1_000_000)]
    orders: usize,
    /// The Taiwan month the orders are in, `YYYY-MM` (a past month: orders cannot be in the future).
    #[arg(long, default_value = "2026-11")]
    month: String,
    /// Orders recorded through the product first, to check the derived totals against.
    #[arg(long, default_value_t = 2_000)]
    sample: usize,
    /// Timed runs of each view (after two untimed ones).
    #[arg(long, default_value_t = 20)]
    iterations: usize,
    /// Time the report on a database this program seeded before, without seeding again.
    #[arg(long)]
    reuse: bool,
}

/// Ten days into the month, HQ switched the attribution level from store to clerk.
const CLERK_LEVEL_FROM_DAY: i64 = 10;
const GOAL_MS: f64 = 300.0;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let month_start = taiwan_month_start(&args.month)?;
    let month_end = taiwan_month_start(&next_month(&args.month)?)?;
    let db = seed::open(&args.database_url).await?;
    let backend = match db.get_database_backend() {
        DbBackend::Postgres => "PostgreSQL",
        _ => "SQLite",
    };
    let existing = orders::Entity::find().count(&db).await?;
    if args.reuse {
        ensure!(existing > 0, "--reuse needs a database seeded before");
    } else {
        ensure!(
            existing == 0,
            "the database already has {existing} orders; give a fresh one (or --reuse)"
        );
        seed_month(&db, &args, month_start, month_end).await?;
    }

    let (first_clerk, own_store) = first_clerk(&db).await?;
    let first_day = (month_start + Duration::hours(8)).date_naive();
    let month = SalesPeriod::months(first_day, first_day)?;
    let hq = Actor::cli();
    let staff = Actor::staff(first_clerk, "clerk", Scope::Store(own_store));
    let query = |dimension| SalesQuery {
        period: month,
        dimension,
        store_id: None,
        group_id: None,
        channel: None,
    };
    let views: Vec<(&str, &Actor, SalesQuery)> = vec![
        ("HQ, all stores, per store", &hq, query(Dimension::Store)),
        ("HQ, all stores, per group", &hq, query(Dimension::Group)),
        ("HQ, all stores, per clerk", &hq, query(Dimension::Clerk)),
        (
            "HQ, one group, per store",
            &hq,
            SalesQuery {
                group_id: Some(1),
                ..query(Dimension::Store)
            },
        ),
        (
            "HQ, one store, per clerk",
            &hq,
            SalesQuery {
                store_id: Some(own_store),
                ..query(Dimension::Clerk)
            },
        ),
        (
            "HQ, online only, per store",
            &hq,
            SalesQuery {
                channel: Some(SalesChannel::Online),
                ..query(Dimension::Store)
            },
        ),
        (
            "store staff, own store, per clerk",
            &staff,
            query(Dimension::Clerk),
        ),
    ];

    check_totals(&db, &hq, query(Dimension::Store), &args.month).await?;
    println!(
        "{backend}: {} sales and {} refund rows in {}, {} sales_daily rows, {} sales_buyers rows",
        count(&db, "SELECT COUNT(*) AS n FROM orders WHERE kind = 'sale'").await?,
        count(
            &db,
            "SELECT COUNT(*) AS n FROM orders WHERE kind = 'refund'"
        )
        .await?,
        args.month,
        sales_daily::Entity::find().count(&db).await?,
        sales_buyers::Entity::find().count(&db).await?,
    );
    println!(
        "{:<40} {:>6} {:>10} {:>10} {:>10}  goal < {GOAL_MS} ms",
        "view (the month's report)", "rows", "median ms", "p95 ms", "max ms"
    );
    for (name, actor, query) in views {
        let mut times = Vec::with_capacity(args.iterations);
        let mut rows = 0;
        for i in 0..args.iterations + 2 {
            let started = Instant::now();
            let report = sales(&db, actor, &query).await?;
            let took = started.elapsed();
            rows = report.by_key.len();
            if i >= 2 {
                times.push(took);
            }
        }
        times.sort_unstable();
        let (median, p95, max) = (
            percentile(&times, 0.50),
            percentile(&times, 0.95),
            percentile(&times, 1.0),
        );
        let verdict = if p95 < GOAL_MS { "met" } else { "NOT MET" };
        println!("{name:<40} {rows:>6} {median:>10.1} {p95:>10.1} {max:>10.1}  {verdict}");
        println!(
            "RESULT backend={backend} view=\"{name}\" rows={rows} median_ms={median:.1} p95_ms={p95:.1} max_ms={max:.1} iterations={}",
            times.len()
        );
    }
    Ok(())
}

fn percentile(sorted: &[StdDuration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index].as_secs_f64() * 1000.0
}

/// Seeds the shop and the month: the product's sample first (checked), then the bulk.
async fn seed_month(
    db: &DatabaseConnection,
    args: &Args,
    month_start: DateTime<Utc>,
    month_end: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut mix = Mix::new(14);
    let shop = seed::shop(
        db,
        Shape {
            stores: args.stores,
            stores_per_group: 20,
            clerks_per_store: 3,
            members: args.members,
            bound_percent: 85,
            clerk_percent: 60,
            // Most members bound before the month; some during it (their earlier orders are
            // "before binding").
            bound_from: month_start - Duration::days(300),
            bound_to: month_end - Duration::days(5),
        },
        &mut mix,
    )
    .await?;
    let month = Month {
        start: month_start,
        end: month_end,
    };

    let started = Instant::now();
    let sample = args.sample.min(args.orders);
    record_sample(db, &shop, &month, sample, &mut mix).await?;
    let recorded = Totals::read(db).await?;
    derive_totals(db).await?;
    let derived = Totals::read(db).await?;
    ensure!(
        recorded.daily == derived.daily,
        "sales_daily derived from the orders differs from what the product kept"
    );
    ensure!(
        recorded.buyers == derived.buyers,
        "sales_buyers derived from the orders differs from what the product kept"
    );
    ensure!(
        recorded.monthly == derived.monthly,
        "sales_monthly summed from the derived day cells differs from what the product kept"
    );
    ensure!(
        recorded.buyer_counts == derived.buyer_counts,
        "sales_buyer_counts counted from the derived buyers differs from what the product kept"
    );
    eprintln!(
        "recorded {sample} orders through services::orders::ingest in {:.1} s: the derived totals \
         equal the product's ({} sales_daily, {} sales_buyers, {} sales_monthly, {} \
         sales_buyer_counts rows)",
        started.elapsed().as_secs_f64(),
        recorded.daily.len(),
        recorded.buyers.len(),
        recorded.monthly.len(),
        recorded.buyer_counts.len()
    );

    let started = Instant::now();
    let next_id = count(db, "SELECT COALESCE(MAX(id), 0) AS n FROM orders").await? + 1;
    let mut bulk = Bulk {
        shop: &shop,
        month: &month,
        next_id,
        mix: &mut mix,
    };
    let rows: Vec<orders::ActiveModel> = (sample..args.orders)
        .flat_map(|n| bulk.sale_and_refund(n))
        .collect();
    let written = seed::insert_all(db, rows).await?;
    if db.get_database_backend() == DbBackend::Postgres {
        // The ids were given; move the sequence past them.
        execute(
            db,
            "SELECT setval(pg_get_serial_sequence('orders', 'id'), (SELECT MAX(id) FROM orders))",
        )
        .await?;
    }
    eprintln!(
        "inserted {written} order rows in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    derive_totals(db).await?;
    if db.get_database_backend() == DbBackend::Postgres {
        // What autovacuum does soon after a bulk load.
        execute(db, "ANALYZE").await?;
    }
    eprintln!(
        "derived the report totals in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The Taiwan month as UTC instants, `[start, end)`.
struct Month {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl Month {
    fn at(&self, mix: &mut Mix) -> DateTime<Utc> {
        let span = (self.end - self.start).num_seconds() as u64;
        self.start + Duration::seconds(mix.below(span) as i64)
    }

    fn level_at(&self, at: DateTime<Utc>) -> AttributionLevel {
        if at < self.start + Duration::days(CLERK_LEVEL_FROM_DAY) {
            AttributionLevel::Store
        } else {
            AttributionLevel::Clerk
        }
    }
}

/// Who an order names.
enum Customer {
    Nobody,
    /// A phone no member has.
    Unknown,
    /// Seeded member number (0-based).
    Member(usize),
}

fn pick_customer(mix: &mut Mix, members: usize) -> Customer {
    match mix.below(100) {
        0..7 => Customer::Nobody,
        7..11 => Customer::Unknown,
        _ => Customer::Member(mix.below(members as u64) as usize),
    }
}

/// How an order ends: paid, refunded in part (how much, how many days later), or cancelled.
enum Outcome {
    Paid,
    Refunded { amount: i64, days_later: i64 },
    Cancelled,
}

fn pick_outcome(mix: &mut Mix, amount: i64) -> Outcome {
    match mix.below(100) {
        0..6 => Outcome::Refunded {
            amount: (amount * (10 + mix.below(50) as i64) / 100).max(1),
            days_later: mix.below(12) as i64,
        },
        6..9 => Outcome::Cancelled,
        _ => Outcome::Paid,
    }
}

/// Records `count` orders through the product, as the API and webhooks do; HQ switches the
/// attribution level half-way, and a tenth of the paid ones are refunded later (booked today).
async fn record_sample(
    db: &DatabaseConnection,
    shop: &Shop,
    month: &Month,
    count: usize,
    mix: &mut Mix,
) -> anyhow::Result<()> {
    let set_level = |level: &'static str| {
        format!("UPDATE shop_settings SET attribution_level = '{level}' WHERE id = 1")
    };
    execute(db, &set_level("store")).await?;
    let mut paid = Vec::new();
    for n in 0..count {
        if n == count / 2 {
            execute(db, &set_level("clerk")).await?;
        }
        let in_store = mix.percent(35);
        let amount = 100 + mix.below(4_900) as i64;
        let at = month.at(mix);
        let mut order = serde_json::json!({
            "source": "sample",
            "external_id": format!("S{n}"),
            "channel": if in_store { "in_store" } else { "online" },
            "amount": amount,
            "ordered_at": at.to_rfc3339(),
        });
        match pick_customer(mix, shop.members.len()) {
            Customer::Nobody => {}
            Customer::Unknown => {
                order["member"] = serde_json::json!({ "phone": format!("098{:07}", n) })
            }
            Customer::Member(m) => {
                order["member"] = match n % 3 {
                    0 => serde_json::json!({ "member_id": m + 1 }),
                    1 => serde_json::json!({ "line_user_id": seed::member_line_user_id(m) }),
                    _ => serde_json::json!({
                        "phone": seed::member_phone_e164(m).replace("+886", "0")
                    }),
                }
            }
        }
        if in_store {
            let (store_id, _) = shop.stores[mix.below(shop.stores.len() as u64) as usize];
            order["store_code"] = format!("S{store_id:04}").into();
        }
        match pick_outcome(mix, amount) {
            Outcome::Paid => paid.push(order.clone()),
            Outcome::Refunded { amount, .. } => {
                order["status"] = "refunded".into();
                order["refunded_amount"] = amount.into();
            }
            Outcome::Cancelled => order["status"] = "cancelled".into(),
        }
        record(db, &order).await?;
    }
    for mut order in paid.into_iter().step_by(10) {
        order["status"] = "refunded".into();
        order["refunded_amount"] = 1.into();
        record(db, &order).await?;
    }
    Ok(())
}

async fn record(db: &DatabaseConnection, order: &serde_json::Value) -> anyhow::Result<()> {
    let input = OrderJson::from_bytes(order.to_string().as_bytes())
        .map_err(|err| anyhow::anyhow!("{err:?}"))?
        .into_input(Utc::now())
        .map_err(|err| anyhow::anyhow!("{err:?}"))?;
    ingest(db, None, ChangedAmount::Refuse, &input)
        .await
        .map_err(|err| anyhow::anyhow!("recording {order}: {err}"))?;
    Ok(())
}

/// The bulk orders: rows as the product writes them, attribution decided as it decides it.
struct Bulk<'a> {
    shop: &'a Shop,
    month: &'a Month,
    next_id: i64,
    mix: &'a mut Mix,
}

impl Bulk<'_> {
    fn sale_and_refund(&mut self, n: usize) -> Vec<orders::ActiveModel> {
        let mix = &mut *self.mix;
        let in_store = mix.percent(35);
        let channel = if in_store {
            SalesChannel::InStore
        } else {
            SalesChannel::Online
        };
        let amount = if in_store {
            100 + mix.below(3_000) as i64
        } else {
            200 + mix.below(4_800) as i64
        };
        let at = self.month.at(mix);
        let level = self.month.level_at(at);
        let (mut member_id, mut phone, mut line_user_id) = (None, None, None);
        let credit = match pick_customer(mix, self.shop.members.len()) {
            Customer::Nobody => Err(UnattributedReason::NoCustomer),
            Customer::Unknown => {
                phone = TaiwanMobile::parse(&format!("+88698{:07}", n % 10_000_000)).ok();
                Err(UnattributedReason::UnknownMember)
            }
            Customer::Member(m) => {
                member_id = Some(m as i32 + 1);
                if in_store {
                    phone = TaiwanMobile::parse(&seed::member_phone_e164(m)).ok();
                } else {
                    line_user_id = LineUserId::parse(&seed::member_line_user_id(m));
                }
                match self.shop.members[m].binding {
                    None => Err(UnattributedReason::NotBound),
                    Some(b) if b.bound_at > at => Err(UnattributedReason::BeforeBinding),
                    Some(b) => Ok((
                        b.store_id,
                        b.group_id,
                        b.clerk_id.filter(|_| level == AttributionLevel::Clerk),
                    )),
                }
            }
        };
        let (store_id, group_id, clerk_id, reason) = match credit {
            Ok((store, group, clerk)) => (Some(store), group, clerk, None),
            Err(reason) => (None, None, None, Some(reason)),
        };
        let entry_store_id = in_store.then(|| {
            store_id.unwrap_or_else(|| {
                self.shop.stores[mix.below(self.shop.stores.len() as u64) as usize].0
            })
        });
        let outcome = pick_outcome(mix, amount);
        let (status, refund) = match outcome {
            Outcome::Paid => (OrderStatus::Paid, None),
            Outcome::Refunded { amount, days_later } => (
                OrderStatus::Refunded,
                Some((amount, at + Duration::days(days_later), "refund")),
            ),
            Outcome::Cancelled => (OrderStatus::Cancelled, Some((amount, at, "cancel"))),
        };
        let sale_id = self.next_id;
        let (day, month) = booked_day_and_month(at);
        let sale = orders::ActiveModel {
            id: Set(sale_id),
            kind: Set(OrderKind::Sale),
            parent_id: Set(None),
            channel: Set(channel),
            source: Set(if in_store { "pos" } else { "shop" }.to_owned()),
            external_id: Set(format!("B{n}")),
            status: Set(status),
            amount: Set(amount),
            refunded_amount: Set(refund.map_or(0, |(a, _, _)| a)),
            ordered_at: Set(at),
            booked_day: Set(day),
            booked_month: Set(month),
            received_at: Set(at + Duration::seconds(1)),
            member_id: Set(member_id),
            customer_phone: Set(phone),
            customer_line_user_id: Set(line_user_id),
            attribution_level: Set(level),
            credited_store_id: Set(store_id),
            credited_group_id: Set(group_id),
            credited_clerk_id: Set(clerk_id),
            unattributed_reason: Set(reason),
            entry_store_id: Set(entry_store_id),
            operator_staff_id: Set(None),
            receipt_no: Set(None),
            note: Set(None),
            voided_at: Set(None),
            voided_by_staff_id: Set(None),
            void_reason: Set(None),
        };
        self.next_id += 1;
        let Some((refunded, refunded_at, key)) = refund else {
            return vec![sale];
        };
        let (day, month) = booked_day_and_month(refunded_at);
        let mut refund = sale.clone();
        refund.id = Set(self.next_id);
        self.next_id += 1;
        refund.kind = Set(OrderKind::Refund);
        refund.parent_id = Set(Some(sale_id));
        refund.external_id = Set(format!("B{n}#{key}"));
        refund.status = Set(OrderStatus::Refunded);
        refund.amount = Set(-refunded);
        refund.refunded_amount = Set(0);
        refund.ordered_at = Set(refunded_at);
        refund.booked_day = Set(day);
        refund.booked_month = Set(month);
        refund.received_at = Set(refunded_at + Duration::seconds(1));
        vec![sale, refund]
    }
}

/// The totals tables, rows that add up to nothing left out (a voided sale leaves its cell at 0;
/// a void can leave a buyer count at 0).
#[derive(Debug, PartialEq)]
struct Totals {
    daily: Vec<sales_daily::Model>,
    buyers: Vec<sales_buyers::Model>,
    /// Kept by the database's triggers from `daily`.
    monthly: Vec<sales_monthly::Model>,
    /// Kept by the database's triggers from `buyers`.
    buyer_counts: Vec<sales_buyer_counts::Model>,
}

impl Totals {
    async fn read(db: &DatabaseConnection) -> anyhow::Result<Self> {
        let adds_up =
            |orders, gross, refunds, refunded| (orders, gross, refunds, refunded) != (0, 0, 0, 0);
        Ok(Self {
            daily: by_key::<sales_daily::Entity>(db, |r| {
                adds_up(
                    r.order_count,
                    r.gross_amount,
                    r.refund_count,
                    r.refund_amount,
                )
            })
            .await?,
            buyers: by_key::<sales_buyers::Entity>(db, |_| true).await?,
            monthly: by_key::<sales_monthly::Entity>(db, |r| {
                adds_up(
                    r.order_count,
                    r.gross_amount,
                    r.refund_count,
                    r.refund_amount,
                )
            })
            .await?,
            buyer_counts: by_key::<sales_buyer_counts::Entity>(db, |r| r.buyers != 0).await?,
        })
    }
}

/// The rows of a table that `keep` keeps, in the order of its primary key.
async fn by_key<E: EntityTrait>(
    db: &DatabaseConnection,
    keep: impl Fn(&E::Model) -> bool,
) -> anyhow::Result<Vec<E::Model>> {
    let mut rows = E::find();
    for key in E::PrimaryKey::iter() {
        rows = rows.order_by_asc(key.into_column());
    }
    Ok(rows.all(db).await?.into_iter().filter(keep).collect())
}

/// Rebuilds `sales_daily` and `sales_buyers` from the orders, as `services::orders::books` keeps
/// them booking by booking: a sale counts on its day in its cell (0 for "none"), a refund row on
/// its own day in its sale's cell, a voided sale not at all; a member who bought is a buyer of
/// the month in the sale's cell. Then `sales_monthly` and `sales_buyer_counts` are summed and
/// counted from those by their migration, undone first and done again, as when an existing
/// database is migrated (their triggers keep them one booking at a time; a bulk load is not that).
async fn derive_totals(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::down(db, Some(migrations::undo_to_before_month_totals())).await?;
    let cell = "channel, COALESCE(credited_store_id, 0), COALESCE(credited_group_id, 0), \
                COALESCE(credited_clerk_id, 0)";
    for sql in [
        "DELETE FROM sales_daily".to_owned(),
        "DELETE FROM sales_buyers".to_owned(),
        format!(
            "INSERT INTO sales_daily (booked_day, booked_month, channel, credited_store_id, \
             credited_group_id, credited_clerk_id, order_count, gross_amount, refund_count, \
             refund_amount) \
             SELECT booked_day, booked_month, {cell}, \
             SUM(CASE WHEN kind = 'sale' THEN 1 ELSE 0 END), \
             CAST(SUM(CASE WHEN kind = 'sale' THEN amount ELSE 0 END) AS BIGINT), \
             SUM(CASE WHEN kind = 'refund' THEN 1 ELSE 0 END), \
             CAST(SUM(CASE WHEN kind = 'refund' THEN amount ELSE 0 END) AS BIGINT) \
             FROM orders WHERE voided_at IS NULL GROUP BY booked_day, booked_month, {cell}"
        ),
        format!(
            "INSERT INTO sales_buyers (booked_month, member_id, channel, credited_store_id, \
             credited_group_id, credited_clerk_id) \
             SELECT DISTINCT booked_month, member_id, {cell} FROM orders \
             WHERE kind = 'sale' AND voided_at IS NULL AND member_id IS NOT NULL"
        ),
    ] {
        execute(db, &sql).await?;
    }
    Migrator::up(db, None).await?;
    Ok(())
}

/// The report's HQ totals must be the month's orders counted directly.
async fn check_totals(
    db: &DatabaseConnection,
    hq: &Actor,
    query: SalesQuery,
    month: &str,
) -> anyhow::Result<()> {
    let report = sales(db, hq, &query).await?;
    let key = month.replace('-', "");
    let sales_in_month = count(
        db,
        &format!(
            "SELECT COUNT(*) AS n FROM orders WHERE kind = 'sale' AND voided_at IS NULL \
             AND booked_month = {key}"
        ),
    )
    .await?;
    let refunded_in_month = count(
        db,
        &format!(
            "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS n FROM orders WHERE kind = 'refund' \
             AND booked_month = {key}"
        ),
    )
    .await?;
    let buyers = count(
        db,
        &format!(
            "SELECT COUNT(DISTINCT member_id) AS n FROM orders WHERE kind = 'sale' \
             AND voided_at IS NULL AND booked_month = {key}"
        ),
    )
    .await?;
    let total = report.totals.total();
    ensure!(
        total.orders as i64 == sales_in_month
            && total.refunded == refunded_in_month
            && report.totals.buyers as i64 == buyers,
        "the report's totals ({} sales, {} refunded, {} buyers) differ from the orders ({sales_in_month}, {refunded_in_month}, {buyers})",
        total.orders,
        total.refunded,
        report.totals.buyers
    );
    Ok(())
}

async fn first_clerk(db: &DatabaseConnection) -> anyhow::Result<(i32, i32)> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id, store_id FROM staff_accounts WHERE role = 'store' ORDER BY id LIMIT 1",
        ))
        .await?
        .context("no clerk in the database")?;
    Ok((row.try_get("", "id")?, row.try_get("", "store_id")?))
}

async fn execute(db: &DatabaseConnection, sql: &str) -> anyhow::Result<()> {
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .with_context(|| format!("running {sql}"))?;
    Ok(())
}

async fn count(db: &DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .context("no row")?;
    Ok(row.try_get::<i64>("", "n")?)
}

/// 00:00 of the month's first day in Taiwan (UTC+8, no daylight saving), in UTC.
fn taiwan_month_start(month: &str) -> anyhow::Result<DateTime<Utc>> {
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .with_context(|| format!("--month {month}: give YYYY-MM"))?;
    let midnight = first.and_hms_opt(0, 0, 0).context("midnight")?;
    Ok(Utc.from_utc_datetime(&midnight) - Duration::hours(8))
}

fn next_month(month: &str) -> anyhow::Result<String> {
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .with_context(|| format!("--month {month}: give YYYY-MM"))?;
    let next = first + chrono::Months::new(1);
    Ok(next.format("%Y-%m").to_string())
}
