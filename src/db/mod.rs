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
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::config::{DatabaseKind, Settings};

/// Opens the database named by the settings, creating an SQLite file (and its folder) if needed.
pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(settings.database_url.clone());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10));
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
            options.max_connections(1).min_connections(1);
            options.map_sqlx_sqlite_opts(|opts| {
                opts.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5))
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
