//! The command line: `serve` (default), `migrate`, `admin create`. Each command is a few lines that
//! call the same services the web admin uses.

use std::io::{BufRead, IsTerminal};

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Settings;
use crate::db;
use crate::db::entities::enums::StaffRole;
use crate::services::accounts::{self, NewStaff};
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
            let account = accounts::create_staff(
                &db,
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
    }
    Ok(())
}

fn role_label(role: StaffRole) -> &'static str {
    match role {
        StaffRole::Hq => "HQ",
        StaffRole::Store => "store staff",
    }
}
