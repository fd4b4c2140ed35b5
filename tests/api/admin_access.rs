//! Every admin route, for every kind of visitor: anonymous people are sent to sign in, store
//! staff reach only their own store and no HQ-only route, HQ reaches everything, and a POST
//! without the session's CSRF token is refused.

use sea_orm::{EntityTrait, QueryOrder};
use store_assistant::db::entities::enums::StaffRole;
use store_assistant::db::entities::{
    api_tokens, bindings, checklist_items, member_conflicts, members, order_webhook_secrets,
    shop_settings, staff_accounts, stores,
};

use crate::helpers::{TestApp, spawn_app};
use crate::member_fixtures;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Access {
    /// Anyone signed in.
    Anyone,
    /// HQ only: store staff get 403 (or 404).
    HqOnly,
    /// Store A's page: its staff and HQ.
    OwnStore,
    /// Another store's object: store staff get 404.
    OtherStore,
    /// HQ only, and only in demo mode: this (non-demo) app answers 404 even to HQ; the demo's own
    /// tests (`demo.rs`) check HQ's 200 there.
    HqDemoOnly,
    /// Another clerk's card in their own store: store staff print only their own (404).
    OtherClerk,
}

struct Route {
    method: &'static str,
    path: String,
    fields: Vec<(&'static str, String)>,
    access: Access,
}

fn get(path: impl Into<String>, access: Access) -> Route {
    Route {
        method: "GET",
        path: path.into(),
        fields: Vec::new(),
        access,
    }
}

fn post(path: impl Into<String>, fields: &[(&'static str, &str)], access: Access) -> Route {
    Route {
        method: "POST",
        path: path.into(),
        fields: fields.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        access,
    }
}

struct World {
    store_a: i32,
    store_b: i32,
    group_b: i32,
    empty_group: i32,
    clerk_b: i32,
    /// A colleague of the signed-in store A staff member.
    clerk_a: i32,
    member_a: i32,
    member_b: i32,
    /// Two conflicts between members of store A (one to merge, one to keep apart).
    conflicts: [i32; 2],
    token_b: i32,
}

async fn world(app: &TestApp) -> World {
    let store_a = app.create_store("A01", "台北信義店", Some("北區")).await;
    let store_b = app.create_store("B01", "高雄巨蛋店", Some("南區")).await;
    app.create_store("C01", "台中店", None).await;
    let (clerk_b, _) = app.create_account(StaffRole::Store, Some(store_b)).await;
    let (clerk_a, _) = app.create_account(StaffRole::Store, Some(store_a)).await;
    let empty = store_assistant::services::stores::create_group(
        &app.db,
        &store_assistant::services::audit::Actor::cli(),
        "空群組",
    )
    .await
    .unwrap();
    let member_a = member_fixtures::line_member(app, store_a, None, "U-a", "信義會員").await;
    let member_b = member_fixtures::line_member(app, store_b, None, "U-b", "巨蛋會員").await;
    for i in 0..2 {
        let line = format!("U-conflict-{i}");
        member_fixtures::line_member(app, store_a, None, &line, "衝突會員").await;
        let phone = format!("+88691234567{i}");
        member_fixtures::phone_member(app, store_a, None, &phone, Some(&line)).await;
    }
    let conflicts: Vec<i32> = member_conflicts::Entity::find()
        .order_by_asc(member_conflicts::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    app.complete_checklist(false).await;
    let token_b = store_assistant::services::api_tokens::create(
        &app.db,
        &store_assistant::services::audit::Actor::cli(),
        "B 店腳本",
        clerk_b,
    )
    .await
    .unwrap()
    .row
    .id;
    World {
        store_a,
        store_b,
        group_b: app.group_id("南區").await.unwrap(),
        empty_group: empty.id,
        clerk_b,
        clerk_a,
        member_a,
        member_b,
        conflicts: [conflicts[0], conflicts[1]],
        token_b,
    }
}

/// Every admin route, with its access rule. POSTs come last and in an order where HQ's requests
/// all succeed one after the other.
fn routes(w: &World) -> Vec<Route> {
    use Access::*;
    let (a, b, gb, ge, cb) = (w.store_a, w.store_b, w.group_b, w.empty_group, w.clerk_b);
    let (ma, mb, [c1, c2]) = (w.member_a, w.member_b, w.conflicts);
    let (tb, ca) = (w.token_b, w.clerk_a);
    vec![
        get("/admin", Anyone),
        get("/admin/stores", Anyone),
        get(format!("/admin/stores/{a}"), OwnStore),
        get(format!("/admin/stores/{b}"), OtherStore),
        get("/admin/stores/export.csv", HqOnly),
        get("/admin/stores/import", HqOnly),
        get("/admin/groups", HqOnly),
        get(format!("/admin/groups/{gb}"), HqOnly),
        get("/admin/accounts", HqOnly),
        get("/admin/audit", HqOnly),
        get(format!("/admin/audit?store_id={b}"), HqOnly),
        get("/admin/password", Anyone),
        get("/admin/members", Anyone),
        get(format!("/admin/members?store_id={b}&q=0912345678"), Anyone),
        get("/admin/members/export.csv", Anyone),
        get(format!("/admin/members/{ma}"), OwnStore),
        get(format!("/admin/members/{mb}"), OtherStore),
        get(format!("/admin/members/{mb}/export.json"), HqOnly),
        get("/admin/members/reassign", HqOnly),
        get(
            format!("/admin/members/reassign?kind=store&from_id={b}&to_id={a}&reason=x"),
            HqOnly,
        ),
        get("/admin/binding-changes", HqOnly),
        get("/admin/conflicts", HqOnly),
        get(format!("/admin/conflicts/{c1}"), HqOnly),
        get("/admin/reports", Anyone),
        get(
            format!("/admin/reports?from=2026-11-01&to=2026-11-30&by=clerk&store_id={b}"),
            Anyone,
        ),
        get("/admin/sales", Anyone),
        get(
            format!("/admin/sales?per=month&from=2026-11&to=2026-11&by=clerk&group_id={gb}"),
            Anyone,
        ),
        get(format!("/admin/sales?store_id={a}"), OwnStore),
        get(format!("/admin/sales?store_id={b}&by=group"), OtherStore),
        get("/admin/setup", HqOnly),
        get("/admin/api-tokens", HqOnly),
        get(format!("/admin/stores/{a}/poster"), OwnStore),
        get(format!("/admin/stores/{b}/poster"), OtherStore),
        get(format!("/admin/stores/{a}/clerks/{ca}/card"), OtherClerk),
        get(format!("/admin/stores/{b}/clerks/{cb}/card"), OtherStore),
        get("/admin/posters", HqOnly),
        get("/admin/sales-settings", HqOnly),
        post(
            "/admin/stores",
            &[("code", "N01"), ("name", "新店"), ("group_id", "")],
            HqOnly,
        ),
        post(
            format!("/admin/stores/{a}/rename"),
            &[("name", "改名A")],
            HqOnly,
        ),
        post(
            format!("/admin/stores/{b}/rename"),
            &[("name", "改名B")],
            OtherStore,
        ),
        post(
            format!("/admin/stores/{b}/group"),
            &[("group_id", &gb.to_string())],
            OtherStore,
        ),
        post(format!("/admin/stores/{b}/deactivate"), &[], OtherStore),
        post(format!("/admin/stores/{b}/reactivate"), &[], OtherStore),
        post(
            "/admin/stores/import",
            &[("csv", "store_code,store_name,group_name\nZ01,匯入店,\n")],
            HqOnly,
        ),
        post("/admin/groups", &[("name", "東區")], HqOnly),
        post(
            format!("/admin/groups/{gb}/rename"),
            &[("name", "南部")],
            HqOnly,
        ),
        post(
            format!("/admin/groups/{gb}/stores"),
            &[("store_id", &a.to_string())],
            HqOnly,
        ),
        post(format!("/admin/groups/{ge}/delete"), &[], HqOnly),
        post(
            "/admin/accounts",
            &[
                ("username", "new.clerk"),
                ("display_name", "新人"),
                ("role", "store"),
                ("store_id", &b.to_string()),
            ],
            HqOnly,
        ),
        post(
            format!("/admin/accounts/{cb}/reset-password"),
            &[],
            OtherStore,
        ),
        post(format!("/admin/accounts/{cb}/deactivate"), &[], OtherStore),
        post(format!("/admin/accounts/{cb}/reactivate"), &[], OtherStore),
        post(format!("/admin/stores/{a}/qr/rotate"), &[], HqOnly),
        post(format!("/admin/stores/{b}/qr/rotate"), &[], HqOnly),
        post(format!("/admin/stores/{b}/qr/revoke"), &[], HqOnly),
        post(
            format!("/admin/stores/{b}/clerks/{cb}/qr/rotate"),
            &[],
            HqOnly,
        ),
        post(
            format!("/admin/stores/{b}/clerks/{cb}/qr/revoke"),
            &[],
            HqOnly,
        ),
        post(
            format!("/admin/stores/{a}/clerks/{ca}/qr/revoke"),
            &[],
            HqOnly,
        ),
        post(
            "/admin/setup/items/quick_login",
            &[("value", "yes")],
            HqOnly,
        ),
        post(
            "/admin/setup/items/certified_provider",
            &[("value", "no")],
            HqOnly,
        ),
        post("/admin/setup/check", &[], HqOnly),
        post(
            "/admin/setup/settings",
            &[
                ("shop_name", "我的品牌"),
                ("welcome_message", "歡迎加入！"),
                (
                    "sms_template",
                    "【{shop}】驗證碼 {code}，{minutes} 分鐘內有效",
                ),
                ("sms_daily_budget", "300"),
            ],
            HqOnly,
        ),
        post("/admin/setup/activate", &[], HqOnly),
        post("/admin/setup/deactivate", &[], HqOnly),
        post("/admin/setup/demo-route", &[("route", "b")], HqDemoOnly),
        post(
            "/admin/api-tokens",
            &[("name", "腳本"), ("staff_id", &cb.to_string())],
            HqOnly,
        ),
        post(format!("/admin/api-tokens/{tb}/revoke"), &[], HqOnly),
        post(
            format!("/admin/members/{mb}/rebind"),
            &[("store_id", &a.to_string()), ("reason", "會員要求")],
            OtherStore,
        ),
        // The rebinding just above is the first binding change of this world: #1.
        post("/admin/binding-changes/1/undo", &[], HqOnly),
        post(
            "/admin/members/reassign",
            &[
                ("kind", "store"),
                ("from_id", &b.to_string()),
                ("to_id", &a.to_string()),
                ("reason", "門市合併"),
                ("expected_count", "1"),
            ],
            HqOnly,
        ),
        post(format!("/admin/conflicts/{c1}/merge"), &[], HqOnly),
        post(
            format!("/admin/conflicts/{c2}/keep-apart"),
            &[("note", "不同人")],
            HqOnly,
        ),
        post(
            format!("/admin/members/{ma}/erase"),
            &[("reason", "會員要求刪除")],
            HqOnly,
        ),
        post(
            "/admin/sales-settings/attribution",
            &[("level", "clerk"), ("window_days", "30")],
            HqOnly,
        ),
        post(
            "/admin/sales-settings/secrets/shopify",
            &[("secret", "a-shopify-secret-0123456789")],
            HqOnly,
        ),
        post(
            "/admin/sales-settings/secrets/generic",
            &[("action", "generate")],
            HqOnly,
        ),
        post("/admin/sales-settings/secrets/shopify/clear", &[], HqOnly),
        post(
            format!("/admin/stores/{a}/purchase-entry"),
            &[("enabled", "on")],
            HqOnly,
        ),
        post(
            format!("/admin/stores/{b}/purchase-entry"),
            &[("enabled", "on")],
            OtherStore,
        ),
    ]
}

async fn send(
    client: &crate::helpers::StaffClient,
    route: &Route,
    with_csrf: bool,
) -> (u16, String) {
    let fields: Vec<(&str, &str)> = route.fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = match (route.method, with_csrf) {
        ("GET", _) => client.get(&route.path).await,
        (_, true) => client.post_form(&route.path, &fields).await,
        (_, false) => client.post_form_as_is(&route.path, &fields).await,
    };
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_sign_in_on_every_admin_route() {
    let app = spawn_app().await;
    let w = world(&app).await;
    for route in routes(&w) {
        let request = match route.method {
            "GET" => app.client.get(app.url(&route.path)),
            _ => app.client.post(app.url(&route.path)).form(&route.fields),
        };
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status().as_u16(),
            303,
            "{} {}",
            route.method,
            route.path
        );
        let location = response.headers()["location"].to_str().unwrap();
        assert!(
            location.starts_with("/admin/login"),
            "{} {} → {location}",
            route.method,
            route.path
        );
    }
}

#[tokio::test]
async fn store_staff_reach_only_their_own_store_and_no_hq_route() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let clerk = app.store_staff(w.store_a).await;
    let stores_before = stores::Entity::find().all(&app.db).await.unwrap();
    let accounts_before = staff_accounts::Entity::find().all(&app.db).await.unwrap();
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
    let conflicts_before = member_conflicts::Entity::find()
        .order_by_asc(member_conflicts::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let setup_before = setup_rows(&app).await;
    for route in routes(&w) {
        let (status, body) = send(&clerk, &route, true).await;
        let what = format!("{} {} → {status}", route.method, route.path);
        match route.access {
            Access::Anyone | Access::OwnStore => assert_eq!(status, 200, "{what}"),
            Access::HqOnly | Access::HqDemoOnly => {
                assert!(status == 403 || status == 404, "{what}")
            }
            Access::OtherStore | Access::OtherClerk => {
                assert!(status == 403 || status == 404, "{what}")
            }
        }
        if route.access != Access::Anyone && route.access != Access::OwnStore {
            assert!(!body.contains("高雄巨蛋店"), "{what}: leaks store B's name");
            assert!(!body.contains("巨蛋會員"), "{what}: leaks store B's member");
        }
        // No page a store's staff can reach names store B or its members.
        assert!(!body.contains("高雄巨蛋店"), "{what}: leaks store B's name");
        assert!(!body.contains("巨蛋會員"), "{what}: leaks store B's member");
    }
    // The store list shows only their store.
    let list = clerk.get("/admin/stores").await.text().await.unwrap();
    assert!(list.contains("台北信義店"));
    assert!(!list.contains("高雄巨蛋店"));
    assert!(!list.contains("台中店"));
    // Nothing changed.
    assert_eq!(
        stores::Entity::find().all(&app.db).await.unwrap(),
        stores_before
    );
    assert_eq!(
        staff_accounts::Entity::find().all(&app.db).await.unwrap(),
        accounts_before
    );
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
    assert_eq!(
        member_conflicts::Entity::find()
            .order_by_asc(member_conflicts::Column::Id)
            .all(&app.db)
            .await
            .unwrap(),
        conflicts_before
    );
    assert_eq!(setup_rows(&app).await, setup_before);
}

/// The setup state store staff must not change: checklist, settings, tokens, web-shop secrets.
async fn setup_rows(
    app: &TestApp,
) -> (
    Vec<checklist_items::Model>,
    Vec<shop_settings::Model>,
    Vec<api_tokens::Model>,
    Vec<(String, String)>,
) {
    let secrets = order_webhook_secrets::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|row| (format!("{:?}", row.source), row.secret))
        .collect();
    (
        checklist_items::Entity::find().all(&app.db).await.unwrap(),
        shop_settings::Entity::find().all(&app.db).await.unwrap(),
        api_tokens::Entity::find().all(&app.db).await.unwrap(),
        secrets,
    )
}

#[tokio::test]
async fn hq_reaches_every_admin_route() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let hq = app.hq().await;
    for route in routes(&w) {
        let (status, body) = send(&hq, &route, true).await;
        if route.access == Access::HqDemoOnly {
            assert_eq!(status, 404, "{} outside demo mode", route.path);
            continue;
        }
        assert!(
            status == 200 || status == 303,
            "{} {} → {status}: {body}",
            route.method,
            route.path
        );
    }
}

#[tokio::test]
async fn every_admin_form_without_the_csrf_token_is_refused() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let hq = app.hq().await;
    let stores_before = stores::Entity::find().all(&app.db).await.unwrap();
    for route in routes(&w).into_iter().filter(|r| r.method == "POST") {
        let (status, body) = send(&hq, &route, false).await;
        assert_eq!(status, 403, "{} without a token", route.path);
        assert!(body.contains("CSRF"), "{}: {body}", route.path);

        let mut forged = route.fields.clone();
        forged.push(("csrf_token", "forged-token".to_owned()));
        let forged_route = Route {
            fields: forged,
            ..route
        };
        let (status, _) = send(&hq, &forged_route, false).await;
        assert_eq!(status, 403, "{} with a forged token", forged_route.path);
    }
    // Sign-out is a form too.
    let (status, _) = send(&hq, &post("/admin/logout", &[], Access::Anyone), false).await;
    assert_eq!(status, 403);
    assert_eq!(
        stores::Entity::find().all(&app.db).await.unwrap(),
        stores_before
    );
}

#[tokio::test]
async fn another_sessions_csrf_token_is_refused() {
    let app = spawn_app().await;
    let first = app.hq().await;
    let second = app.hq().await;
    let response = first
        .post_form_as_is(
            "/admin/groups",
            &[("name", "北區"), ("csrf_token", &second.csrf)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 403);
}
