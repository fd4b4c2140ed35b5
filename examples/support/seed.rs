//! Bulk seeding shared by the order benchmarks (`sales_report_bench`, `order_webhook_load`):
//! groups, stores, clerks, members and their bindings, written with multi-row INSERTs of the
//! product's own entities (so every value is stored as the product stores it), many rows per
//! statement and many statements per transaction. Deterministic: the same arguments give the same
//! rows.

// Each benchmark uses part of this module.
#![allow(dead_code)]

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveValue::NotSet, DatabaseConnection, EntityTrait, Set, TransactionTrait};
use store_assistant::config::Settings;
use store_assistant::db::entities::enums::{Route, StaffRole};
use store_assistant::db::entities::{bindings, members, staff_accounts, store_groups, stores};
use store_assistant::domain::line_user::LineUserId;
use store_assistant::domain::phone::TaiwanMobile;

/// Rows per INSERT: under SQLite's 32,766 bound values for the widest table (orders, 29 columns).
pub const ROWS_PER_INSERT: usize = 1_000;
/// INSERTs per transaction.
const INSERTS_PER_TRANSACTION: usize = 50;

/// A small, fast, deterministic generator (SplitMix64): the benchmark's mix is the same each run.
pub struct Mix(u64);

impl Mix {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// 0 ≤ n < `below`.
    pub fn below(&mut self, below: u64) -> u64 {
        self.next() % below.max(1)
    }

    /// True with probability `percent` / 100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Opens the database as the server does (WAL and `synchronous=NORMAL` on SQLite, the same pool)
/// and brings its schema up to date with the product's migrations.
pub async fn open(database_url: &str) -> anyhow::Result<DatabaseConnection> {
    let vars = [
        ("DATABASE_URL", database_url),
        ("LINE_CHANNEL_SECRET", "bench-channel-secret"),
        ("LINE_CHANNEL_ACCESS_TOKEN", "bench-access-token"),
        (
            "SECRET_KEY",
            "bench-secret-key-0123456789abcdefghijklmnopqrstuv",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let settings = Settings::from_vars(&vars, false)?;
    let db = store_assistant::db::connect(&settings).await?;
    store_assistant::db::migrate(&db).await?;
    Ok(db)
}

/// What the seeded shop looks like.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub stores: usize,
    /// Stores per group; the last `stores / 10` stores are in no group.
    pub stores_per_group: usize,
    pub clerks_per_store: usize,
    pub members: usize,
    /// Percent of members bound to a store.
    pub bound_percent: u64,
    /// Percent of bindings made through a clerk's card.
    pub clerk_percent: u64,
    /// Bindings are made from `bound_from` up to `bound_to`.
    pub bound_from: DateTime<Utc>,
    pub bound_to: DateTime<Utc>,
}

/// One member as the order generators need it.
#[derive(Debug, Clone, Copy)]
pub struct Member {
    pub id: i32,
    pub binding: Option<Binding>,
}

#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub store_id: i32,
    pub group_id: Option<i32>,
    pub clerk_id: Option<i32>,
    pub bound_at: DateTime<Utc>,
}

/// The seeded shop: ids of what was written.
pub struct Shop {
    /// Store id → its group.
    pub stores: Vec<(i32, Option<i32>)>,
    pub members: Vec<Member>,
    /// A clerk of every store, for the store staff's view: (staff id, store id).
    pub first_clerks: Vec<(i32, i32)>,
}

/// The LINE user id and phone of seeded member `n` (0-based), as orders name them.
pub fn member_line_user_id(n: usize) -> String {
    format!("U{:032x}", n + 1)
}

pub fn member_phone_e164(n: usize) -> String {
    format!("+8869{:08}", n + 1)
}

/// Writes the shop; the database must be fresh (ids are counted from 1).
pub async fn shop(db: &DatabaseConnection, shape: Shape, mix: &mut Mix) -> anyhow::Result<Shop> {
    let started = Instant::now();
    let now = Utc::now();
    let grouped = shape.stores - shape.stores / 10;
    let groups = grouped.div_ceil(shape.stores_per_group.max(1));
    insert_all(
        db,
        (0..groups).map(|g| store_groups::ActiveModel {
            id: NotSet,
            name: Set(format!("區域 {:03}", g + 1)),
            created_at: Set(now),
            updated_at: Set(now),
        }),
    )
    .await?;
    let stores: Vec<(i32, Option<i32>)> = (0..shape.stores)
        .map(|s| {
            let group = (s < grouped).then(|| (s / shape.stores_per_group) as i32 + 1);
            (s as i32 + 1, group)
        })
        .collect();
    insert_all(
        db,
        stores.iter().map(|&(id, group_id)| stores::ActiveModel {
            id: NotSet,
            code: Set(format!("S{id:04}")),
            name: Set(format!("門市 {id:04}")),
            group_id: Set(group_id),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            purchase_entry_enabled: Set(true),
        }),
    )
    .await?;
    // Clerks of store s have ids (s - 1) * clerks_per_store + 1 ..= s * clerks_per_store.
    let clerk_id =
        |store_id: i32, k: usize| (store_id - 1) * shape.clerks_per_store as i32 + k as i32 + 1;
    insert_all(
        db,
        stores.iter().flat_map(|&(store_id, _)| {
            (0..shape.clerks_per_store).map(move |k| staff_accounts::ActiveModel {
                id: NotSet,
                username: Set(format!("clerk-{store_id:04}-{}", k + 1)),
                // Not a hash of anything: nobody signs in as a seeded clerk.
                password_hash: Set("!".to_owned()),
                role: Set(StaffRole::Store),
                store_id: Set(Some(store_id)),
                display_name: Set(format!("店員 {store_id:04}-{}", k + 1)),
                active: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
                last_login_at: Set(None),
                password_changed_at: Set(None),
            })
        }),
    )
    .await?;
    let first_clerks = stores
        .iter()
        .map(|&(store_id, _)| (clerk_id(store_id, 0), store_id))
        .collect();

    let span = (shape.bound_to - shape.bound_from).num_seconds().max(1) as u64;
    let members: Vec<Member> = (0..shape.members)
        .map(|n| {
            let binding = mix.percent(shape.bound_percent).then(|| {
                let (store_id, group_id) = stores[mix.below(stores.len() as u64) as usize];
                let clerk = (shape.clerks_per_store > 0 && mix.percent(shape.clerk_percent))
                    .then(|| clerk_id(store_id, mix.below(shape.clerks_per_store as u64) as usize));
                Binding {
                    store_id,
                    group_id,
                    clerk_id: clerk,
                    bound_at: shape.bound_from + Duration::seconds(mix.below(span) as i64),
                }
            });
            Member {
                id: n as i32 + 1,
                binding,
            }
        })
        .collect();
    insert_all(
        db,
        members.iter().enumerate().map(|(n, member)| {
            let joined = member.binding.map_or(shape.bound_from, |b| b.bound_at);
            let via_phone = n % 3 == 0;
            members::ActiveModel {
                id: NotSet,
                line_user_id: Set(LineUserId::parse(&member_line_user_id(n))),
                phone_e164: Set(TaiwanMobile::parse(&member_phone_e164(n)).ok()),
                display_name: Set(None),
                registered_via: Set(if via_phone { Route::Phone } else { Route::Liff }),
                phone_verified_at: Set(Some(joined)),
                line_linked_at: Set(Some(joined)),
                consent_at: Set(Some(joined)),
                consent_version: Set(Some("1".to_owned())),
                erased_at: Set(None),
                created_at: Set(joined),
                updated_at: Set(joined),
            }
        }),
    )
    .await?;
    insert_all(
        db,
        members.iter().filter_map(|member| {
            let binding = member.binding?;
            Some(bindings::ActiveModel {
                id: NotSet,
                member_id: Set(member.id),
                store_id: Set(binding.store_id),
                clerk_id: Set(binding.clerk_id),
                route: Set(Route::Liff),
                journey_id: Set(None),
                bound_at: Set(binding.bound_at),
                updated_at: Set(binding.bound_at),
            })
        }),
    )
    .await?;
    eprintln!(
        "seeded {} groups, {} stores, {} clerks, {} members ({} bound) in {:.1} s",
        groups,
        stores.len(),
        stores.len() * shape.clerks_per_store,
        members.len(),
        members.iter().filter(|m| m.binding.is_some()).count(),
        started.elapsed().as_secs_f64()
    );
    Ok(Shop {
        stores,
        members,
        first_clerks,
    })
}

/// Inserts every row, [`ROWS_PER_INSERT`] to a statement.
pub async fn insert_all<A, I>(db: &DatabaseConnection, rows: I) -> anyhow::Result<u64>
where
    A: sea_orm::ActiveModelTrait + Send,
    <A as sea_orm::ActiveModelTrait>::Entity: EntityTrait,
    I: IntoIterator<Item = A>,
{
    let mut rows = rows.into_iter().peekable();
    let mut written = 0;
    while rows.peek().is_some() {
        let txn = db.begin().await?;
        for _ in 0..INSERTS_PER_TRANSACTION {
            let chunk: Vec<A> = rows.by_ref().take(ROWS_PER_INSERT).collect();
            if chunk.is_empty() {
                break;
            }
            written += chunk.len() as u64;
            <A as sea_orm::ActiveModelTrait>::Entity::insert_many(chunk)
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
    }
    Ok(written)
}
