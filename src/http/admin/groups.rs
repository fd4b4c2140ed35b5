//! `/admin/groups` (HQ): groups of stores; a store is in at most one.

use actix_web::HttpResponse;
use actix_web::web::{Data, Path};
use askama::Template;
use serde::Deserialize;

use super::{render, see_other};
use crate::http::error::AppError;
use crate::http::layout::Layout;
use crate::http::staff::{CsrfForm, Staff};
use crate::services::Context;
use crate::services::stores::{self, GroupDetail, GroupMove, GroupView};

#[derive(Template)]
#[template(path = "admin/groups.html")]
pub struct GroupsPage {
    layout: Layout,
    groups: Vec<GroupView>,
    deleted: Option<String>,
}

async fn groups_page(
    ctx: &Context,
    staff: &Staff,
    deleted: Option<String>,
) -> Result<HttpResponse, AppError> {
    let groups = stores::list_groups(&ctx.db, &staff.actor()).await?;
    render(&GroupsPage {
        layout: Layout::staff(ctx, staff, "groups"),
        groups,
        deleted,
    })
}

pub async fn list(ctx: Data<Context>, staff: Staff) -> Result<HttpResponse, AppError> {
    groups_page(&ctx, &staff, None).await
}

#[derive(Deserialize)]
pub struct NameForm {
    name: String,
}

pub async fn create(
    ctx: Data<Context>,
    staff: Staff,
    CsrfForm(form): CsrfForm<NameForm>,
) -> Result<HttpResponse, AppError> {
    let group = stores::create_group(&ctx.db, &staff.actor(), &form.name).await?;
    Ok(see_other(format!("/admin/groups/{}", group.id)))
}

#[derive(Template)]
#[template(path = "admin/group.html")]
pub struct GroupPage {
    layout: Layout,
    group: GroupDetail,
    moved: Option<GroupMove>,
}

async fn group_page(
    ctx: &Context,
    staff: &Staff,
    group_id: i32,
    moved: Option<GroupMove>,
) -> Result<HttpResponse, AppError> {
    let group = stores::get_group(&ctx.db, &staff.actor(), group_id).await?;
    render(&GroupPage {
        layout: Layout::staff(ctx, staff, "groups"),
        group,
        moved,
    })
}

pub async fn show(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
) -> Result<HttpResponse, AppError> {
    group_page(&ctx, &staff, id.into_inner(), None).await
}

pub async fn rename(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    CsrfForm(form): CsrfForm<NameForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    stores::rename_group(&ctx.db, &staff.actor(), id, &form.name).await?;
    Ok(see_other(format!("/admin/groups/{id}")))
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn delete(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let name = stores::delete_group(&ctx.db, &staff.actor(), id.into_inner()).await?;
    groups_page(&ctx, &staff, Some(name)).await
}

#[derive(Deserialize)]
pub struct AddStoreForm {
    store_id: i32,
}

/// Puts a store into this group, taking it out of its old one; the page says which.
pub async fn add_store(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    CsrfForm(form): CsrfForm<AddStoreForm>,
) -> Result<HttpResponse, AppError> {
    let group_id = id.into_inner();
    let moved =
        stores::set_store_group(&ctx.db, &staff.actor(), form.store_id, Some(group_id)).await?;
    group_page(&ctx, &staff, group_id, Some(moved)).await
}
