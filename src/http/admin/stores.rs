//! `/admin/stores`: the list, a store's page, and HQ's changes (create, rename, group,
//! (de)activate), plus the CSV import and export.

use actix_web::http::{StatusCode, header};
use actix_web::web::{Bytes, Data, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{optional_id, render, render_status, see_other};
use crate::db::entities::staff_accounts;
use crate::domain::store_csv::{CsvProblem, ProblemKind};
use crate::http::error::AppError;
use crate::http::layout::Layout;
use crate::http::staff::{CSRF_FIELD, CSRF_HEADER, CsrfForm, Staff};
use crate::services::Context;
use crate::services::stores::{
    self, GroupMove, GroupView, ImportError, ImportSummary, NewStore, StoreView,
};

/// An import is a few thousand rows at most; 2 MB is plenty.
pub const MAX_IMPORT_BYTES: usize = 2 * 1024 * 1024;

#[derive(Template)]
#[template(path = "admin/stores.html")]
pub struct StoresPage {
    layout: Layout,
    stores: Vec<StoreView>,
    groups: Vec<GroupView>,
}

pub async fn list(ctx: Data<Context>, staff: Staff) -> Result<HttpResponse, AppError> {
    let actor = staff.actor();
    let stores = stores::list_stores(&ctx.db, &actor).await?;
    let groups = if staff.is_hq() {
        stores::list_groups(&ctx.db, &actor).await?
    } else {
        Vec::new()
    };
    render(&StoresPage {
        layout: Layout::staff(&ctx, &staff, "stores"),
        stores,
        groups,
    })
}

#[derive(Deserialize)]
pub struct CreateForm {
    code: String,
    name: String,
    #[serde(default)]
    group_id: String,
}

pub async fn create(
    ctx: Data<Context>,
    staff: Staff,
    CsrfForm(form): CsrfForm<CreateForm>,
) -> Result<HttpResponse, AppError> {
    let store = stores::create_store(
        &ctx.db,
        &staff.actor(),
        NewStore {
            code: form.code,
            name: form.name,
            group_id: optional_id(&form.group_id)?,
        },
    )
    .await?;
    Ok(see_other(format!("/admin/stores/{}", store.id)))
}

#[derive(Template)]
#[template(path = "admin/store.html")]
pub struct StorePage {
    layout: Layout,
    store: StoreView,
    clerks: Vec<staff_accounts::Model>,
    /// Group choices (HQ only), with the store's current one marked.
    groups: Vec<(GroupView, bool)>,
    moved: Option<GroupMove>,
    /// The signed-in staff member (store staff get a link to their own clerk card).
    viewer_id: i32,
    /// What a QR code change just did (`?notice=qr_rotated`, ...).
    notice: Option<QrNotice>,
}

/// The result of a QR code change, shown on the store page it redirects to.
pub struct QrNotice {
    zh: &'static str,
    en: &'static str,
}

impl QrNotice {
    fn parse(text: &str) -> Option<Self> {
        let (zh, en) = match text {
            "qr_rotated" => (
                "已更換門市 QR Code：舊海報已停用，請列印新海報。",
                "The store's QR code was replaced: old posters no longer work; print the new one.",
            ),
            "qr_revoked" => (
                "已停用門市 QR Code：舊海報掃描後會請顧客洽門市人員。下次列印海報時會產生新的 QR Code。",
                "The store's QR code was revoked; the next poster printed gets a new code.",
            ),
            "clerk_qr_rotated" => (
                "已更換人員名片的 QR Code：舊名片已停用。",
                "The clerk card's QR code was replaced; the old card no longer works.",
            ),
            "clerk_qr_revoked" => (
                "已停用人員名片的 QR Code。",
                "The clerk card's QR code was revoked.",
            ),
            _ => return None,
        };
        Some(Self { zh, en })
    }
}

async fn store_page(
    ctx: &Context,
    staff: &Staff,
    store_id: i32,
    moved: Option<GroupMove>,
    notice: Option<QrNotice>,
) -> Result<HttpResponse, AppError> {
    let actor = staff.actor();
    let detail = stores::get_store(&ctx.db, &actor, store_id).await?;
    let groups = if staff.is_hq() {
        stores::list_groups(&ctx.db, &actor)
            .await?
            .into_iter()
            .map(|g| {
                let current = detail.store.group_id == Some(g.id);
                (g, current)
            })
            .collect()
    } else {
        Vec::new()
    };
    render(&StorePage {
        layout: Layout::staff(ctx, staff, "stores"),
        store: detail.store,
        clerks: detail.clerks,
        groups,
        moved,
        viewer_id: staff.id,
        notice,
    })
}

#[derive(Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    notice: String,
}

pub async fn show(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    query: Query<ShowQuery>,
) -> Result<HttpResponse, AppError> {
    let notice = QrNotice::parse(&query.notice);
    store_page(&ctx, &staff, id.into_inner(), None, notice).await
}

#[derive(Deserialize)]
pub struct NameForm {
    name: String,
}

pub async fn rename(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    CsrfForm(form): CsrfForm<NameForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    stores::rename_store(&ctx.db, &staff.actor(), id, &form.name).await?;
    Ok(see_other(format!("/admin/stores/{id}")))
}

#[derive(Deserialize)]
pub struct GroupForm {
    #[serde(default)]
    group_id: String,
}

/// Moves the store into the chosen group (or none) and says what happened on the store's page.
pub async fn set_group(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    CsrfForm(form): CsrfForm<GroupForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let moved =
        stores::set_store_group(&ctx.db, &staff.actor(), id, optional_id(&form.group_id)?).await?;
    store_page(&ctx, &staff, id, Some(moved), None).await
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn deactivate(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    stores::set_store_active(&ctx.db, &staff.actor(), id, false).await?;
    Ok(see_other(format!("/admin/stores/{id}")))
}

pub async fn reactivate(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    stores::set_store_active(&ctx.db, &staff.actor(), id, true).await?;
    Ok(see_other(format!("/admin/stores/{id}")))
}

/// The store list as CSV, with a BOM so spreadsheet programs read it as UTF-8.
pub async fn export(ctx: Data<Context>, staff: Staff) -> Result<HttpResponse, AppError> {
    let csv = stores::export_csv(&ctx.db, &staff.actor()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"stores.csv\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(format!("\u{FEFF}{csv}")))
}

#[derive(Template)]
#[template(path = "admin/store_import.html")]
pub struct ImportPage {
    layout: Layout,
    csv: String,
    problems: Vec<CsvProblem>,
    summary: Option<ImportSummary>,
}

pub async fn import_page(ctx: Data<Context>, staff: Staff) -> Result<HttpResponse, AppError> {
    staff.scope().require_hq()?;
    render(&ImportPage {
        layout: Layout::staff(&ctx, &staff, "stores"),
        csv: String::new(),
        problems: Vec::new(),
        summary: None,
    })
}

#[derive(Deserialize)]
struct PastedCsv {
    #[serde(default)]
    csv: String,
}

/// Takes the CSV either pasted into the form (`csv` field, url-encoded) or as the raw request
/// body (a file sent by the page's script or by `curl --data-binary`, with `X-CSRF-Token`).
pub async fn import(
    ctx: Data<Context>,
    req: HttpRequest,
    staff: Staff,
    body: Bytes,
) -> Result<HttpResponse, AppError> {
    let form_encoded = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let csv: Vec<u8> = if form_encoded {
        let submitted = url::form_urlencoded::parse(&body)
            .find(|(key, _)| key == CSRF_FIELD)
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default();
        staff.check_csrf(&submitted)?;
        let pasted: PastedCsv = serde_urlencoded::from_bytes(&body).map_err(|err| {
            AppError::bad_request(
                format!("送出的資料格式不正確：{err}"),
                format!("The submitted data is not in the expected format: {err}"),
            )
        })?;
        pasted.csv.into_bytes()
    } else {
        let submitted = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        staff.check_csrf(submitted)?;
        body.to_vec()
    };
    let shown = String::from_utf8_lossy(&csv).into_owned();
    let (problems, summary) = match stores::import_csv(&ctx.db, &staff.actor(), &csv).await {
        Ok(summary) => (Vec::new(), Some(summary)),
        Err(ImportError::Rejected(problems)) => (problems, None),
        Err(ImportError::Service(err)) => return Err(err.into()),
    };
    // A file refused because a name belongs to another store is a conflict (409); other refused
    // files answer 200. Either way the page lists every problem by line.
    let status = if problems
        .iter()
        .any(|p| matches!(p.kind, ProblemKind::NameInUse { .. }))
    {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    render_status(
        &ImportPage {
            layout: Layout::staff(&ctx, &staff, "stores"),
            csv: if summary.is_some() {
                String::new()
            } else {
                shown
            },
            problems,
            summary,
        },
        status,
    )
}
