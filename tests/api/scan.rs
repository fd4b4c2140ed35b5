//! The scan of a printed code (`/q/{token}`): a journey with store and clerk, the route the
//! settings give at scan time, the friendly pages, revoked and unknown codes, the flood limit,
//! the clean-up of expired journeys, and one active code per store or clerk.

use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use store_assistant::db::entities::enums::{FunnelStage, Route, StaffRole};
use store_assistant::db::entities::{audit_log, funnel_events, journeys, qr_tokens};
use store_assistant::domain::journey::JourneyId;
use store_assistant::domain::rate_limit::RateLimit;
use store_assistant::services::audit::Actor;
use store_assistant::services::housekeeping::{self, HousekeepingConfig};
use store_assistant::services::journeys as journey_service;
use store_assistant::services::qr::{self, TokenOwner};
use store_assistant::services::setup;
use store_assistant::startup::BuildOptions;

use crate::helpers::{LIFF_ID, TestApp, spawn_app, spawn_app_with, spawn_app_with_options};

/// A store in 北區, a complete checklist (route A with a Certified Provider) and activation.
async fn open_shop(app: &TestApp, certified_provider: bool) -> i32 {
    let store = app.create_store("TP01", "台北信義店", Some("北區")).await;
    app.complete_checklist(certified_provider).await;
    setup::activate(&app.db, &Actor::cli())
        .await
        .expect("the shop can be activated");
    store
}

async fn store_token(app: &TestApp, store: i32) -> String {
    qr::ensure_token(&app.db, TokenOwner::Store(store), None)
        .await
        .unwrap()
        .token
}

async fn scan(app: &TestApp, token: &str) -> reqwest::Response {
    app.get(&format!("/q/{token}")).await
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

async fn all_journeys(app: &TestApp) -> Vec<journeys::Model> {
    journeys::Entity::find()
        .order_by_asc(journeys::Column::CreatedAt)
        .all(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn route_a_sends_the_scan_to_the_liff_app_with_the_journey_as_ref() {
    let app = spawn_app().await;
    let store = open_shop(&app, true).await;
    let token = store_token(&app, store).await;

    let response = scan(&app, &token).await;

    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let journeys = all_journeys(&app).await;
    assert_eq!(journeys.len(), 1);
    let journey = &journeys[0];
    assert_eq!(
        location(&response),
        format!("https://liff.line.me/{LIFF_ID}?ref={}", journey.id)
    );
    assert_eq!(journey.route, Route::Liff);
    assert_eq!(journey.store_id, store);
    assert_eq!(journey.clerk_id, None);
    assert_eq!(journey.binding_code, None);
    assert_eq!(journey.id.len(), 22, "a 128-bit random id");
    assert_eq!(journey.nonce.len(), 22);
    let validity = journey.expires_at - journey.created_at;
    assert_eq!(validity, Duration::hours(72));
    // The journey is what the LIFF page binds through.
    let summary = app.get(&format!("/api/liff/journeys/{}", journey.id)).await;
    assert_eq!(summary.status().as_u16(), 200);
}

#[tokio::test]
async fn route_b_sends_the_scan_to_the_landing_page_with_a_binding_code() {
    let app = spawn_app().await;
    let store = open_shop(&app, false).await;
    let token = store_token(&app, store).await;

    let response = scan(&app, &token).await;

    assert_eq!(response.status().as_u16(), 303);
    let journey = all_journeys(&app).await.remove(0);
    assert_eq!(location(&response), format!("/j/{}", journey.id));
    assert_eq!(journey.route, Route::Phone);
    let code = journey.binding_code.expect("route B journeys carry a code");
    let landing = app.get(&location(&response)).await;
    assert_eq!(landing.status().as_u16(), 200);
    let page = landing.text().await.unwrap();
    assert!(page.contains("北區｜台北信義店"), "{page}");
    assert!(page.contains(&code), "the landing page shows the code");
}

#[tokio::test]
async fn the_same_code_follows_the_settings_at_scan_time() {
    let app = spawn_app().await;
    let store = open_shop(&app, false).await;
    let token = store_token(&app, store).await;
    let before = scan(&app, &token).await;
    assert!(location(&before).starts_with("/j/"));

    // The merchant gets a Certified Provider and turns auto-LIFF on: no new poster needed.
    setup::answer(&app.db, &Actor::cli(), "certified_provider", "yes")
        .await
        .unwrap();
    setup::answer(&app.db, &Actor::cli(), "auto_liff", "yes")
        .await
        .unwrap();
    let after = scan(&app, &token).await;
    assert!(
        location(&after).starts_with(&format!("https://liff.line.me/{LIFF_ID}?ref=")),
        "{}",
        location(&after)
    );

    // And back again when the Certified Provider goes.
    setup::answer(&app.db, &Actor::cli(), "certified_provider", "no")
        .await
        .unwrap();
    assert!(location(&scan(&app, &token).await).starts_with("/j/"));
    let routes: Vec<Route> = all_journeys(&app).await.iter().map(|j| j.route).collect();
    assert_eq!(routes, [Route::Phone, Route::Liff, Route::Phone]);
}

#[tokio::test]
async fn route_a_uses_the_liff_url_base_setting() {
    let app = spawn_app_with(|vars| {
        vars.insert(
            "LIFF_URL_BASE".to_owned(),
            "http://127.0.0.1:9/emulator/liff".to_owned(),
        );
    })
    .await;
    let store = open_shop(&app, true).await;
    let response = scan(&app, &store_token(&app, store).await).await;
    let journey = all_journeys(&app).await.remove(0);
    assert_eq!(
        location(&response),
        format!(
            "http://127.0.0.1:9/emulator/liff/{LIFF_ID}?ref={}",
            journey.id
        )
    );
}

#[tokio::test]
async fn without_a_liff_id_route_a_settings_still_bind_by_phone() {
    let app = spawn_app_with(|vars| {
        vars.remove("LIFF_ID");
    })
    .await;
    let store = open_shop(&app, true).await;
    let response = scan(&app, &store_token(&app, store).await).await;
    assert!(location(&response).starts_with("/j/"));
    assert_eq!(all_journeys(&app).await[0].route, Route::Phone);
}

#[tokio::test]
async fn a_clerk_card_credits_the_clerk_in_the_journey_and_the_scan_statistics() {
    let app = spawn_app().await;
    let store = open_shop(&app, false).await;
    let (clerk, _) = app.create_account(StaffRole::Store, Some(store)).await;
    let card = qr::ensure_token(
        &app.db,
        TokenOwner::Clerk {
            store_id: store,
            clerk_id: clerk,
        },
        None,
    )
    .await
    .unwrap();
    let poster = store_token(&app, store).await;
    assert_ne!(card.token, poster);

    assert_eq!(scan(&app, &card.token).await.status().as_u16(), 303);
    assert_eq!(scan(&app, &poster).await.status().as_u16(), 303);

    let journeys = all_journeys(&app).await;
    let credited: Vec<(i32, Option<i32>)> =
        journeys.iter().map(|j| (j.store_id, j.clerk_id)).collect();
    assert_eq!(credited, [(store, Some(clerk)), (store, None)]);
    assert_eq!(journeys[0].qr_token_id, card.id);
    // Scans and journeys are counted per store and clerk for the reports.
    let events = funnel_events::Entity::find()
        .order_by_asc(funnel_events::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let counted: Vec<(FunnelStage, i32, Option<i32>, Option<JourneyId>)> = events
        .into_iter()
        .map(|e| (e.stage, e.store_id, e.clerk_id, e.journey_id))
        .collect();
    assert_eq!(
        counted,
        [
            (
                FunnelStage::Scan,
                store,
                Some(clerk),
                Some(journeys[0].id.clone())
            ),
            (
                FunnelStage::Journey,
                store,
                Some(clerk),
                Some(journeys[0].id.clone())
            ),
            (FunnelStage::Scan, store, None, Some(journeys[1].id.clone())),
            (
                FunnelStage::Journey,
                store,
                None,
                Some(journeys[1].id.clone())
            ),
        ]
    );
}

#[tokio::test]
async fn a_card_of_a_deactivated_clerk_still_brings_the_shopper_to_the_store() {
    let app = spawn_app().await;
    let store = open_shop(&app, false).await;
    let (clerk, _) = app.create_account(StaffRole::Store, Some(store)).await;
    let owner = TokenOwner::Clerk {
        store_id: store,
        clerk_id: clerk,
    };
    let card = qr::ensure_token(&app.db, owner, None).await.unwrap();
    store_assistant::services::accounts::set_account_active(&app.db, &Actor::cli(), clerk, false)
        .await
        .unwrap();

    assert_eq!(scan(&app, &card.token).await.status().as_u16(), 303);
    let journey = all_journeys(&app).await.remove(0);
    assert_eq!((journey.store_id, journey.clerk_id), (store, None));
}

#[tokio::test]
async fn a_revoked_code_answers_410_with_a_polite_page_and_starts_nothing() {
    let app = spawn_app().await;
    let store = open_shop(&app, false).await;
    let old = store_token(&app, store).await;
    let new = qr::rotate(&app.db, &Actor::cli(), TokenOwner::Store(store))
        .await
        .unwrap();

    let response = scan(&app, &old).await;

    assert_eq!(response.status().as_u16(), 410);
    let page = response.text().await.unwrap();
    assert!(page.contains("此 QR Code 已停用，請洽門市人員"), "{page}");
    assert!(page.contains("<html lang=\"zh-TW\">"));
    assert!(all_journeys(&app).await.is_empty());
    // The new code works.
    assert_eq!(scan(&app, &new.token).await.status().as_u16(), 303);
    let rotations = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("qr.rotate"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(rotations, 1);
}

#[tokio::test]
async fn an_unknown_code_answers_a_404_page() {
    let app = spawn_app().await;
    open_shop(&app, false).await;
    for token in [
        "AAAAAAAAAAAAAAAAAAAAAA",
        "not-a-token",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    ] {
        let response = scan(&app, token).await;
        assert_eq!(response.status().as_u16(), 404, "{token}");
        let page = response.text().await.unwrap();
        assert!(page.contains("找不到這個 QR Code"), "{page}");
        assert!(!page.contains("<script>alert"));
    }
    assert!(all_journeys(&app).await.is_empty());
}

#[tokio::test]
async fn before_activation_a_scan_shows_a_friendly_page_and_starts_nothing() {
    let app = spawn_app().await;
    let store = app.create_store("TP01", "台北信義店", None).await;
    app.complete_checklist(false).await;
    let token = store_token(&app, store).await;

    let response = scan(&app, &token).await;

    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("data-reason=\"not_open\""), "{page}");
    assert!(page.contains("尚未開放"));
    assert!(all_journeys(&app).await.is_empty());
    assert_eq!(
        funnel_events::Entity::find().count(&app.db).await.unwrap(),
        0
    );
}

#[tokio::test]
async fn a_deactivated_store_shows_a_friendly_page_and_starts_nothing() {
    let app = spawn_app().await;
    let store = open_shop(&app, false).await;
    app.create_store("TP02", "台北南港店", None).await;
    let token = store_token(&app, store).await;
    store_assistant::services::stores::set_store_active(&app.db, &Actor::cli(), store, false)
        .await
        .unwrap();
    app.rename_store(store, "<b>信義</b>店").await;

    let response = scan(&app, &token).await;

    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("data-reason=\"store_closed\""), "{page}");
    assert!(page.contains("暫停"));
    assert!(
        page.contains("&#60;b&#62;信義&#60;/b&#62;店"),
        "the name is escaped"
    );
    assert!(all_journeys(&app).await.is_empty());
}

#[tokio::test]
async fn a_flood_of_scans_from_one_address_is_refused_with_429() {
    let options = BuildOptions {
        scan_limit: RateLimit {
            burst: 3,
            refill: std::time::Duration::from_secs(3600),
            max_addresses: 100,
        },
        ..BuildOptions::default()
    };
    let app = spawn_app_with_options(|_| {}, options).await;
    let store = open_shop(&app, false).await;
    let token = store_token(&app, store).await;

    for _ in 0..3 {
        assert_eq!(scan(&app, &token).await.status().as_u16(), 303);
    }
    let refused = scan(&app, &token).await;

    assert_eq!(refused.status().as_u16(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let page = refused.text().await.unwrap();
    assert!(page.contains("請稍候片刻再掃描"), "{page}");
    // Guessing codes counts too.
    assert_eq!(
        scan(&app, "AAAAAAAAAAAAAAAAAAAAAA").await.status().as_u16(),
        429
    );
    assert_eq!(
        all_journeys(&app).await.len(),
        3,
        "refused scans add nothing"
    );
}

/// A journey of `store` that expired `expired_for` ago (negative: still valid for that long),
/// bound long ago when `completed`.
async fn aged_journey(
    app: &TestApp,
    store: i32,
    expired_for: Duration,
    completed: bool,
) -> JourneyId {
    let journey = app.seed_journey(store, -expired_for).await;
    // No read back: a housekeeping round may already have deleted an expired, unfinished one.
    if completed {
        journeys::Entity::update_many()
            .col_expr(
                journeys::Column::CompletedAt,
                Expr::value(Utc::now() - Duration::days(4)),
            )
            .filter(journeys::Column::Id.eq(journey.id.clone()))
            .exec(&app.db)
            .await
            .unwrap();
    }
    journey.id
}

async fn journey_ids(app: &TestApp) -> Vec<JourneyId> {
    let mut ids: Vec<JourneyId> = all_journeys(app).await.into_iter().map(|j| j.id).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn the_clean_up_deletes_expired_unfinished_journeys_in_bounded_batches() {
    let app = spawn_app().await;
    let store = app.seed_store("TP01", None).await;
    let mut expired = Vec::new();
    for _ in 0..5 {
        expired.push(aged_journey(&app, store, Duration::hours(1), false).await);
    }
    let finished = aged_journey(&app, store, Duration::hours(1), true).await;
    let live = aged_journey(&app, store, -Duration::hours(1), false).await;

    // One statement deletes at most `batch`.
    let deleted = journey_service::delete_expired(&app.db, Utc::now(), 2)
        .await
        .unwrap();
    assert_eq!(deleted, 2);
    assert_eq!(journey_ids(&app).await.len(), 5);

    // A housekeeping round goes on until nothing expired is left, within its limit of batches.
    let config = HousekeepingConfig {
        batch: 2,
        max_batches: Some(10),
        ..HousekeepingConfig::default()
    };
    let deleted = housekeeping::run_round(&app.db, &Default::default(), &config, Utc::now())
        .await
        .unwrap();
    assert_eq!(deleted.expired_journeys, 3);
    let mut kept = vec![finished, live];
    kept.sort();
    assert_eq!(journey_ids(&app).await, kept);
}

#[tokio::test]
async fn the_application_cleans_up_expired_journeys_by_itself() {
    let options = BuildOptions {
        housekeeping: Some(HousekeepingConfig {
            interval: std::time::Duration::from_millis(50),
            ..HousekeepingConfig::default()
        }),
        ..BuildOptions::default()
    };
    let app = spawn_app_with_options(|_| {}, options).await;
    let store = app.seed_store("TP01", None).await;
    let live = aged_journey(&app, store, -Duration::hours(1), false).await;
    aged_journey(&app, store, Duration::hours(1), false).await;

    for _ in 0..200 {
        if journey_ids(&app).await.len() == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(journey_ids(&app).await, vec![live]);
}

#[tokio::test]
async fn concurrent_requests_for_a_stores_code_create_one_active_token() {
    let app = spawn_app().await;
    let store = app.seed_store("TP01", None).await;
    let (clerk, _) = app.create_account(StaffRole::Store, Some(store)).await;
    let clerk_owner = TokenOwner::Clerk {
        store_id: store,
        clerk_id: clerk,
    };

    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let db = app.db.clone();
            let owner = if i % 2 == 0 {
                TokenOwner::Store(store)
            } else {
                clerk_owner
            };
            tokio::spawn(async move { qr::ensure_token(&db, owner, None).await.unwrap() })
        })
        .collect();
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.unwrap());
    }

    let store_tokens: std::collections::HashSet<_> = tokens
        .iter()
        .filter(|t| t.clerk_id.is_none())
        .map(|t| t.token.clone())
        .collect();
    let clerk_tokens: std::collections::HashSet<_> = tokens
        .iter()
        .filter(|t| t.clerk_id.is_some())
        .map(|t| t.token.clone())
        .collect();
    assert_eq!(store_tokens.len(), 1);
    assert_eq!(clerk_tokens.len(), 1);
    let active = qr_tokens::Entity::find()
        .filter(qr_tokens::Column::RevokedAt.is_null())
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(active, 2);
}

#[tokio::test]
async fn the_database_refuses_a_second_active_code_for_a_store() {
    let app = spawn_app().await;
    let store = app.seed_store("TP01", None).await;
    let first = qr::ensure_token(&app.db, TokenOwner::Store(store), None)
        .await
        .unwrap();
    let second = |revoked: bool| qr_tokens::ActiveModel {
        token: Set(store_assistant::domain::tokens::random_token(16)),
        store_id: Set(store),
        created_at: Set(Utc::now()),
        revoked_at: Set(revoked.then(Utc::now)),
        ..Default::default()
    };
    let err = second(false).insert(&app.db).await.unwrap_err();
    assert!(store_assistant::db::is_unique_violation(&err), "{err}");
    // Revoked codes may pile up; the one active code stays.
    second(true).insert(&app.db).await.unwrap();
    second(true).insert(&app.db).await.unwrap();
    let active = qr::active_token(&app.db, TokenOwner::Store(store))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(active.id, first.id);
}

#[tokio::test]
async fn revoking_a_code_without_replacement_gives_the_next_poster_a_new_one() {
    let app = spawn_app().await;
    let store = open_shop(&app, false).await;
    let old = store_token(&app, store).await;

    qr::revoke(&app.db, &Actor::cli(), TokenOwner::Store(store))
        .await
        .unwrap();

    assert_eq!(scan(&app, &old).await.status().as_u16(), 410);
    let new = store_token(&app, store).await;
    assert_ne!(new, old);
    assert_eq!(scan(&app, &new).await.status().as_u16(), 303);
    let revocations = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("qr.revoke"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(revocations, 1);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_scan_limit_counts_the_address_the_proxy_appended() {
    let options = || BuildOptions {
        scan_limit: RateLimit {
            burst: 2,
            refill: std::time::Duration::from_secs(3600),
            max_addresses: 100,
        },
        ..BuildOptions::default()
    };
    let scan_via = |app: &TestApp, token: &str, forwarded_for: &str| {
        app.client
            .get(app.url(&format!("/q/{token}")))
            .header("x-forwarded-for", forwarded_for)
            .send()
    };

    let proxied = spawn_app_with_options(
        |vars| {
            vars.insert("TRUST_X_FORWARDED_FOR".to_owned(), "true".to_owned());
        },
        options(),
    )
    .await;
    let store = open_shop(&proxied, false).await;
    let token = store_token(&proxied, store).await;
    for shopper in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        for _ in 0..2 {
            let response = scan_via(&proxied, &token, shopper).await.unwrap();
            assert_eq!(response.status().as_u16(), 303, "{shopper}");
        }
    }
    // What a client writes before the proxy's entry changes nothing.
    let spoofed = scan_via(&proxied, &token, "198.51.100.9, 203.0.113.1")
        .await
        .unwrap();
    assert_eq!(spoofed.status().as_u16(), 429);

    // Without the setting the header is the client's word and is ignored: one peer, one budget.
    let direct = spawn_app_with_options(|_| {}, options()).await;
    let store = open_shop(&direct, false).await;
    let token = store_token(&direct, store).await;
    let statuses: Vec<u16> = futures_util::future::join_all(
        ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
            .map(|shopper| scan_via(&direct, &token, shopper)),
    )
    .await
    .into_iter()
    .map(|response| response.unwrap().status().as_u16())
    .collect();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 429).count(),
        1,
        "{statuses:?}"
    );
}
