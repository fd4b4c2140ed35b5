//! Month totals and counted buyers beside the day cells and the buyer rows, so that the monthly
//! report over a million orders reads a few thousand rows and counts none. Summing the month's
//! ~175,000 day cells and counting distinct members over ~530,000 buyer rows took 320–1,130 ms for
//! HQ's views over 1,000 stores (bench/RESULTS.md).
//!
//! `sales_monthly`: `sales_daily` summed per month, cell by cell.
//! `sales_buyer_counts`: per month, scope and channel, how many different members bought. A scope
//! is keyed as the report keys its rows: `all` (0, 0), `store` (store, 0; 0 = no store credited),
//! `group` (group, 0; -1 = no store credited, 0 = a store in no group), `clerk` (store, clerk;
//! 0 = no clerk). The channel is `online`, `in_store` or `both`.
//!
//! Triggers keep both, in the statement that changes what they sum: every change of a day cell
//! moves its month by as much, and a member's first buyer row within a scope adds 1 to that
//! scope's counts (the last one taken away by a void removes it). Triggers rather than statements
//! in the booking: whatever writes the cells (a booking, a void) moves the totals in the same
//! statement, and a booking costs no extra round trip to the database.
//!
//! The buyer triggers read the member's other rows, so on PostgreSQL buyer rows are written one
//! per statement: it runs row triggers after the whole statement, when they would see each other,
//! so there a statement writing several is refused. SQLite runs them as it writes each row. On PostgreSQL they
//! also take a lock per member first (held to the commit), so two bookings of one member in
//! different cells at the same time cannot both see themselves as the member's first row in a
//! scope; SQLite has one writer. A bulk load undoes this migration, loads, and does it again:
//! existing cells and buyer rows are summed and counted here, one statement each.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let mut statements = vec![
            "CREATE TABLE sales_monthly (\
               booked_month integer NOT NULL, \
               credited_store_id integer NOT NULL, \
               credited_clerk_id integer NOT NULL, \
               channel text NOT NULL, \
               credited_group_id integer NOT NULL, \
               order_count integer NOT NULL DEFAULT 0, \
               gross_amount bigint NOT NULL DEFAULT 0, \
               refund_count integer NOT NULL DEFAULT 0, \
               refund_amount bigint NOT NULL DEFAULT 0, \
               PRIMARY KEY (booked_month, credited_store_id, credited_clerk_id, channel, credited_group_id))"
                .to_owned(),
            "CREATE TABLE sales_buyer_counts (\
               booked_month integer NOT NULL, \
               scope text NOT NULL, \
               key_a integer NOT NULL, \
               key_b integer NOT NULL, \
               channel text NOT NULL, \
               buyers integer NOT NULL, \
               PRIMARY KEY (booked_month, scope, key_a, key_b, channel))"
                .to_owned(),
            // A member's buyer rows of a month, for the triggers' "bought elsewhere in the scope?"
            // and for distinct counts over all stores. Covering: otherwise SQLite prefers the
            // primary key (covering, but keyed by month then store) and reads the whole month.
            "CREATE INDEX idx_sales_buyers_month_member ON sales_buyers (booked_month, member_id, \
             credited_store_id, channel, credited_clerk_id, credited_group_id)"
                .to_owned(),
            format!(
                "INSERT INTO sales_monthly ({MONTH_COLUMNS}) \
                 SELECT booked_month, credited_store_id, credited_clerk_id, channel, credited_group_id, \
                 SUM(order_count), SUM(gross_amount), SUM(refund_count), SUM(refund_amount) \
                 FROM sales_daily \
                 GROUP BY booked_month, credited_store_id, credited_clerk_id, channel, credited_group_id"
            ),
        ];
        statements.extend(count_existing_buyers());
        for trigger in triggers() {
            statements.extend(trigger.create(backend));
        }
        if backend == DbBackend::Postgres {
            statements.extend(ONE_BUYER_ROW_PER_STATEMENT.map(str::to_owned));
        }
        let db = manager.get_connection();
        for statement in statements {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        if backend == DbBackend::Postgres {
            for statement in [
                "DROP TRIGGER IF EXISTS sales_buyers_one_row_added ON sales_buyers",
                "DROP TRIGGER IF EXISTS sales_buyers_one_row_removed ON sales_buyers",
                "DROP FUNCTION IF EXISTS sales_buyers_one_row()",
            ] {
                db.execute_unprepared(statement).await?;
            }
        }
        for trigger in triggers() {
            for statement in trigger.drop(backend) {
                db.execute_unprepared(&statement).await?;
            }
        }
        for statement in [
            "DROP INDEX IF EXISTS idx_sales_buyers_month_member",
            "DROP TABLE IF EXISTS sales_buyer_counts",
            "DROP TABLE IF EXISTS sales_monthly",
        ] {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }
}

/// PostgreSQL: a statement that writes several buyer rows is refused (see the module docs).
const ONE_BUYER_ROW_PER_STATEMENT: [&str; 3] = [
    "CREATE FUNCTION sales_buyers_one_row() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN IF (SELECT COUNT(*) FROM changed) > 1 THEN \
     RAISE EXCEPTION 'sales_buyers rows are written one per statement: the buyer counts are kept row by row'; \
     END IF; RETURN NULL; END $$",
    "CREATE TRIGGER sales_buyers_one_row_added AFTER INSERT ON sales_buyers \
     REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION sales_buyers_one_row()",
    "CREATE TRIGGER sales_buyers_one_row_removed AFTER DELETE ON sales_buyers \
     REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION sales_buyers_one_row()",
];

const MONTH_COLUMNS: &str = "booked_month, credited_store_id, credited_clerk_id, channel, \
    credited_group_id, order_count, gross_amount, refund_count, refund_amount";

/// Adds (`sign` "") or takes away (`sign` "-") the day cell `row` (NEW or OLD) in its month.
fn move_month(row: &str, sign: &str) -> String {
    format!(
        "INSERT INTO sales_monthly ({MONTH_COLUMNS}) VALUES ({row}.booked_month, \
         {row}.credited_store_id, {row}.credited_clerk_id, {row}.channel, {row}.credited_group_id, \
         {sign}{row}.order_count, {sign}{row}.gross_amount, {sign}{row}.refund_count, \
         {sign}{row}.refund_amount) \
         ON CONFLICT (booked_month, credited_store_id, credited_clerk_id, channel, credited_group_id) \
         DO UPDATE SET order_count = sales_monthly.order_count + excluded.order_count, \
         gross_amount = sales_monthly.gross_amount + excluded.gross_amount, \
         refund_count = sales_monthly.refund_count + excluded.refund_count, \
         refund_amount = sales_monthly.refund_amount + excluded.refund_amount"
    )
}

/// A scope of the buyer counts: its name and its two keys, written over a buyer row `R.`
/// (`None`: always 0).
struct Scope {
    name: &'static str,
    key_a: Option<&'static str>,
    key_b: Option<&'static str>,
}

const SCOPES: [Scope; 4] = [
    Scope {
        name: "all",
        key_a: None,
        key_b: None,
    },
    Scope {
        name: "store",
        key_a: Some("R.credited_store_id"),
        key_b: None,
    },
    Scope {
        name: "group",
        key_a: Some("CASE WHEN R.credited_store_id = 0 THEN -1 ELSE R.credited_group_id END"),
        key_b: None,
    },
    Scope {
        name: "clerk",
        key_a: Some("R.credited_store_id"),
        key_b: Some("R.credited_clerk_id"),
    },
];

/// Counted per channel (`online`, `in_store`) or over both.
#[derive(Clone, Copy)]
enum Channels {
    One,
    Both,
}

impl Scope {
    fn key_a(&self, row: &str) -> String {
        over(self.key_a, row)
    }

    fn key_b(&self, row: &str) -> String {
        over(self.key_b, row)
    }

    /// The buyer row `b` is in the same scope and channel count as `row`.
    fn same(&self, row: &str, channels: Channels) -> String {
        let mut same = format!(
            "{} = {} AND {} = {}",
            self.key_a("b"),
            self.key_a(row),
            self.key_b("b"),
            self.key_b(row)
        );
        if let Channels::One = channels {
            same.push_str(&format!(" AND b.channel = {row}.channel"));
        }
        same
    }
}

fn over(key: Option<&str>, row: &str) -> String {
    key.map_or_else(
        || "0".to_owned(),
        |key| key.replace("R.", &format!("{row}.")),
    )
}

fn channel_value(row: &str, channels: Channels) -> String {
    match channels {
        Channels::One => format!("{row}.channel"),
        Channels::Both => "'both'".to_owned(),
    }
}

fn each_count(statement: fn(&Scope, Channels) -> String) -> Vec<String> {
    SCOPES
        .iter()
        .flat_map(|scope| {
            [Channels::One, Channels::Both].map(|channels| statement(scope, channels))
        })
        .collect()
}

/// The new buyer row adds 1 unless the member already has another row in the scope.
fn count_buyer(scope: &Scope, channels: Channels) -> String {
    format!(
        "INSERT INTO sales_buyer_counts (booked_month, scope, key_a, key_b, channel, buyers) \
         SELECT NEW.booked_month, '{name}', {a}, {b}, {channel}, 1 \
         WHERE NOT EXISTS (SELECT 1 FROM sales_buyers AS b \
           WHERE b.booked_month = NEW.booked_month AND b.member_id = NEW.member_id AND {same} \
           AND NOT (b.credited_store_id = NEW.credited_store_id AND b.channel = NEW.channel \
             AND b.credited_clerk_id = NEW.credited_clerk_id \
             AND b.credited_group_id = NEW.credited_group_id)) \
         ON CONFLICT (booked_month, scope, key_a, key_b, channel) \
         DO UPDATE SET buyers = sales_buyer_counts.buyers + 1",
        name = scope.name,
        a = scope.key_a("NEW"),
        b = scope.key_b("NEW"),
        channel = channel_value("NEW", channels),
        same = scope.same("NEW", channels),
    )
}

/// The removed buyer row takes 1 away when the member has no other row left in the scope.
fn uncount_buyer(scope: &Scope, channels: Channels) -> String {
    format!(
        "UPDATE sales_buyer_counts SET buyers = buyers - 1 \
         WHERE booked_month = OLD.booked_month AND scope = '{name}' AND key_a = {a} \
         AND key_b = {b} AND channel = {channel} \
         AND NOT EXISTS (SELECT 1 FROM sales_buyers AS b \
           WHERE b.booked_month = OLD.booked_month AND b.member_id = OLD.member_id AND {same})",
        name = scope.name,
        a = scope.key_a("OLD"),
        b = scope.key_b("OLD"),
        channel = channel_value("OLD", channels),
        same = scope.same("OLD", channels),
    )
}

/// The buyer rows already there, counted per scope and channel.
fn count_existing_buyers() -> Vec<String> {
    SCOPES
        .iter()
        .flat_map(|scope| {
            [Channels::One, Channels::Both].map(|channels| {
                // Only columns are grouped by: PostgreSQL reads `GROUP BY 0` as a position.
                let mut group_by = vec!["b.booked_month".to_owned()];
                group_by.extend(scope.key_a.map(|_| scope.key_a("b")));
                group_by.extend(scope.key_b.map(|_| scope.key_b("b")));
                if let Channels::One = channels {
                    group_by.push("b.channel".to_owned());
                }
                format!(
                    "INSERT INTO sales_buyer_counts (booked_month, scope, key_a, key_b, channel, buyers) \
                     SELECT b.booked_month, '{name}', {a}, {b}, {channel}, COUNT(DISTINCT b.member_id) \
                     FROM sales_buyers AS b GROUP BY {group_by}",
                    name = scope.name,
                    a = scope.key_a("b"),
                    b = scope.key_b("b"),
                    channel = channel_value("b", channels),
                    group_by = group_by.join(", "),
                )
            })
        })
        .collect()
}

/// The first key of the PostgreSQL advisory locks the buyer triggers take (the second is the
/// member): a number of our own, so no other lock in the database shares it.
const MEMBER_LOCK_CLASS: i32 = 20_261_207;

/// A row trigger: `statements` run after each `event` on `table`. On PostgreSQL, `serialized_by`
/// (an integer expression) first takes a transaction-long lock, so the trigger runs for one value
/// one transaction at a time, and each statement after it sees what the one before committed.
struct Trigger {
    name: &'static str,
    event: &'static str,
    table: &'static str,
    serialized_by: Option<&'static str>,
    statements: Vec<String>,
}

fn triggers() -> [Trigger; 5] {
    let month = |name, event, statements| Trigger {
        name,
        event,
        table: "sales_daily",
        serialized_by: None,
        statements,
    };
    let buyers = |name, event, member, statements| Trigger {
        name,
        event,
        table: "sales_buyers",
        serialized_by: Some(member),
        statements,
    };
    [
        month(
            "sales_daily_month_added",
            "INSERT",
            vec![move_month("NEW", "")],
        ),
        month(
            "sales_daily_month_moved",
            "UPDATE",
            vec![move_month("OLD", "-"), move_month("NEW", "")],
        ),
        month(
            "sales_daily_month_removed",
            "DELETE",
            vec![move_month("OLD", "-")],
        ),
        buyers(
            "sales_buyers_counted",
            "INSERT",
            "NEW.member_id",
            each_count(count_buyer),
        ),
        buyers(
            "sales_buyers_uncounted",
            "DELETE",
            "OLD.member_id",
            each_count(uncount_buyer),
        ),
    ]
}

impl Trigger {
    /// SQLite's trigger, or a PL/pgSQL function and its trigger.
    fn create(&self, backend: DbBackend) -> Vec<String> {
        let Self {
            name, event, table, ..
        } = self;
        let body = self
            .statements
            .iter()
            .map(|statement| format!("{statement};"))
            .collect::<Vec<_>>()
            .join(" ");
        match backend {
            DbBackend::Postgres => vec![
                format!(
                    "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN {lock} {body} RETURN NULL; END $$",
                    lock = self.serialized_by.map_or_else(String::new, |key| format!(
                        "PERFORM pg_advisory_xact_lock({MEMBER_LOCK_CLASS}, {key});"
                    )),
                ),
                format!(
                    "CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()"
                ),
            ],
            _ => vec![format!(
                "CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN {body} END"
            )],
        }
    }

    fn drop(&self, backend: DbBackend) -> Vec<String> {
        let Self { name, table, .. } = self;
        match backend {
            DbBackend::Postgres => vec![
                format!("DROP TRIGGER IF EXISTS {name} ON {table}"),
                format!("DROP FUNCTION IF EXISTS {name}()"),
            ],
            _ => vec![format!("DROP TRIGGER IF EXISTS {name}")],
        }
    }
}
