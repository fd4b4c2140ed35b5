//! The staff admin under `/admin`: sign-in, dashboard, stores, groups, accounts, audit log,
//! members (list, rebinding, reassignment, conflicts, personal data) and reports and sales.
//! Pages are askama templates under `templates/admin/`. Every handler takes [`Staff`] (or
//! [`CsrfForm`] for POSTs) and passes `staff.actor()` to a service, which checks the scope.

mod accounts;
mod api_tokens;
mod audit;
mod auth;
mod conflicts;
mod dashboard;
mod groups;
mod members;
mod posters;
mod reports;
pub(crate) mod sales;
mod sales_settings;
mod setup;
mod stores;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::http::error::AppError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            .route("", web::get().to(dashboard::show))
            .route("/", web::get().to(dashboard::show))
            .route("/login", web::get().to(auth::login_page))
            .route("/login", web::post().to(auth::login))
            .route("/logout", web::post().to(auth::logout))
            .route("/password", web::get().to(accounts::password_page))
            .route("/password", web::post().to(accounts::change_password))
            .route("/stores", web::get().to(stores::list))
            .route("/stores", web::post().to(stores::create))
            .route("/stores/export.csv", web::get().to(stores::export))
            .route("/stores/import", web::get().to(stores::import_page))
            .service(
                web::resource("/stores/import")
                    .app_data(web::PayloadConfig::new(stores::MAX_IMPORT_BYTES))
                    .route(web::post().to(stores::import)),
            )
            .route("/stores/{id}", web::get().to(stores::show))
            .route("/stores/{id}/rename", web::post().to(stores::rename))
            .route("/stores/{id}/group", web::post().to(stores::set_group))
            .route(
                "/stores/{id}/deactivate",
                web::post().to(stores::deactivate),
            )
            .route(
                "/stores/{id}/reactivate",
                web::post().to(stores::reactivate),
            )
            .configure(poster_routes)
            .route("/groups", web::get().to(groups::list))
            .route("/groups", web::post().to(groups::create))
            .route("/groups/{id}", web::get().to(groups::show))
            .route("/groups/{id}/rename", web::post().to(groups::rename))
            .route("/groups/{id}/delete", web::post().to(groups::delete))
            .route("/groups/{id}/stores", web::post().to(groups::add_store))
            .route("/accounts", web::get().to(accounts::list))
            .route("/accounts", web::post().to(accounts::create))
            .route(
                "/accounts/{id}/deactivate",
                web::post().to(accounts::deactivate),
            )
            .route(
                "/accounts/{id}/reactivate",
                web::post().to(accounts::reactivate),
            )
            .route(
                "/accounts/{id}/reset-password",
                web::post().to(accounts::reset_password),
            )
            .route("/audit", web::get().to(audit::list))
            .route("/setup", web::get().to(setup::show))
            .route("/setup/items/{key}", web::post().to(setup::answer))
            .route("/setup/check", web::post().to(setup::check))
            .route("/setup/settings", web::post().to(setup::save_settings))
            .route("/setup/activate", web::post().to(setup::activate))
            .route("/setup/deactivate", web::post().to(setup::deactivate))
            .route("/setup/demo-route", web::post().to(setup::demo_route))
            .configure(sales_routes)
            .route("/api-tokens", web::get().to(api_tokens::list))
            .route("/api-tokens", web::post().to(api_tokens::create))
            .route(
                "/api-tokens/{id}/revoke",
                web::post().to(api_tokens::revoke),
            )
            .configure(member_routes),
    );
}

/// Sales settings: attribution, web-shop webhook secrets, per-store purchase entry.
fn sales_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/sales-settings", web::get().to(sales_settings::show))
        .route(
            "/sales-settings/attribution",
            web::post().to(sales_settings::save_rules),
        )
        .route(
            "/sales-settings/secrets/{shop}",
            web::post().to(sales_settings::set_secret),
        )
        .route(
            "/sales-settings/secrets/{shop}/clear",
            web::post().to(sales_settings::clear_secret),
        )
        .route(
            "/stores/{id}/purchase-entry",
            web::post().to(sales_settings::set_purchase_entry),
        );
}

/// QR posters and clerk cards, and HQ's rotation and revocation of their codes.
fn poster_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/posters", web::get().to(posters::all_posters))
        .route("/stores/{id}/poster", web::get().to(posters::store_poster))
        .route(
            "/stores/{id}/clerks/{staff_id}/card",
            web::get().to(posters::clerk_card),
        )
        .route(
            "/stores/{id}/qr/rotate",
            web::post().to(posters::rotate_store),
        )
        .route(
            "/stores/{id}/qr/revoke",
            web::post().to(posters::revoke_store),
        )
        .route(
            "/stores/{id}/clerks/{staff_id}/qr/rotate",
            web::post().to(posters::rotate_clerk),
        )
        .route(
            "/stores/{id}/clerks/{staff_id}/qr/revoke",
            web::post().to(posters::revoke_clerk),
        );
}

/// Members, binding changes, conflicts and reports.
fn member_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/members", web::get().to(members::list))
        .route("/members/export.csv", web::get().to(members::export))
        .route("/members/reassign", web::get().to(members::reassign_page))
        .route("/members/reassign", web::post().to(members::reassign))
        .route("/members/{id}", web::get().to(members::show))
        .route("/members/{id}/rebind", web::post().to(members::rebind))
        .route(
            "/members/{id}/export.json",
            web::get().to(members::export_personal_data),
        )
        .route("/members/{id}/erase", web::post().to(members::erase))
        .route("/binding-changes", web::get().to(members::changes))
        .route("/binding-changes/{id}/undo", web::post().to(members::undo))
        .route("/conflicts", web::get().to(conflicts::list))
        .route("/conflicts/{id}", web::get().to(conflicts::show))
        .route("/conflicts/{id}/merge", web::post().to(conflicts::merge))
        .route(
            "/conflicts/{id}/keep-apart",
            web::post().to(conflicts::keep_apart),
        )
        .route("/reports", web::get().to(reports::show))
        .route("/sales", web::get().to(sales::show))
        .route("/sales/export.csv", web::get().to(sales::export));
}

/// A rendered page; admin pages are personal, so never cached.
fn render(page: &impl Template) -> Result<HttpResponse, AppError> {
    render_status(page, actix_web::http::StatusCode::OK)
}

fn render_status(
    page: &impl Template,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, AppError> {
    let html = page
        .render()
        .map_err(|err| AppError::Unexpected(anyhow::Error::new(err).context("rendering a page")))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html))
}

/// 303 to another admin page after a change.
fn see_other(location: impl Into<String>) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.into()))
        .finish()
}

/// A `<select>` value: "" means none.
fn optional_id(text: &str) -> Result<Option<i32>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| {
        AppError::bad_request(
            "選擇的項目不正確，請重新選擇。",
            "The chosen item is not valid; choose again.",
        )
    })
}

/// A time as staff read it: Taiwan time (UTC+8), to the second.
fn taipei_time(at: chrono::DateTime<chrono::Utc>) -> String {
    let taipei = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    at.with_timezone(&taipei)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}
