//! `/admin/conflicts` (HQ): the queue of LINE ids and phones owned by two different members, a
//! conflict's page with the merge rule spelled out, and the two ways to resolve it.

use actix_web::HttpResponse;
use actix_web::web::{Data, Path, Query};
use askama::Template;
use serde::Deserialize;

use super::{render, see_other};
use crate::db::entities::enums::ConflictStatus;
use crate::domain::members::BindingWinner;
use crate::http::error::AppError;
use crate::http::layout::Layout;
use crate::http::staff::{CsrfForm, Staff};
use crate::services::Context;
use crate::services::members::conflicts::{self, ConflictDetail, ConflictListItem};

#[derive(Template)]
#[template(path = "admin/conflicts.html")]
pub struct ConflictsPage {
    layout: Layout,
    conflicts: Vec<ConflictListItem>,
    kept_apart: bool,
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn list(
    ctx: Data<Context>,
    staff: Staff,
    query: Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let conflicts = conflicts::list_open(&ctx.db, &staff.actor()).await?;
    render(&ConflictsPage {
        layout: Layout::staff(&ctx, &staff, "conflicts"),
        conflicts,
        kept_apart: query.done.as_deref() == Some("kept_apart"),
    })
}

#[derive(Template)]
#[template(path = "admin/conflict.html")]
pub struct ConflictPage {
    layout: Layout,
    conflict: ConflictDetail,
}

impl ConflictPage {
    fn is_open(&self) -> bool {
        self.conflict.status == ConflictStatus::Open
    }

    fn status_label(&self) -> &'static str {
        match self.conflict.status {
            ConflictStatus::Open => "待處理 open",
            ConflictStatus::Merged => "已合併 merged",
            ConflictStatus::KeptApart => "分開保留 kept apart",
        }
    }

    fn line_binding_wins(&self) -> bool {
        self.conflict.plan.winner == BindingWinner::LineMember
    }

    fn no_binding(&self) -> bool {
        self.conflict.plan.winner == BindingWinner::Neither
    }
}

pub async fn show(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
) -> Result<HttpResponse, AppError> {
    let conflict = conflicts::get(&ctx.db, &staff.actor(), id.into_inner()).await?;
    render(&ConflictPage {
        layout: Layout::staff(&ctx, &staff, "conflicts"),
        conflict,
    })
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    note: String,
}

pub async fn merge(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    CsrfForm(form): CsrfForm<NoteForm>,
) -> Result<HttpResponse, AppError> {
    let kept = conflicts::merge(&ctx.db, &staff.actor(), id.into_inner(), &form.note).await?;
    Ok(see_other(format!("/admin/members/{kept}?done=merged")))
}

pub async fn keep_apart(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    CsrfForm(form): CsrfForm<NoteForm>,
) -> Result<HttpResponse, AppError> {
    conflicts::keep_apart(&ctx.db, &staff.actor(), id.into_inner(), &form.note).await?;
    Ok(see_other("/admin/conflicts?done=kept_apart"))
}
