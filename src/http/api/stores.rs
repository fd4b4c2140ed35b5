//! `/api/v1/stores` and `/api/v1/groups`: the same changes as the admin pages, as JSON.

use actix_web::HttpResponse;
use actix_web::web::{Data, Json, Path};
use serde::{Deserialize, Serialize};

use super::{ActiveJson, created, ok};
use crate::http::error::AppError;
use crate::http::staff::Staff;
use crate::services::Context;
use crate::services::stores::{self, GroupDetail, GroupMove, GroupView, NewStore, StoreView};

#[derive(Serialize)]
pub struct StoreJson {
    id: i32,
    code: String,
    name: String,
    group_id: Option<i32>,
    group_name: Option<String>,
    active: bool,
    /// How the member reads the binding: "北區｜台北信義店".
    binding_label: String,
}

impl From<StoreView> for StoreJson {
    fn from(s: StoreView) -> Self {
        Self {
            binding_label: s.binding_label(),
            id: s.id,
            code: s.code,
            name: s.name,
            group_id: s.group_id,
            group_name: s.group_name,
            active: s.active,
        }
    }
}

#[derive(Serialize)]
struct ClerkJson {
    id: i32,
    username: String,
    display_name: String,
    active: bool,
}

#[derive(Serialize)]
struct StoreDetailJson {
    #[serde(flatten)]
    store: StoreJson,
    clerks: Vec<ClerkJson>,
}

async fn store_detail(ctx: &Context, staff: &Staff, id: i32) -> Result<StoreDetailJson, AppError> {
    let detail = stores::get_store(&ctx.db, &staff.actor(), id).await?;
    Ok(StoreDetailJson {
        store: detail.store.into(),
        clerks: detail
            .clerks
            .into_iter()
            .map(|c| ClerkJson {
                id: c.id,
                username: c.username,
                display_name: c.display_name,
                active: c.active,
            })
            .collect(),
    })
}

pub async fn list(ctx: Data<Context>, staff: Staff) -> Result<HttpResponse, AppError> {
    let stores: Vec<StoreJson> = stores::list_stores(&ctx.db, &staff.actor())
        .await?
        .into_iter()
        .map(StoreJson::from)
        .collect();
    ok(&serde_json::json!({ "stores": stores }))
}

#[derive(Deserialize)]
pub struct NewStoreJson {
    code: String,
    name: String,
    #[serde(default)]
    group_id: Option<i32>,
}

pub async fn create(
    ctx: Data<Context>,
    staff: Staff,
    body: Json<NewStoreJson>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let store = stores::create_store(
        &ctx.db,
        &staff.actor(),
        NewStore {
            code: body.code,
            name: body.name,
            group_id: body.group_id,
        },
    )
    .await?;
    created(&store_detail(&ctx, &staff, store.id).await?)
}

pub async fn show(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
) -> Result<HttpResponse, AppError> {
    ok(&store_detail(&ctx, &staff, id.into_inner()).await?)
}

#[derive(Deserialize)]
pub struct NameJson {
    name: String,
}

pub async fn rename(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    body: Json<NameJson>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    stores::rename_store(&ctx.db, &staff.actor(), id, &body.name).await?;
    ok(&store_detail(&ctx, &staff, id).await?)
}

#[derive(Deserialize)]
pub struct GroupChoiceJson {
    /// `null` takes the store out of its group.
    group_id: Option<i32>,
}

#[derive(Serialize)]
struct MovedJson {
    from: Option<String>,
    to: Option<String>,
    changed: bool,
}

impl From<GroupMove> for MovedJson {
    fn from(m: GroupMove) -> Self {
        Self {
            from: m.from,
            to: m.to,
            changed: m.changed,
        }
    }
}

/// Moves the store into a group (leaving its old one in the same transaction) or out of groups.
pub async fn set_group(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    body: Json<GroupChoiceJson>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let moved = stores::set_store_group(&ctx.db, &staff.actor(), id, body.group_id).await?;
    let store = store_detail(&ctx, &staff, id).await?;
    ok(&serde_json::json!({ "store": store, "moved": MovedJson::from(moved) }))
}

pub async fn set_active(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    body: Json<ActiveJson>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    stores::set_store_active(&ctx.db, &staff.actor(), id, body.active).await?;
    ok(&store_detail(&ctx, &staff, id).await?)
}

#[derive(Serialize)]
struct GroupJson {
    id: i32,
    name: String,
    store_count: u64,
}

impl From<GroupView> for GroupJson {
    fn from(g: GroupView) -> Self {
        Self {
            id: g.id,
            name: g.name,
            store_count: g.store_count,
        }
    }
}

#[derive(Serialize)]
struct GroupDetailJson {
    id: i32,
    name: String,
    stores: Vec<StoreJson>,
}

impl From<GroupDetail> for GroupDetailJson {
    fn from(g: GroupDetail) -> Self {
        Self {
            id: g.id,
            name: g.name,
            stores: g.stores.into_iter().map(StoreJson::from).collect(),
        }
    }
}

pub async fn list_groups(ctx: Data<Context>, staff: Staff) -> Result<HttpResponse, AppError> {
    let groups: Vec<GroupJson> = stores::list_groups(&ctx.db, &staff.actor())
        .await?
        .into_iter()
        .map(GroupJson::from)
        .collect();
    ok(&serde_json::json!({ "groups": groups }))
}

pub async fn create_group(
    ctx: Data<Context>,
    staff: Staff,
    body: Json<NameJson>,
) -> Result<HttpResponse, AppError> {
    let actor = staff.actor();
    let group = stores::create_group(&ctx.db, &actor, &body.name).await?;
    created(&GroupDetailJson::from(
        stores::get_group(&ctx.db, &actor, group.id).await?,
    ))
}

pub async fn show_group(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
) -> Result<HttpResponse, AppError> {
    let group = stores::get_group(&ctx.db, &staff.actor(), id.into_inner()).await?;
    ok(&GroupDetailJson::from(group))
}

pub async fn rename_group(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    body: Json<NameJson>,
) -> Result<HttpResponse, AppError> {
    let (actor, id) = (staff.actor(), id.into_inner());
    stores::rename_group(&ctx.db, &actor, id, &body.name).await?;
    ok(&GroupDetailJson::from(
        stores::get_group(&ctx.db, &actor, id).await?,
    ))
}

/// Deletes an empty group; a group with stores is refused (409) with how many.
pub async fn delete_group(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
) -> Result<HttpResponse, AppError> {
    stores::delete_group(&ctx.db, &staff.actor(), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
