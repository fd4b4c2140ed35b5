//! The scan of a printed QR code (`GET /q/{token}`): checks the token, the shop and the store,
//! records the scan, starts a journey and says where to send the phone — route A (LIFF) or
//! route B (the landing page), decided by the settings at this moment, so a poster printed
//! before the shop got a Certified Provider sends shoppers the new way without reprinting.
//!
//! Each client address is held to a scan rate ([`ScanLimiter`], one per process, built once in
//! `Application`); journeys expire and are cleaned up (`services::journeys`), so a bot scanning in
//! a loop cannot grow the database without bound.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::config::Settings;
use crate::db::entities::enums::Route;
use crate::db::entities::{qr_tokens, staff_accounts, stores};
use crate::domain::checklist::SetupFlags;
use crate::domain::rate_limit::SharedRateLimiter;
use crate::domain::scan::{self, QrToken, ScanOutcome, TokenState};
use crate::services::Context;
use crate::services::error::Error;
use crate::services::journeys::{self, NewJourney};
use crate::services::{qr, setup};

/// Scans per client address, shared by every worker of the process.
pub type ScanLimiter = SharedRateLimiter<IpAddr>;

/// What the scan page does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scanned {
    /// A journey was started: send the phone here (303).
    Redirect(String),
    /// The shop is not activated yet (a friendly page, 200).
    NotOpen { shop_name: String },
    /// The store is deactivated (a friendly page, 200).
    StoreClosed {
        shop_name: String,
        store_name: String,
    },
}

fn too_many_scans(wait: std::time::Duration) -> Error {
    Error::TooManyScans(wait)
}

pub async fn scan(ctx: &Context, token: &str, client: Option<IpAddr>) -> Result<Scanned, Error> {
    ctx.scan_limiter
        .check(
            client.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            Instant::now(),
        )
        .map_err(too_many_scans)?;

    let found = match QrToken::parse(token) {
        Some(token) => {
            qr_tokens::Entity::find()
                .filter(qr_tokens::Column::Token.eq(token.as_str()))
                .find_also_related(stores::Entity)
                .one(&ctx.db)
                .await?
        }
        None => None,
    };
    let token_state = match &found {
        None | Some((_, None)) => TokenState::Unknown,
        Some((token, _)) if token.revoked_at.is_some() => TokenState::Revoked,
        Some((_, Some(store))) => TokenState::Live {
            store_active: store.active,
        },
    };
    let flags = setup::flags(&ctx.db).await?;
    let outcome = scan::decide(
        token_state,
        flags.activated,
        effective_route(&ctx.settings, flags),
    );
    let shop_name = || async { Ok::<_, Error>(setup::shop_settings(&ctx.db).await?.shop_name) };
    let route = match outcome {
        ScanOutcome::Unknown => return Err(qr::unknown_code()),
        ScanOutcome::Revoked => return Err(qr::revoked_code()),
        ScanOutcome::NotOpen => {
            return Ok(Scanned::NotOpen {
                shop_name: shop_name().await?,
            });
        }
        ScanOutcome::StoreClosed => {
            let store_name = found
                .and_then(|(_, s)| s)
                .map(|s| s.name)
                .unwrap_or_default();
            return Ok(Scanned::StoreClosed {
                shop_name: shop_name().await?,
                store_name,
            });
        }
        ScanOutcome::Start(route) => route,
    };
    let Some((token, Some(_))) = found else {
        return Err(qr::unknown_code());
    };

    let liff_id = ctx.settings.line.liff_id.as_deref();
    if flags.route() == Route::Liff && liff_id.is_none() {
        tracing::warn!("the settings choose route A (LIFF) but LIFF_ID is not set; using route B");
    }

    let journey = journeys::start(
        &ctx.db,
        NewJourney {
            qr_token_id: token.id,
            store_id: token.store_id,
            clerk_id: credited_clerk(ctx, &token).await?,
            route,
        },
        Utc::now(),
    )
    .await?;
    let location = match (route, liff_id) {
        (Route::Liff, Some(liff_id)) => {
            scan::liff_url(&ctx.settings.line.liff_url_base, liff_id, &journey.id)
        }
        _ => scan::landing_path(&journey.id),
    };
    Ok(Scanned::Redirect(location))
}

/// The route a scan takes now: route A when the checklist allows it and the LIFF app is
/// configured; otherwise route B, which binds the shopper without LIFF.
pub fn effective_route(settings: &Settings, flags: SetupFlags) -> Route {
    match flags.route() {
        Route::Liff if settings.line.liff_id.is_some() => Route::Liff,
        _ => Route::Phone,
    }
}

/// The clerk a clerk card credits: only while the account is active and still in that store.
/// A card of someone who left still brings the shopper to the store.
async fn credited_clerk(ctx: &Context, token: &qr_tokens::Model) -> Result<Option<i32>, Error> {
    let Some(clerk_id) = token.clerk_id else {
        return Ok(None);
    };
    let clerk = staff_accounts::Entity::find_by_id(clerk_id)
        .one(&ctx.db)
        .await?;
    Ok(clerk
        .filter(|c| c.active && c.store_id == Some(token.store_id))
        .map(|c| c.id))
}
