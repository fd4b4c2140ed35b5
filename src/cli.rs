//! The command line: `serve` (default), `migrate`, `admin create`, `stores import|export`,
//! `qr export`, `orders import`, `housekeeping`. Each command is a few lines that call the same services the web admin uses.

use std::io::{BufRead, IsTerminal};
use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Settings;
use crate::db;
use crate::db::entities::enums::StaffRole;
use crate::metrics::Metrics;
use crate::services::accounts::{self, NewStaff};
use crate::services::audit::Actor;
use crate::services::housekeeping::{self, HousekeepingConfig};
use crate::services::orders::{self, OrderError};
use crate::services::passwords::Passwords;
use crate::services::qr;
use crate::services::stores::{self, ImportError};
use crate::startup::Application;

#[derive(Debug, Parser)]
#[command(
    name = "store-assistant",
    version,
    about = "門市助理 Store assistant: QR poster → LINE friend → member bound to the store as referrer",
    long_about = "門市助理 Store assistant.\n\nA shopper scans a store's QR poster and becomes a friend of the brand's LINE Official Account, a registered member, and bound to that store (and clerk) as referrer.\n\nSettings come from the environment or a .env file in the working directory; see .env.example. Without LINE credentials the server runs in demo mode with a built-in LINE emulator."
)]
pub struct Cli {
    /// Run in demo mode (refused when LINE credentials are set).
    #[arg(long, global = true)]
    pub demo: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the web server (the default). Runs database migrations first.
    Serve,
    /// Bring the database schema up to date, then exit.
    Migrate,
    /// Manage staff logins.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Import or export the store list as CSV (store_code,store_name,group_name).
    #[command(subcommand)]
    Stores(StoresCommand),
    /// The stores' QR codes as image files.
    #[command(subcommand)]
    Qr(QrCommand),
    /// Orders: import in-store purchases from the POS.
    #[command(subcommand)]
    Orders(OrdersCommand),
    /// Delete what is past its retention (RETENTION_*_DAYS: handled webhook events, one-time
    /// codes, funnel events, sign-in attempts), expired journeys and old order-webhook deliveries,
    /// in small batches, until nothing is left; then exit. The server does the same by itself every
    /// 10 minutes; this is for a first clean-up after an upgrade, or a cron job on a receive-only
    /// set-up.
    Housekeeping,
}

#[derive(Debug, Subcommand)]
pub enum OrdersCommand {
    /// Import in-store purchases from a POS CSV file, all or nothing: any bad line refuses the
    /// whole file and every problem is listed by line number. Orders already imported are left as
    /// they are (a status they now state, such as a refund, is booked). Columns: order_id,
    /// ordered_at, amount (required); store_code, status, refunded_amount, phone, member_id,
    /// receipt_no, note (optional); see the README.
    Import {
        /// A UTF-8 CSV file (BOM allowed) with a header line.
        file: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum QrCommand {
    /// Write one QR code per active store into DIR, named by store code (A01.png), each encoding
    /// {PUBLIC_BASE_URL}/q/{token}; with --clerks also one per active clerk (A01-amy.png).
    /// Stores without a code yet get one.
    Export {
        /// The folder to write to (created if missing; files of the same name are replaced).
        #[arg(long, value_name = "DIR")]
        out: std::path::PathBuf,
        #[arg(long, value_enum, default_value_t = QrFormatArg::Png)]
        format: QrFormatArg,
        /// PNG width and height in pixels, 128 to 2048.
        #[arg(long, default_value_t = 1024)]
        size: u32,
        /// Also the clerk cards' codes.
        #[arg(long)]
        clerks: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum QrFormatArg {
    Png,
    Svg,
}

#[derive(Debug, Subcommand)]
pub enum StoresCommand {
    /// Import stores from a CSV file, all or nothing: any bad line refuses the whole file and every
    /// problem is listed by line number. Existing store codes get the file's name and group.
    Import {
        /// A UTF-8 CSV file (BOM allowed) with the header store_code,store_name,group_name.
        file: std::path::PathBuf,
    },
    /// Export every store as CSV, in the format `stores import` reads.
    Export {
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a staff login. The password is read from standard input when it is piped
    /// (`echo 'pw' | store-assistant admin create --username amy`); otherwise one is generated and
    /// printed once.
    Create {
        /// 3–32 characters: a-z, 0-9, '.', '_' or '-'.
        #[arg(long)]
        username: String,
        /// `hq` sees and changes everything; `store` sees only its own store.
        #[arg(long, value_enum, default_value_t = RoleArg::Hq)]
        role: RoleArg,
        /// Store id, required for `--role store`.
        #[arg(long)]
        store_id: Option<i32>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Hq,
    Store,
}

/// Runs the parsed command; `settings` were validated before anything else happened.
pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(settings).await?;
            tracing::info!(port = app.port(), "store-assistant is listening");
            app.run_until_stopped().await?;
            tracing::info!("stopped");
        }
        Command::Migrate => {
            let db = db::connect(&settings).await?;
            db::migrate(&db).await?;
            println!("database schema is up to date");
        }
        Command::Admin(AdminCommand::Create {
            username,
            role,
            store_id,
        }) => {
            let stdin = std::io::stdin();
            let (password, generated) = if stdin.is_terminal() {
                (crate::domain::password::generate_password(), true)
            } else {
                let mut line = String::new();
                stdin
                    .lock()
                    .read_line(&mut line)
                    .context("reading the password from standard input")?;
                (line.trim_end_matches(['\r', '\n']).to_owned(), false)
            };
            let db = db::connect(&settings).await?;
            db::migrate(&db).await?;
            let role = match role {
                RoleArg::Hq => StaffRole::Hq,
                RoleArg::Store => StaffRole::Store,
            };
            let passwords = Passwords::per_core(Arc::new(Metrics::default()));
            let account = accounts::create_staff(
                &db,
                &passwords,
                NewStaff {
                    username,
                    password: password.clone(),
                    role,
                    store_id,
                    display_name: String::new(),
                },
            )
            .await?;
            println!("created {} login {:?}", role_label(role), account.username);
            if generated {
                println!("password (shown once): {password}");
            }
        }
        Command::Stores(command) => run_stores(command, settings).await?,
        Command::Qr(command) => run_qr(command, settings).await?,
        Command::Orders(command) => run_orders(command, settings).await?,
        Command::Housekeeping => {
            let db = db::connect(&settings).await?;
            db::migrate(&db).await?;
            let config = HousekeepingConfig {
                max_batches: None,
                ..HousekeepingConfig::default()
            };
            let deleted =
                housekeeping::run_round(&db, &settings.retention, &config, Utc::now()).await?;
            println!(
                "deleted: {} webhook event(s), {} one-time code(s), {} funnel event(s), {} sign-in attempt(s), {} expired journey(s), {} order-webhook deliveries, {} accepted ID token(s)",
                deleted.webhook_events,
                deleted.one_time_codes,
                deleted.funnel_events,
                deleted.login_attempts,
                deleted.expired_journeys,
                deleted.order_webhook_deliveries,
                deleted.accepted_id_tokens
            );
        }
    }
    Ok(())
}

async fn run_qr(command: QrCommand, settings: Settings) -> anyhow::Result<()> {
    let QrCommand::Export {
        out,
        format,
        size,
        clerks,
    } = command;
    let db = db::connect(&settings).await?;
    db::migrate(&db).await?;
    if settings
        .public_base_url
        .host_str()
        .is_some_and(|host| host == "localhost" || host.starts_with("127.") || host == "[::1]")
    {
        eprintln!(
            "warning: PUBLIC_BASE_URL is {}: these codes only work on this machine; set PUBLIC_BASE_URL to the address shoppers reach",
            settings.public_base_url
        );
    }
    let format = match format {
        QrFormatArg::Png => qr::ImageFormat::Png,
        QrFormatArg::Svg => qr::ImageFormat::Svg,
    };
    let options = qr::ExportOptions {
        dir: out.clone(),
        format,
        size,
        clerks,
    };
    let terminal = std::io::stderr().is_terminal();
    let summary = qr::export(&db, &settings, &Actor::cli(), &options, |done, total| {
        if terminal {
            eprint!("\r{}", progress_bar(done, total));
            if done == total {
                eprintln!();
            }
        }
    })
    .await?;
    println!(
        "exported {} store code(s){} as {} to {} ({} KB)",
        summary.stores,
        if clerks {
            format!(" and {} clerk card(s)", summary.clerk_cards)
        } else {
            String::new()
        },
        format.extension(),
        out.display(),
        summary.bytes.div_ceil(1024)
    );
    Ok(())
}

/// `[#########-----------]  45/100 stores`
fn progress_bar(done: usize, total: usize) -> String {
    const WIDTH: usize = 30;
    let filled = (done * WIDTH).checked_div(total).unwrap_or(WIDTH);
    format!(
        "[{}{}] {done:>width$}/{total} stores",
        "#".repeat(filled),
        "-".repeat(WIDTH - filled),
        width = total.to_string().len()
    )
}

async fn run_stores(command: StoresCommand, settings: Settings) -> anyhow::Result<()> {
    let db = db::connect(&settings).await?;
    db::migrate(&db).await?;
    let actor = Actor::cli();
    match command {
        StoresCommand::Import { file } => {
            let bytes = std::fs::read(&file)
                .with_context(|| format!("could not read {}", file.display()))?;
            match stores::import_csv(&db, &actor, &bytes).await {
                Ok(summary) => {
                    println!(
                        "imported: {} created, {} updated, {} unchanged",
                        summary.created, summary.updated, summary.unchanged
                    );
                    for group in &summary.groups_created {
                        println!("new group: {group}");
                    }
                    for (code, from, to) in &summary.moves {
                        println!(
                            "{code}: moved from {} to {}",
                            from.as_deref().unwrap_or("(no group)"),
                            to.as_deref().unwrap_or("(no group)")
                        );
                    }
                }
                Err(ImportError::Rejected(problems)) => {
                    for problem in &problems {
                        eprintln!("{}", problem.en());
                    }
                    anyhow::bail!(
                        "{} problem(s) in {}; nothing was imported",
                        problems.len(),
                        file.display()
                    );
                }
                Err(ImportError::Service(err)) => return Err(err.into()),
            }
        }
        StoresCommand::Export { out } => {
            let csv = stores::export_csv(&db, &actor).await?;
            match out {
                Some(path) => std::fs::write(&path, csv)
                    .with_context(|| format!("could not write {}", path.display()))?,
                None => print!("{csv}"),
            }
        }
    }
    Ok(())
}

async fn run_orders(command: OrdersCommand, settings: Settings) -> anyhow::Result<()> {
    let OrdersCommand::Import { file } = command;
    let bytes =
        std::fs::read(&file).with_context(|| format!("could not read {}", file.display()))?;
    let db = db::connect(&settings).await?;
    db::migrate(&db).await?;
    match orders::import::import_csv(&db, &Actor::cli(), &bytes).await {
        Ok(summary) => {
            println!(
                "imported: {} new order(s), {} already imported, {} refund(s) booked, {} new order(s) not credited to any store",
                summary.created,
                summary.already_imported,
                summary.refunds_booked,
                summary.unattributed
            );
            Ok(())
        }
        Err(OrderError::FileRejected(problems)) => {
            for problem in &problems {
                eprintln!("{}", problem.en);
            }
            anyhow::bail!(
                "{} problem(s) in {}; nothing was imported",
                problems.len(),
                file.display()
            )
        }
        Err(err) => Err(anyhow::Error::new(err).context("importing orders")),
    }
}

fn role_label(role: StaffRole) -> &'static str {
    match role {
        StaffRole::Hq => "HQ",
        StaffRole::Store => "store staff",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_bar_fills_with_the_stores_done() {
        assert_eq!(
            progress_bar(0, 4),
            "[------------------------------] 0/4 stores"
        );
        assert_eq!(
            progress_bar(2, 4),
            "[###############---------------] 2/4 stores"
        );
        assert_eq!(
            progress_bar(4, 4),
            "[##############################] 4/4 stores"
        );
        assert_eq!(progress_bar(0, 0).matches('#').count(), 30);
    }
}
