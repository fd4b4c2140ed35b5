//! The database connection and the entities. SQLite is the embedded default, PostgreSQL the
//! production backend; the same migrations (the `migrations` crate) run on both.
//!
//! SQLite is opened in WAL mode with `synchronous=NORMAL` (sea-orm's default of a rollback journal
//! with FULL sync commits ~25× slower), foreign keys on and a busy timeout. Its pool has one
//! connection: SQLite has one writer anyway, and a single connection rules out `SQLITE_BUSY` on
//! transactions that read before they write. The price: inside a transaction, use the transaction,
//! never `state.db`, or the call waits for the connection the transaction holds.

pub mod entities;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::ConnectOptions as _;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ColumnTrait, Condition, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QuerySelect, QueryTrait,
};

use crate::config::{DatabaseKind, Settings};

/// Opens the database named by the settings, creating an SQLite file (and its folder) if needed.
pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(settings.database_url.clone());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        // No idle timeout nor lifetime: with either, sqlx 0.9.0 runs a periodic pool sweep whose
        // idle count can wrap below zero in a release race, and the sweep then spins a core and
        // never lets the runtime shut down (sqlx issue 3645, fixed upstream after 0.9.0; seen
        // here as `store-assistant migrate` never exiting). The pools are small and long-lived;
        // a dead connection is still replaced, since each is tested before it is handed out.
        .idle_timeout(None::<Duration>)
        .max_lifetime(None::<Duration>);
    match settings.database_kind {
        DatabaseKind::Sqlite => {
            let parsed = SqliteConnectOptions::from_str(&settings.database_url)
                .context("DATABASE_URL is not a valid SQLite URL")?;
            let file = parsed.get_filename();
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty())
                && file != Path::new(":memory:")
            {
                std::fs::create_dir_all(dir).with_context(|| {
                    format!("could not create the database folder {}", dir.display())
                })?;
            }
            // In process, the connection has no server or network that could drop it: the ping
            // sqlx sends before handing it out would only queue a round trip on its thread in
            // front of every transaction and every read.
            options
                .max_connections(1)
                .min_connections(1)
                .test_before_acquire(false);
            options.map_sqlx_sqlite_opts(|opts| {
                opts.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5))
                    // A safety limit only: [`WalCheckpointer`] keeps the WAL short.
                    .pragma("wal_autocheckpoint", WRITER_CHECKPOINT_PAGES.to_string())
                    .pragma("cache_size", format!("-{CACHE_KIB}"))
            });
        }
        DatabaseKind::Postgres => {
            options.max_connections(16).min_connections(1);
        }
    }
    Database::connect(options)
        .await
        .context("could not open the database; check DATABASE_URL and that the server is running")
}

/// Brings the schema up to date. Safe to run at every start.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("running database migrations")
}

/// Deletes at most `batch` rows of `E` that match `condition`, in one short statement
/// (`key IN (SELECT key … LIMIT n)`, which SQLite and PostgreSQL both accept); returns how many.
/// Housekeeping calls it in a loop, so no delete holds SQLite's one writer or PostgreSQL's row
/// locks for long.
pub async fn delete_batch<E: EntityTrait>(
    db: &impl ConnectionTrait,
    key: E::Column,
    condition: Condition,
    batch: u64,
) -> Result<u64, DbErr> {
    let keys = E::find()
        .select_only()
        .column(key)
        .filter(condition)
        .limit(batch)
        .into_query();
    let deleted = E::delete_many()
        .filter(key.in_subquery(keys))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// `(first = a AND second IN (b, …)) OR …`, one term per distinct `a`, so an index on
/// `(first, second)` serves every term (on `second IN (…)` alone SQLite scans the whole index);
/// `None` when there are no pairs.
pub fn pairs_in<A, B>(
    first: impl ColumnTrait,
    second: impl ColumnTrait,
    pairs: impl IntoIterator<Item = (A, B)>,
) -> Option<Condition>
where
    A: Into<sea_orm::Value> + Eq + std::hash::Hash,
    B: Into<sea_orm::Value>,
{
    let mut by_first: std::collections::HashMap<A, Vec<B>> = std::collections::HashMap::new();
    for (a, b) in pairs {
        by_first.entry(a).or_default().push(b);
    }
    if by_first.is_empty() {
        return None;
    }
    Some(by_first.into_iter().fold(Condition::any(), |any, (a, bs)| {
        any.add(Condition::all().add(first.eq(a)).add(second.is_in(bs)))
    }))
}

/// The one connection's page cache, in KiB. SQLite's default (2 MiB) holds little more than the
/// indexes an order touches at once: every statement then read its pages back from the file (a
/// system call each), which took a third of the writer thread under a burst of orders.
const CACHE_KIB: u32 = 64 * 1024;

/// WAL pages after which the writing connection checkpoints by itself (SQLite's default is 1,000).
/// Reached only when [`WalCheckpointer`] cannot keep up or is not running.
const WRITER_CHECKPOINT_PAGES: u32 = 20_000;
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Copies the WAL into the database file from a connection of its own, once a second.
///
/// SQLite's automatic checkpoint runs inside whichever commit crosses the limit and syncs the disk
/// there; with one writer that put an fsync (up to a second on a busy disk) in front of every
/// request waiting for that commit group. A PASSIVE checkpoint never blocks the writer, so the
/// syncs leave the request path.
pub struct WalCheckpointer {
    task: tokio::task::JoinHandle<()>,
}

impl WalCheckpointer {
    /// Starts the task for an SQLite file database; `None` for PostgreSQL and in-memory SQLite.
    pub async fn spawn(settings: &Settings) -> anyhow::Result<Option<Self>> {
        if settings.database_kind != DatabaseKind::Sqlite {
            return Ok(None);
        }
        let options = SqliteConnectOptions::from_str(&settings.database_url)
            .context("DATABASE_URL is not a valid SQLite URL")?;
        if options.get_filename() == Path::new(":memory:") {
            return Ok(None);
        }
        let mut connection = options
            .busy_timeout(Duration::from_secs(5))
            .connect()
            .await
            .context("opening the SQLite checkpoint connection")?;
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(CHECKPOINT_EVERY);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                if let Err(err) = sea_orm::sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&mut connection)
                    .await
                {
                    tracing::warn!(error = %err, "WAL checkpoint failed; retrying next second");
                }
            }
        });
        Ok(Some(Self { task }))
    }

    /// Ends the task and closes its connection.
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

/// Unique-constraint violations are how the database tells us "already exists".
pub fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
