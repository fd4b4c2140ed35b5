//! Reports: exact funnel numbers for a seeded scenario (per day, store, group and clerk, with
//! Taipei-midnight edges), SMS counts and estimated cost, the dashboard chart, and the scope of
//! every report per role.

use chrono::Utc;
use store_assistant::db::entities::enums::{FunnelStage, SmsStatus};
use store_assistant::domain::access::Scope;
use store_assistant::domain::reports::FunnelCounts;
use store_assistant::domain::taipei_time::{self, DayRange};
use store_assistant::services::audit::Actor;
use store_assistant::services::reports::{self, Dimension, KeyTotal, ReportFilter, ReportRow};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use crate::member_fixtures::{clerk, funnel, line_member, sms, taipei};

struct Scenario {
    a: i32,
    b: i32,
    amy: i32,
    amy_name: String,
}

/// Stores A01 and A02 (北區) and B01 (南區); clerk Amy at A01. Events on 2026-11-10 and -11
/// (Taipei), at the edges of Taipei midnight, and outside the range 2026-11-09..11.
async fn scenario(app: &TestApp) -> Scenario {
    use FunnelStage::*;
    let a = app.create_store("A01", "台北信義店", Some("北區")).await;
    let a2 = app.create_store("A02", "台北大安店", Some("北區")).await;
    let b = app.create_store("B01", "高雄巨蛋店", Some("南區")).await;
    let amy = clerk(app, a).await;
    let morning = taipei("2026-11-10 09:00:00");
    for (stage, n) in [
        (Scan, 5),
        (Journey, 4),
        (Friend, 3),
        (CodeSent, 2),
        (CodeVerified, 2),
        (Bound, 2),
    ] {
        funnel(app, a, Some(amy), stage, morning, n).await;
    }
    let last_second = taipei("2026-11-10 23:59:59");
    funnel(app, a, None, Scan, last_second, 2).await;
    funnel(app, a, None, Bound, last_second, 1).await;
    funnel(app, b, None, Scan, taipei("2026-11-10 12:00:00"), 3).await;
    // Taipei midnight is 16:00 UTC the day before: this belongs to the 11th.
    funnel(app, a, None, Scan, taipei("2026-11-11 00:00:00"), 1).await;
    funnel(app, a2, None, Scan, taipei("2026-11-11 18:30:00"), 4).await;
    funnel(app, a2, None, Bound, taipei("2026-11-11 18:30:00"), 1).await;
    funnel(app, b, None, AlreadyBound, taipei("2026-11-11 08:00:00"), 1).await;
    // Outside the range.
    funnel(app, a, None, Scan, taipei("2026-11-08 23:59:59"), 7).await;
    funnel(app, a, None, Bound, taipei("2026-11-12 00:00:00"), 7).await;
    let amy_name = store_assistant::db::entities::staff_accounts::Entity::find_by_id(amy)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .username;
    Scenario {
        a,
        b,
        amy,
        amy_name,
    }
}

use sea_orm::EntityTrait;

fn range() -> DayRange {
    let date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    DayRange::new(date("2026-11-09"), date("2026-11-11")).unwrap()
}

fn filter(dimension: Dimension) -> ReportFilter {
    ReportFilter {
        range: range(),
        dimension,
        store_id: None,
        group_id: None,
        clerk_id: None,
    }
}

fn counts(
    scans: u64,
    journeys: u64,
    friends: u64,
    codes_sent: u64,
    codes_verified: u64,
    bound: u64,
    already_bound: u64,
) -> FunnelCounts {
    FunnelCounts {
        scans,
        journeys,
        friends,
        codes_sent,
        codes_verified,
        bound,
        already_bound,
    }
}

fn key(label: &str, counts: FunnelCounts) -> KeyTotal {
    KeyTotal {
        label: label.to_owned(),
        counts,
    }
}

#[tokio::test]
async fn report_numbers_match_a_seeded_scenario_exactly() {
    let app = spawn_app().await;
    let s = scenario(&app).await;
    let hq = Actor::cli();
    let day = |text: &str| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();

    let by_store = reports::funnel(&app.db, &hq, &filter(Dimension::Store))
        .await
        .unwrap();
    assert_eq!(
        by_store.by_key,
        [
            key("A01 台北信義店", counts(8, 4, 3, 2, 2, 3, 0)),
            key("A02 台北大安店", counts(4, 0, 0, 0, 0, 1, 0)),
            key("B01 高雄巨蛋店", counts(3, 0, 0, 0, 0, 0, 1)),
        ]
    );
    assert_eq!(by_store.totals, counts(15, 4, 3, 2, 2, 4, 1));
    assert_eq!(
        by_store.by_day,
        [
            (day("2026-11-09"), FunnelCounts::default()),
            (day("2026-11-10"), counts(10, 4, 3, 2, 2, 3, 0)),
            (day("2026-11-11"), counts(5, 0, 0, 0, 0, 1, 1)),
        ]
    );
    let row = |d: &str, label: &str, c: FunnelCounts| ReportRow {
        day: day(d),
        label: label.to_owned(),
        counts: c,
    };
    assert_eq!(
        by_store.rows,
        [
            row("2026-11-10", "A01 台北信義店", counts(7, 4, 3, 2, 2, 3, 0)),
            row("2026-11-10", "B01 高雄巨蛋店", counts(3, 0, 0, 0, 0, 0, 0)),
            row("2026-11-11", "A01 台北信義店", counts(1, 0, 0, 0, 0, 0, 0)),
            row("2026-11-11", "A02 台北大安店", counts(4, 0, 0, 0, 0, 1, 0)),
            row("2026-11-11", "B01 高雄巨蛋店", counts(0, 0, 0, 0, 0, 0, 1)),
        ]
    );

    let by_group = reports::funnel(&app.db, &hq, &filter(Dimension::Group))
        .await
        .unwrap();
    assert_eq!(
        by_group.by_key,
        [
            key("北區", counts(12, 4, 3, 2, 2, 4, 0)),
            key("南區", counts(3, 0, 0, 0, 0, 0, 1)),
        ]
    );

    let by_clerk = reports::funnel(&app.db, &hq, &filter(Dimension::Clerk))
        .await
        .unwrap();
    assert_eq!(
        by_clerk.by_key,
        [
            key(
                &format!("{} (A01)", s.amy_name),
                counts(5, 4, 3, 2, 2, 2, 0)
            ),
            key("（門市 QR，未指定人員）(A01)", counts(3, 0, 0, 0, 0, 1, 0)),
            key("（門市 QR，未指定人員）(A02)", counts(4, 0, 0, 0, 0, 1, 0)),
            key("（門市 QR，未指定人員）(B01)", counts(3, 0, 0, 0, 0, 0, 1)),
        ]
    );
    let amy_only = reports::funnel(
        &app.db,
        &hq,
        &ReportFilter {
            clerk_id: Some(s.amy),
            ..filter(Dimension::Store)
        },
    )
    .await
    .unwrap();
    assert_eq!(amy_only.totals, counts(5, 4, 3, 2, 2, 2, 0));

    // The page shows the same numbers.
    let page = app
        .hq()
        .await
        .get("/admin/reports?from=2026-11-09&to=2026-11-11&by=group")
        .await;
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("<tr><td>北區</td><td>12</td><td>4</td><td>3</td><td>2</td><td>2</td><td>4</td><td>0</td></tr>"),
        "{page}"
    );
    assert!(page.contains("<tr><td>2026-11-10</td><td>10</td><td>4</td>"));
}

#[tokio::test]
async fn store_staff_see_only_their_own_stores_report() {
    let app = spawn_app().await;
    let s = scenario(&app).await;
    let staff_actor = Actor::staff(0, "staff", Scope::Store(s.a));
    let report = reports::funnel(&app.db, &staff_actor, &filter(Dimension::Group))
        .await
        .unwrap();
    assert_eq!(report.by_key, [key("北區", counts(8, 4, 3, 2, 2, 3, 0))]);
    // Asking for another store's numbers gives nothing, not that store's numbers.
    let other = reports::funnel(
        &app.db,
        &staff_actor,
        &ReportFilter {
            store_id: Some(s.b),
            ..filter(Dimension::Store)
        },
    )
    .await
    .unwrap();
    assert!(other.totals.is_empty());

    let staff = app.store_staff(s.a).await;
    for path in [
        "/admin/reports?from=2026-11-09&to=2026-11-11".to_owned(),
        format!(
            "/admin/reports?from=2026-11-09&to=2026-11-11&store_id={}",
            s.b
        ),
        "/admin/reports?from=2026-11-09&to=2026-11-11&by=clerk".to_owned(),
        "/admin".to_owned(),
    ] {
        let response = staff.get(&path).await;
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let page = response.text().await.unwrap();
        assert!(!page.contains("高雄巨蛋店"), "{path} shows store B");
        assert!(!page.contains("台北大安店"), "{path} shows store A02");
    }
    let page = staff
        .get("/admin/reports?from=2026-11-09&to=2026-11-11")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<tr><td>A01 台北信義店</td><td>8</td>"),
        "{page}"
    );
}

#[tokio::test]
async fn sms_sent_and_estimated_cost_per_store_use_the_price_setting() {
    let app = spawn_app_with(|vars| {
        vars.insert("SMS_PRICE_TWD".to_owned(), "0.85".to_owned());
    })
    .await;
    let a = app.create_store("A01", "台北信義店", None).await;
    let b = app.create_store("B01", "高雄巨蛋店", None).await;
    let at = taipei("2026-11-10 10:00:00");
    sms(&app, Some(a), SmsStatus::Sent, 1, at).await;
    sms(&app, Some(a), SmsStatus::Sent, 1, at).await;
    sms(&app, Some(a), SmsStatus::Sent, 2, at).await;
    sms(&app, Some(a), SmsStatus::Failed, 1, at).await;
    sms(&app, Some(b), SmsStatus::Sent, 1, at).await;
    sms(
        &app,
        Some(a),
        SmsStatus::Sent,
        1,
        taipei("2026-11-12 00:00:00"),
    )
    .await;
    let price = store_assistant::config::SmsPrice { hundredths_twd: 85 };

    let report = reports::sms(&app.db, &Actor::cli(), range(), None, None, price)
        .await
        .unwrap();
    let row = |label: &str, sent, failed, units, cost: &str| reports::SmsRow {
        label: label.to_owned(),
        sent,
        failed,
        units,
        estimated_cost: cost.to_owned(),
    };
    assert_eq!(
        report.rows,
        [
            row("A01 台北信義店", 3, 1, 4, "NT$3.40"),
            row("B01 高雄巨蛋店", 1, 0, 1, "NT$0.85"),
        ]
    );
    assert_eq!(report.total, row("合計 Total", 4, 1, 5, "NT$4.25"));

    let staff = reports::sms(
        &app.db,
        &Actor::staff(0, "staff", Scope::Store(b)),
        range(),
        None,
        None,
        price,
    )
    .await
    .unwrap();
    assert_eq!(staff.rows, [row("B01 高雄巨蛋店", 1, 0, 1, "NT$0.85")]);

    let page = app
        .store_staff(b)
        .await
        .get("/admin/reports?from=2026-11-09&to=2026-11-11")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("NT$0.85"), "{page}");
    assert!(!page.contains("NT$3.40"));
    assert!(!page.contains("台北信義店"));
}

#[tokio::test]
async fn the_dashboard_draws_the_funnel_with_escaped_names() {
    let app = spawn_app().await;
    let store = app.create_store("X01", "<b>甜點&咖啡</b>", None).await;
    let other = app.create_store("Y01", "別家店", None).await;
    let now = Utc::now();
    funnel(&app, store, None, FunnelStage::Scan, now, 3).await;
    funnel(&app, store, None, FunnelStage::Bound, now, 1).await;
    funnel(&app, other, None, FunnelStage::Scan, now, 40).await;

    let page = app.store_staff(store).await.get("/admin").await;
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("<svg class=\"funnel\""), "{page}");
    assert!(
        page.contains("&#60;b&#62;甜點&#38;咖啡&#60;/b&#62; 最近 30 天"),
        "{page}"
    );
    assert!(!page.contains("<b>甜點"));
    assert!(page.contains(">3</text>"));
    assert!(page.contains("掃描到完成綁定：33%"));
    assert!(!page.contains(">40</text>"), "another store's scans");

    let page = app.hq().await.get("/admin").await.text().await.unwrap();
    assert!(page.contains(">43</text>"), "HQ sees every store");
}

#[tokio::test]
async fn erasing_a_member_leaves_the_report_numbers_unchanged() {
    let app = spawn_app().await;
    let a = app.create_store("A01", "台北信義店", None).await;
    let member = line_member(&app, a, None, "U1", "小明").await;
    line_member(&app, a, None, "U2", "小華").await;
    let today = taipei_time::day_of(Utc::now());
    let filter = ReportFilter {
        range: DayRange::new(today, today).unwrap(),
        dimension: Dimension::Store,
        store_id: None,
        group_id: None,
        clerk_id: None,
    };
    let before = reports::funnel(&app.db, &Actor::cli(), &filter)
        .await
        .unwrap();
    assert_eq!(before.totals.bound, 2);
    let hq = app.hq().await;
    let response = hq
        .post_form(
            &format!("/admin/members/{member}/erase"),
            &[("reason", "會員要求")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let after = reports::funnel(&app.db, &Actor::cli(), &filter)
        .await
        .unwrap();
    assert_eq!(after.by_key, before.by_key);
    assert_eq!(after.rows, before.rows);
}

#[tokio::test]
async fn bad_report_dates_are_refused_with_a_clear_message() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let response = hq.get("/admin/reports?from=2026-11-12&to=2026-11-01").await;
    assert_eq!(response.status().as_u16(), 400);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("開始日期晚於結束日期")
    );
    let response = hq.get("/admin/reports?from=2020-01-01&to=2026-11-01").await;
    assert_eq!(response.status().as_u16(), 400);
    let response = hq.get("/admin/reports?by=pigeon").await;
    assert_eq!(response.status().as_u16(), 400);
    let response = hq.get("/admin/reports").await;
    assert_eq!(
        response.status().as_u16(),
        200,
        "the default is the last 30 days"
    );
}
