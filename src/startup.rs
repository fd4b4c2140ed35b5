//! Builds the whole application from settings: database, clients, ctx, routes, bound listener.
//! Used by `main` and by every test (which binds port 0 and reads the port back).

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context as _;
use tokio::sync::Notify;

use crate::config::{Settings, SmsSettings};
use crate::domain::rate_limit::RateLimit;
use crate::line::LineClient;
use crate::metrics::Metrics;
use crate::services::Context;
use crate::services::binding::liff::{LiffBindLimiter, LiffBindLimits};
use crate::services::binding::phone::OaChatBindingCodes;
use crate::services::housekeeping::{Housekeeping, HousekeepingConfig};
use crate::services::order_webhooks::{DeliveryStore, SecretsRead};
use crate::services::passwords::Passwords;
use crate::services::scan::ScanLimiter;
use crate::services::webhook::BindingCodeHandler;
use crate::services::webhook::EventStore;
use crate::services::webhook::{WebhookWorker, WorkerConfig};
use crate::sms::SmsProvider;
use crate::{db, emulator, http, services, telemetry};

/// What tests (and later features) may swap when building the application.
#[derive(Clone)]
pub struct BuildOptions {
    pub webhook_worker: WorkerConfig,
    pub binding_codes: Arc<dyn BindingCodeHandler>,
    pub scan_limit: RateLimit,
    pub liff_bind_limits: LiffBindLimits,
    /// `None`: no background housekeeping (tests that run rounds themselves).
    pub housekeeping: Option<HousekeepingConfig>,
}

impl Default for BuildOptions {
    fn default() -> Self {
        Self {
            webhook_worker: WorkerConfig::default(),
            binding_codes: Arc::new(OaChatBindingCodes),
            scan_limit: RateLimit::SCANS,
            liff_bind_limits: LiffBindLimits::default(),
            housekeeping: Some(HousekeepingConfig::default()),
        }
    }
}

pub struct Application {
    port: u16,
    server: Server,
    worker: WebhookWorker,
    housekeeping: Option<Housekeeping>,
    checkpointer: Option<db::WalCheckpointer>,
    pub ctx: Context,
}

impl Application {
    /// Connects and migrates the database, creates the first HQ login if there is none, and binds.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with(settings, BuildOptions::default()).await
    }

    pub async fn build_with(settings: Settings, options: BuildOptions) -> anyhow::Result<Self> {
        let db = db::connect(&settings).await?;
        db::migrate(&db).await?;
        services::demo::check_database_for_mode(&db, settings.demo).await?;
        let checkpointer = db::WalCheckpointer::spawn(&settings).await?;
        let metrics = Arc::new(Metrics::default());
        let passwords = Passwords::per_core(metrics.clone());
        // Demo mode: the made-up LINE channel and the demo shop, before the first-start HQ login
        // (the demo's own HQ login makes that one unnecessary).
        let demo_channel = if settings.demo {
            let channel = services::demo::channel(&db)
                .await
                .context("reading the demo LINE channel")?;
            services::demo::seed(&db, &passwords, &channel)
                .await
                .map_err(|err| anyhow::anyhow!("seeding the demo shop: {err:?}"))?;
            Some(channel)
        } else {
            None
        };
        if let Some(initial) = services::accounts::ensure_initial_hq(&db, &passwords)
            .await
            .context("creating the first HQ account")?
        {
            tracing::warn!(
                username = %initial.username,
                password = %initial.password,
                "first start: created an HQ login; sign in at /admin and change this one-time password"
            );
        }
        if !settings.demo && matches!(settings.sms, SmsSettings::Log) {
            tracing::warn!(
                "SMS_PROVIDER=log outside demo mode: verification codes are NOT sent to shoppers, only written to the log; set SMS_PROVIDER to mitake, every8d or twilio with its credentials"
            );
        }
        if settings.secret_key_generated && !settings.demo {
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
        if let Some(channel) = &demo_channel {
            emulator::configure_settings(&mut settings, channel);
            announce_demo(&settings, channel);
        }
        let webhook_wake = Arc::new(Notify::new());
        let webhook_store = EventStore::spawn(db.clone(), webhook_wake.clone());
        let order_webhook_store = DeliveryStore::spawn(db.clone(), metrics.clone());
        let ctx = Context {
            line: LineClient::new(&settings.line),
            sms: SmsProvider::from_settings(&settings.sms),
            settings: Arc::new(settings),
            db,
            metrics,
            webhook_store,
            order_webhook_store,
            order_webhook_secrets: SecretsRead::default(),
            webhook_wake,
            binding_codes: options.binding_codes,
            scan_limiter: ScanLimiter::new(options.scan_limit),
            liff_bind_limiter: LiffBindLimiter::new(options.liff_bind_limits),
            passwords,
        };
        let emulator =
            demo_channel.map(|channel| emulator::Emulator::new(&ctx.settings, channel, &ctx.sms));
        let server = run(listener, ctx.clone(), emulator)?;
        let mut worker_config = options.webhook_worker;
        if !ctx.settings.webhook_worker {
            tracing::info!(
                "WEBHOOK_WORKER=false: webhook events are received and stored, and left for another instance to handle"
            );
            worker_config.enabled = false;
        }
        let worker = WebhookWorker::spawn(ctx.clone(), worker_config);
        let housekeeping = options
            .housekeeping
            .map(|config| Housekeeping::spawn(ctx.db.clone(), ctx.settings.retention, config));
        Ok(Self {
            port,
            server,
            worker,
            housekeeping,
            checkpointer,
            ctx,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT/SIGTERM; in-flight requests get up to 10 s to finish, then the webhook
    /// worker finishes the events it is handling and housekeeping stops.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.worker.stop().await;
        if let Some(housekeeping) = self.housekeeping {
            housekeeping.stop().await;
        }
        if let Some(checkpointer) = self.checkpointer {
            checkpointer.stop().await;
        }
        served
    }
}

/// Says loudly that this is a demo, and how to walk it (the logins are the demo's own, made up on
/// its first start; the channel secret and access token are never printed).
fn announce_demo(settings: &Settings, channel: &services::demo::DemoChannel) {
    tracing::warn!(
        "DEMO MODE: no LINE credentials are set; the built-in LINE emulator at {} stands in for LINE (its channel is made up and kept in the database)",
        settings.public_url(emulator::PREFIX)
    );
    tracing::warn!(
        url = %settings.public_url("/admin"),
        username = services::demo::HQ_USERNAME,
        password = %channel.hq_password.expose(),
        "DEMO MODE: HQ login"
    );
    tracing::warn!(
        url = %settings.public_url("/admin"),
        username = services::demo::CLERK_USERNAME,
        password = %channel.clerk_password.expose(),
        store = services::demo::STORES[0].1,
        "DEMO MODE: store clerk login"
    );
    tracing::warn!(
        "DEMO MODE: the shopper's phone is at {}",
        settings.public_url("/emulator/phone")
    );
}

fn run(
    listener: TcpListener,
    ctx: Context,
    emulator: Option<emulator::Emulator>,
) -> anyhow::Result<Server> {
    let data = web::Data::new(ctx);
    let server = HttpServer::new(move || {
        let emulator = emulator.clone();
        App::new()
            .app_data(data.clone())
            .configure(http::routes)
            // The LINE emulator's routes exist in demo mode only.
            .configure(move |cfg| {
                if let Some(emulator) = emulator {
                    emulator::routes(cfg, emulator);
                }
            })
            .wrap(from_fn(http::error::html_for_browsers))
            .wrap(from_fn(http::security_headers::for_staff_pages))
            .wrap(from_fn(telemetry::log_request))
    })
    .shutdown_timeout(10)
    .listen(listener)?
    .run();
    Ok(server)
}
