//! Members in the admin: the list (filters, search, pages), its CSV export and a member's page.
//! HQ's changes live beside: [`rebinding`] (rebind, bulk reassignment, undo), [`conflicts`]
//! (LINE id and phone owned by two members) and [`personal_data`] (export and erasure).
//!
//! The scope is enforced here, not in templates: store staff get their own store's members only,
//! another store's member is "not found", and phones leave this module already masked for them.

mod detail;
pub use detail::{AttemptView, AuditEntryView, BindingView, MemberConflictView, MemberDetail, get};

pub mod conflicts;
mod directory;
pub mod personal_data;
pub mod rebinding;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{ExprTrait, Func, LikeExpr, NullOrdering};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait, Select,
};

use crate::db::entities::enums::{Route, StaffRole};
use crate::db::entities::{audit_log, bindings, members, staff_accounts, stores};
use crate::domain::access::Scope;
use crate::domain::members::{ERASED_LABEL, PhoneFragment, SearchTerm, local_phone, mask_phone};
use crate::domain::spreadsheet::safe_cell;
use crate::domain::taipei_time::{self, DayBounds};
use crate::services::audit::Actor;
use crate::services::error::{Error, Invalid, NotFound};

pub(crate) use directory::Directory;

pub const PAGE_SIZE: u64 = 50;

/// How much of a phone number the actor may see: HQ the whole number, store staff the ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneView {
    Full,
    Masked,
}

impl PhoneView {
    pub fn of(scope: Scope) -> Self {
        if scope.is_hq() {
            PhoneView::Full
        } else {
            PhoneView::Masked
        }
    }

    pub fn show(self, e164: &str) -> String {
        match self {
            PhoneView::Full => local_phone(e164),
            PhoneView::Masked => mask_phone(e164),
        }
    }
}

/// The list's filters; every one optional. The actor's scope is added on top, never replaced.
#[derive(Debug, Clone, Default)]
pub struct MemberFilter {
    pub store_id: Option<i32>,
    pub group_id: Option<i32>,
    pub clerk_id: Option<i32>,
    pub route: Option<Route>,
    /// Bound between these Taipei days (both included).
    pub bound: DayBounds,
    pub search: Option<SearchTerm>,
}

/// One member as the list and the CSV show it.
#[derive(Debug, Clone)]
pub struct MemberListItem {
    pub id: i32,
    /// The display name, or [`ERASED_LABEL`] for an erased member.
    pub name: String,
    pub erased: bool,
    /// Full (HQ) or masked (store staff); `None` without a phone.
    pub phone: Option<String>,
    pub line_linked: bool,
    pub store_code: Option<String>,
    pub store_name: Option<String>,
    pub group_name: Option<String>,
    pub clerk: Option<String>,
    pub route: Option<Route>,
    /// Taipei time, `2026-11-28 14:03:00`.
    pub bound_at: Option<String>,
}

pub struct MemberPage {
    pub items: Vec<MemberListItem>,
    pub page: u64,
    pub pages: u64,
    pub total: u64,
    pub phones: PhoneView,
}

#[derive(Debug, FromQueryResult)]
struct MemberRow {
    member_id: i32,
    member_name: Option<String>,
    phone_e164: Option<String>,
    line_user_id: Option<String>,
    erased_at: Option<DateTime<Utc>>,
    store_code: Option<String>,
    store_name: Option<String>,
    group_name: Option<String>,
    clerk_name: Option<String>,
    clerk_username: Option<String>,
    route: Option<Route>,
    bound_at: Option<DateTime<Utc>>,
}

impl MemberRow {
    fn into_item(self, phones: PhoneView) -> MemberListItem {
        let erased = self.erased_at.is_some();
        MemberListItem {
            id: self.member_id,
            name: member_label(erased, self.member_name.as_deref()),
            erased,
            phone: self.phone_e164.as_deref().map(|p| phones.show(p)),
            line_linked: self.line_user_id.is_some(),
            store_code: self.store_code,
            store_name: self.store_name,
            group_name: self.group_name,
            clerk: clerk_label(self.clerk_name.as_deref(), self.clerk_username.as_deref()),
            route: self.route,
            bound_at: self.bound_at.map(taipei_time::format),
        }
    }
}

/// How a member is named on every page.
pub fn member_label(erased: bool, display_name: Option<&str>) -> String {
    match (
        erased,
        display_name.map(str::trim).filter(|n| !n.is_empty()),
    ) {
        (true, _) => ERASED_LABEL.to_owned(),
        (false, Some(name)) => name.to_owned(),
        (false, None) => "（未提供名稱）".to_owned(),
    }
}

/// A clerk's name as shown: the display name, else the username.
pub(crate) fn clerk_label(display_name: Option<&str>, username: Option<&str>) -> Option<String> {
    display_name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .or(username)
        .map(str::to_owned)
}

/// `liff` → "LINE 一站完成", `phone` → "手機驗證".
pub fn route_label(route: Route) -> &'static str {
    match route {
        Route::Liff => "LINE 一站完成 (LIFF)",
        Route::Phone => "手機驗證 (phone)",
    }
}

fn member_not_found() -> Error {
    NotFound::Member.into()
}

/// `%` and `_` typed by a person are literal characters, not wildcards.
fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The list's query: members with their binding, store, group and clerk, filtered and scoped.
fn filtered(actor: &Actor, filter: &MemberFilter) -> Result<Select<members::Entity>, Error> {
    let mut query = members::Entity::find()
        .select_only()
        .column_as(members::Column::Id, "member_id")
        .column_as(members::Column::DisplayName, "member_name")
        .column_as(members::Column::PhoneE164, "phone_e164")
        .column_as(members::Column::LineUserId, "line_user_id")
        .column_as(members::Column::ErasedAt, "erased_at")
        .column_as(stores::Column::Code, "store_code")
        .column_as(stores::Column::Name, "store_name")
        .column_as(
            crate::db::entities::store_groups::Column::Name,
            "group_name",
        )
        .column_as(staff_accounts::Column::DisplayName, "clerk_name")
        .column_as(staff_accounts::Column::Username, "clerk_username")
        .column_as(bindings::Column::Route, "route")
        .column_as(bindings::Column::BoundAt, "bound_at")
        .join(JoinType::LeftJoin, members::Relation::Binding.def())
        .join(JoinType::LeftJoin, bindings::Relation::Store.def())
        .join(JoinType::LeftJoin, stores::Relation::StoreGroup.def())
        .join(JoinType::LeftJoin, bindings::Relation::Clerk.def());
    if let Some(own) = actor.scope.store_filter() {
        query = query.filter(bindings::Column::StoreId.eq(own));
    }
    if let Some(store_id) = filter.store_id {
        query = query.filter(bindings::Column::StoreId.eq(store_id));
    }
    if let Some(group_id) = filter.group_id {
        query = query.filter(stores::Column::GroupId.eq(group_id));
    }
    if let Some(clerk_id) = filter.clerk_id {
        query = query.filter(bindings::Column::ClerkId.eq(clerk_id));
    }
    if let Some(route) = filter.route {
        query = query.filter(bindings::Column::Route.eq(route));
    }
    let (from, to) = filter.bound.utc_bounds();
    if let Some(from) = from {
        query = query.filter(bindings::Column::BoundAt.gte(from));
    }
    if let Some(to) = to {
        query = query.filter(bindings::Column::BoundAt.lt(to));
    }
    match &filter.search {
        None => {}
        Some(SearchTerm::FullPhone(e164)) => {
            query = query.filter(members::Column::PhoneE164.eq(e164.as_str()));
        }
        Some(SearchTerm::PartialPhone(fragment)) => {
            // Store staff see phones masked; matching on part of a number would reveal the hidden
            // digits one guess at a time. They find a shopper by the whole number.
            if !actor.scope.is_hq() {
                return Err(Invalid::MemberSearch.into());
            }
            let pattern = match fragment {
                PhoneFragment::Prefix(prefix) => format!("{}%", like_literal(prefix)),
                PhoneFragment::Anywhere(digits) => format!("%{}%", like_literal(digits)),
            };
            query =
                query.filter(members::Column::PhoneE164.like(LikeExpr::new(pattern).escape('\\')));
        }
        Some(SearchTerm::Name(name)) => {
            let pattern = format!("%{}%", like_literal(&name.to_lowercase()));
            query = query.filter(
                Func::lower(sea_orm::sea_query::Expr::col((
                    members::Entity,
                    members::Column::DisplayName,
                )))
                .like(LikeExpr::new(pattern).escape('\\')),
            );
        }
    }
    // Newest binding first; members without a binding last; the id settles ties, so pages never
    // shift between two requests.
    Ok(query
        .order_by_with_nulls(bindings::Column::BoundAt, Order::Desc, NullOrdering::Last)
        .order_by_desc(members::Column::Id))
}

/// One page (from 1) of the members the actor may see, filtered.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &MemberFilter,
    page: u64,
) -> Result<MemberPage, Error> {
    let phones = PhoneView::of(actor.scope);
    let paginator = filtered(actor, filter)?
        .into_model::<MemberRow>()
        .paginate(db, PAGE_SIZE);
    let counts = paginator.num_items_and_pages().await?;
    let pages = std::cmp::max(counts.number_of_pages, 1);
    let page = page.clamp(1, pages);
    let items = paginator
        .fetch_page(page - 1)
        .await?
        .into_iter()
        .map(|row| row.into_item(phones))
        .collect();
    Ok(MemberPage {
        items,
        page,
        pages,
        total: counts.number_of_items,
        phones,
    })
}

/// The same filtered list as CSV (all pages), phones as the actor may see them: E.164 for HQ,
/// masked for store staff. Display names that a spreadsheet would run as a formula are defused.
/// No BOM: the handler adds it for spreadsheets.
pub async fn export_csv(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &MemberFilter,
) -> Result<String, Error> {
    let phones = PhoneView::of(actor.scope);
    let rows = filtered(actor, filter)?
        .into_model::<MemberRow>()
        .all(db)
        .await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let write = |out: &mut csv::Writer<Vec<u8>>, record: &[&str]| {
        out.write_record(record)
            .map_err(|err| Error::Unexpected(anyhow::Error::new(err).context("writing CSV")))
    };
    write(
        &mut out,
        &[
            "member_id",
            "display_name",
            "phone",
            "line_linked",
            "store_code",
            "store_name",
            "group_name",
            "clerk",
            "route",
            "bound_at",
        ],
    )?;
    for row in rows {
        // HQ's file carries the stored E.164 form (what a CRM imports unambiguously); store
        // staff's carries the masked form, as on their pages.
        let phone = match phones {
            PhoneView::Full => row.phone_e164.clone(),
            PhoneView::Masked => row.phone_e164.as_deref().map(mask_phone),
        };
        let item = row.into_item(phones);
        let id = item.id.to_string();
        let name = safe_cell(&item.name);
        let store_name = safe_cell(item.store_name.as_deref().unwrap_or_default());
        let group_name = safe_cell(item.group_name.as_deref().unwrap_or_default());
        let clerk = safe_cell(item.clerk.as_deref().unwrap_or_default());
        write(
            &mut out,
            &[
                &id,
                &name,
                phone.as_deref().unwrap_or_default(),
                if item.line_linked { "yes" } else { "no" },
                item.store_code.as_deref().unwrap_or_default(),
                &store_name,
                &group_name,
                &clerk,
                match item.route {
                    Some(Route::Liff) => "liff",
                    Some(Route::Phone) => "phone",
                    None => "",
                },
                item.bound_at.as_deref().unwrap_or_default(),
            ],
        )?;
    }
    let bytes = out
        .into_inner()
        .map_err(|err| Error::Unexpected(anyhow::anyhow!("finishing CSV: {err}")))?;
    String::from_utf8(bytes)
        .map_err(|err| Error::Unexpected(anyhow::Error::new(err).context("CSV is not UTF-8")))
}

/// What the list's filter menus offer the actor: only what their scope reaches.
pub struct FilterChoices {
    /// (id, "TP01 台北信義店")
    pub stores: Vec<(i32, String)>,
    /// HQ only.
    pub groups: Vec<(i32, String)>,
    /// (id, "TP01 · 小美")
    pub clerks: Vec<(i32, String)>,
}

pub async fn filter_choices(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> Result<FilterChoices, Error> {
    let directory = Directory::load(db).await?;
    let stores = directory.stores_in(actor.scope);
    let groups = if actor.scope.is_hq() {
        directory.groups_sorted()
    } else {
        Vec::new()
    };
    let clerks = directory.clerks_in(actor.scope);
    Ok(FilterChoices {
        stores: stores
            .into_iter()
            .map(|s| (s.id, format!("{} {}", s.code, s.name)))
            .collect(),
        groups,
        clerks,
    })
}

// ---- A member's page ----

/// Every audit row about the member, oldest first.
pub(crate) async fn audit_trail(
    db: &impl ConnectionTrait,
    member_id: i32,
) -> Result<Vec<audit_log::Model>, sea_orm::DbErr> {
    audit_log::Entity::find()
        .filter(audit_log::Column::EntityType.eq("member"))
        .filter(audit_log::Column::EntityId.eq(member_id.to_string()))
        .order_by_asc(audit_log::Column::OccurredAt)
        .order_by_asc(audit_log::Column::Id)
        .all(db)
        .await
}

/// Store staff accounts (clerks) may be referrers; HQ accounts may not.
pub(crate) fn is_clerk(account: &staff_accounts::Model) -> bool {
    account.role == StaffRole::Store && account.store_id.is_some()
}
