//! Builds the whole application from settings: database, clients, state, routes, bound listener.
//! Used by `main` and by every test (which binds port 0 and reads the port back).

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use sea_orm::DatabaseConnection;

use crate::config::{Settings, SmsSettings};
use crate::line::LineClient;
use crate::sms::SmsProvider;
use crate::{db, error, http, services, telemetry};

/// Everything a request handler may use. Cheap to clone; built once, outside the worker closures.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: DatabaseConnection,
    pub line: LineClient,
    pub sms: SmsProvider,
}

pub struct Application {
    port: u16,
    server: Server,
    pub state: AppState,
}

impl Application {
    /// Connects and migrates the database, creates the first HQ login if there is none, and binds.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = db::connect(&settings).await?;
        db::migrate(&db).await?;
        if let Some(initial) = services::accounts::ensure_initial_hq(&db)
            .await
            .context("creating the first HQ account")?
        {
            tracing::warn!(
                username = %initial.username,
                password = %initial.password,
                "first start: created an HQ login; sign in at /admin and change this one-time password"
            );
        }
        if settings.demo {
            tracing::warn!(
                "DEMO MODE: no LINE credentials are set; a built-in LINE emulator stands in for LINE"
            );
        }
        if !settings.demo && matches!(settings.sms, SmsSettings::Log) {
            tracing::warn!(
                "SMS_PROVIDER=log outside demo mode: verification codes are NOT sent to shoppers, only written to the log; set SMS_PROVIDER to mitake, every8d or twilio with its credentials"
            );
        }
        if settings.secret_key_generated {
            tracing::warn!(
                "SECRET_KEY is not set: a random key is used for this run, so signed links stop working after a restart; set SECRET_KEY"
            );
        }

        let listener = TcpListener::bind(settings.listen_addr)
            .with_context(|| format!("could not listen on LISTEN_ADDR={}", settings.listen_addr))?;
        let port = listener.local_addr()?.port();
        let mut settings = settings;
        if settings.public_base_url.port() == Some(0) {
            // LISTEN_ADDR asked for any free port (tests do): links must name the real one.
            let _ = settings.public_base_url.set_port(Some(port));
        }
        let state = AppState {
            line: LineClient::new(&settings.line),
            sms: SmsProvider::from_settings(&settings.sms),
            settings: Arc::new(settings),
            db,
        };
        let server = run(listener, state.clone())?;
        Ok(Self {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT/SIGTERM; in-flight requests get up to 10 s to finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn run(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .configure(http::routes)
            .wrap(from_fn(error::html_for_browsers))
            .wrap(from_fn(telemetry::log_request))
    })
    .shutdown_timeout(10)
    .listen(listener)?
    .run();
    Ok(server)
}
