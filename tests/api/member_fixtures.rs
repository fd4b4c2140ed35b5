//! Members, bindings and funnel events for the member and report tests: real bindings through
//! the binding service, then dates and clerks set directly where a scenario needs them.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::NotSet, ColumnTrait, EntityTrait, QueryFilter, Set};
use store_assistant::db::entities::enums::{FunnelStage, SmsStatus, StaffRole};
use store_assistant::db::entities::{bindings, funnel_events, journeys, sms_messages};
use store_assistant::services::binding::{self, Identity};

use store_assistant::domain::journey::JourneyId;
use store_assistant::domain::line_user::LineUserId;
use store_assistant::domain::phone::TaiwanMobile;

use crate::helpers::TestApp;

/// A journey of the store, with the clerk whose card was scanned.
pub async fn journey(app: &TestApp, store_id: i32, clerk_id: Option<i32>) -> JourneyId {
    let journey = app.seed_journey(store_id, Duration::hours(72)).await;
    if clerk_id.is_some() {
        journeys::Entity::update_many()
            .col_expr(journeys::Column::ClerkId, Expr::value(clerk_id))
            .filter(journeys::Column::Id.eq(journey.id.clone()))
            .exec(&app.db)
            .await
            .unwrap();
    }
    journey.id
}

/// A member bound through route A (LINE); returns the member id.
pub async fn line_member(
    app: &TestApp,
    store_id: i32,
    clerk_id: Option<i32>,
    user_id: &str,
    name: &str,
) -> i32 {
    let journey = journey(app, store_id, clerk_id).await;
    binding::bind(
        &app.db,
        &journey,
        Identity::Line {
            user_id: LineUserId::from_line(user_id),
            display_name: Some(name.to_owned()),
            phone: None,
            id_token: None,
        },
    )
    .await
    .unwrap()
    .member_id
}

/// A member bound through route B (phone), maybe with the LINE id the journey established.
pub async fn phone_member(
    app: &TestApp,
    store_id: i32,
    clerk_id: Option<i32>,
    phone: &str,
    line_user_id: Option<&str>,
) -> i32 {
    let journey = journey(app, store_id, clerk_id).await;
    binding::bind(
        &app.db,
        &journey,
        Identity::Phone {
            phone: TaiwanMobile::parse(phone).unwrap(),
            line_user_id: line_user_id.map(LineUserId::from_line),
        },
    )
    .await
    .unwrap()
    .member_id
}

/// A clerk (store staff account) of the store; returns its id.
pub async fn clerk(app: &TestApp, store_id: i32) -> i32 {
    app.create_account(StaffRole::Store, Some(store_id)).await.0
}

/// Moves a member's binding time (both bound and updated, as a fresh binding has them).
pub async fn set_bound_at(app: &TestApp, member_id: i32, at: DateTime<Utc>) {
    bindings::Entity::update_many()
        .col_expr(bindings::Column::BoundAt, Expr::value(at))
        .col_expr(bindings::Column::UpdatedAt, Expr::value(at))
        .filter(bindings::Column::MemberId.eq(member_id))
        .exec(&app.db)
        .await
        .unwrap();
}

pub async fn binding_of(app: &TestApp, member_id: i32) -> Option<bindings::Model> {
    bindings::Entity::find()
        .filter(bindings::Column::MemberId.eq(member_id))
        .one(&app.db)
        .await
        .unwrap()
}

/// `count` funnel events of one stage at one instant.
pub async fn funnel(
    app: &TestApp,
    store_id: i32,
    clerk_id: Option<i32>,
    stage: FunnelStage,
    at: DateTime<Utc>,
    count: usize,
) {
    let rows = (0..count).map(|_| funnel_events::ActiveModel {
        id: NotSet,
        store_id: Set(store_id),
        clerk_id: Set(clerk_id),
        stage: Set(stage),
        journey_id: Set(None),
        occurred_at: Set(at),
    });
    funnel_events::Entity::insert_many(rows)
        .exec_without_returning(&app.db)
        .await
        .unwrap();
}

pub async fn sms(
    app: &TestApp,
    store_id: Option<i32>,
    status: SmsStatus,
    cost_units: i32,
    at: DateTime<Utc>,
) {
    sms_messages::Entity::insert(sms_messages::ActiveModel {
        id: NotSet,
        phone_e164: Set("+886912345678".to_owned()),
        store_id: Set(store_id),
        provider: Set("log".to_owned()),
        purpose: Set("otp".to_owned()),
        status: Set(status),
        provider_message_id: Set(None),
        cost_units: Set(cost_units),
        error: Set(None),
        sent_at: Set(at),
    })
    .exec_without_returning(&app.db)
    .await
    .unwrap();
}

/// An instant given in Taipei local time, e.g. `taipei("2026-11-10 23:59:59")`.
pub fn taipei(local: &str) -> DateTime<Utc> {
    DateTime::parse_from_str(&format!("{local} +0800"), "%Y-%m-%d %H:%M:%S %z")
        .unwrap()
        .with_timezone(&Utc)
}
