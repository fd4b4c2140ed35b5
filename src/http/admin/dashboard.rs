//! `/admin`: HQ sees the counts; store staff see their store's card; both see the last 30 days'
//! funnel (their own store's for store staff) as a server-rendered SVG chart.

use actix_web::HttpResponse;
use actix_web::web::Data;
use askama::Template;

use super::render;
use crate::http::error::AppError;
use crate::http::layout::Layout;
use crate::http::staff::Staff;
use crate::services::Context;
use crate::services::reports::{self, DashboardFunnel};
use crate::services::stores::{self, Counts, StoreView};

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
pub struct DashboardPage {
    layout: Layout,
    counts: Option<Counts>,
    store: Option<StoreView>,
    /// The last 30 days' funnel in the viewer's scope.
    funnel: DashboardFunnel,
    /// The chart's accessible title (names the store for store staff; escaped by the template).
    chart_title: String,
}

pub async fn show(ctx: Data<Context>, staff: Staff) -> Result<HttpResponse, AppError> {
    let actor = staff.actor();
    let (counts, store) = match staff.scope().store_filter() {
        None => (Some(stores::counts(&ctx.db, &actor).await?), None),
        Some(store_id) => (
            None,
            Some(stores::get_store(&ctx.db, &actor, store_id).await?.store),
        ),
    };
    let funnel = reports::dashboard(&ctx.db, &actor).await?;
    let chart_title = match &store {
        Some(store) => format!("{} 最近 30 天的綁定漏斗 (funnel, last 30 days)", store.name),
        None => "全部門市最近 30 天的綁定漏斗 (funnel, all stores, last 30 days)".to_owned(),
    };
    render(&DashboardPage {
        layout: Layout::staff(&ctx, &staff, "dashboard"),
        counts,
        store,
        funnel,
        chart_title,
    })
}
