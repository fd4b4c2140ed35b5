//! The binding service: one member and one binding however often and however concurrently the
//! shopper submits; first binding wins; conflicts recorded, never merged.

use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use store_assistant::db::entities::enums::{AttemptOutcome, ConflictStatus, FunnelStage, Route};
use store_assistant::db::entities::{
    audit_log, binding_attempts, bindings, funnel_events, journeys, member_conflicts, members,
};
use store_assistant::domain::journey::JourneyId;
use store_assistant::domain::line_user::LineUserId;
use store_assistant::domain::phone::TaiwanMobile;
use store_assistant::services::binding::{self, BindError, BindOutcome, Identity};

use crate::helpers::{TestApp, spawn_app};

async fn store_with_journey(app: &TestApp, code: &str, group: Option<&str>) -> (i32, JourneyId) {
    let store_id = app.seed_store(code, group).await;
    let journey = app.seed_journey(store_id, Duration::hours(72)).await;
    (store_id, journey.id)
}

async fn journey_for(app: &TestApp, store_id: i32, valid_for: Duration) -> JourneyId {
    app.seed_journey(store_id, valid_for).await.id
}

fn line(user_id: &str) -> Identity {
    Identity::Line {
        user_id: LineUserId::from_line(user_id),
        display_name: Some("小明".to_owned()),
        phone: None,
        id_token: None,
    }
}

fn phone(phone: &str, line_user_id: Option<&str>) -> Identity {
    Identity::Phone {
        phone: TaiwanMobile::parse(phone).unwrap(),
        line_user_id: line_user_id.map(LineUserId::from_line),
    }
}

#[tokio::test]
async fn a_verified_line_user_becomes_a_member_bound_to_the_journeys_store() {
    let app = spawn_app().await;
    let (store_id, journey) = store_with_journey(&app, "TP001", Some("北區")).await;

    let result = binding::bind(&app.db, &journey, line("U001"))
        .await
        .unwrap();

    assert_eq!(result.outcome, BindOutcome::Bound);
    assert_eq!(result.bound_to.display_name(), "北區｜TP001 店");
    let member = members::Entity::find_by_id(result.member_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(member.line_user_id.as_deref(), Some("U001"));
    assert!(member.consent_at.is_some());
    let binding = bindings::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (binding.member_id, binding.store_id, binding.route),
        (member.id, store_id, Route::Liff)
    );
    let journey_row = journeys::Entity::find_by_id(journey)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(journey_row.member_id, Some(member.id));
    assert!(journey_row.completed_at.is_some());
    let bound_events = funnel_events::Entity::find()
        .filter(funnel_events::Column::Stage.eq(FunnelStage::Bound))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(bound_events, 1);
    let audits = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("binding.created"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(audits, 1);
}

#[tokio::test]
async fn fifty_concurrent_binds_of_the_same_line_user_give_one_member_and_one_binding() {
    let app = spawn_app().await;
    let (_, journey) = store_with_journey(&app, "TP001", None).await;
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let db = app.db.clone();
            let journey = journey.clone();
            tokio::spawn(async move { binding::bind(&db, &journey, line("U-same")).await })
        })
        .collect();
    let mut bound = 0;
    for task in tasks {
        match task.await.unwrap().unwrap().outcome {
            BindOutcome::Bound => bound += 1,
            BindOutcome::AlreadyBoundHere => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(bound, 1, "exactly one request creates the binding");
    assert_eq!(members::Entity::find().count(&app.db).await.unwrap(), 1);
    assert_eq!(bindings::Entity::find().count(&app.db).await.unwrap(), 1);
}

#[tokio::test]
async fn fifty_concurrent_phone_verifications_give_one_member_and_one_binding() {
    let app = spawn_app().await;
    let (_, journey) = store_with_journey(&app, "TP001", None).await;
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let db = app.db.clone();
            let journey = journey.clone();
            tokio::spawn(
                async move { binding::bind(&db, &journey, phone("+886912345678", None)).await },
            )
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(members::Entity::find().count(&app.db).await.unwrap(), 1);
    assert_eq!(bindings::Entity::find().count(&app.db).await.unwrap(), 1);
}

#[tokio::test]
async fn a_bound_member_scanning_another_store_keeps_the_first_binding_and_the_attempt_is_recorded()
{
    let app = spawn_app().await;
    let (first_store, first) = store_with_journey(&app, "TP001", None).await;
    let (second_store, second) = store_with_journey(&app, "NT002", None).await;
    binding::bind(&app.db, &first, line("U001")).await.unwrap();

    let result = binding::bind(&app.db, &second, line("U001")).await.unwrap();

    assert_eq!(result.outcome, BindOutcome::AlreadyBoundElsewhere);
    assert_eq!(result.bound_to.store_id, first_store);
    let binding = bindings::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(binding.store_id, first_store, "nothing is overwritten");
    let attempt = binding_attempts::Entity::find()
        .filter(binding_attempts::Column::StoreId.eq(second_store))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the second store's attempt is recorded");
    assert_eq!(attempt.outcome, AttemptOutcome::AlreadyBound);
    assert_eq!(attempt.bound_store_id, Some(first_store));
}

#[tokio::test]
async fn an_expired_journey_binds_nothing() {
    let app = spawn_app().await;
    let (store_id, _) = store_with_journey(&app, "TP001", None).await;
    let expired = journey_for(&app, store_id, Duration::seconds(-1)).await;

    let err = binding::bind(&app.db, &expired, line("U001"))
        .await
        .unwrap_err();

    assert!(matches!(err, BindError::JourneyExpired), "{err:?}");
    assert_eq!(members::Entity::find().count(&app.db).await.unwrap(), 0);
    assert_eq!(bindings::Entity::find().count(&app.db).await.unwrap(), 0);
    let attempt = binding_attempts::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(attempt.outcome, AttemptOutcome::Expired);
}

#[tokio::test]
async fn an_unknown_journey_is_refused() {
    let app = spawn_app().await;
    let err = binding::bind(&app.db, &JourneyId::generate(), line("U001"))
        .await
        .unwrap_err();
    assert!(matches!(err, BindError::JourneyNotFound), "{err:?}");
}

#[tokio::test]
async fn a_phone_member_gets_the_journeys_line_user_id_linked() {
    let app = spawn_app().await;
    let (_, journey) = store_with_journey(&app, "TP001", None).await;
    let result = binding::bind(&app.db, &journey, phone("+886912345678", Some("U777")))
        .await
        .unwrap();
    assert!(!result.conflict_recorded);
    let member = members::Entity::find_by_id(result.member_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(member.line_user_id.as_deref(), Some("U777"));
    assert_eq!(member.phone_e164.as_deref(), Some("+886912345678"));
    assert!(member.phone_verified_at.is_some());
    assert!(member.line_linked_at.is_some());
}

#[tokio::test]
async fn a_line_id_and_a_phone_of_two_members_are_recorded_as_one_conflict_and_not_merged() {
    let app = spawn_app().await;
    let (first_store, first) = store_with_journey(&app, "TP001", None).await;
    let (_, second) = store_with_journey(&app, "TP002", None).await;
    let line_member = binding::bind(&app.db, &first, line("U-line"))
        .await
        .unwrap()
        .member_id;
    let another_scan = journey_for(&app, first_store, Duration::hours(72)).await;
    let phone_member = binding::bind(&app.db, &another_scan, phone("+886911111111", None))
        .await
        .unwrap()
        .member_id;
    assert_ne!(line_member, phone_member);

    for _ in 0..2 {
        let result = binding::bind(&app.db, &second, phone("+886911111111", Some("U-line")))
            .await
            .unwrap();
        assert!(result.conflict_recorded);
    }

    let conflicts = member_conflicts::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(
        conflicts.len(),
        1,
        "a retry does not record the conflict twice"
    );
    assert_eq!(conflicts[0].line_member_id, line_member);
    assert_eq!(conflicts[0].phone_member_id, phone_member);
    assert_eq!(conflicts[0].status, ConflictStatus::Open);
    let phone_row = members::Entity::find_by_id(phone_member)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(phone_row.line_user_id, None, "no silent merge");
    assert_eq!(members::Entity::find().count(&app.db).await.unwrap(), 2);
}

fn line_with_phone(user_id: &str, phone: &str) -> Identity {
    Identity::Line {
        user_id: LineUserId::from_line(user_id),
        display_name: None,
        phone: Some(TaiwanMobile::parse(phone).unwrap()),
        id_token: None,
    }
}

#[tokio::test]
async fn a_line_member_gets_the_verified_phone_attached() {
    let app = spawn_app().await;
    let (_, journey) = store_with_journey(&app, "TP001", None).await;
    let first = binding::bind(&app.db, &journey, line("U001"))
        .await
        .unwrap();

    // Scanned again with the phone step: the same member, now with a verified phone.
    let again = binding::bind(&app.db, &journey, line_with_phone("U001", "+886912345678"))
        .await
        .unwrap();

    assert_eq!(again.member_id, first.member_id);
    assert_eq!(again.outcome, BindOutcome::AlreadyBoundHere);
    assert!(!again.conflict_recorded);
    let member = members::Entity::find_by_id(first.member_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(member.phone_e164.as_deref(), Some("+886912345678"));
    assert!(member.phone_verified_at.is_some());
    assert_eq!(members::Entity::find().count(&app.db).await.unwrap(), 1);
}

#[tokio::test]
async fn one_phone_verified_by_many_line_users_at_once_has_one_holder_and_conflicts_for_the_rest() {
    let app = spawn_app().await;
    let (store_id, _) = store_with_journey(&app, "TP001", None).await;
    let mut journeys = Vec::new();
    for _ in 0..10 {
        journeys.push(journey_for(&app, store_id, Duration::hours(72)).await);
    }
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let db = app.db.clone();
            let journey = journeys[i].clone();
            let identity = line_with_phone(&format!("U-{i}"), "+886912345678");
            tokio::spawn(async move { binding::bind(&db, &journey, identity).await })
        })
        .collect();
    let mut conflicts_reported = 0;
    for task in tasks {
        let result = task.await.unwrap().expect("no request fails on the race");
        conflicts_reported += usize::from(result.conflict_recorded);
    }

    let holders = members::Entity::find()
        .filter(members::Column::PhoneE164.eq("+886912345678"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(holders.len(), 1, "the unique phone has one holder");
    assert_eq!(members::Entity::find().count(&app.db).await.unwrap(), 10);
    assert_eq!(conflicts_reported, 9);
    let conflicts = member_conflicts::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(conflicts.len(), 9);
    assert!(conflicts.iter().all(|c| c.phone_member_id == holders[0].id));
}

#[tokio::test]
async fn a_completed_journey_binds_no_second_member() {
    let app = spawn_app().await;
    let (_, journey) = store_with_journey(&app, "TP001", None).await;
    let first = binding::bind(&app.db, &journey, phone("+886912345678", None))
        .await
        .unwrap();

    let second = binding::bind(&app.db, &journey, phone("+886987654321", None)).await;

    assert!(
        matches!(second, Err(BindError::JourneyCompleted)),
        "{second:?}"
    );
    assert_eq!(members::Entity::find().count(&app.db).await.unwrap(), 1);
    assert_eq!(bindings::Entity::find().count(&app.db).await.unwrap(), 1);
    // The same shopper again (a double submit) still gets their own answer.
    let again = binding::bind(&app.db, &journey, phone("+886912345678", None))
        .await
        .unwrap();
    assert_eq!(again.member_id, first.member_id);
    assert_eq!(again.outcome, BindOutcome::AlreadyBoundHere);
}

#[tokio::test]
async fn ten_shoppers_racing_for_one_journey_give_one_member_and_one_binding() {
    let app = spawn_app().await;
    let (_, journey) = store_with_journey(&app, "TP001", None).await;
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let db = app.db.clone();
            let journey = journey.clone();
            let identity = if i % 2 == 0 {
                line(&format!("U-racer-{i}"))
            } else {
                phone(&format!("+88691234567{i}"), None)
            };
            tokio::spawn(async move { binding::bind(&db, &journey, identity).await })
        })
        .collect();
    let mut bound = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(result) => {
                assert_eq!(result.outcome, BindOutcome::Bound);
                bound += 1;
            }
            Err(err) => assert!(matches!(err, BindError::JourneyCompleted), "{err:?}"),
        }
    }
    assert_eq!(bound, 1, "exactly one shopper binds");
    assert_eq!(members::Entity::find().count(&app.db).await.unwrap(), 1);
    assert_eq!(bindings::Entity::find().count(&app.db).await.unwrap(), 1);
}
