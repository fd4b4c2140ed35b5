//! Runs every migration up, down and up again on SQLite (always) and on PostgreSQL (when
//! `TEST_DATABASE_URL` points at a server, e.g. `postgres://postgres@127.0.0.1:5432`), and checks
//! that the seeded row is there and that CHECK / FK constraints bite.

use migrations::{Migrator, MigratorTrait};
use sea_orm_migration::SchemaManager;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use sea_query::value::prelude::Utc;

const TABLES: &[&str] = &[
    "store_groups",
    "stores",
    "staff_accounts",
    "shop_settings",
    "checklist_items",
    "staff_sessions",
    "api_tokens",
    "login_attempts",
    "qr_tokens",
    "members",
    "journeys",
    "funnel_events",
    "bindings",
    "binding_attempts",
    "member_conflicts",
    "binding_changes",
    "line_followers",
    "webhook_events",
    "otp_challenges",
    "sms_messages",
    "audit_log",
    "binding_change_members",
    "demo_settings",
    "orders",
    "sales_daily",
    "sales_buyers",
    "order_webhook_secrets",
    "order_webhook_deliveries",
    "accepted_id_tokens",
];

async fn assert_tables(db: &DatabaseConnection, present: bool) {
    let manager = SchemaManager::new(db);
    for table in TABLES {
        assert_eq!(
            manager.has_table(*table).await.unwrap(),
            present,
            "table {table} present should be {present}"
        );
    }
}

fn insert(table: &str, cols: &[&str], values: Vec<SimpleExpr>) -> InsertStatement {
    Query::insert()
        .into_table(Alias::new(table))
        .columns(cols.iter().map(|c| Alias::new(*c)))
        .values_panic(values)
        .to_owned()
}

fn staff(username: &str, role: &str, store_id: Option<i32>) -> InsertStatement {
    let now = Utc::now();
    insert(
        "staff_accounts",
        &[
            "username",
            "password_hash",
            "role",
            "store_id",
            "created_at",
            "updated_at",
        ],
        vec![
            username.into(),
            "x".into(),
            role.into(),
            store_id.into(),
            now.into(),
            now.into(),
        ],
    )
}

/// Checks run right after `up`; they leave rows behind, which `down` must cope with.
async fn check_schema(db: &DatabaseConnection) {
    let backend = db.get_database_backend();

    // The seeded settings row.
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT id, shop_name, sms_template, sms_daily_budget, liff_requires_phone, \
             updated_at FROM shop_settings",
        ))
        .await
        .unwrap()
        .expect("shop_settings row");
    assert_eq!(row.try_get::<i32>("", "id").unwrap(), 1);
    assert_eq!(row.try_get::<String>("", "shop_name").unwrap(), "我的品牌");
    assert!(
        row.try_get::<String>("", "sms_template")
            .unwrap()
            .contains("{code}")
    );
    assert_eq!(row.try_get::<i32>("", "sms_daily_budget").unwrap(), 500);
    assert!(!row.try_get::<bool>("", "liff_requires_phone").unwrap());
    let updated_at: sea_query::value::prelude::DateTime<Utc> =
        row.try_get("", "updated_at").unwrap();
    assert!((Utc::now() - updated_at).num_minutes().abs() < 5);

    // A second settings row is refused by CHECK (id = 1).
    let now = Utc::now();
    let second = insert(
        "shop_settings",
        &[
            "id",
            "shop_name",
            "welcome_message",
            "sms_template",
            "updated_at",
        ],
        vec![2.into(), "b".into(), "w".into(), "t".into(), now.into()],
    );
    assert!(db.execute(&second).await.is_err(), "shop_settings id 2");

    // A store to hang staff on.
    let store = insert(
        "stores",
        &["code", "name", "created_at", "updated_at"],
        vec!["S001".into(), "Store 1".into(), now.into(), now.into()],
    );
    db.execute(&store).await.unwrap();
    let store_id = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT id FROM stores WHERE code = 'S001'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i32>("", "id")
        .unwrap();

    // Column CHECK on role.
    assert!(
        db.execute(&staff("boss", "boss", None)).await.is_err(),
        "role 'boss' must be refused"
    );
    // Table CHECK tying role to store_id.
    assert!(
        db.execute(&staff("hq_with_store", "hq", Some(store_id)))
            .await
            .is_err(),
        "hq with a store must be refused"
    );
    assert!(
        db.execute(&staff("store_without_store", "store", None))
            .await
            .is_err(),
        "store staff without a store must be refused"
    );
    db.execute(&staff("admin", "hq", None)).await.unwrap();
    db.execute(&staff("clerk", "store", Some(store_id)))
        .await
        .unwrap();

    // Defaults.
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT display_name, active FROM staff_accounts WHERE username = 'admin'",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "display_name").unwrap(), "");
    assert!(row.try_get::<bool>("", "active").unwrap());

    // Unique username.
    assert!(db.execute(&staff("admin", "hq", None)).await.is_err());

    // ON DELETE RESTRICT: a store with staff cannot be deleted.
    let delete_store = Query::delete()
        .from_table(Alias::new("stores"))
        .and_where(Expr::col(Alias::new("id")).eq(store_id))
        .to_owned();
    assert!(
        db.execute(&delete_store).await.is_err(),
        "deleting a store with staff must be refused"
    );

    // Enum CHECK on members.registered_via.
    let member = |via: &str| {
        insert(
            "members",
            &["registered_via", "created_at", "updated_at"],
            vec![via.into(), now.into(), now.into()],
        )
    };
    assert!(db.execute(&member("email")).await.is_err());
    db.execute(&member("phone")).await.unwrap();

    // JSON column round trip.
    let change = insert(
        "binding_changes",
        &[
            "kind",
            "performed_at",
            "reason",
            "member_count",
            "member_ids",
        ],
        vec![
            "rebind".into(),
            now.into(),
            "test".into(),
            2.into(),
            sea_query::value::prelude::Json::from(vec![1, 2]).into(),
        ],
    );
    db.execute(&change).await.unwrap();
    let bad_change = insert(
        "binding_changes",
        &[
            "kind",
            "performed_at",
            "reason",
            "member_count",
            "member_ids",
        ],
        vec![
            "steal".into(),
            now.into(),
            "test".into(),
            0.into(),
            sea_query::value::prelude::Json::from(Vec::<i32>::new()).into(),
        ],
    );
    assert!(db.execute(&bad_change).await.is_err());

    // Big-integer auto-increment id on webhook_events.
    let event = insert(
        "webhook_events",
        &[
            "webhook_event_id",
            "event_type",
            "payload",
            "event_timestamp",
            "received_at",
        ],
        vec![
            "01H".into(),
            "follow".into(),
            "{}".into(),
            1_700_000_000_000_i64.into(),
            now.into(),
        ],
    );
    db.execute(&event).await.unwrap();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT id, attempts, is_redelivery FROM webhook_events",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "id").unwrap(), 1);
    assert_eq!(row.try_get::<i32>("", "attempts").unwrap(), 0);
    assert!(!row.try_get::<bool>("", "is_redelivery").unwrap());

    check_sales_schema(db, store_id).await;
}

fn sale(
    external_id: &str,
    amount: i64,
    store_id: Option<i32>,
    reason: Option<&str>,
) -> InsertStatement {
    let now = Utc::now();
    insert(
        "orders",
        &[
            "kind",
            "channel",
            "source",
            "external_id",
            "status",
            "amount",
            "ordered_at",
            "booked_day",
            "booked_month",
            "received_at",
            "attribution_level",
            "credited_store_id",
            "unattributed_reason",
        ],
        vec![
            "sale".into(),
            "online".into(),
            "api".into(),
            external_id.into(),
            "paid".into(),
            amount.into(),
            now.into(),
            20261204.into(),
            202612.into(),
            now.into(),
            "store".into(),
            store_id.into(),
            reason.map(str::to_owned).into(),
        ],
    )
}

/// The sales tables' rules: one row per source and external id, sales positive, credited or
/// unattributed with a reason (never both), settings defaults and bounds.
async fn check_sales_schema(db: &DatabaseConnection, store_id: i32) {
    let backend = db.get_database_backend();
    db.execute(&sale("A1", 1200, Some(store_id), None))
        .await
        .unwrap();
    db.execute(&sale("A2", 500, None, Some("unknown_member")))
        .await
        .unwrap();
    assert!(
        db.execute(&sale("A1", 1200, Some(store_id), None))
            .await
            .is_err(),
        "(source, external_id) is unique"
    );
    assert!(
        db.execute(&sale("A3", 0, Some(store_id), None))
            .await
            .is_err(),
        "a sale of NT$0 is refused"
    );
    assert!(
        db.execute(&sale("A4", 100, Some(store_id), Some("not_bound")))
            .await
            .is_err(),
        "credited and unattributed at once is refused"
    );
    assert!(
        db.execute(&sale("A5", 100, None, None)).await.is_err(),
        "neither credited nor a reason is refused"
    );
    assert!(
        db.execute(&sale("A6", 100, None, Some("lost")))
            .await
            .is_err(),
        "an unknown reason is refused"
    );

    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT attribution_level, attribution_window_days FROM shop_settings",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.try_get::<String>("", "attribution_level").unwrap(),
        "store"
    );
    assert_eq!(
        row.try_get::<Option<i32>>("", "attribution_window_days")
            .unwrap(),
        None
    );
    let bad_window = Query::update()
        .table(Alias::new("shop_settings"))
        .value(Alias::new("attribution_window_days"), 0)
        .to_owned();
    assert!(db.execute(&bad_window).await.is_err(), "a window of 0 days");
    let bad_level = Query::update()
        .table(Alias::new("shop_settings"))
        .value(Alias::new("attribution_level"), "group")
        .to_owned();
    assert!(db.execute(&bad_level).await.is_err(), "level 'group'");
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT purchase_entry_enabled FROM stores WHERE code = 'S001'",
        ))
        .await
        .unwrap()
        .unwrap();
    assert!(!row.try_get::<bool>("", "purchase_entry_enabled").unwrap());

    let secret = |source: &str| {
        insert(
            "order_webhook_secrets",
            &["source", "secret", "updated_at"],
            vec![source.into(), "s".into(), Utc::now().into()],
        )
    };
    db.execute(&secret("shopify")).await.unwrap();
    assert!(db.execute(&secret("shopify")).await.is_err());
    assert!(db.execute(&secret("magento")).await.is_err());
}

/// An older database that holds a store name twice (or with spaces around it) upgrades: names are
/// trimmed, the oldest store keeps the name, later ones are numbered with the first free number;
/// from then on the unique index refuses a repeat. Ends fully migrated, without its stores.
async fn repeated_store_names_are_numbered_on_upgrade(db: &DatabaseConnection) {
    let before = Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m20261205_150001_unique_store_names")
        .expect("the migration is listed");
    Migrator::up(db, Some(before as u32))
        .await
        .expect("up to the older schema");
    let store = |code: &str, name: &str| {
        let now = Utc::now();
        insert(
            "stores",
            &["code", "name", "created_at", "updated_at"],
            vec![code.into(), name.into(), now.into(), now.into()],
        )
    };
    for (code, name) in [
        ("OLD1", "台北店"),
        ("OLD2", " 台北店 "),
        ("OLD3", "台北店 (2)"),
        ("OLD4", "台北店"),
        ("OLD5", "高雄店"),
    ] {
        db.execute(&store(code, name)).await.unwrap();
    }
    Migrator::up(db, None).await.expect("the upgrade succeeds");
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT code, name FROM stores ORDER BY code",
        ))
        .await
        .unwrap();
    let names: Vec<(String, String)> = rows
        .iter()
        .map(|row| {
            (
                row.try_get("", "code").unwrap(),
                row.try_get("", "name").unwrap(),
            )
        })
        .collect();
    let expected = [
        ("OLD1", "台北店"),
        ("OLD2", "台北店 (3)"),
        ("OLD3", "台北店 (2)"),
        ("OLD4", "台北店 (4)"),
        ("OLD5", "高雄店"),
    ];
    assert_eq!(
        names,
        expected.map(|(c, n)| (c.to_owned(), n.to_owned())).to_vec()
    );
    assert!(
        db.execute(&store("NEW1", "高雄店")).await.is_err(),
        "a repeated name is refused"
    );
    db.execute_unprepared("DELETE FROM stores").await.unwrap();
}

async fn exercise(db: &DatabaseConnection) {
    Migrator::up(db, None).await.expect("first up");
    assert_tables(db, true).await;
    check_schema(db).await;

    Migrator::down(db, None).await.expect("down");
    assert_tables(db, false).await;

    repeated_store_names_are_numbered_on_upgrade(db).await;
    assert_tables(db, true).await;
    check_schema(db).await;
}

#[tokio::test]
async fn up_down_up_sqlite() {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    exercise(&db).await;
}

#[tokio::test]
async fn up_down_up_postgres() {
    let Ok(server_url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("TEST_DATABASE_URL not set; skipping the PostgreSQL run");
        return;
    };
    // Strip any database path: we create our own database on that server.
    let scheme_end = server_url.find("://").map_or(0, |i| i + 3);
    let base = match server_url[scheme_end..].find('/') {
        Some(i) => server_url[..scheme_end + i].to_owned(),
        None => server_url.clone(),
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let name = format!("migrations_test_{}_{}", std::process::id(), nanos);

    let admin = Database::connect(format!("{base}/postgres")).await.unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap();

    let url = format!("{base}/{name}");
    let outcome = tokio::spawn(async move {
        let db = Database::connect(url).await.unwrap();
        exercise(&db).await;
        db.close().await.unwrap();
    })
    .await;

    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await
        .unwrap();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
