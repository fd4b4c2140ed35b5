//! `/admin/groups` (HQ): groups of stores; a store is in at most one.

use actix_web::HttpResponse;
use actix_web::web::{Data, Path};
use askama::Template;
use serde::Deserialize;

use super::{Nav, demo, render, see_other};
use crate::error::AppError;
use crate::http::staff::{CsrfForm, CurrentStaff};
use crate::services::stores::{self, GroupDetail, GroupMove, GroupView};
use crate::startup::AppState;

#[derive(Template)]
#[template(path = "admin/groups.html")]
pub struct GroupsPage {
    demo: bool,
    nav: Nav,
    groups: Vec<GroupView>,
    deleted: Option<String>,
}

async fn groups_page(
    state: &AppState,
    staff: &CurrentStaff,
    deleted: Option<String>,
) -> Result<HttpResponse, AppError> {
    let groups = stores::list_groups(&state.db, &staff.actor()).await?;
    render(&GroupsPage {
        demo: demo(state),
        nav: Nav::new(staff, "groups"),
        groups,
        deleted,
    })
}

pub async fn list(state: Data<AppState>, staff: CurrentStaff) -> Result<HttpResponse, AppError> {
    groups_page(&state, &staff, None).await
}

#[derive(Deserialize)]
pub struct NameForm {
    name: String,
}

pub async fn create(
    state: Data<AppState>,
    staff: CurrentStaff,
    CsrfForm(form): CsrfForm<NameForm>,
) -> Result<HttpResponse, AppError> {
    let group = stores::create_group(&state.db, &staff.actor(), &form.name).await?;
    Ok(see_other(format!("/admin/groups/{}", group.id)))
}

#[derive(Template)]
#[template(path = "admin/group.html")]
pub struct GroupPage {
    demo: bool,
    nav: Nav,
    group: GroupDetail,
    moved: Option<GroupMove>,
}

async fn group_page(
    state: &AppState,
    staff: &CurrentStaff,
    group_id: i32,
    moved: Option<GroupMove>,
) -> Result<HttpResponse, AppError> {
    let group = stores::get_group(&state.db, &staff.actor(), group_id).await?;
    render(&GroupPage {
        demo: demo(state),
        nav: Nav::new(staff, "groups"),
        group,
        moved,
    })
}

pub async fn show(
    state: Data<AppState>,
    staff: CurrentStaff,
    id: Path<i32>,
) -> Result<HttpResponse, AppError> {
    group_page(&state, &staff, id.into_inner(), None).await
}

pub async fn rename(
    state: Data<AppState>,
    staff: CurrentStaff,
    id: Path<i32>,
    CsrfForm(form): CsrfForm<NameForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    stores::rename_group(&state.db, &staff.actor(), id, &form.name).await?;
    Ok(see_other(format!("/admin/groups/{id}")))
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn delete(
    state: Data<AppState>,
    staff: CurrentStaff,
    id: Path<i32>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let name = stores::delete_group(&state.db, &staff.actor(), id.into_inner()).await?;
    groups_page(&state, &staff, Some(name)).await
}

#[derive(Deserialize)]
pub struct AddStoreForm {
    store_id: i32,
}

/// Puts a store into this group, taking it out of its old one; the page says which.
pub async fn add_store(
    state: Data<AppState>,
    staff: CurrentStaff,
    id: Path<i32>,
    CsrfForm(form): CsrfForm<AddStoreForm>,
) -> Result<HttpResponse, AppError> {
    let group_id = id.into_inner();
    let moved =
        stores::set_store_group(&state.db, &staff.actor(), form.store_id, Some(group_id)).await?;
    group_page(&state, &staff, group_id, Some(moved)).await
}
