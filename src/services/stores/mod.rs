//! Stores and groups: listing within the actor's scope, creating, renaming, (de)activating,
//! grouping, and the CSV import/export. Every change writes its audit row in the same transaction.

mod csv;
mod groups;
pub use csv::{ImportError, ImportSummary, export_csv, import_csv};
pub use groups::{create_group, delete_group, get_group, list_groups, rename_group};

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, Set, SqlErr, TransactionTrait,
};
use serde_json::{Value, json};

use crate::db::entities::{staff_accounts, store_groups, stores};
use crate::domain::stores::{Name, NameError, StoreCode, binding_label};
use crate::services::audit::{self, Actor, Change};
use crate::services::error::{Error, Invalid, NameField, NotFound, Refusal};

/// A store as the admin lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreView {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub group_id: Option<i32>,
    pub group_name: Option<String>,
    pub active: bool,
    /// Its staff may record in-store purchases.
    pub purchase_entry_enabled: bool,
}

impl StoreView {
    /// How the member reads their binding: "北區｜台北信義店".
    pub fn binding_label(&self) -> String {
        binding_label(self.group_name.as_deref(), &self.name)
    }

    fn new(store: stores::Model, groups: &HashMap<i32, String>) -> Self {
        Self {
            group_name: store.group_id.and_then(|id| groups.get(&id).cloned()),
            id: store.id,
            code: store.code,
            name: store.name,
            group_id: store.group_id,
            active: store.active,
            purchase_entry_enabled: store.purchase_entry_enabled,
        }
    }
}

/// A store's page: the store and its clerks (store staff accounts).
pub struct StoreDetail {
    pub store: StoreView,
    pub clerks: Vec<staff_accounts::Model>,
}

/// What moving a store between groups did, for the page to say ("已從「南區」移到「北區」").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMove {
    pub store_name: String,
    pub from: Option<String>,
    pub to: Option<String>,
    /// False when the store was already there.
    pub changed: bool,
}

/// A group with how many stores it has.
pub struct GroupView {
    pub id: i32,
    pub name: String,
    pub store_count: u64,
}

pub struct GroupDetail {
    pub id: i32,
    pub name: String,
    pub stores: Vec<StoreView>,
    /// Stores not in this group, for the "add a store" choice.
    pub other_stores: Vec<StoreView>,
}

/// The dashboard numbers for HQ.
pub struct Counts {
    pub stores: u64,
    pub active_stores: u64,
    pub groups: u64,
    pub staff: u64,
}

fn store_not_found() -> Error {
    NotFound::Store.into()
}

/// The store name index (`idx_stores_name`, one merchant: names are unique across all stores).
/// PostgreSQL names the index in a violation's message, SQLite the column.
fn is_store_name_taken(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(SqlErr::UniqueConstraintViolation(message))
            if message.contains("idx_stores_name") || message.contains("stores.name")
    )
}

/// A write refused by the store name index becomes "this name is taken"; any other stays itself.
fn name_taken_or(err: DbErr, name: &str) -> Error {
    if is_store_name_taken(&err) {
        Refusal::StoreNameTaken(name.to_owned()).into()
    } else {
        Error::from(err)
    }
}

fn group_not_found() -> Error {
    NotFound::Group.into()
}

pub fn parse_name(text: &str, field: NameField) -> Result<Name, Error> {
    Name::parse(text).map_err(|err: NameError| Invalid::Name(field, err).into())
}

pub fn parse_code(text: &str) -> Result<StoreCode, Error> {
    StoreCode::parse(text).map_err(|err| Invalid::StoreCode(err).into())
}

async fn group_names(db: &impl ConnectionTrait) -> Result<HashMap<i32, String>, sea_orm::DbErr> {
    Ok(store_groups::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect())
}

/// Audits a change of one store: the store (with its group's name) before and after.
async fn record_store_change(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    action: &'static str,
    (before, group_before): (&stores::Model, Option<&str>),
    (after, group_after): (&stores::Model, Option<&str>),
) -> Result<(), DbErr> {
    audit::record(
        txn,
        actor,
        Change::new(action, "store", before.id)
            .store(Some(before.id))
            .before(store_json(before, group_before))
            .after(store_json(after, group_after)),
    )
    .await
}

fn store_json(store: &stores::Model, group_name: Option<&str>) -> Value {
    json!({
        "code": store.code,
        "name": store.name,
        "group_id": store.group_id,
        "group": group_name,
        "active": store.active,
    })
}

/// The stores the actor may see, by code.
pub async fn list_stores(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> Result<Vec<StoreView>, Error> {
    let groups = group_names(db).await?;
    let mut query = stores::Entity::find().order_by_asc(stores::Column::Code);
    if let Some(own) = actor.scope.store_filter() {
        query = query.filter(stores::Column::Id.eq(own));
    }
    Ok(query
        .all(db)
        .await?
        .into_iter()
        .map(|s| StoreView::new(s, &groups))
        .collect())
}

/// One store's page, if the actor may see it (another store's answers 404).
pub async fn get_store(
    db: &impl ConnectionTrait,
    actor: &Actor,
    store_id: i32,
) -> Result<StoreDetail, Error> {
    actor.scope.require_view_store(store_id)?;
    let store = stores::Entity::find_by_id(store_id)
        .one(db)
        .await?
        .ok_or_else(store_not_found)?;
    let groups = group_names(db).await?;
    let clerks = staff_accounts::Entity::find()
        .filter(staff_accounts::Column::StoreId.eq(store_id))
        .order_by_asc(staff_accounts::Column::Username)
        .all(db)
        .await?;
    Ok(StoreDetail {
        store: StoreView::new(store, &groups),
        clerks,
    })
}

pub struct NewStore {
    pub code: String,
    pub name: String,
    pub group_id: Option<i32>,
}

pub async fn create_store(
    db: &DatabaseConnection,
    actor: &Actor,
    new: NewStore,
) -> Result<stores::Model, Error> {
    actor.scope.require_hq()?;
    let code = parse_code(&new.code)?;
    let name = parse_name(&new.name, NameField::Store)?;
    let txn = db.begin().await?;
    let group_name = match new.group_id {
        Some(id) => Some(
            store_groups::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or_else(group_not_found)?
                .name,
        ),
        None => None,
    };
    let now = Utc::now();
    let store_name = name.into_string();
    let store = stores::ActiveModel {
        code: Set(code.to_string()),
        name: Set(store_name.clone()),
        group_id: Set(new.group_id),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|err| {
        if is_store_name_taken(&err) {
            Refusal::StoreNameTaken(store_name.clone()).into()
        } else {
            Error::unique_or(err, || Refusal::StoreCodeTaken(code.to_string()))
        }
    })?;
    audit::record(
        &txn,
        actor,
        Change::new("store.create", "store", store.id)
            .store(Some(store.id))
            .after(store_json(&store, group_name.as_deref())),
    )
    .await?;
    txn.commit().await?;
    Ok(store)
}

/// Loads a store inside a transaction for a change by HQ.
async fn store_for_change(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    store_id: i32,
) -> Result<(stores::Model, Option<String>), Error> {
    actor.scope.require_hq()?;
    let store = stores::Entity::find_by_id(store_id)
        .one(txn)
        .await?
        .ok_or_else(store_not_found)?;
    let group_name = match store.group_id {
        Some(id) => store_groups::Entity::find_by_id(id)
            .one(txn)
            .await?
            .map(|g| g.name),
        None => None,
    };
    Ok((store, group_name))
}

pub async fn rename_store(
    db: &DatabaseConnection,
    actor: &Actor,
    store_id: i32,
    name: &str,
) -> Result<(), Error> {
    actor.scope.require_hq()?;
    let name = parse_name(name, NameField::Store)?;
    let txn = db.begin().await?;
    let (before, group_name) = store_for_change(&txn, actor, store_id).await?;
    if before.name == name.as_str() {
        return Ok(());
    }
    let mut active = before.clone().into_active_model();
    active.name = Set(name.to_string());
    active.updated_at = Set(Utc::now());
    let after = active
        .update(&txn)
        .await
        .map_err(|err| name_taken_or(err, name.as_str()))?;
    let group = group_name.as_deref();
    record_store_change(
        &txn,
        actor,
        "store.rename",
        (&before, group),
        (&after, group),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn set_store_active(
    db: &DatabaseConnection,
    actor: &Actor,
    store_id: i32,
    active_now: bool,
) -> Result<(), Error> {
    let txn = db.begin().await?;
    let (before, group_name) = store_for_change(&txn, actor, store_id).await?;
    if before.active == active_now {
        return Ok(());
    }
    let mut active = before.clone().into_active_model();
    active.active = Set(active_now);
    active.updated_at = Set(Utc::now());
    let after = active.update(&txn).await?;
    let action = if active_now {
        "store.reactivate"
    } else {
        "store.deactivate"
    };
    let group = group_name.as_deref();
    record_store_change(&txn, actor, action, (&before, group), (&after, group)).await?;
    txn.commit().await?;
    Ok(())
}

/// Puts a store into a group (or none). The store leaves its old group in the same update: a
/// store has one `group_id`, so it is never in two groups, not even for a moment.
pub async fn set_store_group(
    db: &DatabaseConnection,
    actor: &Actor,
    store_id: i32,
    group_id: Option<i32>,
) -> Result<GroupMove, Error> {
    let txn = db.begin().await?;
    let (before, from) = store_for_change(&txn, actor, store_id).await?;
    let to = match group_id {
        Some(id) => Some(
            store_groups::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or_else(group_not_found)?
                .name,
        ),
        None => None,
    };
    let moved = GroupMove {
        store_name: before.name.clone(),
        from: from.clone(),
        to: to.clone(),
        changed: before.group_id != group_id,
    };
    if !moved.changed {
        return Ok(moved);
    }
    let mut active = before.clone().into_active_model();
    active.group_id = Set(group_id);
    active.updated_at = Set(Utc::now());
    let after = active.update(&txn).await?;
    record_store_change(
        &txn,
        actor,
        "store.set_group",
        (&before, from.as_deref()),
        (&after, to.as_deref()),
    )
    .await?;
    txn.commit().await?;
    Ok(moved)
}

pub async fn counts(db: &impl ConnectionTrait, actor: &Actor) -> Result<Counts, Error> {
    actor.scope.require_hq()?;
    Ok(Counts {
        stores: stores::Entity::find().count(db).await?,
        active_stores: stores::Entity::find()
            .filter(stores::Column::Active.eq(true))
            .count(db)
            .await?,
        groups: store_groups::Entity::find().count(db).await?,
        staff: staff_accounts::Entity::find()
            .filter(staff_accounts::Column::Active.eq(true))
            .count(db)
            .await?,
    })
}
