//! 業績報表: exact figures for a seeded month of orders (per day and per month, per store, group
//! and clerk, online and in store, refunds, members who bought, Taipei-midnight edges), the
//! attribution snapshot kept when a store changes group, the scope of store staff (their own
//! store only; another store is refused), unattributed orders for HQ only, and the page; the
//! orders export (CSV) and `/api/v1/reports/sales`, which add up to the page's figures.

use chrono::NaiveDate;
use serde_json::json;
use store_assistant::db::entities::enums::{SalesChannel, StaffRole};
use store_assistant::domain::access::Scope;
use store_assistant::domain::sales_report::{Amounts, SalesFigures, SalesPeriod};
use store_assistant::services::audit::Actor;
use store_assistant::services::reports::Dimension;
use store_assistant::services::sales_report::{
    self, OrderLines, ReportKey, SalesQuery, SalesReport, SalesReportError,
};

use crate::helpers::{ApiCaller, TestApp, spawn_app};
use crate::member_fixtures::{clerk, phone_member, set_bound_at, taipei};

pub struct Shop {
    pub app: TestApp,
    pub hq: ApiCaller,
    pub a1: i32,
    pub a2: i32,
    pub b1: i32,
    pub amy: i32,
    pub north: i32,
    pub south: i32,
}

/// Stores A01 and A02 (北區) and B01 (南區); clerk Amy at A01; clerk-level attribution. Members:
/// Wang bound to A01 through Amy's card, Lin to A01's own QR, Chen to A02, Lee to B01. Orders in
/// November 2026 (Taipei):
///
/// | when            | who     | channel  | amount | credited       |
/// | 11-08 23:59:59  | Wang    | online   | 5,000  | A01 · Amy (outside the days) |
/// | 11-10 09:00     | Wang    | online   | 1,000  | A01 · Amy      |
/// | 11-10 23:59:59  | Wang    | in store | 500    | A01 · Amy      |
/// | 11-10 12:00     | Lin     | online   | 200    | A01 (no clerk) |
/// | 11-11 00:00:00  | Chen    | online   | 2,000  | A02            |
/// | 11-11 12:00     | Lee     | online   | 300, refunded 100 with it | B01 |
/// | 11-10 15:00     | unknown | online   | 700    | unattributed   |
/// | 11-12 00:00:00  | Chen    | in store | 400    | A02 (outside the days) |
pub async fn shop() -> Shop {
    let app = spawn_app().await;
    let a1 = app.create_store("A01", "台北信義店", Some("北區")).await;
    let a2 = app.create_store("A02", "台北大安店", Some("北區")).await;
    let b1 = app.create_store("B01", "高雄巨蛋店", Some("南區")).await;
    let amy = clerk(&app, a1).await;
    app.set_attribution("clerk", "").await;
    let long_ago = taipei("2026-01-01 00:00:00");
    for (store, clerk, phone) in [
        (a1, Some(amy), "+886912345601"),
        (a1, None, "+886912345602"),
        (a2, None, "+886912345603"),
        (b1, None, "+886912345604"),
    ] {
        let member = phone_member(&app, store, clerk, phone, None).await;
        set_bound_at(&app, member, long_ago).await;
    }
    let (hq_id, _) = app.create_account(StaffRole::Hq, None).await;
    let hq = app.api_token(hq_id, "網店同步").await;
    let shop = Shop {
        north: app.group_id("北區").await.unwrap(),
        south: app.group_id("南區").await.unwrap(),
        app,
        hq,
        a1,
        a2,
        b1,
        amy,
    };
    for (id, at, phone, channel, amount, refunded) in [
        (
            "S-0",
            "2026-11-08 23:59:59",
            "0912345601",
            "online",
            5_000,
            None,
        ),
        (
            "S-1",
            "2026-11-10 09:00:00",
            "0912345601",
            "online",
            1_000,
            None,
        ),
        (
            "S-2",
            "2026-11-10 23:59:59",
            "0912345601",
            "in_store",
            500,
            None,
        ),
        (
            "S-3",
            "2026-11-10 12:00:00",
            "0912345602",
            "online",
            200,
            None,
        ),
        (
            "S-4",
            "2026-11-11 00:00:00",
            "0912345603",
            "online",
            2_000,
            None,
        ),
        (
            "S-5",
            "2026-11-11 12:00:00",
            "0912345604",
            "online",
            300,
            Some(100),
        ),
        (
            "S-6",
            "2026-11-10 15:00:00",
            "0912999999",
            "online",
            700,
            None,
        ),
        (
            "S-7",
            "2026-11-12 00:00:00",
            "0912345603",
            "in_store",
            400,
            None,
        ),
    ] {
        shop.order(id, at, phone, channel, amount, refunded).await;
    }
    shop
}

impl Shop {
    /// HQ moves A02 from 北區 to 南區.
    pub async fn move_a02_to_south(&self) {
        store_assistant::services::stores::set_store_group(
            &self.app.db,
            &Actor::cli(),
            self.a2,
            Some(self.south),
        )
        .await
        .unwrap();
    }

    pub async fn order(
        &self,
        external_id: &str,
        taipei_time: &str,
        phone: &str,
        channel: &str,
        amount: i64,
        refunded: Option<i64>,
    ) {
        let mut body = json!({
            "source": "cyberbiz",
            "external_id": external_id,
            "channel": channel,
            "amount": amount,
            "ordered_at": taipei(taipei_time).to_rfc3339(),
            "member": {"phone": phone},
        });
        if let Some(refunded) = refunded {
            body["status"] = json!("refunded");
            body["refunded_amount"] = json!(refunded);
        }
        let (status, answer) = self.hq.call("POST", "/orders", Some(body)).await;
        assert_eq!(status, 201, "{answer}");
    }
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// 2026-11-09 to 11, per day.
fn days() -> SalesPeriod {
    SalesPeriod::days(date("2026-11-09"), date("2026-11-11")).unwrap()
}

fn november() -> SalesPeriod {
    SalesPeriod::months(date("2026-11-01"), date("2026-11-30")).unwrap()
}

fn query(period: SalesPeriod, dimension: Dimension) -> SalesQuery {
    SalesQuery {
        period,
        dimension,
        store_id: None,
        group_id: None,
        channel: None,
    }
}

async fn report(app: &TestApp, scope: Scope, query: SalesQuery) -> SalesReport {
    let actor = Actor {
        staff_id: None,
        label: "test".to_owned(),
        scope,
    };
    sales_report::sales(&app.db, &actor, &query)
        .await
        .expect("the report")
}

fn amounts(orders: u64, gross: i64, refunds: u64, refunded: i64) -> Amounts {
    Amounts {
        orders,
        gross,
        refunds,
        refunded,
    }
}

fn figures(online: Amounts, in_store: Amounts, buyers: u64) -> SalesFigures {
    SalesFigures {
        online,
        in_store,
        buyers,
    }
}

fn none() -> Amounts {
    Amounts::default()
}

fn row(report: &SalesReport, key: ReportKey) -> &SalesFigures {
    &report
        .by_key
        .iter()
        .find(|row| row.key == key)
        .unwrap_or_else(|| panic!("no row {key:?}"))
        .figures
}

#[tokio::test]
async fn per_day_by_store_counts_orders_refunds_and_buyers_on_their_taipei_day() {
    let s = shop().await;
    let r = report(&s.app, Scope::Hq, query(days(), Dimension::Store)).await;
    assert_eq!(
        *row(&r, ReportKey::Store(s.a1)),
        figures(amounts(2, 1_200, 0, 0), amounts(1, 500, 0, 0), 2)
    );
    assert_eq!(
        *row(&r, ReportKey::Store(s.a2)),
        figures(amounts(1, 2_000, 0, 0), none(), 1)
    );
    assert_eq!(
        *row(&r, ReportKey::Store(s.b1)),
        figures(amounts(1, 300, 1, -100), none(), 1)
    );
    assert_eq!(
        *row(&r, ReportKey::Unattributed),
        figures(amounts(1, 700, 0, 0), none(), 0)
    );
    assert_eq!(
        r.totals,
        figures(amounts(5, 4_200, 1, -100), amounts(1, 500, 0, 0), 4)
    );
    // Highest net first, unattributed last.
    let order: Vec<ReportKey> = r.by_key.iter().map(|k| k.key).collect();
    assert_eq!(
        order,
        vec![
            ReportKey::Store(s.a2),
            ReportKey::Store(s.a1),
            ReportKey::Store(s.b1),
            ReportKey::Unattributed
        ]
    );
    assert_eq!(r.by_key[1].label, "A01 台北信義店");
    // Every day of the range, the empty 9th too; 23:59:59 is the 10th, midnight the 11th.
    let per_day: Vec<(String, i64, u64)> = r
        .by_period
        .iter()
        .map(|p| (p.label.clone(), p.figures.total().net(), p.figures.buyers))
        .collect();
    assert_eq!(
        per_day,
        vec![
            ("2026-11-09".to_owned(), 0, 0),
            ("2026-11-10".to_owned(), 2_400, 2),
            ("2026-11-11".to_owned(), 2_200, 2),
        ]
    );
    let detail: Vec<(String, ReportKey, i64)> = r
        .rows
        .iter()
        .map(|d| (d.period_label.clone(), d.key, d.figures.total().net()))
        .collect();
    assert_eq!(
        detail,
        vec![
            ("2026-11-10".to_owned(), ReportKey::Store(s.a1), 1_700),
            ("2026-11-10".to_owned(), ReportKey::Unattributed, 700),
            ("2026-11-11".to_owned(), ReportKey::Store(s.a2), 2_000),
            ("2026-11-11".to_owned(), ReportKey::Store(s.b1), 200),
        ]
    );
    assert_eq!(r.chart.bars.len(), 3);
    assert!(r.any_sales);
}

#[tokio::test]
async fn per_month_by_group_and_by_clerk_reads_the_whole_month() {
    let s = shop().await;
    let by_group = report(&s.app, Scope::Hq, query(november(), Dimension::Group)).await;
    assert_eq!(
        *row(&by_group, ReportKey::Group(Some(s.north))),
        figures(amounts(4, 8_200, 0, 0), amounts(2, 900, 0, 0), 3)
    );
    assert_eq!(
        *row(&by_group, ReportKey::Group(Some(s.south))),
        figures(amounts(1, 300, 1, -100), none(), 1)
    );
    assert_eq!(row(&by_group, ReportKey::Unattributed).total().gross, 700);
    assert_eq!(by_group.totals.buyers, 4);
    assert_eq!(by_group.totals.total().net(), 10_000);
    assert_eq!(by_group.by_period.len(), 1);
    assert_eq!(by_group.by_period[0].label, "2026-11");
    assert_eq!(by_group.by_period[0].figures, by_group.totals);

    let by_clerk = report(&s.app, Scope::Hq, query(november(), Dimension::Clerk)).await;
    let amy = row(
        &by_clerk,
        ReportKey::Clerk {
            store_id: s.a1,
            clerk_id: Some(s.amy),
        },
    );
    assert_eq!(
        *amy,
        figures(amounts(2, 6_000, 0, 0), amounts(1, 500, 0, 0), 1)
    );
    let a1_without_clerk = by_clerk
        .by_key
        .iter()
        .find(|k| {
            k.key
                == ReportKey::Clerk {
                    store_id: s.a1,
                    clerk_id: None,
                }
        })
        .unwrap();
    assert_eq!(a1_without_clerk.figures.total().gross, 200);
    assert!(a1_without_clerk.label.starts_with("A01 · "));
}

#[tokio::test]
async fn filters_narrow_by_channel_store_and_group_and_leave_out_unattributed() {
    let s = shop().await;
    let in_store = report(
        &s.app,
        Scope::Hq,
        SalesQuery {
            channel: Some(SalesChannel::InStore),
            ..query(november(), Dimension::Store)
        },
    )
    .await;
    assert_eq!(in_store.totals, figures(none(), amounts(2, 900, 0, 0), 2));
    assert_eq!(in_store.by_key.len(), 2);

    let north = report(
        &s.app,
        Scope::Hq,
        SalesQuery {
            group_id: Some(s.north),
            ..query(days(), Dimension::Store)
        },
    )
    .await;
    let keys: Vec<ReportKey> = north.by_key.iter().map(|k| k.key).collect();
    assert_eq!(keys, vec![ReportKey::Store(s.a2), ReportKey::Store(s.a1)]);
    assert_eq!(north.totals.buyers, 3);

    let b1 = report(
        &s.app,
        Scope::Hq,
        SalesQuery {
            store_id: Some(s.b1),
            ..query(days(), Dimension::Store)
        },
    )
    .await;
    assert_eq!(b1.totals, figures(amounts(1, 300, 1, -100), none(), 1));
    assert_eq!(b1.store_id, Some(s.b1));
}

#[tokio::test]
async fn store_staff_get_their_own_store_and_are_refused_another() {
    let s = shop().await;
    let own = report(
        &s.app,
        Scope::Store(s.a1),
        query(november(), Dimension::Store),
    )
    .await;
    let keys: Vec<ReportKey> = own.by_key.iter().map(|k| k.key).collect();
    assert_eq!(keys, vec![ReportKey::Store(s.a1)]);
    assert_eq!(own.totals.total().net(), 6_700);
    assert_eq!(own.store_id, Some(s.a1));
    // By group, they still see only their store's sales (in its group), never unattributed ones.
    let by_group = report(
        &s.app,
        Scope::Store(s.a1),
        query(november(), Dimension::Group),
    )
    .await;
    assert_eq!(by_group.by_key.len(), 1);
    assert_eq!(by_group.by_key[0].key, ReportKey::Group(Some(s.north)));
    assert_eq!(by_group.totals.total().net(), 6_700);

    let actor = Actor {
        staff_id: None,
        label: "test".to_owned(),
        scope: Scope::Store(s.a1),
    };
    let asked_for_b = sales_report::sales(
        &s.app.db,
        &actor,
        &SalesQuery {
            store_id: Some(s.b1),
            ..query(november(), Dimension::Store)
        },
    )
    .await;
    assert!(matches!(asked_for_b, Err(SalesReportError::OtherStore)));

    let staff = s.app.store_staff(s.a1).await;
    let page = staff.get(&format!("/admin/sales?store_id={}", s.b1)).await;
    assert_eq!(page.status(), 403);
    let text = page.text().await.unwrap();
    assert!(text.contains("只能查看自己門市的業績"), "{text}");
    assert!(!text.contains("高雄巨蛋店"));
    let page = staff
        .get("/admin/sales?per=month&from=2026-11&to=2026-11&by=clerk")
        .await;
    assert_eq!(page.status(), 200);
    let text = page.text().await.unwrap();
    assert!(text.contains("NT$6,700"), "{text}");
    assert!(!text.contains("高雄巨蛋店"));
    assert!(!text.contains("A02"));
    assert!(!text.contains("未歸因"));
}

#[tokio::test]
async fn a_store_that_changes_group_keeps_its_past_sales_in_the_old_group() {
    let s = shop().await;
    s.move_a02_to_south().await;
    s.order(
        "S-8",
        "2026-11-20 10:00:00",
        "0912345603",
        "online",
        50,
        None,
    )
    .await;
    let r = report(&s.app, Scope::Hq, query(november(), Dimension::Group)).await;
    // A02's 2,400 before the move stay in 北區; the 50 after it go to 南區.
    assert_eq!(
        row(&r, ReportKey::Group(Some(s.north))).total().net(),
        8_700 + 400
    );
    assert_eq!(
        row(&r, ReportKey::Group(Some(s.south))).total().net(),
        200 + 50
    );
}

#[tokio::test]
async fn the_page_shows_figures_a_chart_and_empty_states_that_say_what_to_do() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let empty = hq.get("/admin/sales").await;
    assert_eq!(empty.status(), 200);
    let text = empty.text().await.unwrap();
    assert!(text.contains("還沒有業績"), "{text}");
    assert!(text.contains("/admin/sales-settings"));
    assert!(text.contains("POST /api/v1/orders"));
    drop(app);

    let s = shop().await;
    let hq = s.app.hq().await;
    let page = hq
        .get("/admin/sales?per=day&from=2026-11-09&to=2026-11-11&by=store")
        .await;
    assert_eq!(page.status(), 200);
    let text = page.text().await.unwrap();
    assert!(text.contains("<svg class=\"sales-chart\""));
    assert!(
        !text.contains("style="),
        "no inline styles under the staff pages' policy"
    );
    assert!(text.contains("NT$4,600"), "the net total: {text}");
    assert!(text.contains("未歸因"));
    assert!(text.contains("A01 台北信義店"));
    assert!(text.contains("2026-11-10"));
    // Nothing in the chosen days: says so and how to widen the report.
    let page = hq
        .get("/admin/sales?per=day&from=2026-10-01&to=2026-10-31")
        .await;
    let text = page.text().await.unwrap();
    assert!(text.contains("這段期間沒有符合條件的業績"), "{text}");
}

#[tokio::test]
async fn a_store_without_sales_is_told_where_sales_come_from() {
    let s = shop().await;
    let c1 = s.app.create_store("C01", "台中店", None).await;
    let staff = s.app.store_staff(c1).await;
    let text = staff.get("/admin/sales").await.text().await.unwrap();
    assert!(text.contains("本店還沒有任何業績"), "{text}");
    assert!(!text.contains("台北信義店"));
}

#[tokio::test]
async fn bad_report_parameters_are_refused_with_a_reason() {
    let s = shop().await;
    let hq = s.app.hq().await;
    for (query, says) in [
        ("per=week", "逐日或逐月"),
        ("from=yesterday", "不是日期或月份"),
        ("from=2026-11-30&to=2026-11-01", "開始日期晚於結束日期"),
        ("from=2026-01-01&to=2026-12-01", "最多 92 天"),
        ("per=month&from=2020-01&to=2026-12", "最多 24 個月"),
        ("channel=phone", "通路"),
        ("by=shelf", "依門市、群組或人員"),
        ("store_id=abc", "選擇的項目不正確"),
    ] {
        let page = hq.get(&format!("/admin/sales?{query}")).await;
        assert_eq!(page.status(), 400, "{query}");
        let text = page.text().await.unwrap();
        assert!(text.contains(says), "{query}: {text}");
    }
}

// ---- The orders export (業績明細 CSV) and the API ----

/// The CSV's lines as cells, without the BOM and the header (which is checked).
fn csv_lines(body: &str) -> Vec<Vec<String>> {
    let body = body.strip_prefix('\u{FEFF}').expect("a BOM for Excel");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header[..7],
        [
            "門市所屬群組",
            "門市名稱",
            "操作人",
            "會員",
            "輸入日期",
            "訂單金額",
            "歸因層級"
        ]
    );
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn amounts_sum(lines: &[Vec<String>]) -> i64 {
    lines.iter().map(|l| l[5].parse::<i64>().unwrap()).sum()
}

#[tokio::test]
async fn the_csv_export_has_every_order_and_refund_as_credited_and_adds_up_to_the_page() {
    let s = shop().await;
    let hq = s.app.hq().await;
    let response = hq
        .get("/admin/sales/export.csv?per=day&from=2026-11-09&to=2026-11-11&by=store")
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("sales-20261109-20261111.csv")
    );
    let lines = csv_lines(&response.text().await.unwrap());
    // S-1 … S-6 and S-5's refund; S-0 and S-7 are outside the days.
    assert_eq!(lines.len(), 7, "{lines:?}");
    let page = report(&s.app, Scope::Hq, query(days(), Dimension::Store)).await;
    assert_eq!(amounts_sum(&lines), page.totals.total().net());
    assert_eq!(amounts_sum(&lines), 4_600);
    let line = |external_id: &str, amount: &str| {
        lines
            .iter()
            // A refund's id is its sale's with what it refunded: `S-5#refunded-100`.
            .find(|l| l[13].starts_with(external_id) && l[5] == amount)
            .unwrap_or_else(|| panic!("no line {external_id} {amount}: {lines:?}"))
            .clone()
    };
    let wang = line("S-1", "1000");
    assert_eq!(wang[..2], ["北區", "台北信義店"], "{wang:?}");
    // 操作人: the clerk credited, named as the report names Amy.
    let by_clerk = report(&s.app, Scope::Hq, query(days(), Dimension::Clerk)).await;
    let amy = by_clerk
        .by_key
        .iter()
        .find(|k| {
            k.key
                == ReportKey::Clerk {
                    store_id: s.a1,
                    clerk_id: Some(s.amy),
                }
        })
        .unwrap();
    assert_eq!(amy.label, format!("A01 · {}", wang[2]));
    assert_eq!(wang[4], "2026-11-10 09:00:00");
    assert_eq!(wang[6], "店員");
    assert_eq!(wang[7], "A01");
    assert_eq!(wang[8], "0912345601", "HQ reads the whole phone");
    assert_eq!(wang[10], "線上");
    assert_eq!(line("S-2", "500")[10], "門市");
    let lin = line("S-3", "200");
    assert_eq!((lin[2].as_str(), lin[6].as_str()), ("", "門市"));
    let refund = line("S-5", "-100");
    assert_eq!(
        (refund[1].as_str(), refund[11].as_str()),
        ("高雄巨蛋店", "退款")
    );
    assert_eq!(line("S-5", "300")[11], "銷售");
    let unknown = line("S-6", "700");
    assert_eq!(unknown[..2], ["", ""]);
    assert_eq!(unknown[6], "未歸因");
    assert_eq!(unknown[15], "找不到這位會員");

    // The channel and group filters narrow it exactly as they narrow the page.
    let text = hq
        .get(&format!(
            "/admin/sales/export.csv?per=month&from=2026-11&to=2026-11&group_id={}&channel=in_store",
            s.north
        ))
        .await
        .text()
        .await
        .unwrap();
    let lines = csv_lines(&text);
    let ids: Vec<&str> = lines.iter().map(|l| l[13].as_str()).collect();
    assert_eq!(ids, ["S-2", "S-7"]);

    // The page links to it with its filters.
    let page = hq
        .get(&format!(
            "/admin/sales?per=day&from=2026-11-09&to=2026-11-11&by=clerk&group_id={}",
            s.north
        ))
        .await
        .text()
        .await
        .unwrap()
        .replace("&#38;", "&");
    let link = format!(
        "/admin/sales/export.csv?per=day&from=2026-11-09&to=2026-11-11&by=clerk&group_id={}",
        s.north
    );
    assert!(page.contains(&link), "{page}");
}

#[tokio::test]
async fn store_staff_export_their_own_store_with_phones_masked_and_are_refused_another() {
    let s = shop().await;
    let staff = s.app.store_staff(s.a1).await;
    let text = staff
        .get("/admin/sales/export.csv?per=month&from=2026-11&to=2026-11")
        .await
        .text()
        .await
        .unwrap();
    let lines = csv_lines(&text);
    assert_eq!(lines.len(), 4, "S-0 … S-3: {lines:?}");
    assert!(lines.iter().all(|l| l[1] == "台北信義店"));
    assert_eq!(amounts_sum(&lines), 6_700);
    assert!(lines.iter().all(|l| l[8].contains("***")), "{lines:?}");
    let refused = staff
        .get(&format!("/admin/sales/export.csv?store_id={}", s.b1))
        .await;
    assert_eq!(refused.status(), 403);
    let text = refused.text().await.unwrap();
    assert!(text.contains("只能查看自己門市的業績"), "{text}");
    assert!(!text.contains("高雄巨蛋店"));
    let bad = staff.get("/admin/sales/export.csv?per=week").await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn the_export_pages_through_the_orders_day_by_day_and_loses_none() {
    let s = shop().await;
    let actor = Actor {
        staff_id: None,
        label: "test".to_owned(),
        scope: Scope::Hq,
    };
    let everything = query(november(), Dimension::Store);
    let mut one_page = OrderLines::start(&s.app.db, &actor, &everything)
        .await
        .unwrap();
    let mut pages_of_two = OrderLines::start(&s.app.db, &actor, &everything)
        .await
        .unwrap()
        .with_page_size(2);
    let mut all = Vec::new();
    while let Some(page) = one_page.next_page(&s.app.db).await.unwrap() {
        all.extend(page);
    }
    let mut paged = Vec::new();
    let mut pages = 0;
    while let Some(page) = pages_of_two.next_page(&s.app.db).await.unwrap() {
        assert!(!page.is_empty() && page.len() <= 2);
        pages += 1;
        paged.extend(page);
    }
    assert_eq!(all.len(), 9);
    assert_eq!(paged, all);
    assert!(pages >= 5, "{pages} pages");
    // By Taiwan day, then as recorded.
    let days: Vec<String> = all
        .iter()
        .map(|l| store_assistant::domain::taipei_time::format(l.ordered_at)[..10].to_owned())
        .collect();
    let mut sorted = days.clone();
    sorted.sort();
    assert_eq!(days, sorted);
}

#[tokio::test]
async fn the_api_report_has_the_page_figures_for_the_same_filters() {
    let s = shop().await;
    let (status, body) =
        s.hq.call(
            "GET",
            "/reports/sales?per=day&from=2026-11-09&to=2026-11-11&by=store",
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let page = report(&s.app, Scope::Hq, query(days(), Dimension::Store)).await;
    assert_eq!(body["per"], "day");
    assert_eq!(body["from"], "2026-11-09");
    assert_eq!(body["to"], "2026-11-11");
    assert_eq!(body["totals"]["net"], 4_600);
    assert_eq!(body["totals"]["net"], page.totals.total().net());
    assert_eq!(body["totals"]["refunded"], -100);
    assert_eq!(body["totals"]["buyers"], page.totals.buyers);
    assert_eq!(body["by_period"].as_array().unwrap().len(), 3);
    let by_key = body["by_key"].as_array().unwrap();
    assert_eq!(by_key.len(), page.by_key.len());
    for (json, row) in by_key.iter().zip(&page.by_key) {
        assert_eq!(json["label"], row.label.as_str());
        assert_eq!(json["figures"]["net"], row.figures.total().net());
        assert_eq!(json["figures"]["online"]["net"], row.figures.online.net());
        assert_eq!(
            json["figures"]["in_store"]["sales"],
            row.figures.in_store.gross
        );
        assert_eq!(json["figures"]["buyers"], row.figures.buyers);
    }
    assert_eq!(by_key[0]["key"]["kind"], "store");
    assert_eq!(by_key[0]["key"]["store_id"], s.a2, "A02 sold most");
    assert_eq!(by_key.last().unwrap()["key"]["kind"], "unattributed");
    assert_eq!(body["rows"].as_array().unwrap().len(), page.rows.len());

    let (_, by_clerk) =
        s.hq.call(
            "GET",
            "/reports/sales?per=month&from=2026-11&to=2026-11&by=clerk",
            None,
        )
        .await;
    let amy = by_clerk["by_key"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key"]["clerk_id"] == s.amy)
        .expect("Amy's row");
    assert_eq!(amy["figures"]["net"], 6_500);
}

#[tokio::test]
async fn a_store_token_gets_its_own_store_and_bad_parameters_get_400_with_a_reason() {
    let s = shop().await;
    let (clerk_id, _) = s.app.create_account(StaffRole::Store, Some(s.a1)).await;
    let store = s.app.api_token(clerk_id, "門市報表").await;
    let (status, body) = store
        .call(
            "GET",
            "/reports/sales?per=month&from=2026-11&to=2026-11",
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["store_id"], s.a1);
    assert_eq!(body["totals"]["net"], 6_700);
    assert_eq!(body["by_key"].as_array().unwrap().len(), 1);
    assert!(!body.to_string().contains("高雄巨蛋店"));
    let (status, body) = store
        .call("GET", &format!("/reports/sales?store_id={}", s.b1), None)
        .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"], "other_store");
    let response = store
        .get("/reports/sales/orders.csv?per=month&from=2026-11&to=2026-11")
        .await;
    assert_eq!(response.status(), 200);
    let lines = csv_lines(&response.text().await.unwrap());
    assert_eq!(amounts_sum(&lines), 6_700);
    let (status, _) = store
        .call(
            "GET",
            &format!("/reports/sales/orders.csv?store_id={}", s.b1),
            None,
        )
        .await;
    assert_eq!(status, 403);

    for (query, says) in [
        ("per=week", "per must be day or month"),
        ("by=shelf", ""),
        (
            "from=2026-11-30&to=2026-11-01",
            "the start is after the end",
        ),
        ("from=2026-01-01&to=2026-12-01", "at most 92 days"),
        ("channel=phone", "online or in_store"),
    ] {
        let (status, body) =
            s.hq.call("GET", &format!("/reports/sales?{query}"), None)
                .await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body["message"].is_string(), "{query}: {body}");
        assert!(
            body["message_en"].as_str().unwrap().contains(says),
            "{query}: {body}"
        );
    }
}

/// The month totals and buyer counts the database keeps beside the day cells (`sales_monthly`,
/// `sales_buyer_counts`) give, for every month view HQ or a store can ask for, exactly what
/// counting the orders one by one gives: over two months, with a store that changed group within
/// the month, a member buying in several stores, channels and months, and voided purchases (the
/// last sale of a member in a cell voided takes the member out of its counts).
#[tokio::test]
async fn month_views_are_what_counting_the_orders_one_by_one_gives_for_every_filter() {
    use std::collections::{HashMap, HashSet};
    use store_assistant::db::entities::enums::OrderKind;
    use store_assistant::domain::amount::Ntd;
    use store_assistant::services::orders::in_store::{
        NewPurchase, new_purchase_key, record_purchase, void_purchase,
    };

    let s = shop().await;
    s.move_a02_to_south().await;
    for (id, at, phone, channel, amount) in [
        // Chen at A02, now in 南區: A02's November is in two groups.
        ("S-8", "2026-11-20 10:00:00", "0912345603", "online", 50),
        // Wang again in a cell he bought in already, and in the next month.
        ("S-9", "2026-11-25 10:00:00", "0912345601", "online", 60),
        ("S-10", "2026-12-01 10:00:00", "0912345601", "online", 90),
        // Lee in store: B01's first in-store buyer.
        ("S-11", "2026-11-26 10:00:00", "0912345604", "in_store", 80),
    ] {
        s.order(id, at, phone, channel, amount, None).await;
    }
    // Purchases entered at the counter today: Lin twice (one voided, so she stays a buyer), Wang
    // once (voided, so he is no in-store buyer this month).
    let member_of = |orders: &[store_assistant::db::entities::orders::Model], id: &str| {
        orders
            .iter()
            .find(|o| o.external_id == id)
            .and_then(|o| o.member_id)
            .unwrap()
    };
    let before = s.app.order_rows().await;
    let (wang, lin) = (member_of(&before, "S-1"), member_of(&before, "S-3"));
    store_assistant::services::sales_settings::set_purchase_entry(
        &s.app.db,
        &Actor::cli(),
        s.a1,
        true,
    )
    .await
    .unwrap();
    let mut voided = Vec::new();
    for (member, amount, void) in [(lin, 120, false), (lin, 130, true), (wang, 140, true)] {
        let recorded = record_purchase(
            &s.app.db,
            &Actor::cli(),
            NewPurchase {
                idempotency_key: new_purchase_key(),
                store_id: s.a1,
                member_id: member,
                amount: Ntd::new(amount).unwrap(),
                receipt_no: None,
                note: None,
            },
        )
        .await
        .unwrap();
        if void {
            voided.push(recorded.order.sale.id);
        }
    }
    for id in voided {
        void_purchase(&s.app.db, &Actor::cli(), id, "輸入錯誤")
            .await
            .unwrap();
    }

    let today = store_assistant::domain::taipei_time::day_of(chrono::Utc::now());
    let orders = s.app.order_rows().await;
    let mut views = 0;
    for period in [
        november(),
        SalesPeriod::months(date("2026-11-01"), today).unwrap(),
    ] {
        let (from, to) = period.month_keys();
        for dimension in [Dimension::Store, Dimension::Group, Dimension::Clerk] {
            for store_id in [None, Some(s.a1), Some(s.a2)] {
                for group_id in [None, Some(s.north), Some(s.south)] {
                    for channel in [
                        None,
                        Some(SalesChannel::Online),
                        Some(SalesChannel::InStore),
                    ] {
                        let q = SalesQuery {
                            period,
                            dimension,
                            store_id,
                            group_id,
                            channel,
                        };
                        let r = report(&s.app, Scope::Hq, q).await;
                        views += 1;

                        // The same view, counted over the orders.
                        let mut by_key: HashMap<ReportKey, (SalesFigures, HashSet<i32>)> =
                            HashMap::new();
                        let mut by_month: HashMap<i32, (SalesFigures, HashSet<i32>)> =
                            HashMap::new();
                        let mut totals = (SalesFigures::default(), HashSet::new());
                        for o in orders.iter().filter(|o| {
                            o.voided_at.is_none()
                                && (from..=to).contains(&o.booked_month)
                                && store_id.is_none_or(|id| o.credited_store_id == Some(id))
                                && group_id.is_none_or(|id| o.credited_group_id == Some(id))
                                && channel.is_none_or(|c| o.channel == c)
                        }) {
                            let key = match (dimension, o.credited_store_id) {
                                (_, None) => ReportKey::Unattributed,
                                (Dimension::Store, Some(id)) => ReportKey::Store(id),
                                (Dimension::Group, Some(_)) => {
                                    ReportKey::Group(o.credited_group_id)
                                }
                                (Dimension::Clerk, Some(id)) => ReportKey::Clerk {
                                    store_id: id,
                                    clerk_id: o.credited_clerk_id,
                                },
                            };
                            let booked = match o.kind {
                                OrderKind::Sale => amounts(1, o.amount, 0, 0),
                                OrderKind::Refund => amounts(0, 0, 1, o.amount),
                            };
                            for (figures, buyers) in [
                                by_key.entry(key).or_default(),
                                by_month.entry(o.booked_month).or_default(),
                                &mut totals,
                            ] {
                                figures.channel_mut(o.channel).add(&booked);
                                if o.kind == OrderKind::Sale
                                    && let Some(member) = o.member_id
                                {
                                    buyers.insert(member);
                                }
                            }
                        }
                        let counted = |(mut figures, buyers): (SalesFigures, HashSet<i32>)| {
                            figures.buyers = buyers.len() as u64;
                            figures
                        };
                        let expected_keys: HashMap<ReportKey, SalesFigures> = by_key
                            .into_iter()
                            .map(|(key, counts)| (key, counted(counts)))
                            .collect();
                        let reported_keys: HashMap<ReportKey, SalesFigures> = r
                            .by_key
                            .iter()
                            .filter(|row| !row.figures.is_empty())
                            .map(|row| (row.key, row.figures))
                            .collect();
                        assert_eq!(reported_keys, expected_keys, "{q:?}");
                        for row in &r.by_period {
                            let expected = by_month
                                .remove(&row.period)
                                .map(counted)
                                .unwrap_or_default();
                            assert_eq!(row.figures, expected, "{q:?}, month {}", row.period);
                        }
                        assert!(by_month.is_empty(), "{q:?}: months missing");
                        assert_eq!(r.totals, counted(totals), "{q:?}");
                    }
                }
            }
        }
    }
    assert_eq!(views, 162);
    // The views ask for something: November over all stores has sales, refunds and buyers.
    let hq = report(&s.app, Scope::Hq, query(november(), Dimension::Store)).await;
    assert!(hq.totals.total().refunds > 0 && hq.totals.buyers == 4);
}

/// Members buying online and in store at the same moment are each one member who bought (on
/// PostgreSQL the bookings run in parallel transactions; none may count a member twice).
#[tokio::test]
async fn members_buying_in_both_channels_at_once_are_counted_once_each() {
    let s = shop().await;
    let phones: Vec<String> = (10..30).map(|n| format!("09123457{n}")).collect();
    for phone in &phones {
        let member = phone_member(&s.app, s.b1, None, &format!("+886{}", &phone[1..]), None).await;
        set_bound_at(&s.app, member, taipei("2026-01-01 00:00:00")).await;
    }
    // A member's two orders at once; members one after the other, so that nothing but the
    // member's own two bookings run side by side.
    for (n, phone) in phones.iter().enumerate() {
        let order = |channel: &'static str| {
            let id = format!("D-{n}-{channel}");
            let shop = &s;
            async move {
                shop.order(&id, "2026-12-02 10:00:00", phone, channel, 100, None)
                    .await
            }
        };
        futures_util::future::join(order("online"), order("in_store")).await;
    }
    let december = SalesPeriod::months(date("2026-12-01"), date("2026-12-31")).unwrap();
    for channel in [
        None,
        Some(SalesChannel::Online),
        Some(SalesChannel::InStore),
    ] {
        for dimension in [Dimension::Store, Dimension::Group, Dimension::Clerk] {
            let q = SalesQuery {
                channel,
                ..query(december, dimension)
            };
            let r = report(&s.app, Scope::Hq, q).await;
            assert_eq!(r.totals.buyers, 20, "{q:?}");
            assert_eq!(r.by_key.len(), 1, "{q:?}");
            assert_eq!(r.by_key[0].figures.buyers, 20, "{q:?}");
            let orders = if channel.is_some() { 20 } else { 40 };
            assert_eq!(r.totals.total().orders, orders, "{q:?}");
        }
    }
}

/// A database that had orders before the month totals existed gets them from its day cells and
/// buyer rows when it is migrated: undoing that migration and doing it again gives the totals
/// the bookings kept.
#[tokio::test]
async fn migrating_a_database_with_orders_sums_and_counts_what_it_has() {
    let s = shop().await;
    let booked = s.app.month_totals().await;
    // The shop's November: three stores and the unattributed cell, online and in store.
    assert!(booked.0.len() >= 6 && booked.1.len() >= 20, "{booked:?}");
    assert_eq!(s.app.recounted_month_totals().await, booked);

    // And the triggers are back: a new order moves its month.
    s.order(
        "S-20",
        "2026-11-28 10:00:00",
        "0912345604",
        "online",
        900,
        None,
    )
    .await;
    let (monthly, _) = s.app.month_totals().await;
    let gross: i64 = monthly.iter().map(|row| row.gross_amount).sum();
    let before: i64 = booked.0.iter().map(|row| row.gross_amount).sum();
    assert_eq!(gross, before + 900);
}

/// Buyer rows are written one per statement, as every booking and void does: the buyer counts'
/// triggers read the member's other rows. SQLite runs them row by row, so a statement writing
/// several is counted right; PostgreSQL runs them after the whole statement, so there such a
/// statement is refused rather than miscounted.
#[tokio::test]
async fn a_statement_writing_several_buyer_rows_is_counted_row_by_row_or_refused() {
    use sea_orm::{ConnectionTrait, DbBackend};

    let s = shop().await;
    let lee = s
        .app
        .order_rows()
        .await
        .into_iter()
        .find(|o| o.external_id == "S-5")
        .and_then(|o| o.member_id)
        .unwrap();
    let written = s
        .app
        .db
        .execute_unprepared(&format!(
            "INSERT INTO sales_buyers (booked_month, credited_store_id, member_id, channel, \
             credited_clerk_id, credited_group_id) VALUES \
             (202612, {b1}, {lee}, 'online', 0, {south}), \
             (202612, {b1}, {lee}, 'in_store', 0, {south})",
            b1 = s.b1,
            south = s.south,
        ))
        .await;
    let december = SalesPeriod::months(date("2026-12-01"), date("2026-12-31")).unwrap();
    let r = report(&s.app, Scope::Hq, query(december, Dimension::Store)).await;
    match s.app.db.get_database_backend() {
        DbBackend::Postgres => {
            let refusal = written.expect_err("refused").to_string();
            assert!(refusal.contains("one per statement"), "{refusal}");
            assert_eq!(r.totals.buyers, 0);
        }
        _ => {
            written.expect("written");
            assert_eq!(r.totals.buyers, 1);
            assert_eq!(row(&r, ReportKey::Store(s.b1)).buyers, 1);
        }
    }
}
