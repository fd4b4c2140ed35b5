//! `/clerk`: the clerk's phone view (staff sign-in and session of the admin). The clerk's own QR
//! code full screen, a member found by whole phone number or member card, 新增門市消費 and its
//! void. Pages are `templates/clerk/`, made for a phone held in one hand (360 px and up).
//!
//! A lookup or a purchase that is refused shows the same page again with the message and what
//! was typed, so nothing is lost; a recorded purchase answers 303 to its own page, so reloading
//! that page never submits again (and a second submit of the same form is the same record).

use actix_web::http::StatusCode;
use actix_web::web::{Data, Path, Query};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use serde::Deserialize;

use crate::http::error::{AppError, Message};
use crate::http::layout::Layout;
use crate::http::staff::{CsrfForm, Staff};
use crate::services::Context;
use crate::services::clerk::{
    self, ClerkError, Desk, DeskStore, FoundMember, Lookup, PurchaseForm, PurchaseView, QrOwner,
    StoreChoice,
};
use crate::services::orders::in_store::new_purchase_key;

pub fn routes(cfg: &mut actix_web::web::ServiceConfig) {
    use actix_web::web::{get, post};
    cfg.route("/clerk", get().to(home))
        .route("/clerk/qr", get().to(qr))
        .route("/clerk/member", get().to(member))
        .route("/clerk/purchases", post().to(record))
        .route("/clerk/purchases/{id}", get().to(purchase))
        .route("/clerk/purchases/{id}/void", post().to(void));
}

/// A refusal shown on the page; unexpected errors are not pages of ours.
fn shown(err: ClerkError) -> Result<(StatusCode, Message), AppError> {
    let err = AppError::from(err);
    match err {
        AppError::Unexpected(_) => Err(err),
        err => Ok((err.status_code(), err.message())),
    }
}

fn secret(ctx: &Context) -> &[u8] {
    ctx.settings.secret_key.expose().as_bytes()
}

/// Who is signed in, as the header says it.
struct Who {
    name: String,
    is_hq: bool,
    csrf_token: String,
}

impl Who {
    fn of(staff: &Staff) -> Self {
        let name = if staff.display_name.trim().is_empty() {
            staff.username.clone()
        } else {
            staff.display_name.clone()
        };
        Self {
            name,
            is_hq: staff.is_hq(),
            csrf_token: staff.csrf_token().to_owned(),
        }
    }
}

#[derive(Deserialize)]
struct DeskQuery {
    #[serde(default)]
    store: String,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    card: Option<String>,
}

/// `?store=` as HQ picks it; store staff never need it.
fn requested_store(text: &str) -> Result<Option<i32>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| {
        AppError::bad_request(
            "選擇的門市不正確，請重新選擇。",
            "The chosen store is not valid; choose again.",
        )
    })
}

/// `?store=3` for HQ's links, nothing for store staff.
fn store_query(staff: &Staff, store: Option<&DeskStore>) -> String {
    match store {
        Some(store) if staff.is_hq() => format!("?store={}", store.id),
        _ => String::new(),
    }
}

#[derive(Template)]
#[template(path = "clerk/home.html")]
struct HomePage {
    layout: Layout,
    who: Who,
    store_query: String,
    desk: Option<Desk>,
    /// HQ without a store: the stores to pick from.
    stores: Vec<StoreChoice>,
    phone: String,
    card: String,
    error: Option<Message>,
}

fn render_status(page: &impl Template, status: StatusCode) -> Result<HttpResponse, AppError> {
    let html = page
        .render()
        .map_err(|err| AppError::Unexpected(anyhow::Error::new(err).context("rendering a page")))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(html))
}

async fn home_page(
    ctx: &Context,
    staff: &Staff,
    store: Option<DeskStore>,
    phone: String,
    card: String,
    error: Option<(StatusCode, Message)>,
) -> Result<HttpResponse, AppError> {
    let actor = staff.actor();
    let store_query = store_query(staff, store.as_ref());
    let (desk, stores) = match store {
        Some(store) => (Some(clerk::desk(&ctx.db, &actor, store).await?), Vec::new()),
        None => (None, clerk::pickable_stores(&ctx.db, &actor).await?),
    };
    let (status, error) = match error {
        Some((status, message)) => (status, Some(message)),
        None => (StatusCode::OK, None),
    };
    render_status(
        &HomePage {
            layout: Layout::public(ctx),
            who: Who::of(staff),
            store_query,
            desk,
            stores,
            phone,
            card,
            error,
        },
        status,
    )
}

async fn home(
    ctx: Data<Context>,
    staff: Staff,
    query: Query<DeskQuery>,
) -> Result<HttpResponse, AppError> {
    let store = clerk::desk_store(&ctx.db, &staff.actor(), requested_store(&query.store)?).await?;
    home_page(&ctx, &staff, store, String::new(), String::new(), None).await
}

#[derive(Template)]
#[template(path = "clerk/qr.html")]
struct QrPage {
    layout: Layout,
    who: Who,
    store_query: String,
    store_label: String,
    qr_token: String,
    clerk_card: bool,
}

/// The clerk's own QR code, full screen, for a shopper to scan.
async fn qr(
    ctx: Data<Context>,
    staff: Staff,
    query: Query<DeskQuery>,
) -> Result<HttpResponse, AppError> {
    let actor = staff.actor();
    let Some(store) = clerk::desk_store(&ctx.db, &actor, requested_store(&query.store)?).await?
    else {
        return Err(ClerkError::NoStore.into());
    };
    let store_query = store_query(&staff, Some(&store));
    let desk = clerk::desk(&ctx.db, &actor, store).await?;
    render_status(
        &QrPage {
            layout: Layout::public(&ctx),
            who: Who::of(&staff),
            store_query,
            store_label: desk.store.label,
            qr_token: desk.qr_token,
            clerk_card: desk.qr_owner == QrOwner::Clerk,
        },
        StatusCode::OK,
    )
}

#[derive(Template)]
#[template(path = "clerk/member.html")]
struct MemberPage {
    layout: Layout,
    who: Who,
    store_query: String,
    /// Where the purchase is entered; `None`: HQ picks it in the form.
    store: Option<DeskStore>,
    stores: Vec<StoreChoice>,
    member: FoundMember,
    idempotency_key: String,
    amount: String,
    receipt_no: String,
    note: String,
    error: Option<Message>,
}

/// A member found by `?phone=` (whole number) or `?card=` (the member card's code).
async fn member(
    ctx: Data<Context>,
    staff: Staff,
    query: Query<DeskQuery>,
) -> Result<HttpResponse, AppError> {
    let actor = staff.actor();
    let store = clerk::desk_store(&ctx.db, &actor, requested_store(&query.store)?).await?;
    let phone = query.phone.clone().unwrap_or_default();
    let card = query.card.clone().unwrap_or_default();
    let lookup = if !card.trim().is_empty() {
        Lookup::Card(&card)
    } else {
        Lookup::Phone(&phone)
    };
    match clerk::find_member(&ctx.db, secret(&ctx), &actor, lookup).await {
        Ok(member) => member_page(&ctx, &staff, store, member, MemberForm::fresh(), None).await,
        Err(err) => {
            let error = shown(err)?;
            home_page(&ctx, &staff, store, phone, card, Some(error)).await
        }
    }
}

/// The purchase form's fields, as typed.
struct MemberForm {
    idempotency_key: String,
    amount: String,
    receipt_no: String,
    note: String,
}

impl MemberForm {
    fn fresh() -> Self {
        Self {
            idempotency_key: new_purchase_key(),
            amount: String::new(),
            receipt_no: String::new(),
            note: String::new(),
        }
    }
}

async fn member_page(
    ctx: &Context,
    staff: &Staff,
    store: Option<DeskStore>,
    member: FoundMember,
    form: MemberForm,
    error: Option<(StatusCode, Message)>,
) -> Result<HttpResponse, AppError> {
    let stores = match store {
        Some(_) => Vec::new(),
        None => clerk::pickable_stores(&ctx.db, &staff.actor()).await?,
    };
    let (status, error) = match error {
        Some((status, message)) => (status, Some(message)),
        None => (StatusCode::OK, None),
    };
    render_status(
        &MemberPage {
            layout: Layout::public(ctx),
            who: Who::of(staff),
            store_query: store_query(staff, store.as_ref()),
            store,
            stores,
            member,
            idempotency_key: form.idempotency_key,
            amount: form.amount,
            receipt_no: form.receipt_no,
            note: form.note,
            error,
        },
        status,
    )
}

#[derive(Deserialize)]
struct RecordForm {
    #[serde(default)]
    store: String,
    #[serde(default)]
    member: String,
    #[serde(default)]
    idempotency_key: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    receipt_no: String,
    #[serde(default)]
    note: String,
}

/// 新增門市消費: 303 to the purchase's page; a refusal shows the form again as it was typed.
async fn record(
    ctx: Data<Context>,
    staff: Staff,
    form: CsrfForm<RecordForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let actor = staff.actor();
    // A store staff form naming another store was not made by our page: an error page.
    let store = clerk::desk_store(&ctx.db, &actor, requested_store(&form.store)?).await?;
    let recorded = match &store {
        Some(store) => {
            clerk::record(
                &ctx.db,
                secret(&ctx),
                &actor,
                PurchaseForm {
                    store_id: store.id,
                    pick: &form.member,
                    idempotency_key: &form.idempotency_key,
                    amount: &form.amount,
                    receipt_no: &form.receipt_no,
                    note: &form.note,
                },
            )
            .await
        }
        None => Err(ClerkError::NoStore),
    };
    let error = match recorded {
        Ok(recorded) => {
            let location = format!("/clerk/purchases/{}?recorded=1", recorded.order.sale.id);
            return Ok(HttpResponse::SeeOther()
                .insert_header((actix_web::http::header::LOCATION, location))
                .finish());
        }
        Err(err) => shown(err)?,
    };
    // The form again, with what was typed and the same key: a retry is still one record.
    match clerk::picked_member(&ctx.db, secret(&ctx), &actor, &form.member).await {
        Ok(member) => {
            member_page(
                &ctx,
                &staff,
                store,
                member,
                MemberForm {
                    idempotency_key: form.idempotency_key,
                    amount: form.amount,
                    receipt_no: form.receipt_no,
                    note: form.note,
                },
                Some(error),
            )
            .await
        }
        // The member itself is the problem: back to the lookup.
        Err(err) => {
            let error = shown(err)?;
            home_page(
                &ctx,
                &staff,
                store,
                String::new(),
                String::new(),
                Some(error),
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "clerk/purchase.html")]
struct PurchasePage {
    layout: Layout,
    who: Who,
    store_query: String,
    purchase: PurchaseView,
    just_recorded: bool,
    voided_now: bool,
    reason: String,
    error: Option<Message>,
}

#[derive(Deserialize)]
struct PurchaseQuery {
    #[serde(default)]
    recorded: Option<String>,
    #[serde(default)]
    voided: Option<String>,
}

async fn purchase(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i64>,
    query: Query<PurchaseQuery>,
) -> Result<HttpResponse, AppError> {
    let view = clerk::purchase(&ctx.db, &staff.actor(), id.into_inner()).await?;
    purchase_page(
        &ctx,
        &staff,
        view,
        query.recorded.is_some(),
        query.voided.is_some(),
        String::new(),
        None,
    )
}

fn purchase_page(
    ctx: &Context,
    staff: &Staff,
    purchase: PurchaseView,
    just_recorded: bool,
    voided_now: bool,
    reason: String,
    error: Option<(StatusCode, Message)>,
) -> Result<HttpResponse, AppError> {
    let store_query = match purchase.entry_store_id {
        Some(id) if staff.is_hq() => format!("?store={id}"),
        _ => String::new(),
    };
    let (status, error) = match error {
        Some((status, message)) => (status, Some(message)),
        None => (StatusCode::OK, None),
    };
    render_status(
        &PurchasePage {
            layout: Layout::public(ctx),
            who: Who::of(staff),
            store_query,
            purchase,
            just_recorded,
            voided_now,
            reason,
            error,
        },
        status,
    )
}

#[derive(Deserialize)]
struct VoidForm {
    #[serde(default)]
    reason: String,
}

/// Voids a purchase with a reason (audited); a refusal shows the purchase with the message.
async fn void(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i64>,
    form: CsrfForm<VoidForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let actor = staff.actor();
    match clerk::void(&ctx.db, &actor, id, &form.0.reason).await {
        Ok(()) => Ok(HttpResponse::SeeOther()
            .insert_header((
                actix_web::http::header::LOCATION,
                format!("/clerk/purchases/{id}?voided=1"),
            ))
            .finish()),
        Err(err) => {
            let error = shown(err)?;
            // Not found stays not found: the page of a purchase the clerk cannot see is an error.
            let view = clerk::purchase(&ctx.db, &actor, id).await?;
            purchase_page(&ctx, &staff, view, false, false, form.0.reason, Some(error))
        }
    }
}
