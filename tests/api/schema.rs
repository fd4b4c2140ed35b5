//! The database itself enforces the rules that must survive any bug above it.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, Set};
use store_assistant::db::entities::enums::{Route, StaffRole};
use store_assistant::db::entities::{bindings, members, store_groups, stores, webhook_events};
use store_assistant::db::is_unique_violation;
use store_assistant::domain::line_user::LineUserId;
use store_assistant::domain::phone::TaiwanMobile;

use crate::helpers::spawn_app;

async fn store(
    db: &impl ConnectionTrait,
    code: &str,
    group_id: Option<i32>,
) -> Result<stores::Model, DbErr> {
    let now = Utc::now();
    stores::ActiveModel {
        code: Set(code.to_owned()),
        name: Set(format!("門市 {code}")),
        group_id: Set(group_id),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

async fn group(db: &impl ConnectionTrait, name: &str) -> store_groups::Model {
    let now = Utc::now();
    store_groups::ActiveModel {
        name: Set(name.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
}

fn member(line_user_id: Option<&str>, phone: Option<&str>) -> members::ActiveModel {
    let now = Utc::now();
    members::ActiveModel {
        line_user_id: Set(line_user_id.map(LineUserId::from_line)),
        phone_e164: Set(phone.map(|phone| TaiwanMobile::parse(phone).unwrap())),
        registered_via: Set(Route::Liff),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

#[tokio::test]
async fn migrations_create_the_single_settings_row() {
    let app = spawn_app().await;
    let settings = store_assistant::db::entities::shop_settings::Entity::find_by_id(1)
        .one(&app.db)
        .await
        .unwrap()
        .expect("the settings row exists");
    assert!(settings.sms_template.contains("{code}"));
}

#[tokio::test]
async fn a_store_is_in_at_most_one_group_and_groups_with_stores_cannot_be_deleted() {
    let app = spawn_app().await;
    let north = group(&app.db, "北區").await;
    let south = group(&app.db, "南區").await;
    let xinyi = store(&app.db, "TP001", Some(north.id)).await.unwrap();

    // Moving the store is a change of its one group column: it leaves the old group by construction.
    let mut moving: stores::ActiveModel = xinyi.into();
    moving.group_id = Set(Some(south.id));
    let moved = moving.update(&app.db).await.unwrap();
    assert_eq!(moved.group_id, Some(south.id));

    let err = store_groups::Entity::delete_by_id(south.id)
        .exec(&app.db)
        .await
        .expect_err("a group that still has stores cannot be deleted");
    assert!(!is_unique_violation(&err));
    store_groups::Entity::delete_by_id(north.id)
        .exec(&app.db)
        .await
        .expect("an empty group can be deleted");

    let err = store(&app.db, "TP002", Some(999_999)).await;
    assert!(
        err.is_err(),
        "a store cannot point at a group that does not exist"
    );
}

#[tokio::test]
async fn store_codes_are_unique() {
    let app = spawn_app().await;
    store(&app.db, "TP001", None).await.unwrap();
    let err = store(&app.db, "TP001", None).await.unwrap_err();
    assert!(is_unique_violation(&err), "{err:?}");
}

#[tokio::test]
async fn line_user_id_and_phone_are_each_unique_among_members() {
    let app = spawn_app().await;
    member(Some("U0001"), Some("+886912345678"))
        .insert(&app.db)
        .await
        .unwrap();
    let err = member(Some("U0001"), None)
        .insert(&app.db)
        .await
        .unwrap_err();
    assert!(is_unique_violation(&err), "{err:?}");
    let err = member(None, Some("+886912345678"))
        .insert(&app.db)
        .await
        .unwrap_err();
    assert!(is_unique_violation(&err), "{err:?}");
    // Members without a LINE id or without a phone are many.
    member(None, Some("+886912000001"))
        .insert(&app.db)
        .await
        .unwrap();
    member(None, Some("+886912000002"))
        .insert(&app.db)
        .await
        .unwrap();
    member(Some("U0002"), None).insert(&app.db).await.unwrap();
    member(Some("U0003"), None).insert(&app.db).await.unwrap();
}

#[tokio::test]
async fn a_member_has_one_binding() {
    let app = spawn_app().await;
    let shop = store(&app.db, "TP001", None).await.unwrap();
    let other = store(&app.db, "TP002", None).await.unwrap();
    let m = member(Some("U0001"), None).insert(&app.db).await.unwrap();
    let binding = |store_id: i32| {
        let now = Utc::now();
        bindings::ActiveModel {
            member_id: Set(m.id),
            store_id: Set(store_id),
            clerk_id: Set(None),
            route: Set(Route::Liff),
            journey_id: Set(None),
            bound_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
    };
    binding(shop.id).insert(&app.db).await.unwrap();
    let err = binding(other.id).insert(&app.db).await.unwrap_err();
    assert!(is_unique_violation(&err), "{err:?}");
}

#[tokio::test]
async fn webhook_event_ids_are_unique() {
    let app = spawn_app().await;
    let event = || webhook_events::ActiveModel {
        webhook_event_id: Set("01FZ74A0TDDPYRVKNK77XKC3ZR".to_owned()),
        event_type: Set("follow".to_owned()),
        source_user_id: Set(Some("U0001".to_owned())),
        payload: Set("{}".to_owned()),
        is_redelivery: Set(false),
        event_timestamp: Set(1_700_000_000_000),
        received_at: Set(Utc::now()),
        attempts: Set(0),
        ..Default::default()
    };
    event().insert(&app.db).await.unwrap();
    let err = event().insert(&app.db).await.unwrap_err();
    assert!(is_unique_violation(&err), "{err:?}");
}

#[tokio::test]
async fn staff_roles_and_their_store_are_checked_by_the_database() {
    use store_assistant::services::accounts::{CreateStaffError, NewStaff, create_staff};
    let app = spawn_app().await;
    let shop = store(&app.db, "TP001", None).await.unwrap();
    let clerk = create_staff(
        &app.db,
        &app.ctx.passwords,
        NewStaff {
            username: "clerk01".into(),
            password: "a-long-enough-password".into(),
            role: StaffRole::Store,
            store_id: Some(shop.id),
            display_name: "小美".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(clerk.store_id, Some(shop.id));

    let taken = create_staff(
        &app.db,
        &app.ctx.passwords,
        NewStaff {
            username: "CLERK01".into(),
            password: "a-long-enough-password".into(),
            role: StaffRole::Hq,
            store_id: None,
            display_name: String::new(),
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(taken, CreateStaffError::UsernameTaken),
        "{taken:?}"
    );

    // Bypassing the service: the CHECK constraint still refuses an HQ account tied to a store.
    let backend = app.db.get_database_backend();
    let err = app
        .db
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            match backend {
                sea_orm::DatabaseBackend::Postgres => "INSERT INTO staff_accounts (username, password_hash, role, store_id, display_name, active, created_at, updated_at) VALUES ($1, 'x', 'hq', $2, '', true, now(), now())",
                _ => "INSERT INTO staff_accounts (username, password_hash, role, store_id, display_name, active, created_at, updated_at) VALUES (?, 'x', 'hq', ?, '', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            },
            ["sneaky".into(), shop.id.into()],
        ))
        .await;
    assert!(err.is_err(), "an hq account with a store must be refused");
}

#[tokio::test]
async fn the_first_start_creates_one_hq_login() {
    use store_assistant::db::entities::staff_accounts;
    let app = spawn_app().await;
    let accounts = staff_accounts::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].role, StaffRole::Hq);
    assert_eq!(accounts[0].username, "admin");
    let again = store_assistant::services::accounts::ensure_initial_hq(&app.db, &app.ctx.passwords)
        .await
        .unwrap();
    assert!(again.is_none(), "a second start creates nothing");
}
