//! Store groups (門市群組): list, create, rename, delete (only when empty).

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde_json::json;

use crate::db::entities::{store_groups, stores};
use crate::domain::stores::Name;
use crate::services::audit::{self, Actor, Change};
use crate::services::error::{Error, NameField, Refusal};

use super::{GroupDetail, GroupView, group_not_found, list_stores, parse_name};

pub async fn list_groups(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> Result<Vec<GroupView>, Error> {
    actor.scope.require_hq()?;
    let groups = store_groups::Entity::find()
        .order_by_asc(store_groups::Column::Name)
        .all(db)
        .await?;
    let all_stores = stores::Entity::find().all(db).await?;
    Ok(groups
        .into_iter()
        .map(|g| GroupView {
            store_count: all_stores
                .iter()
                .filter(|s| s.group_id == Some(g.id))
                .count() as u64,
            id: g.id,
            name: g.name,
        })
        .collect())
}

pub async fn get_group(
    db: &impl ConnectionTrait,
    actor: &Actor,
    group_id: i32,
) -> Result<GroupDetail, Error> {
    actor.scope.require_hq()?;
    let group = store_groups::Entity::find_by_id(group_id)
        .one(db)
        .await?
        .ok_or_else(group_not_found)?;
    let (stores, other_stores) = list_stores(db, actor)
        .await?
        .into_iter()
        .partition(|s| s.group_id == Some(group_id));
    Ok(GroupDetail {
        id: group.id,
        name: group.name,
        stores,
        other_stores,
    })
}

fn group_name_taken(name: &str) -> Refusal {
    Refusal::GroupNameTaken(name.to_owned())
}

pub async fn create_group(
    db: &DatabaseConnection,
    actor: &Actor,
    name: &str,
) -> Result<store_groups::Model, Error> {
    actor.scope.require_hq()?;
    let name = parse_name(name, NameField::Group)?;
    let txn = db.begin().await?;
    let group = insert_group(&txn, actor, &name, None).await?;
    txn.commit().await?;
    Ok(group)
}

pub(super) async fn insert_group(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    name: &Name,
    reason: Option<&str>,
) -> Result<store_groups::Model, Error> {
    let now = Utc::now();
    let group = store_groups::ActiveModel {
        name: Set(name.to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(|err| Error::unique_or(err, || group_name_taken(name.as_str())))?;
    let mut change =
        Change::new("group.create", "group", group.id).after(json!({ "name": group.name }));
    if let Some(reason) = reason {
        change = change.reason(reason);
    }
    audit::record(txn, actor, change).await?;
    Ok(group)
}

pub async fn rename_group(
    db: &DatabaseConnection,
    actor: &Actor,
    group_id: i32,
    name: &str,
) -> Result<(), Error> {
    actor.scope.require_hq()?;
    let name = parse_name(name, NameField::Group)?;
    let txn = db.begin().await?;
    let before = store_groups::Entity::find_by_id(group_id)
        .one(&txn)
        .await?
        .ok_or_else(group_not_found)?;
    if before.name == name.as_str() {
        return Ok(());
    }
    let mut active = before.clone().into_active_model();
    active.name = Set(name.to_string());
    active.updated_at = Set(Utc::now());
    active
        .update(&txn)
        .await
        .map_err(|err| Error::unique_or(err, || group_name_taken(name.as_str())))?;
    audit::record(
        &txn,
        actor,
        Change::new("group.rename", "group", group_id)
            .before(json!({ "name": before.name }))
            .after(json!({ "name": name.as_str() })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes an empty group. A group that still has stores is refused with how many; the
/// `ON DELETE RESTRICT` foreign key refuses it too if a store joins in the meantime.
pub async fn delete_group(
    db: &DatabaseConnection,
    actor: &Actor,
    group_id: i32,
) -> Result<String, Error> {
    actor.scope.require_hq()?;
    let txn = db.begin().await?;
    let group = store_groups::Entity::find_by_id(group_id)
        .one(&txn)
        .await?
        .ok_or_else(group_not_found)?;
    let members = stores::Entity::find()
        .filter(stores::Column::GroupId.eq(group_id))
        .count(&txn)
        .await?;
    let still_has_stores = || {
        Error::from(Refusal::GroupNotEmpty {
            name: group.name.clone(),
            stores: members,
        })
    };
    if members > 0 {
        return Err(still_has_stores());
    }
    store_groups::Entity::delete_by_id(group_id)
        .exec(&txn)
        .await
        .map_err(|err| {
            if matches!(
                err.sql_err(),
                Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_))
            ) {
                still_has_stores()
            } else {
                Error::from(err)
            }
        })?;
    audit::record(
        &txn,
        actor,
        Change::new("group.delete", "group", group_id).before(json!({ "name": group.name })),
    )
    .await?;
    txn.commit().await?;
    Ok(group.name)
}
