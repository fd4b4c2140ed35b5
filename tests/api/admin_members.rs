//! Members in the admin: the scoped list and CSV with masked phones for store staff, filters and
//! pages, the member page, HQ's rebinding, bulk reassignment with its preview-count guard, undo,
//! the conflicts queue, and personal data (export, erasure).

use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use store_assistant::db::entities::enums::{BindingChangeKind, ConflictStatus};
use store_assistant::db::entities::{
    audit_log, binding_attempts, binding_change_members, binding_changes, bindings,
    member_conflicts, members,
};

use crate::helpers::{TestApp, spawn_app};
use crate::member_fixtures::{binding_of, clerk, line_member, phone_member, set_bound_at, taipei};

async fn audit_count(app: &TestApp, action: &str) -> u64 {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .count(&app.db)
        .await
        .unwrap()
}

async fn body(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Two stores in two groups, a member in each, with a phone.
struct TwoStores {
    a: i32,
    b: i32,
    member_a: i32,
    member_b: i32,
}

async fn two_stores(app: &TestApp) -> TwoStores {
    let a = app.create_store("A01", "台北信義店", Some("北區")).await;
    let b = app.create_store("B01", "高雄巨蛋店", Some("南區")).await;
    let member_a = phone_member(app, a, None, "+886912345678", None).await;
    let member_b = line_member(app, b, None, "U-b", "高雄的小美").await;
    phone_member(app, b, None, "+886987654321", Some("U-b")).await;
    TwoStores {
        a,
        b,
        member_a,
        member_b,
    }
}

#[tokio::test]
async fn hq_sees_every_member_and_store_staff_only_their_stores() {
    let app = spawn_app().await;
    let w = two_stores(&app).await;
    let hq = app.hq().await;
    let staff_a = app.store_staff(w.a).await;

    let (status, hq_page) = body(hq.get("/admin/members").await).await;
    assert_eq!(status, 200);
    assert!(hq_page.contains("共 3 位"), "{hq_page}");
    assert!(hq_page.contains("高雄的小美"));
    assert!(hq_page.contains("台北信義店"));

    let (status, store_page) = body(staff_a.get("/admin/members").await).await;
    assert_eq!(status, 200);
    assert!(store_page.contains("共 1 位"), "{store_page}");
    assert!(!store_page.contains("高雄的小美"));
    assert!(!store_page.contains("高雄巨蛋店"));

    // Asking for store B's members by filter gives store staff nothing, not B's members.
    let (_, filtered) = body(
        staff_a
            .get(&format!("/admin/members?store_id={}", w.b))
            .await,
    )
    .await;
    assert!(filtered.contains("共 0 位"), "{filtered}");

    let (status, csv) = body(staff_a.get("/admin/members/export.csv").await).await;
    assert_eq!(status, 200);
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(!csv.contains("高雄"));
    let (_, csv) = body(hq.get("/admin/members/export.csv").await).await;
    assert_eq!(csv.lines().count(), 4, "{csv}");

    // Another store's member page is "not found" for store staff.
    let (status, page) = body(staff_a.get(&format!("/admin/members/{}", w.member_b)).await).await;
    assert_eq!(status, 404);
    assert!(!page.contains("高雄的小美"));
    let (status, _) = body(staff_a.get(&format!("/admin/members/{}", w.member_a)).await).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn store_staff_see_masked_phones_in_the_page_and_the_csv_and_hq_sees_full_ones() {
    let app = spawn_app().await;
    let w = two_stores(&app).await;
    let hq = app.hq().await;
    let staff_a = app.store_staff(w.a).await;

    for page in [
        "/admin/members".to_owned(),
        "/admin/members/export.csv".to_owned(),
        format!("/admin/members/{}", w.member_a),
    ] {
        let (status, text) = body(staff_a.get(&page).await).await;
        assert_eq!(status, 200, "{page}");
        assert!(text.contains("0912***678"), "{page}: {text}");
        assert!(!text.contains("0912345678"), "{page} leaks the phone");
        assert!(!text.contains("912345678"), "{page} leaks the phone");

        let (_, text) = body(hq.get(&page).await).await;
        let full = if page.ends_with(".csv") {
            "+886912345678"
        } else {
            "0912345678"
        };
        assert!(text.contains(full), "{page}: HQ sees the number");
    }
    let (_, list) = body(hq.get("/admin/members").await).await;
    assert!(list.contains("總公司帳號可看到完整手機號碼"));
}

#[tokio::test]
async fn store_staff_find_a_member_by_the_whole_phone_but_not_by_part_of_it() {
    let app = spawn_app().await;
    let w = two_stores(&app).await;
    phone_member(&app, w.a, None, "+886911111111", None).await;
    let staff_a = app.store_staff(w.a).await;
    let hq = app.hq().await;

    let (status, page) = body(staff_a.get("/admin/members?q=0912-345-678").await).await;
    assert_eq!(status, 200);
    assert!(page.contains("共 1 位"), "{page}");
    assert!(page.contains("0912***678"));

    let (status, page) = body(staff_a.get("/admin/members?q=0912").await).await;
    assert_eq!(status, 400);
    assert!(page.contains("完整的手機號碼"), "{page}");

    // HQ may search by part of a number: a prefix in the local form, or digits anywhere.
    let (_, page) = body(hq.get("/admin/members?q=0912").await).await;
    assert!(page.contains("共 1 位"), "{page}");
    let (_, page) = body(hq.get("/admin/members?q=1111").await).await;
    assert!(page.contains("共 1 位"), "{page}");
    // By name, case and LIKE wildcards taken literally.
    let (_, page) = body(hq.get("/admin/members?q=%E5%B0%8F%E7%BE%8E").await).await;
    assert!(
        page.contains("共 1 位") && page.contains("高雄的小美"),
        "{page}"
    );
    let (_, page) = body(hq.get("/admin/members?q=%25").await).await;
    assert!(page.contains("共 0 位"), "{page}");
}

#[tokio::test]
async fn the_list_filters_by_store_group_clerk_route_and_bound_date() {
    let app = spawn_app().await;
    let a = app.create_store("A01", "台北信義店", Some("北區")).await;
    let a2 = app.create_store("A02", "台北大安店", Some("北區")).await;
    let b = app.create_store("B01", "高雄巨蛋店", Some("南區")).await;
    let amy = clerk(&app, a).await;
    let m1 = line_member(&app, a, Some(amy), "U1", "一號").await;
    let m2 = phone_member(&app, a, None, "+886900000002", None).await;
    let m3 = line_member(&app, a2, None, "U3", "三號").await;
    let m4 = line_member(&app, b, None, "U4", "四號").await;
    set_bound_at(&app, m1, taipei("2026-11-01 10:00:00")).await;
    set_bound_at(&app, m2, taipei("2026-11-02 00:00:00")).await;
    set_bound_at(&app, m3, taipei("2026-11-02 23:59:59")).await;
    set_bound_at(&app, m4, taipei("2026-11-03 00:00:00")).await;
    let hq = app.hq().await;
    let north = app.group_id("北區").await.unwrap();

    for (query, expected) in [
        (format!("store_id={a}"), 2),
        (format!("group_id={north}"), 3),
        (format!("clerk_id={amy}"), 1),
        ("route=phone".to_owned(), 1),
        ("route=liff".to_owned(), 3),
        ("from=2026-11-02&to=2026-11-02".to_owned(), 2),
        ("from=2026-11-02".to_owned(), 3),
        ("to=2026-11-01".to_owned(), 1),
        (format!("group_id={north}&route=liff&from=2026-11-02"), 1),
    ] {
        let (status, page) = body(hq.get(&format!("/admin/members?{query}")).await).await;
        assert_eq!(status, 200, "{query}");
        assert!(
            page.contains(&format!("共 {expected} 位")),
            "{query}: expected {expected}"
        );
        let (_, csv) = body(hq.get(&format!("/admin/members/export.csv?{query}")).await).await;
        assert_eq!(csv.lines().count(), expected + 1, "{query}: CSV rows");
    }
    let (status, page) = body(hq.get("/admin/members?from=2026-13-01").await).await;
    assert_eq!(status, 400);
    assert!(page.contains("YYYY-MM-DD"), "{page}");
    let (status, _) = body(hq.get("/admin/members?route=pigeon").await).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn pages_hold_fifty_members_in_a_stable_order() {
    let app = spawn_app().await;
    let a = app.create_store("A01", "台北信義店", None).await;
    let start = taipei("2026-10-01 09:00:00");
    let mut ids = Vec::new();
    for i in 0..53 {
        let id = line_member(&app, a, None, &format!("U{i:03}"), &format!("會員{i:03}")).await;
        // Two members share each binding time: the id breaks the tie.
        set_bound_at(&app, id, start + Duration::minutes(i / 2)).await;
        ids.push(id);
    }
    let hq = app.hq().await;
    let (_, first) = body(hq.get("/admin/members").await).await;
    let (_, second) = body(hq.get("/admin/members?page=2").await).await;
    assert!(first.contains("第 1 / 2 頁") && second.contains("第 2 / 2 頁"));
    let shown = |page: &str| {
        ids.iter()
            .filter(|id| page.contains(&format!("/admin/members/{id}\">{id}<")))
            .count()
    };
    assert_eq!(shown(&first), 50);
    assert_eq!(shown(&second), 3);
    // Newest first; among equal times, the higher id first.
    let newest = ids[52];
    let oldest = ids[0];
    assert!(first.contains(&format!("/admin/members/{newest}\"")));
    assert!(second.contains(&format!("/admin/members/{oldest}\"")));
    let pos = |page: &str, id: i32| page.find(&format!("/admin/members/{id}\">")).unwrap();
    assert!(pos(&first, ids[51]) < pos(&first, ids[50]));
    // Asking again gives the same page.
    let (_, again) = body(hq.get("/admin/members?page=2").await).await;
    assert_eq!(shown(&again), 3);
}

#[tokio::test]
async fn the_csv_has_a_bom_the_columns_and_defused_formulas() {
    let app = spawn_app().await;
    let a = app.create_store("A01", "台北信義店", Some("北區")).await;
    let amy = clerk(&app, a).await;
    let member = line_member(&app, a, Some(amy), "U1", "=HYPERLINK(\"http://x\")").await;
    set_bound_at(&app, member, taipei("2026-11-28 14:03:00")).await;
    let hq = app.hq().await;
    let response = hq.get("/admin/members/export.csv").await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let bytes = response.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "UTF-8 BOM");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "member_id",
            "display_name",
            "phone",
            "line_linked",
            "store_code",
            "store_name",
            "group_name",
            "clerk",
            "route",
            "bound_at"
        ]
    );
    let row = reader.records().next().unwrap().unwrap();
    let clerk_name = store_assistant::db::entities::staff_accounts::Entity::find_by_id(amy)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .username;
    assert_eq!(
        row.iter().collect::<Vec<_>>(),
        [
            member.to_string().as_str(),
            "'=HYPERLINK(\"http://x\")",
            "",
            "yes",
            "A01",
            "台北信義店",
            "北區",
            clerk_name.as_str(),
            "liff",
            "2026-11-28 14:03:00"
        ]
    );
}

#[tokio::test]
async fn the_member_page_shows_identity_binding_attempts_consent_and_audit() {
    let app = spawn_app().await;
    let a = app.create_store("A01", "台北信義店", Some("北區")).await;
    let b = app.create_store("B01", "高雄巨蛋店", None).await;
    let member = phone_member(&app, a, None, "+886912345678", None).await;
    // The same shopper later scans store B: already bound, the attempt is recorded.
    phone_member(&app, b, None, "+886912345678", None).await;
    let hq = app.hq().await;
    let (status, page) = body(hq.get(&format!("/admin/members/{member}")).await).await;
    assert_eq!(status, 200);
    for expected in [
        "未連結 not linked",
        "已驗證 verified",
        "北區｜台北信義店",
        "綁定成功 bound",
        "已綁定 already bound",
        "高雄巨蛋店",
        "同意個人資料告知事項",
        "binding.created",
    ] {
        assert!(page.contains(expected), "missing {expected}");
    }

    // Store A's staff see their store's attempt, not store B's, and no audit details.
    let staff_a = app.store_staff(a).await;
    let (status, page) = body(staff_a.get(&format!("/admin/members/{member}")).await).await;
    assert_eq!(status, 200);
    assert!(page.contains("綁定成功 bound"));
    assert!(
        !page.contains("高雄巨蛋店"),
        "store B's attempt is B's business"
    );
    assert!(page.contains("binding.created"));
    assert!(!page.contains("journey_id"));
    assert!(
        !page.contains("改綁定 <span"),
        "no HQ forms for store staff"
    );
}

#[tokio::test]
async fn hq_rebinds_a_member_with_a_required_reason_and_the_change_is_audited() {
    let app = spawn_app().await;
    let a = app.create_store("A01", "台北信義店", None).await;
    let b = app.create_store("B01", "高雄巨蛋店", None).await;
    let bella = clerk(&app, b).await;
    let other_clerk = clerk(&app, a).await;
    let member = line_member(&app, a, None, "U1", "小明").await;
    let hq = app.hq().await;
    let path = format!("/admin/members/{member}/rebind");

    let (status, page) = body(
        hq.post_form(&path, &[("store_id", &b.to_string()), ("reason", "  ")])
            .await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(page.contains("請填寫原因"), "{page}");
    let (status, page) = body(
        hq.post_form(
            &path,
            &[
                ("store_id", &b.to_string()),
                ("clerk_id", &other_clerk.to_string()),
                ("reason", "x"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 400, "a clerk of another store");
    assert!(page.contains("目標門市的人員"), "{page}");
    let staff_a = app.store_staff(a).await;
    let (status, _) = body(
        staff_a
            .post_form(&path, &[("store_id", &b.to_string()), ("reason", "x")])
            .await,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(binding_of(&app, member).await.unwrap().store_id, a);

    let response = hq
        .post_form(
            &path,
            &[
                ("store_id", &b.to_string()),
                ("clerk_id", &bella.to_string()),
                ("reason", "會員要求改到常去的門市"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let binding = binding_of(&app, member).await.unwrap();
    assert_eq!((binding.store_id, binding.clerk_id), (b, Some(bella)));

    let audit = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("binding.rebind"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        audit.entity_id.as_deref(),
        Some(member.to_string().as_str())
    );
    assert_eq!(audit.reason.as_deref(), Some("會員要求改到常去的門市"));
    assert_eq!(audit.before_json.unwrap()["store_id"], a);
    let after = audit.after_json.unwrap();
    assert_eq!(after["store_id"], b);
    assert_eq!(after["clerk_id"], bella);
    let change = binding_changes::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(change.kind, BindingChangeKind::Rebind);
    assert_eq!(change.member_ids, serde_json::json!([member]));
    assert_eq!(
        (change.from_store_id, change.to_store_id),
        (Some(a), Some(b))
    );

    // The same binding again is refused: nothing to change.
    let (status, _) = body(
        hq.post_form(
            &path,
            &[
                ("store_id", &b.to_string()),
                ("clerk_id", &bella.to_string()),
                ("reason", "again"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    let (_, page) = body(
        hq.get(&format!("/admin/members/{member}?done=rebind"))
            .await,
    )
    .await;
    assert!(page.contains("binding.rebind") && page.contains("已改綁定"));
}

/// Store A with clerks Amy (3 members) and Ann (1 member), plus one member without a clerk.
struct Clerks {
    a: i32,
    b: i32,
    amy: i32,
    ann: i32,
    amys: Vec<i32>,
    others: Vec<i32>,
}

async fn clerks(app: &TestApp) -> Clerks {
    let a = app.create_store("A01", "台北信義店", None).await;
    let b = app.create_store("B01", "台北大安店", None).await;
    let amy = clerk(app, a).await;
    let ann = clerk(app, a).await;
    let mut amys = Vec::new();
    for i in 0..3 {
        amys.push(line_member(app, a, Some(amy), &format!("U-amy-{i}"), "Amy 的會員").await);
    }
    let others = vec![
        line_member(app, a, Some(ann), "U-ann", "Ann 的會員").await,
        line_member(app, a, None, "U-none", "門市會員").await,
    ];
    Clerks {
        a,
        b,
        amy,
        ann,
        amys,
        others,
    }
}

#[tokio::test]
async fn reassigning_a_clerks_members_previews_the_count_then_moves_each_with_an_audit_entry() {
    let app = spawn_app().await;
    let w = clerks(&app).await;
    let hq = app.hq().await;
    let audits_before = audit_count(&app, "binding.reassign").await;

    let (status, preview) = body(
        hq.get(&format!(
            "/admin/members/reassign?kind=clerk&from_id={}&to_id={}&reason=%E9%9B%A2%E8%81%B7",
            w.amy, w.ann
        ))
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        preview.contains("將移轉 <strong class=\"preview\">3</strong> 位會員"),
        "{preview}"
    );
    assert!(preview.contains("name=\"expected_count\" value=\"3\""));
    // The preview changes nothing.
    assert!(
        binding_changes::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .is_none()
    );

    let response = hq
        .post_form(
            "/admin/members/reassign",
            &[
                ("kind", "clerk"),
                ("from_id", &w.amy.to_string()),
                ("to_id", &w.ann.to_string()),
                ("reason", "離職"),
                ("expected_count", "3"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("moved=3"), "{location}");
    for member in &w.amys {
        let binding = binding_of(&app, *member).await.unwrap();
        assert_eq!((binding.store_id, binding.clerk_id), (w.a, Some(w.ann)));
    }
    assert_eq!(binding_of(&app, w.others[1]).await.unwrap().clerk_id, None);
    assert_eq!(
        audit_count(&app, "binding.reassign").await - audits_before,
        3
    );
    let change = binding_changes::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(change.kind, BindingChangeKind::ReassignClerk);
    assert_eq!(change.member_count, 3);
    assert_eq!(
        (change.from_clerk_id, change.to_clerk_id),
        (Some(w.amy), Some(w.ann))
    );
    assert_eq!(change.reason, "離職");
    assert_eq!(change.member_ids, serde_json::json!(w.amys));
    let (_, page) = body(hq.get(&location).await).await;
    assert!(page.contains("已移轉 3 位會員"), "{page}");

    // To a clerk of another store: refused.
    let bob = clerk(&app, w.b).await;
    let (status, page) = body(
        hq.get(&format!(
            "/admin/members/reassign?kind=clerk&from_id={}&to_id={bob}&reason=x",
            w.ann
        ))
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(page.contains("同一門市"), "{page}");
}

#[tokio::test]
async fn reassigning_a_store_moves_every_member_and_clears_their_clerk() {
    let app = spawn_app().await;
    let w = clerks(&app).await;
    let stay = line_member(&app, w.b, None, "U-b", "大安會員").await;
    let hq = app.hq().await;
    let response = hq
        .post_form(
            "/admin/members/reassign",
            &[
                ("kind", "store"),
                ("from_id", &w.a.to_string()),
                ("to_id", &w.b.to_string()),
                ("reason", "信義店關閉，併入大安店"),
                ("expected_count", "5"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let moved: Vec<bindings::Model> = bindings::Entity::find()
        .filter(bindings::Column::StoreId.eq(w.b))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(moved.len(), 6);
    assert!(moved.iter().all(|b| b.clerk_id.is_none()));
    assert_eq!(
        bindings::Entity::find()
            .filter(bindings::Column::StoreId.eq(w.a))
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(audit_count(&app, "binding.reassign").await, 5);
    let items = binding_change_members::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(items.len(), 5);
    assert!(items.iter().all(|i| i.member_id != stay));
    // Each member's own clerk is remembered for an undo.
    let amy_items = items
        .iter()
        .filter(|i| i.from_clerk_id == Some(w.amy))
        .count();
    assert_eq!(amy_items, 3);
}

#[tokio::test]
async fn a_confirmation_whose_count_changed_since_the_preview_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let w = clerks(&app).await;
    let hq = app.hq().await;
    // Previewed 3; a fourth member binds to Amy before HQ confirms.
    line_member(&app, w.a, Some(w.amy), "U-late", "晚到的會員").await;
    let (status, page) = body(
        hq.post_form(
            "/admin/members/reassign",
            &[
                ("kind", "clerk"),
                ("from_id", &w.amy.to_string()),
                ("to_id", &w.ann.to_string()),
                ("reason", "離職"),
                ("expected_count", "3"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 409);
    assert!(page.contains("預覽時 3 位，現在 4 位"), "{page}");
    for member in &w.amys {
        assert_eq!(
            binding_of(&app, *member).await.unwrap().clerk_id,
            Some(w.amy)
        );
    }
    assert!(
        binding_changes::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(audit_count(&app, "binding.reassign").await, 0);

    // Store staff cannot reassign at all.
    let staff = app.store_staff(w.a).await;
    let (status, _) = body(
        staff
            .post_form(
                "/admin/members/reassign",
                &[
                    ("kind", "clerk"),
                    ("from_id", &w.amy.to_string()),
                    ("to_id", &w.ann.to_string()),
                    ("reason", "x"),
                    ("expected_count", "4"),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn undo_restores_each_members_binding_and_leaves_a_member_changed_since_alone() {
    let app = spawn_app().await;
    let w = clerks(&app).await;
    let c = app.create_store("C01", "台中店", None).await;
    let hq = app.hq().await;
    let response = hq
        .post_form(
            "/admin/members/reassign",
            &[
                ("kind", "store"),
                ("from_id", &w.a.to_string()),
                ("to_id", &w.b.to_string()),
                ("reason", "合併"),
                ("expected_count", "5"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let change = binding_changes::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    // One member is rebound to store C afterwards: the undo must not touch them.
    let changed_since = w.amys[0];
    let response = hq
        .post_form(
            &format!("/admin/members/{changed_since}/rebind"),
            &[("store_id", &c.to_string()), ("reason", "會員要求")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);

    let response = hq
        .post_form(&format!("/admin/binding-changes/{}/undo", change.id), &[])
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("restored=4&not_restored=1"), "{location}");
    let (_, page) = body(hq.get(&location).await).await;
    assert!(page.contains("4 位會員回到原本的綁定"), "{page}");
    assert!(page.contains("1 位因之後又被變更而沒有復原"), "{page}");

    for member in &w.amys[1..] {
        let binding = binding_of(&app, *member).await.unwrap();
        assert_eq!((binding.store_id, binding.clerk_id), (w.a, Some(w.amy)));
    }
    let ann_member = binding_of(&app, w.others[0]).await.unwrap();
    assert_eq!(
        (ann_member.store_id, ann_member.clerk_id),
        (w.a, Some(w.ann))
    );
    assert_eq!(binding_of(&app, w.others[1]).await.unwrap().store_id, w.a);
    assert_eq!(binding_of(&app, changed_since).await.unwrap().store_id, c);

    let change = binding_changes::Entity::find_by_id(change.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(change.undone_at.is_some());
    let undo = binding_changes::Entity::find()
        .filter(binding_changes::Column::Kind.eq(BindingChangeKind::Undo))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(undo.undoes_change_id, Some(change.id));
    assert_eq!(undo.member_count, 4);
    assert_eq!(audit_count(&app, "binding.undo").await, 4);

    // Twice is refused.
    let (status, _) = body(
        hq.post_form(&format!("/admin/binding-changes/{}/undo", change.id), &[])
            .await,
    )
    .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn undo_is_refused_after_the_day_of_the_change_and_for_store_staff() {
    let app = spawn_app().await;
    let w = clerks(&app).await;
    let hq = app.hq().await;
    let member = w.others[1];
    hq.post_form(
        &format!("/admin/members/{member}/rebind"),
        &[("store_id", &w.b.to_string()), ("reason", "x")],
    )
    .await;
    let change = binding_changes::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let path = format!("/admin/binding-changes/{}/undo", change.id);

    let staff = app.store_staff(w.a).await;
    let (status, _) = body(staff.post_form(&path, &[]).await).await;
    assert_eq!(status, 403);

    let yesterday = Utc::now() - Duration::days(1);
    binding_changes::Entity::update_many()
        .col_expr(binding_changes::Column::PerformedAt, Expr::value(yesterday))
        .exec(&app.db)
        .await
        .unwrap();
    let (status, page) = body(hq.post_form(&path, &[]).await).await;
    assert_eq!(status, 409);
    assert!(page.contains("只能在變更當天"), "{page}");
    assert_eq!(binding_of(&app, member).await.unwrap().store_id, w.b);
    let (_, list) = body(hq.get("/admin/binding-changes").await).await;
    assert!(!list.contains(&format!("/admin/binding-changes/{}/undo", change.id)));
}

/// A LINE member bound at store A, and a phone member who verified the same LINE account's
/// journey at store B: a conflict. `line_first`: the LINE member bound first.
async fn conflict(app: &TestApp, line_first: bool) -> (i32, i32, i32, i32, i32) {
    let a = app.create_store("A01", "台北信義店", None).await;
    let b = app.create_store("B01", "高雄巨蛋店", None).await;
    let c = app.create_store("C01", "台中店", None).await;
    let (line, phone) = if line_first {
        let line = line_member(app, a, None, "U-dup", "LINE 小明").await;
        let phone = phone_member(app, b, None, "+886912345678", Some("U-dup")).await;
        (line, phone)
    } else {
        let phone = phone_member(app, b, None, "+886912345678", None).await;
        set_bound_at(app, phone, Utc::now() - Duration::days(3)).await;
        let line = line_member(app, a, None, "U-dup", "LINE 小明").await;
        phone_member(app, c, None, "+886912345678", Some("U-dup")).await;
        (line, phone)
    };
    let conflict = member_conflicts::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .expect("the binding service recorded a conflict");
    assert_eq!(
        (conflict.line_member_id, conflict.phone_member_id),
        (line, phone)
    );
    (conflict.id, line, phone, a, b)
}

#[tokio::test]
async fn merging_gives_the_phone_member_the_line_id_and_the_older_line_binding() {
    let app = spawn_app().await;
    let (id, line, phone, a, _) = conflict(&app, true).await;
    let hq = app.hq().await;
    let (status, queue) = body(hq.get("/admin/conflicts").await).await;
    assert_eq!(status, 200);
    assert!(queue.contains(&format!("/admin/conflicts/{id}\"")));
    let (status, page) = body(hq.get(&format!("/admin/conflicts/{id}")).await).await;
    assert_eq!(status, 200);
    assert!(page.contains("綁定以較早的為準"), "the rule is shown");
    assert!(page.contains("（LINE 會員的）"), "{page}");
    let attempts_of = |member: i32| {
        binding_attempts::Entity::find()
            .filter(binding_attempts::Column::MemberId.eq(member))
            .count(&app.db)
    };
    let line_attempts = attempts_of(line).await.unwrap();
    let phone_attempts = attempts_of(phone).await.unwrap();

    let response = hq
        .post_form(
            &format!("/admin/conflicts/{id}/merge"),
            &[("note", "同一人")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response.headers()["location"].to_str().unwrap(),
        format!("/admin/members/{phone}?done=merged")
    );
    let kept = members::Entity::find_by_id(phone)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.line_user_id.as_deref(), Some("U-dup"));
    assert_eq!(kept.phone_e164.as_deref(), Some("+886912345678"));
    assert_eq!(kept.display_name.as_deref(), Some("LINE 小明"));
    let erased = members::Entity::find_by_id(line)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(erased.erased_at.is_some());
    assert_eq!(
        (erased.line_user_id, erased.phone_e164, erased.display_name),
        (None, None, None)
    );
    // The person is bound once, to the older (LINE member's) store.
    assert_eq!(binding_of(&app, phone).await.unwrap().store_id, a);
    assert!(binding_of(&app, line).await.is_none());
    assert_eq!(attempts_of(line).await.unwrap(), 0);
    assert_eq!(
        attempts_of(phone).await.unwrap(),
        line_attempts + phone_attempts
    );
    let resolved = member_conflicts::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resolved.status, ConflictStatus::Merged);
    assert_eq!(resolved.resolution_note.as_deref(), Some("同一人"));
    assert_eq!(audit_count(&app, "conflict.merge").await, 1);
    assert_eq!(audit_count(&app, "member.erase").await, 1);
    let (_, queue) = body(hq.get("/admin/conflicts").await).await;
    assert!(!queue.contains(&format!("/admin/conflicts/{id}\"")));
    assert!(queue.contains("沒有待處理的衝突"));
    let (_, erased_page) = body(hq.get(&format!("/admin/members/{line}")).await).await;
    assert!(erased_page.contains("已刪除的會員"));
    // Twice is refused.
    let (status, _) = body(
        hq.post_form(&format!("/admin/conflicts/{id}/merge"), &[])
            .await,
    )
    .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn merging_keeps_the_phone_members_binding_when_it_is_older() {
    let app = spawn_app().await;
    let (id, line, phone, _, b) = conflict(&app, false).await;
    let hq = app.hq().await;
    let (_, page) = body(hq.get(&format!("/admin/conflicts/{id}")).await).await;
    assert!(page.contains("（手機會員的）"), "{page}");
    let response = hq
        .post_form(&format!("/admin/conflicts/{id}/merge"), &[])
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(binding_of(&app, phone).await.unwrap().store_id, b);
    assert!(binding_of(&app, line).await.is_none());
    assert_eq!(
        members::Entity::find_by_id(phone)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .line_user_id
            .as_deref(),
        Some("U-dup")
    );
}

#[tokio::test]
async fn keeping_a_conflict_apart_changes_no_member_and_leaves_the_queue() {
    let app = spawn_app().await;
    let (id, line, phone, _, _) = conflict(&app, true).await;
    let members_before = members::Entity::find()
        .order_by_asc(members::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let bindings_before = bindings::Entity::find()
        .order_by_asc(bindings::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let staff = app
        .store_staff(app.create_store("S01", "別店", None).await)
        .await;
    let (status, _) = body(staff.get("/admin/conflicts").await).await;
    assert_eq!(status, 403);
    let (status, _) = body(
        staff
            .post_form(&format!("/admin/conflicts/{id}/keep-apart"), &[])
            .await,
    )
    .await;
    assert_eq!(status, 403);

    let hq = app.hq().await;
    let response = hq
        .post_form(
            &format!("/admin/conflicts/{id}/keep-apart"),
            &[("note", "兩個不同的人")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        members::Entity::find()
            .order_by_asc(members::Column::Id)
            .all(&app.db)
            .await
            .unwrap(),
        members_before
    );
    assert_eq!(
        bindings::Entity::find()
            .order_by_asc(bindings::Column::Id)
            .all(&app.db)
            .await
            .unwrap(),
        bindings_before
    );
    let resolved = member_conflicts::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resolved.status, ConflictStatus::KeptApart);
    assert_eq!(audit_count(&app, "conflict.keep_apart").await, 1);
    let (_, queue) = body(hq.get("/admin/conflicts?done=kept_apart").await).await;
    assert!(queue.contains("已分開保留"));
    assert!(!queue.contains(&format!("/admin/conflicts/{id}\"")));
    let _ = (line, phone);
}

#[tokio::test]
async fn the_data_export_holds_the_member_binding_attempts_consent_and_audit() {
    let app = spawn_app().await;
    let w = two_stores(&app).await;
    let hq = app.hq().await;
    let response = hq
        .get(&format!("/admin/members/{}/export.json", w.member_a))
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("member-{}.json", w.member_a))
    );
    let data: serde_json::Value = response.json().await.unwrap();
    assert_eq!(data["member"]["member_id"], w.member_a);
    assert_eq!(data["member"]["phone"], "+886912345678");
    assert_eq!(data["binding"]["store_code"], "A01");
    assert_eq!(data["binding"]["group_name"], "北區");
    assert_eq!(data["binding_attempts"].as_array().unwrap().len(), 1);
    assert_eq!(data["consent"]["notice_version"], "2026-11");
    assert!(
        data["consent"]["consented_at"]
            .as_str()
            .unwrap()
            .ends_with("+08:00")
    );
    let audit = data["audit_log"].as_array().unwrap();
    assert!(audit.iter().any(|e| e["action"] == "binding.created"));
    assert_eq!(audit_count(&app, "member.data_export").await, 1);

    let staff_a = app.store_staff(w.a).await;
    let (status, _) = body(
        staff_a
            .get(&format!("/admin/members/{}/export.json", w.member_a))
            .await,
    )
    .await;
    assert_eq!(status, 403, "personal data requests are HQ's");
}

#[tokio::test]
async fn erasing_a_member_clears_the_identity_and_keeps_the_binding() {
    let app = spawn_app().await;
    let w = two_stores(&app).await;
    let hq = app.hq().await;
    let path = format!("/admin/members/{}/erase", w.member_b);
    let binding_before = binding_of(&app, w.member_b).await.unwrap();

    let (status, _) = body(hq.post_form(&path, &[("reason", "")]).await).await;
    assert_eq!(status, 400, "a reason is required");
    let staff_b = app.store_staff(w.b).await;
    let (status, _) = body(staff_b.post_form(&path, &[("reason", "x")]).await).await;
    assert_eq!(status, 403);

    let response = hq
        .post_form(&path, &[("reason", "會員來信要求刪除個資")])
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let member = members::Entity::find_by_id(w.member_b)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(member.erased_at.is_some());
    assert_eq!(
        (member.line_user_id, member.phone_e164, member.display_name),
        (None, None, None)
    );
    assert_eq!(binding_of(&app, w.member_b).await.unwrap(), binding_before);
    let conflict = member_conflicts::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        conflict.line_user_id, "",
        "the conflict no longer names the LINE id"
    );
    let audit = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("member.erase"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(audit.reason.as_deref(), Some("會員來信要求刪除個資"));
    assert!(!audit.before_json.unwrap().to_string().contains("U-b"));

    let (_, list) = body(staff_b.get("/admin/members").await).await;
    assert!(list.contains("已刪除的會員"));
    assert!(!list.contains("高雄的小美"));
    assert!(list.contains("共 2 位"), "the binding still counts");
    let (status, _) = body(hq.post_form(&path, &[("reason", "again")]).await).await;
    assert_eq!(status, 409);
}
