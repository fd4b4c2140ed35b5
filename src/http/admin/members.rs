//! `/admin/members`: the list (filters, search, pages) and its CSV export, a member's page,
//! HQ's rebinding, bulk reassignment with preview and confirmation, the binding changes with
//! their same-day undo, and the member's personal data (JSON export, erasure).

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::{Data, Path, Query};
use askama::Template;
use serde::Deserialize;

use super::{optional_id, render, see_other};
use crate::db::entities::enums::{ConflictStatus, Route};
use crate::domain::members::SearchTerm;
use crate::domain::taipei_time::DayBounds;
use crate::http::error::AppError;
use crate::http::layout::Layout;
use crate::http::staff::{CsrfForm, Staff};
use crate::services::Context;
use crate::services::members::rebinding::{
    self, ChangeView, ReassignKind, ReassignPreview, ReassignRequest, RebindChoices, RebindRequest,
};
use crate::services::members::{
    self, MemberDetail, MemberFilter, MemberListItem, PhoneView, personal_data, route_label,
};

/// A `<select>` option: value, label, chosen.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub chosen: bool,
}

pub(super) fn choices(options: Vec<(i32, String)>, chosen: Option<i32>) -> Vec<Choice> {
    options
        .into_iter()
        .map(|(id, label)| Choice {
            value: id.to_string(),
            label,
            chosen: Some(id) == chosen,
        })
        .collect()
}

fn date_error(err: crate::domain::taipei_time::DateError) -> AppError {
    AppError::bad_request(err.zh(), format!("Date: {err}."))
}

#[derive(Deserialize, Default)]
pub struct MemberQuery {
    #[serde(default)]
    store_id: String,
    #[serde(default)]
    group_id: String,
    #[serde(default)]
    clerk_id: String,
    #[serde(default)]
    route: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    q: String,
    page: Option<u64>,
}

impl MemberQuery {
    fn filter(&self) -> Result<MemberFilter, AppError> {
        Ok(MemberFilter {
            store_id: optional_id(&self.store_id)?,
            group_id: optional_id(&self.group_id)?,
            clerk_id: optional_id(&self.clerk_id)?,
            route: match self.route.trim() {
                "" => None,
                "liff" => Some(Route::Liff),
                "phone" => Some(Route::Phone),
                _ => {
                    return Err(AppError::bad_request(
                        "綁定方式只能是 LIFF 或手機驗證。",
                        "The route is liff or phone.",
                    ));
                }
            },
            bound: DayBounds::parse(&self.from, &self.to).map_err(date_error)?,
            search: SearchTerm::parse(&self.q),
        })
    }

    /// The filters as a query string (no page), for page links and the CSV link.
    fn query_string(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("store_id", &self.store_id),
            ("group_id", &self.group_id),
            ("clerk_id", &self.clerk_id),
            ("route", &self.route),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
        ] {
            if !value.trim().is_empty() {
                query.append_pair(key, value.trim());
            }
        }
        query.finish()
    }
}

#[derive(Template)]
#[template(path = "admin/members.html")]
pub struct MembersPage {
    layout: Layout,
    members: Vec<MemberListItem>,
    page: u64,
    pages: u64,
    total: u64,
    full_phones: bool,
    stores: Vec<Choice>,
    groups: Vec<Choice>,
    clerks: Vec<Choice>,
    route: String,
    from: String,
    to: String,
    q: String,
    /// The filters as a query string (for page links and the CSV export).
    filters: String,
}

impl MembersPage {
    fn route_label(&self, route: &Option<Route>) -> &'static str {
        route.map(route_label).unwrap_or("")
    }
}

pub async fn list(
    ctx: Data<Context>,
    staff: Staff,
    query: Query<MemberQuery>,
) -> Result<HttpResponse, AppError> {
    let actor = staff.actor();
    let filter = query.filter()?;
    let found = members::list(&ctx.db, &actor, &filter, query.page.unwrap_or(1)).await?;
    let options = members::filter_choices(&ctx.db, &actor).await?;
    render(&MembersPage {
        layout: Layout::staff(&ctx, &staff, "members"),
        members: found.items,
        page: found.page,
        pages: found.pages,
        total: found.total,
        full_phones: found.phones == PhoneView::Full,
        stores: choices(options.stores, filter.store_id),
        groups: choices(options.groups, filter.group_id),
        clerks: choices(options.clerks, filter.clerk_id),
        route: query.route.trim().to_owned(),
        from: query.from.trim().to_owned(),
        to: query.to.trim().to_owned(),
        q: query.q.trim().to_owned(),
        filters: query.query_string(),
    })
}

/// The filtered list as CSV, with a BOM so Excel reads it as UTF-8 (zh-TW names intact).
pub async fn export(
    ctx: Data<Context>,
    staff: Staff,
    query: Query<MemberQuery>,
) -> Result<HttpResponse, AppError> {
    let csv = members::export_csv(&ctx.db, &staff.actor(), &query.filter()?).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"members.csv\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(format!("\u{FEFF}{csv}")))
}

#[derive(Template)]
#[template(path = "admin/member.html")]
pub struct MemberDetailPage {
    layout: Layout,
    member: MemberDetail,
    /// HQ only: where the member can be rebound.
    choices: Option<RebindChoices>,
    notice: Option<&'static str>,
}

impl MemberDetailPage {
    fn route_label(&self, route: &Route) -> &'static str {
        route_label(*route)
    }

    /// Whether `clerk_id` is the member's clerk now (to preselect it in the rebinding form).
    fn is_current_clerk(&self, clerk_id: &i32) -> bool {
        self.member
            .binding
            .as_ref()
            .is_some_and(|b| b.clerk_id == Some(*clerk_id))
    }

    fn status_label(&self, status: &ConflictStatus) -> &'static str {
        match status {
            ConflictStatus::Open => "待處理 open",
            ConflictStatus::Merged => "已合併 merged",
            ConflictStatus::KeptApart => "分開保留 kept apart",
        }
    }
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn show(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    query: Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let actor = staff.actor();
    let member = members::get(&ctx.db, &actor, id.into_inner()).await?;
    let choices = if staff.is_hq() {
        Some(rebinding::rebind_choices(&ctx.db, &actor).await?)
    } else {
        None
    };
    let notice = match query.done.as_deref() {
        Some("rebind") => Some("已改綁定，並記錄在稽核紀錄。Rebound and audited."),
        Some("erased") => Some(
            "已刪除這位會員的個人資料；綁定紀錄保留為匿名統計。Personal data erased; the binding stays as an anonymous count.",
        ),
        Some("merged") => Some("已合併兩位會員。The two members were merged."),
        _ => None,
    };
    render(&MemberDetailPage {
        layout: Layout::staff(&ctx, &staff, "members"),
        member,
        choices,
        notice,
    })
}

#[derive(Deserialize)]
pub struct RebindForm {
    #[serde(default)]
    store_id: String,
    #[serde(default)]
    clerk_id: String,
    #[serde(default)]
    reason: String,
}

pub async fn rebind(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    CsrfForm(form): CsrfForm<RebindForm>,
) -> Result<HttpResponse, AppError> {
    let member_id = id.into_inner();
    let to_store_id = optional_id(&form.store_id)?
        .ok_or_else(|| AppError::bad_request("請選擇門市。", "Choose a store."))?;
    rebinding::rebind(
        &ctx.db,
        &staff.actor(),
        RebindRequest {
            member_id,
            to_store_id,
            to_clerk_id: optional_id(&form.clerk_id)?,
            reason: form.reason,
        },
    )
    .await?;
    Ok(see_other(format!("/admin/members/{member_id}?done=rebind")))
}

/// The member's personal data as a JSON download (HQ; audited).
pub async fn export_personal_data(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
) -> Result<HttpResponse, AppError> {
    let member_id = id.into_inner();
    let data = personal_data::export(&ctx.db, &staff.actor(), member_id).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"member-{member_id}.json\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(data))
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

pub async fn erase(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    CsrfForm(form): CsrfForm<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    let member_id = id.into_inner();
    personal_data::erase(&ctx.db, &staff.actor(), member_id, &form.reason).await?;
    Ok(see_other(format!("/admin/members/{member_id}?done=erased")))
}

// ---- Bulk reassignment ----

#[derive(Deserialize, Default)]
pub struct ReassignQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    from_id: String,
    #[serde(default)]
    to_id: String,
    #[serde(default)]
    reason: String,
}

impl ReassignQuery {
    /// The request, once kind, from and to are all chosen.
    fn request(&self) -> Result<Option<ReassignRequest>, AppError> {
        if self.kind.trim().is_empty() {
            return Ok(None);
        }
        let kind = ReassignKind::parse(&self.kind)?;
        let pick = |text: &str| {
            optional_id(text)?.ok_or_else(|| {
                AppError::bad_request(
                    "請選擇要移出和移入的對象。",
                    "Choose where to move members from and to.",
                )
            })
        };
        Ok(Some(ReassignRequest {
            kind,
            from_id: pick(&self.from_id)?,
            to_id: pick(&self.to_id)?,
            reason: self.reason.clone(),
        }))
    }
}

#[derive(Template)]
#[template(path = "admin/reassign.html")]
pub struct ReassignPage {
    layout: Layout,
    clerks: Vec<(i32, String)>,
    stores: Vec<(i32, String)>,
    preview: Option<ReassignPreview>,
}

/// The reassignment form; with a choice made, the preview (count) and the confirmation form.
pub async fn reassign_page(
    ctx: Data<Context>,
    staff: Staff,
    query: Query<ReassignQuery>,
) -> Result<HttpResponse, AppError> {
    let actor = staff.actor();
    staff.scope().require_hq()?;
    let preview = match query.request()? {
        Some(request) => Some(rebinding::preview_reassign(&ctx.db, &actor, &request).await?),
        None => None,
    };
    let options = members::filter_choices(&ctx.db, &actor).await?;
    render(&ReassignPage {
        layout: Layout::staff(&ctx, &staff, "changes"),
        clerks: options.clerks,
        stores: options.stores,
        preview,
    })
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    from_id: String,
    #[serde(default)]
    to_id: String,
    #[serde(default)]
    reason: String,
    /// The count the preview showed.
    expected_count: u64,
}

pub async fn reassign(
    ctx: Data<Context>,
    staff: Staff,
    CsrfForm(form): CsrfForm<ConfirmForm>,
) -> Result<HttpResponse, AppError> {
    let query = ReassignQuery {
        kind: form.kind,
        from_id: form.from_id,
        to_id: form.to_id,
        reason: form.reason,
    };
    let request = query.request()?.ok_or_else(|| {
        AppError::bad_request(
            "請選擇要移轉人員的會員還是門市的會員。",
            "Choose whether to reassign a clerk's or a store's members.",
        )
    })?;
    let done = rebinding::reassign(&ctx.db, &staff.actor(), &request, form.expected_count).await?;
    Ok(see_other(format!(
        "/admin/binding-changes?change={}&moved={}",
        done.change_id, done.moved
    )))
}

// ---- Binding changes and undo ----

#[derive(Deserialize)]
pub struct ChangesQuery {
    page: Option<u64>,
    change: Option<i32>,
    moved: Option<u64>,
    undone: Option<i32>,
    restored: Option<u64>,
    not_restored: Option<u64>,
}

#[derive(Template)]
#[template(path = "admin/binding_changes.html")]
pub struct ChangesPage {
    layout: Layout,
    changes: Vec<ChangeView>,
    page: u64,
    pages: u64,
    /// (change id, members moved) after a reassignment.
    moved: Option<(i32, u64)>,
    /// (change id, restored, not restored) after an undo.
    undone: Option<(i32, u64, u64)>,
}

pub async fn changes(
    ctx: Data<Context>,
    staff: Staff,
    query: Query<ChangesQuery>,
) -> Result<HttpResponse, AppError> {
    let list = rebinding::list_changes(&ctx.db, &staff.actor(), query.page.unwrap_or(1)).await?;
    render(&ChangesPage {
        layout: Layout::staff(&ctx, &staff, "changes"),
        changes: list.changes,
        page: list.page,
        pages: list.pages,
        moved: query.change.zip(query.moved),
        undone: query.undone.map(|id| {
            (
                id,
                query.restored.unwrap_or(0),
                query.not_restored.unwrap_or(0),
            )
        }),
    })
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn undo(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let done = rebinding::undo(&ctx.db, &staff.actor(), id.into_inner()).await?;
    Ok(see_other(format!(
        "/admin/binding-changes?undone={}&restored={}&not_restored={}",
        done.change_id, done.restored, done.not_restored
    )))
}
