//! What the printable posters and clerk cards show: the brand, the store and its group, the
//! clerk, the QR code (inline SVG of `{PUBLIC_BASE_URL}/q/{token}`), the store code, and the
//! instructions for the route a scan takes now. Store staff print their own store's poster and
//! their own card; HQ prints any, or every active store's poster in one document.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::config::Settings;
use crate::db::entities::enums::Route;
use crate::db::entities::{qr_tokens, store_groups, stores};
use crate::domain::access::AccessDenied;
use crate::domain::scan::PosterCopy;
use crate::qr;
use crate::services::audit::Actor;
use crate::services::error::{Error, NotFound};
use crate::services::qr::{TokenOwner, clerk_of_store, ensure_token, scan_url, token_for_print};
use crate::services::{scan, setup};

/// One printed page (a poster) or card.
#[derive(Debug, Clone)]
pub struct PosterSheet {
    pub store_code: String,
    pub store_name: String,
    pub group_name: Option<String>,
    /// The clerk's name on a clerk card.
    pub clerk_name: Option<String>,
    pub store_active: bool,
    /// The URL the code encodes.
    pub scan_url: String,
    /// The code as an SVG element, generated here from the URL (no user text in it).
    pub qr_svg: String,
}

/// A printable document: one or more sheets with the shop's brand and the current route's words.
#[derive(Debug, Clone)]
pub struct Posters {
    /// The shop name from the settings, when set.
    pub brand: Option<String>,
    pub route: Route,
    pub copy: PosterCopy,
    /// Not activated yet: scans show "not open yet" (said on screen, not printed).
    pub activated: bool,
    pub sheets: Vec<PosterSheet>,
}

impl Posters {
    /// Route A (LIFF one pass) is what a scan does now.
    pub fn liff(&self) -> bool {
        self.route == Route::Liff
    }
}

async fn document(
    db: &DatabaseConnection,
    settings: &Settings,
    sheets: Vec<PosterSheet>,
) -> Result<Posters, Error> {
    let flags = setup::flags(db).await?;
    let shop = setup::shop_settings(db).await?;
    let route = scan::effective_route(settings, flags);
    let brand = Some(shop.shop_name.trim().to_owned()).filter(|name| !name.is_empty());
    Ok(Posters {
        brand,
        route,
        copy: PosterCopy::for_route(route),
        activated: flags.activated,
        sheets,
    })
}

fn sheet(
    settings: &Settings,
    store: &stores::Model,
    group_name: Option<String>,
    clerk_name: Option<String>,
    token: &str,
) -> Result<PosterSheet, Error> {
    let url = scan_url(settings, token);
    let qr_svg = qr::svg(&url).map_err(|err| Error::Unexpected(err.into()))?;
    Ok(PosterSheet {
        store_code: store.code.clone(),
        store_name: store.name.clone(),
        group_name,
        clerk_name,
        store_active: store.active,
        scan_url: url,
        qr_svg,
    })
}

async fn store_with_group(
    db: &DatabaseConnection,
    store_id: i32,
) -> Result<(stores::Model, Option<String>), Error> {
    let (store, group) = stores::Entity::find_by_id(store_id)
        .find_also_related(store_groups::Entity)
        .one(db)
        .await?
        .ok_or(NotFound::Store)?;
    Ok((store, group.map(|g| g.name)))
}

/// A store's A4 poster (its own store's for store staff).
pub async fn store_poster(
    db: &DatabaseConnection,
    settings: &Settings,
    actor: &Actor,
    store_id: i32,
) -> Result<Posters, Error> {
    actor.scope.require_view_store(store_id)?;
    let (store, group) = store_with_group(db, store_id).await?;
    let token = token_for_print(db, actor, TokenOwner::Store(store_id)).await?;
    let sheet = sheet(settings, &store, group, None, &token.token)?;
    document(db, settings, vec![sheet]).await
}

/// A clerk's card: HQ for any clerk of the store, store staff only their own.
pub async fn clerk_card(
    db: &DatabaseConnection,
    settings: &Settings,
    actor: &Actor,
    store_id: i32,
    clerk_id: i32,
) -> Result<Posters, Error> {
    actor.scope.require_view_store(store_id)?;
    if !actor.scope.is_hq() && actor.staff_id != Some(clerk_id) {
        return Err(AccessDenied::OtherStore.into());
    }
    let (store, group) = store_with_group(db, store_id).await?;
    let clerk = clerk_of_store(db, store_id, clerk_id).await?;
    let owner = TokenOwner::Clerk { store_id, clerk_id };
    let token = token_for_print(db, actor, owner).await?;
    let name = if clerk.display_name.trim().is_empty() {
        clerk.username
    } else {
        clerk.display_name
    };
    let sheet = sheet(settings, &store, group, Some(name), &token.token)?;
    document(db, settings, vec![sheet]).await
}

/// Every active store's poster, by store code, in one document (HQ).
pub async fn all_posters(
    db: &DatabaseConnection,
    settings: &Settings,
    actor: &Actor,
) -> Result<Posters, Error> {
    actor.scope.require_hq()?;
    let active = stores::Entity::find()
        .filter(stores::Column::Active.eq(true))
        .find_also_related(store_groups::Entity)
        .order_by_asc(stores::Column::Code)
        .all(db)
        .await?;
    let mut tokens: HashMap<i32, String> = qr_tokens::Entity::find()
        .filter(qr_tokens::Column::RevokedAt.is_null())
        .filter(qr_tokens::Column::ClerkId.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.store_id, t.token))
        .collect();
    let mut sheets = Vec::with_capacity(active.len());
    for (store, group) in active {
        let token = match tokens.remove(&store.id) {
            Some(token) => token,
            None => {
                ensure_token(db, TokenOwner::Store(store.id), actor.staff_id)
                    .await?
                    .token
            }
        };
        sheets.push(sheet(
            settings,
            &store,
            group.map(|g| g.name),
            None,
            &token,
        )?);
    }
    document(db, settings, sheets).await
}
