//! Demo mode's data: the made-up LINE channel (secret, access token, the emulator's signing key)
//! persisted in `demo_settings`, and the demo shop seeded on every demo start (brand, two groups,
//! three stores, an HQ login and a clerk login). Everything here is find-or-create, so starting
//! the demo again changes nothing that is already there. Used only when `settings.demo` is on.

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use crate::config::Secret;
use crate::db::entities::enums::{StaffRole, WebShop};
use crate::db::entities::{
    demo_settings, order_webhook_secrets, shop_settings, staff_accounts, store_groups, stores,
};
use crate::domain::password::generate_password;
use crate::domain::tokens::random_token;
use crate::services::accounts::{self, CreateStaffError, NewStaff};
use crate::services::audit::{self, Actor, Change};
use crate::services::error::Error;
use crate::services::passwords::Passwords;

/// The demo OA, LINE Login channel and LIFF app the emulator plays.
pub const OA_BASIC_ID: &str = "@demo-shop";
pub const OA_DISPLAY_NAME: &str = "示範商店 Demo Shop";
pub const LOGIN_CHANNEL_ID: &str = "2000000001";
pub const LIFF_ID: &str = "2000000001-DemoLiff";
/// The demo OA's own user id (the `destination` of its webhooks).
pub const BOT_USER_ID: &str = "Ud3e30000000000000000000000000001";

pub const SHOP_NAME: &str = "示範商店";
pub const HQ_USERNAME: &str = "demo-hq";
pub const CLERK_USERNAME: &str = "demo-clerk";
/// The clerk works at the first store; the third store belongs to another group and other staff.
pub const STORES: [(&str, &str, &str); 3] = [
    ("D001", "台北信義店", "北區"),
    ("D002", "新竹巨城店", "北區"),
    ("D003", "高雄夢時代店", "南區"),
];

/// The demo channel's credentials and logins (the `demo_settings` row).
#[derive(Clone)]
pub struct DemoChannel {
    pub channel_secret: Secret,
    pub channel_access_token: Secret,
    /// Signs the ID tokens the emulator issues; only the emulator uses it.
    pub emulator_key: Secret,
    /// `SECRET_KEY` for a demo started without one, so signed links survive a restart.
    pub secret_key: Secret,
    pub hq_password: Secret,
    pub clerk_password: Secret,
}

impl std::fmt::Debug for DemoChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DemoChannel(***)")
    }
}

/// Why this database cannot be used in the mode asked for, if it cannot.
///
/// Demo data (a `demo-hq` login whose password was printed, made-up LINE users) must never mix
/// with a real shop's: a database that ran the demo is refused outside demo mode, and demo mode
/// is refused on a database that already holds staff accounts of its own.
pub async fn check_database_for_mode(
    db: &impl ConnectionTrait,
    demo: bool,
) -> Result<(), DatabaseModeError> {
    let ran_demo = demo_settings::Entity::find_by_id(1)
        .one(db)
        .await?
        .is_some();
    if !demo && ran_demo {
        return Err(DatabaseModeError::HoldsDemo);
    }
    if demo && !ran_demo && staff_accounts::Entity::find().one(db).await?.is_some() {
        return Err(DatabaseModeError::HoldsRealShop);
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum DatabaseModeError {
    #[error(
        "DATABASE_URL points at a database used for the demo; LINE credentials are set, so use a fresh database for the real shop"
    )]
    HoldsDemo,
    #[error(
        "demo mode (no LINE credentials set) refuses DATABASE_URL: that database already holds a shop's staff accounts; set the LINE credentials, or point DATABASE_URL at a fresh database for the demo"
    )]
    HoldsRealShop,
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

/// The demo channel, made up on the first demo start and read back on every later one.
pub async fn channel(db: &impl ConnectionTrait) -> Result<DemoChannel, sea_orm::DbErr> {
    // Insert-or-keep: two processes starting at once agree on the first row written.
    demo_settings::Entity::insert(demo_settings::ActiveModel {
        id: Set(1),
        channel_secret: Set(random_hex(16)),
        channel_access_token: Set(random_token(48)),
        emulator_key: Set(random_token(32)),
        secret_key: Set(random_token(48)),
        hq_password: Set(generate_password()),
        clerk_password: Set(generate_password()),
        created_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(demo_settings::Column::Id)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let row = demo_settings::Entity::find_by_id(1)
        .one(db)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("demo_settings row 1".to_owned()))?;
    Ok(DemoChannel {
        channel_secret: Secret::new(row.channel_secret),
        channel_access_token: Secret::new(row.channel_access_token),
        emulator_key: Secret::new(row.emulator_key),
        secret_key: Secret::new(row.secret_key),
        hq_password: Secret::new(row.hq_password),
        clerk_password: Secret::new(row.clerk_password),
    })
}

/// The secret the demo web shop (`emulator::shop`) signs its generic order webhooks with: the one
/// set at Sales settings, as a merchant pastes the same secret into both; in a demo without one,
/// a new one, set there as if HQ had generated it. Insert-or-keep, so two first orders at once
/// sign with the same secret.
pub async fn web_shop_secret(db: &impl ConnectionTrait) -> Result<Secret, sea_orm::DbErr> {
    let inserted = order_webhook_secrets::Entity::insert(order_webhook_secrets::ActiveModel {
        source: Set(WebShop::Generic),
        secret: Set(random_hex(24)),
        updated_at: Set(Utc::now()),
        updated_by_staff_id: Set(None),
    })
    .on_conflict(
        OnConflict::column(order_webhook_secrets::Column::Source)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    if inserted > 0 {
        let actor = Actor {
            label: "demo web shop".to_owned(),
            ..Actor::cli()
        };
        audit::record(
            db,
            &actor,
            Change::new("order_webhook.secret_set", "order_webhook", "generic"),
        )
        .await?;
    }
    let row = order_webhook_secrets::Entity::find_by_id(WebShop::Generic)
        .one(db)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("the generic webhook secret".to_owned()))?;
    Ok(Secret::new(row.secret))
}

/// A channel secret looks like LINE's: 32 hex digits.
fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// Seeds the demo shop: whatever is missing is created, whatever exists is left as it is.
pub async fn seed(
    db: &DatabaseConnection,
    passwords: &Passwords,
    channel: &DemoChannel,
) -> Result<(), Error> {
    let actor = Actor::cli();
    // The brand: only while the shop still has the migration's placeholder name.
    shop_settings::Entity::update_many()
        .col_expr(
            shop_settings::Column::ShopName,
            sea_orm::sea_query::Expr::value(SHOP_NAME),
        )
        .filter(shop_settings::Column::Id.eq(1))
        .filter(shop_settings::Column::ShopName.eq("我的品牌"))
        .exec(db)
        .await?;

    let mut clerk_store = None;
    for (code, name, group) in STORES {
        let group_id = match store_groups::Entity::find()
            .filter(store_groups::Column::Name.eq(group))
            .one(db)
            .await?
        {
            Some(existing) => existing.id,
            None => {
                crate::services::stores::create_group(db, &actor, group)
                    .await?
                    .id
            }
        };
        let store_id = match stores::Entity::find()
            .filter(stores::Column::Code.eq(code))
            .one(db)
            .await?
        {
            Some(existing) => existing.id,
            None => {
                crate::services::stores::create_store(
                    db,
                    &actor,
                    crate::services::stores::NewStore {
                        code: code.to_owned(),
                        name: name.to_owned(),
                        group_id: Some(group_id),
                    },
                )
                .await?
                .id
            }
        };
        clerk_store.get_or_insert(store_id);
    }

    for (username, password, role, store_id, display_name) in [
        (
            HQ_USERNAME,
            &channel.hq_password,
            StaffRole::Hq,
            None,
            "示範總公司 Demo HQ",
        ),
        (
            CLERK_USERNAME,
            &channel.clerk_password,
            StaffRole::Store,
            clerk_store,
            "示範店員 Demo clerk",
        ),
    ] {
        let created = accounts::create_staff(
            db,
            passwords,
            NewStaff {
                username: username.to_owned(),
                password: password.expose().to_owned(),
                role,
                store_id,
                display_name: display_name.to_owned(),
            },
        )
        .await;
        match created {
            Ok(_) | Err(CreateStaffError::UsernameTaken) => {}
            Err(err) => {
                return Err(Error::Unexpected(
                    anyhow::Error::new(err).context("seeding a demo account"),
                ));
            }
        }
    }
    Ok(())
}

/// Which binding route the demo shows shoppers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoRoute {
    /// Route A: Certified Provider and auto-generated LIFF URL on.
    Liff,
    /// Route B: no Certified Provider (auto LIFF off), OA chat then SMS.
    OaChat,
}

impl DemoRoute {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "a" | "liff" => Some(DemoRoute::Liff),
            "b" | "oa_chat" => Some(DemoRoute::OaChat),
            _ => None,
        }
    }
}

/// Answers the checklist so that every item holds and the shop takes `route` (the demo's
/// stand-in for HQ confirming each prerequisite in the LINE consoles). Goes through
/// `setup::answer`, so the rules and the audit log apply as for any answer.
pub async fn use_route(
    db: &DatabaseConnection,
    actor: &Actor,
    route: DemoRoute,
) -> Result<(), Error> {
    actor.scope.require_hq()?;
    let certified = match route {
        DemoRoute::Liff => "yes",
        DemoRoute::OaChat => "no",
    };
    for (key, value) in [
        ("channels_linked", "yes"),
        ("quick_login", "yes"),
        ("oa_verified", "blue"),
        ("certified_provider", certified),
        ("auto_liff", certified),
        ("quick_checkout_register", "yes"),
        ("member_phone_verification", "yes"),
        ("sms_template_enabled", "yes"),
    ] {
        crate::services::setup::answer(db, actor, key, value).await?;
    }
    Ok(())
}
