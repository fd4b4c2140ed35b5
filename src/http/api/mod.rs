//! The JSON API under `/api/v1`, for merchants who script their setup: the same services as the
//! admin pages, so the same scope rules and the same refusals. Callers authenticate with a bearer
//! token or a staff session (see `http::staff`); errors are the JSON of `http::error`.
//!
//! [`ROUTES`] and [`routes`] come from one table (the `api_routes!` invocation below), so the
//! list the OpenAPI document is tested against is exactly what is served.

mod accounts;
mod audit;
pub mod orders;
mod reports;
mod setup;
mod stores;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use serde::Serialize;
use serde_json::json;

use crate::http::error::AppError;
use crate::http::staff::{Staff, Via};

/// The OpenAPI 3.0 document describing every route below (`docs/openapi.json`).
pub const OPENAPI_JSON: &str = include_str!("../../../docs/openapi.json");
/// Where the API is mounted; the OpenAPI document's `servers` entry.
pub const BASE_PATH: &str = "/api/v1";

/// `{"active": bool}`: the body that (de)activates a store or an account.
#[derive(serde::Deserialize)]
struct ActiveJson {
    active: bool,
}

macro_rules! api_routes {
    ($($method:ident $path:literal => $handler:path;)*) => {
        /// Every route under [`BASE_PATH`] as `(method, path)`, exactly as registered.
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        pub fn routes(cfg: &mut web::ServiceConfig) {
            cfg.service(
                web::scope(BASE_PATH)
                    $(.route($path, web::$method().to($handler)))*
            );
        }
    };
}

api_routes! {
    get "/openapi.json" => openapi;
    get "/me" => me;
    get "/stores" => stores::list;
    post "/stores" => stores::create;
    get "/stores/{id}" => stores::show;
    put "/stores/{id}/name" => stores::rename;
    put "/stores/{id}/group" => stores::set_group;
    put "/stores/{id}/active" => stores::set_active;
    get "/groups" => stores::list_groups;
    post "/groups" => stores::create_group;
    get "/groups/{id}" => stores::show_group;
    put "/groups/{id}/name" => stores::rename_group;
    delete "/groups/{id}" => stores::delete_group;
    get "/accounts" => accounts::list;
    post "/accounts" => accounts::create;
    put "/accounts/{id}/active" => accounts::set_active;
    post "/accounts/{id}/reset-password" => accounts::reset_password;
    get "/setup" => setup::show;
    put "/setup/items/{key}" => setup::answer;
    post "/setup/checks" => setup::run_checks;
    put "/setup/settings" => setup::update_settings;
    post "/setup/activation" => setup::activate;
    delete "/setup/activation" => setup::deactivate;
    get "/audit" => audit::list;
    post "/orders" => orders::create;
    get "/reports/sales" => reports::sales;
    get "/reports/sales/orders.csv" => reports::sales_orders_csv;
}

/// A JSON answer; API answers are personal, so never cached.
fn json(status: StatusCode, body: &impl Serialize) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body))
}

fn ok(body: &impl Serialize) -> Result<HttpResponse, AppError> {
    json(StatusCode::OK, body)
}

fn created(body: &impl Serialize) -> Result<HttpResponse, AppError> {
    json(StatusCode::CREATED, body)
}

/// The document is public: it describes the API, it grants nothing.
async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI_JSON)
}

/// Who the caller is; with a session, also the CSRF token that unsafe calls must send.
async fn me(staff: Staff) -> Result<HttpResponse, AppError> {
    let (auth, csrf_token, token_name) = match &staff.via {
        Via::Session { csrf_token, .. } => ("session", Some(csrf_token.as_str()), None),
        Via::Token { name, .. } => ("token", None, Some(name.as_str())),
    };
    ok(&json!({
        "id": staff.id,
        "username": staff.username,
        "display_name": staff.display_name,
        "role": staff.role,
        "store_id": staff.store_id,
        "auth": auth,
        "csrf_token": csrf_token,
        "token_name": token_name,
    }))
}
