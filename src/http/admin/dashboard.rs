//! `/admin`: HQ sees the counts; store staff see their store's card.

use actix_web::HttpResponse;
use actix_web::web::Data;
use askama::Template;

use super::{Nav, demo, render};
use crate::error::AppError;
use crate::http::staff::CurrentStaff;
use crate::services::stores::{self, Counts, StoreView};
use crate::startup::AppState;

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
pub struct DashboardPage {
    demo: bool,
    nav: Nav,
    counts: Option<Counts>,
    store: Option<StoreView>,
}

pub async fn show(state: Data<AppState>, staff: CurrentStaff) -> Result<HttpResponse, AppError> {
    let actor = staff.actor();
    let (counts, store) = match staff.scope().store_filter() {
        None => (Some(stores::counts(&state.db, &actor).await?), None),
        Some(store_id) => (
            None,
            Some(stores::get_store(&state.db, &actor, store_id).await?.store),
        ),
    };
    render(&DashboardPage {
        demo: demo(&state),
        nav: Nav::new(&staff, "dashboard"),
        counts,
        store,
    })
}
