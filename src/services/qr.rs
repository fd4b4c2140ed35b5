//! QR tokens: the random, unguessable part of `{PUBLIC_BASE_URL}/q/{token}` that a printed code
//! carries. Every store has one active store token, and each active clerk (a store staff
//! account) may have one for a personal card. Tokens are created when first needed (a poster, a
//! card, an export), so stores made before this existed get one too. HQ rotates a token (a new
//! one, the old one revoked) or revokes it; a revoked code answers "no longer valid, ask the
//! staff". Both are in the audit log.
//!
//! "At most one active token" is the database's job: partial unique indexes on `qr_tokens`
//! (per store where `clerk_id IS NULL`, per clerk), an INSERT … ON CONFLICT DO NOTHING, then a
//! read of whichever row won — so two posters printed at the same moment cannot mint two codes.

use std::path::{Path, PathBuf};

use chrono::Utc;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::config::Settings;
use crate::db::entities::enums::StaffRole;
use crate::db::entities::{qr_tokens, staff_accounts, stores};
use crate::domain::scan::QrToken;
use crate::domain::tokens::random_token;
use crate::qr;
use crate::services::audit::{self, Actor, Change};
use crate::services::error::{Error, NotFound, Refusal};

/// Whose code: the store's own, or one clerk's card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenOwner {
    Store(i32),
    Clerk { store_id: i32, clerk_id: i32 },
}

impl TokenOwner {
    pub fn store_id(self) -> i32 {
        match self {
            TokenOwner::Store(id) | TokenOwner::Clerk { store_id: id, .. } => id,
        }
    }

    fn clerk_id(self) -> Option<i32> {
        match self {
            TokenOwner::Store(_) => None,
            TokenOwner::Clerk { clerk_id, .. } => Some(clerk_id),
        }
    }
}

/// The URL a token's QR code encodes.
pub fn scan_url(settings: &Settings, token: &str) -> String {
    settings.public_url(&format!("/q/{token}"))
}

/// The owner's active token, if any.
pub async fn active_token(
    db: &impl ConnectionTrait,
    owner: TokenOwner,
) -> Result<Option<qr_tokens::Model>, DbErr> {
    let query = qr_tokens::Entity::find().filter(qr_tokens::Column::RevokedAt.is_null());
    let query = match owner {
        TokenOwner::Store(store_id) => query
            .filter(qr_tokens::Column::StoreId.eq(store_id))
            .filter(qr_tokens::Column::ClerkId.is_null()),
        TokenOwner::Clerk { clerk_id, .. } => query.filter(qr_tokens::Column::ClerkId.eq(clerk_id)),
    };
    query.one(db).await
}

/// The owner's active token, created if there is none. Safe to call concurrently: the partial
/// unique index lets one insert through and the others read its row.
pub async fn ensure_token(
    db: &impl ConnectionTrait,
    owner: TokenOwner,
    created_by: Option<i32>,
) -> Result<qr_tokens::Model, DbErr> {
    for _ in 0..3 {
        if let Some(token) = active_token(db, owner).await? {
            if token.store_id == owner.store_id() {
                return Ok(token);
            }
            // A clerk card of the clerk's former store: it must not credit that store any more.
            revoke_row(db, token.id, None).await?;
        }
        qr_tokens::Entity::insert(qr_tokens::ActiveModel {
            token: Set(random_token(16)),
            store_id: Set(owner.store_id()),
            clerk_id: Set(owner.clerk_id()),
            created_at: Set(Utc::now()),
            created_by_staff_id: Set(created_by),
            ..Default::default()
        })
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .try_insert()
        .exec_without_returning(db)
        .await?;
    }
    active_token(db, owner)
        .await?
        .ok_or_else(|| DbErr::Custom("no active QR token after three inserts".to_owned()))
}

async fn revoke_row(
    db: &impl ConnectionTrait,
    token_id: i32,
    by: Option<i32>,
) -> Result<bool, DbErr> {
    let updated = qr_tokens::Entity::update_many()
        .col_expr(qr_tokens::Column::RevokedAt, Expr::value(Utc::now()))
        .col_expr(qr_tokens::Column::RevokedByStaffId, Expr::value(by))
        .filter(qr_tokens::Column::Id.eq(token_id))
        .filter(qr_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// The clerk as a token owner: an active store staff account of `store_id`.
pub async fn clerk_of_store(
    db: &impl ConnectionTrait,
    store_id: i32,
    clerk_id: i32,
) -> Result<staff_accounts::Model, Error> {
    let clerk = staff_accounts::Entity::find_by_id(clerk_id)
        .one(db)
        .await?
        .filter(|c| c.role == StaffRole::Store && c.store_id == Some(store_id))
        .ok_or(NotFound::Clerk)?;
    Ok(clerk)
}

fn clerk_inactive() -> Error {
    Refusal::ClerkDeactivated.into()
}

/// Checks that the owner exists (and, for a clerk, is active): 404 / 409 otherwise.
async fn check_owner(
    db: &impl ConnectionTrait,
    owner: TokenOwner,
    require_active_clerk: bool,
) -> Result<(), Error> {
    stores::Entity::find_by_id(owner.store_id())
        .one(db)
        .await?
        .ok_or(NotFound::Store)?;
    if let TokenOwner::Clerk { store_id, clerk_id } = owner {
        let clerk = clerk_of_store(db, store_id, clerk_id).await?;
        if require_active_clerk && !clerk.active {
            return Err(clerk_inactive());
        }
    }
    Ok(())
}

/// The owner's printable token for a poster or card (created if needed); store staff only for
/// their own store, and a clerk card only for an active clerk.
pub async fn token_for_print(
    db: &DatabaseConnection,
    actor: &Actor,
    owner: TokenOwner,
) -> Result<qr_tokens::Model, Error> {
    actor.scope.require_view_store(owner.store_id())?;
    check_owner(db, owner, true).await?;
    Ok(ensure_token(db, owner, actor.staff_id).await?)
}

fn owner_json(owner: TokenOwner) -> serde_json::Value {
    json!({ "store_id": owner.store_id(), "clerk_id": owner.clerk_id() })
}

/// HQ replaces the owner's code: the old one is revoked (its posters say "ask the staff") and a
/// new one is active. Returns the new token.
pub async fn rotate(
    db: &DatabaseConnection,
    actor: &Actor,
    owner: TokenOwner,
) -> Result<qr_tokens::Model, Error> {
    actor.scope.require_hq()?;
    let txn = db.begin().await?;
    check_owner(&txn, owner, true).await?;
    let old = active_token(&txn, owner).await?;
    if let Some(old) = &old {
        revoke_row(&txn, old.id, actor.staff_id).await?;
    }
    let new = qr_tokens::ActiveModel {
        token: Set(random_token(16)),
        store_id: Set(owner.store_id()),
        clerk_id: Set(owner.clerk_id()),
        created_at: Set(Utc::now()),
        created_by_staff_id: Set(actor.staff_id),
        ..Default::default()
    }
    .insert(&txn)
    .await
    // A unique violation: another rotation of the same code committed first.
    .map_err(|err| Error::unique_or(err, || Refusal::QrCodeReplaced))?;
    audit::record(
        &txn,
        actor,
        Change::new("qr.rotate", "qr_token", new.id)
            .store(Some(owner.store_id()))
            .before(json!({ "owner": owner_json(owner), "token_id": old.map(|t| t.id) }))
            .after(json!({ "owner": owner_json(owner), "token_id": new.id })),
    )
    .await?;
    txn.commit().await?;
    Ok(new)
}

/// HQ retires the owner's code without a replacement (a lost card, a clerk who left). The next
/// poster or card printed gets a new code.
pub async fn revoke(
    db: &DatabaseConnection,
    actor: &Actor,
    owner: TokenOwner,
) -> Result<(), Error> {
    actor.scope.require_hq()?;
    let txn = db.begin().await?;
    check_owner(&txn, owner, false).await?;
    let Some(old) = active_token(&txn, owner).await? else {
        return Ok(());
    };
    if revoke_row(&txn, old.id, actor.staff_id).await? {
        audit::record(
            &txn,
            actor,
            Change::new("qr.revoke", "qr_token", old.id)
                .store(Some(owner.store_id()))
                .before(json!({ "owner": owner_json(owner), "token_id": old.id, "revoked": false }))
                .after(json!({ "owner": owner_json(owner), "token_id": old.id, "revoked": true })),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// When the owner's current code was created (for the store page), if there is one.
pub async fn token_created_at(
    db: &impl ConnectionTrait,
    owner: TokenOwner,
) -> Result<Option<chrono::DateTime<Utc>>, DbErr> {
    Ok(active_token(db, owner).await?.map(|t| t.created_at))
}

// ---- Images ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Svg,
}

impl ImageFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Svg => "svg",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ImageFormat::Png => "image/png",
            ImageFormat::Svg => "image/svg+xml",
        }
    }
}

/// A QR image of a token, with the validator a cache compares.
pub struct QrImage {
    pub format: ImageFormat,
    pub etag: String,
    body: Option<Vec<u8>>,
}

impl QrImage {
    /// The image, or `None` when the caller's cached copy is still right (answer 304).
    pub fn into_body(self) -> Option<Vec<u8>> {
        self.body
    }
}

/// The picture depends only on the encoded URL, the format and the size: hash those.
fn image_etag(url: &str, format: ImageFormat, size: u32) -> String {
    let digest = Sha256::digest(format!("{url}\n{}\n{size}", format.extension()));
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"qr-{hex}\"")
}

/// The QR image of a printed token: 404 unknown, 410 revoked. The image is only rendered when
/// `if_none_match` does not already name it.
pub async fn image(
    db: &DatabaseConnection,
    settings: &Settings,
    token: &str,
    format: ImageFormat,
    requested_size: Option<u32>,
    if_none_match: Option<&str>,
) -> Result<QrImage, Error> {
    let row = match QrToken::parse(token) {
        Some(token) => {
            qr_tokens::Entity::find()
                .filter(qr_tokens::Column::Token.eq(token.as_str()))
                .one(db)
                .await?
        }
        None => None,
    };
    let row = row.ok_or_else(unknown_code)?;
    if row.revoked_at.is_some() {
        return Err(revoked_code());
    }
    let url = scan_url(settings, &row.token);
    let size = match format {
        ImageFormat::Png => qr::png_size(requested_size),
        ImageFormat::Svg => 0,
    };
    let etag = image_etag(&url, format, size);
    let cached = if_none_match.is_some_and(|header| {
        header
            .split(',')
            .any(|candidate| candidate.trim() == etag || candidate.trim() == "*")
    });
    let body = if cached {
        None
    } else {
        Some(render(&url, format, size).map_err(|err| Error::Unexpected(err.into()))?)
    };
    Ok(QrImage { format, etag, body })
}

fn render(url: &str, format: ImageFormat, size: u32) -> Result<Vec<u8>, qr::QrError> {
    match format {
        ImageFormat::Png => qr::png(url, size),
        ImageFormat::Svg => qr::svg(url).map(String::into_bytes),
    }
}

pub fn unknown_code() -> Error {
    NotFound::QrCode.into()
}

pub fn revoked_code() -> Error {
    Error::QrCodeRetired
}

// ---- Export (the `qr export` command) ----

pub struct ExportOptions {
    pub dir: PathBuf,
    pub format: ImageFormat,
    /// PNG side in pixels (clamped).
    pub size: u32,
    /// Also one file per active clerk of each store: `{STORE}-{username}.{ext}`.
    pub clerks: bool,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    pub stores: usize,
    pub clerk_cards: usize,
    pub bytes: u64,
}

/// A file name from a store code or username: letters, digits, `-` and `_` kept, the rest `_`.
fn file_stem(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Writes one QR file per active store, named by store code (and, with `clerks`, one per
/// active clerk), creating tokens where needed. `progress(done, total)` is called after each store.
pub async fn export(
    db: &DatabaseConnection,
    settings: &Settings,
    actor: &Actor,
    options: &ExportOptions,
    mut progress: impl FnMut(usize, usize),
) -> Result<ExportSummary, anyhow::Error> {
    actor.scope.require_hq()?;
    std::fs::create_dir_all(&options.dir)
        .map_err(|err| anyhow::anyhow!("could not create {}: {err}", options.dir.display()))?;
    let active_stores = stores::Entity::find()
        .filter(stores::Column::Active.eq(true))
        .order_by_asc(stores::Column::Code)
        .all(db)
        .await?;
    let clerks = if options.clerks {
        staff_accounts::Entity::find()
            .filter(staff_accounts::Column::Role.eq(StaffRole::Store))
            .filter(staff_accounts::Column::Active.eq(true))
            .order_by_asc(staff_accounts::Column::Username)
            .all(db)
            .await?
    } else {
        Vec::new()
    };
    let size = qr::png_size(Some(options.size));
    let total = active_stores.len();
    let mut summary = ExportSummary::default();
    for (done, store) in active_stores.iter().enumerate() {
        let token = ensure_token(db, TokenOwner::Store(store.id), actor.staff_id).await?;
        let stem = file_stem(&store.code);
        summary.bytes += write_image(settings, options, size, &token.token, &stem)?;
        summary.stores += 1;
        for clerk in clerks.iter().filter(|c| c.store_id == Some(store.id)) {
            let owner = TokenOwner::Clerk {
                store_id: store.id,
                clerk_id: clerk.id,
            };
            let token = ensure_token(db, owner, actor.staff_id).await?;
            let stem = format!("{stem}-{}", file_stem(&clerk.username));
            summary.bytes += write_image(settings, options, size, &token.token, &stem)?;
            summary.clerk_cards += 1;
        }
        progress(done + 1, total);
    }
    Ok(summary)
}

fn write_image(
    settings: &Settings,
    options: &ExportOptions,
    size: u32,
    token: &str,
    stem: &str,
) -> anyhow::Result<u64> {
    let bytes = render(&scan_url(settings, token), options.format, size)?;
    let path = export_path(&options.dir, stem, options.format);
    std::fs::write(&path, &bytes)
        .map_err(|err| anyhow::anyhow!("could not write {}: {err}", path.display()))?;
    Ok(bytes.len() as u64)
}

fn export_path(dir: &Path, stem: &str, format: ImageFormat) -> PathBuf {
    dir.join(format!("{stem}.{}", format.extension()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_codes_and_usernames_readable_and_safe() {
        assert_eq!(file_stem("TP-001_A"), "TP-001_A");
        assert_eq!(file_stem("amy.lin"), "amy_lin");
        assert_eq!(file_stem("../etc"), "___etc");
    }

    #[test]
    fn the_etag_changes_with_the_url_format_and_size() {
        let a = image_etag("https://x/q/a", ImageFormat::Png, 512);
        assert_eq!(a, image_etag("https://x/q/a", ImageFormat::Png, 512));
        assert_ne!(a, image_etag("https://x/q/b", ImageFormat::Png, 512));
        assert_ne!(a, image_etag("https://x/q/a", ImageFormat::Png, 1024));
        assert_ne!(a, image_etag("https://x/q/a", ImageFormat::Svg, 512));
        assert!(a.starts_with("\"qr-") && a.ends_with('"'));
    }
}
