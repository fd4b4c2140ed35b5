//! The JSON API under `/api/v1`: the OpenAPI document matches the routes, every route's access for
//! every kind of caller (session and token, HQ and store), CSRF for sessions, JSON errors, and the
//! same rules as the admin pages (one group per store, auto-LIFF, activation, live checks).

use std::collections::BTreeSet;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use store_assistant::db::entities::enums::StaffRole;
use store_assistant::db::entities::{
    api_tokens, audit_log, checklist_items, shop_settings, staff_accounts, stores,
};
use store_assistant::http::api::{BASE_PATH, OPENAPI_JSON, ROUTES};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::{ApiCaller, TestApp, spawn_app};

// ---- The OpenAPI document ----

fn documented_operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            if ["get", "put", "post", "delete", "patch", "head", "options"]
                .contains(&method.as_str())
            {
                operations.insert((method.clone(), path.clone()));
            }
        }
    }
    operations
}

#[tokio::test]
async fn every_api_route_is_in_the_openapi_document_and_nothing_else() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let served: Value = response.json().await.unwrap();
    assert_eq!(served, serde_json::from_str::<Value>(OPENAPI_JSON).unwrap());
    assert!(served["openapi"].as_str().unwrap().starts_with("3.0"));
    assert_eq!(served["servers"][0]["url"], BASE_PATH);

    let registered: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let documented = documented_operations(&served);
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    let not_served: Vec<_> = documented.difference(&registered).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the document: {undocumented:?}"
    );
    assert!(
        not_served.is_empty(),
        "documented but not served: {not_served:?}"
    );
}

fn collect_refs(value: &Value, refs: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => refs.push(target.clone()),
                    _ => collect_refs(inner, refs),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, refs)),
        _ => {}
    }
}

#[test]
fn every_reference_in_the_openapi_document_resolves_and_every_operation_is_described() {
    let doc: Value = serde_json::from_str(OPENAPI_JSON).unwrap();
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for target in refs {
        let pointer = target.strip_prefix('#').expect("local references only");
        assert!(doc.pointer(pointer).is_some(), "{target} resolves");
    }
    let mut ids = BTreeSet::new();
    for (method, path) in documented_operations(&doc) {
        let op = &doc["paths"][&path][&method];
        assert!(op["summary"].is_string(), "{method} {path} has a summary");
        assert!(
            op["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{method} {path} has responses"
        );
        assert!(
            ids.insert(op["operationId"].as_str().unwrap().to_owned()),
            "{method} {path}: operationId is unique"
        );
        // Path parameters are declared.
        for segment in path.split('/').filter(|s| s.starts_with('{')) {
            let name = segment.trim_matches(|c| c == '{' || c == '}');
            let declared = op["parameters"].as_array().is_some_and(|params| {
                params.iter().any(|p| {
                    let p = match p["$ref"].as_str() {
                        Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap(),
                        None => p,
                    };
                    p["name"] == name && p["in"] == "path"
                })
            });
            assert!(declared, "{method} {path} declares {name}");
        }
    }
}

// ---- Access: every route, every caller ----

#[derive(Debug, Clone, Copy, PartialEq)]
enum Access {
    Public,
    /// Anyone authenticated.
    Anyone,
    HqOnly,
    /// Store A's object: its staff and HQ.
    OwnStore,
    /// Another store's object: store staff get 404.
    OtherStore,
}

struct Route {
    method: &'static str,
    path: String,
    body: Option<Value>,
    access: Access,
}

fn route(
    method: &'static str,
    path: impl Into<String>,
    body: Option<Value>,
    access: Access,
) -> Route {
    Route {
        method,
        path: path.into(),
        body,
        access,
    }
}

struct World {
    store_a: i32,
    store_b: i32,
    group_b: i32,
    empty_group: i32,
    clerk_b: i32,
}

async fn world(app: &TestApp) -> World {
    let store_a = app.create_store("A01", "台北信義店", Some("北區")).await;
    let store_b = app.create_store("B01", "高雄巨蛋店", Some("南區")).await;
    let (clerk_b, _) = app.create_account(StaffRole::Store, Some(store_b)).await;
    let empty = store_assistant::services::stores::create_group(
        &app.db,
        &store_assistant::services::audit::Actor::cli(),
        "空群組",
    )
    .await
    .unwrap();
    app.complete_checklist(false).await;
    World {
        store_a,
        store_b,
        group_b: app.group_id("南區").await.unwrap(),
        empty_group: empty.id,
        clerk_b,
    }
}

/// Every API route with its access rule, in an order where HQ's calls all succeed in turn.
fn routes(w: &World) -> Vec<Route> {
    use Access::*;
    let (a, b, gb, ge, cb) = (w.store_a, w.store_b, w.group_b, w.empty_group, w.clerk_b);
    vec![
        route("GET", "/openapi.json", None, Public),
        route("GET", "/me", None, Anyone),
        route("GET", "/stores", None, Anyone),
        route("GET", format!("/stores/{a}"), None, OwnStore),
        route("GET", format!("/stores/{b}"), None, OtherStore),
        route("GET", "/groups", None, HqOnly),
        route("GET", format!("/groups/{gb}"), None, HqOnly),
        route("GET", "/accounts", None, HqOnly),
        route("GET", "/setup", None, HqOnly),
        route("GET", "/audit", None, HqOnly),
        route("GET", "/reports/sales", None, Anyone),
        route(
            "GET",
            "/reports/sales/orders.csv?per=month&by=group",
            None,
            Anyone,
        ),
        route("GET", format!("/audit?store_id={b}&page=1"), None, HqOnly),
        route(
            "POST",
            "/stores",
            Some(json!({"code": "N01", "name": "新店", "group_id": null})),
            HqOnly,
        ),
        route(
            "PUT",
            format!("/stores/{a}/name"),
            Some(json!({"name": "改名A"})),
            HqOnly,
        ),
        route(
            "PUT",
            format!("/stores/{b}/name"),
            Some(json!({"name": "改名B"})),
            OtherStore,
        ),
        route(
            "PUT",
            format!("/stores/{b}/group"),
            Some(json!({"group_id": gb})),
            OtherStore,
        ),
        route(
            "PUT",
            format!("/stores/{b}/active"),
            Some(json!({"active": false})),
            OtherStore,
        ),
        route(
            "PUT",
            format!("/stores/{b}/active"),
            Some(json!({"active": true})),
            OtherStore,
        ),
        route("POST", "/groups", Some(json!({"name": "東區"})), HqOnly),
        route(
            "PUT",
            format!("/groups/{gb}/name"),
            Some(json!({"name": "南部"})),
            HqOnly,
        ),
        route("DELETE", format!("/groups/{ge}"), None, HqOnly),
        route(
            "POST",
            "/accounts",
            Some(
                json!({"username": "new.clerk", "display_name": "新人", "role": "store", "store_id": b}),
            ),
            HqOnly,
        ),
        route(
            "POST",
            format!("/accounts/{cb}/reset-password"),
            None,
            OtherStore,
        ),
        route(
            "PUT",
            format!("/accounts/{cb}/active"),
            Some(json!({"active": false})),
            OtherStore,
        ),
        route(
            "PUT",
            format!("/accounts/{cb}/active"),
            Some(json!({"active": true})),
            OtherStore,
        ),
        route(
            "PUT",
            "/setup/items/quick_login",
            Some(json!({"value": "yes"})),
            HqOnly,
        ),
        route("POST", "/setup/checks", None, HqOnly),
        route(
            "PUT",
            "/setup/settings",
            Some(json!({
                "shop_name": "我的品牌",
                "welcome_message": "歡迎加入！",
                "sms_template": "【{shop}】驗證碼 {code}，{minutes} 分鐘內有效",
                "sms_daily_budget": 300,
                "liff_requires_phone": false
            })),
            HqOnly,
        ),
        route("POST", "/setup/activation", None, HqOnly),
        route("DELETE", "/setup/activation", None, HqOnly),
        route(
            "POST",
            "/orders",
            Some(json!({
                "source": "web",
                "external_id": "A-1",
                "amount": 1200,
                "ordered_at": "2026-12-01T10:00:00+08:00"
            })),
            HqOnly,
        ),
    ]
}

#[test]
fn the_access_table_covers_every_api_route() {
    let w = World {
        store_a: 1,
        store_b: 2,
        group_b: 3,
        empty_group: 4,
        clerk_b: 5,
    };
    let covered: BTreeSet<(String, String)> = routes(&w)
        .iter()
        .map(|r| {
            // Back from concrete paths to the route patterns.
            let path = r.path.split('?').next().unwrap();
            let pattern: Vec<String> = path
                .split('/')
                .enumerate()
                .map(|(i, seg)| {
                    if seg.parse::<i32>().is_ok() {
                        "{id}".to_owned()
                    } else if i == 3 && path.starts_with("/setup/items/") {
                        "{key}".to_owned()
                    } else {
                        seg.to_owned()
                    }
                })
                .collect();
            (r.method.to_lowercase(), pattern.join("/"))
        })
        .collect();
    let registered: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(covered, registered);
}

async fn db_state(app: &TestApp) -> Value {
    let s = stores::Entity::find().all(&app.db).await.unwrap();
    let a = staff_accounts::Entity::find().all(&app.db).await.unwrap();
    let c = checklist_items::Entity::find().all(&app.db).await.unwrap();
    let t = shop_settings::Entity::find().all(&app.db).await.unwrap();
    json!([
        format!("{s:?}"),
        format!("{a:?}"),
        format!("{c:?}"),
        format!("{t:?}")
    ])
}

#[tokio::test]
async fn callers_without_credentials_get_401_json_on_every_route_but_the_document() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let nobody = app.anonymous_api();
    for r in routes(&w) {
        let (status, body) = nobody.call(r.method, &r.path, r.body.clone()).await;
        let what = format!("{} {}", r.method, r.path);
        if r.access == Access::Public {
            assert_eq!(status, 200, "{what}");
        } else {
            assert_eq!(status, 401, "{what}");
            assert_eq!(body["error"], "unauthorized", "{what}");
            assert!(body["message"].is_string() && body["message_en"].is_string());
        }
    }
}

async fn store_staff_reach_only_their_store(caller: &ApiCaller, app: &TestApp, w: &World) {
    let before = db_state(app).await;
    for r in routes(w) {
        let (status, body) = caller.call(r.method, &r.path, r.body.clone()).await;
        let what = format!(
            "{}: {} {} → {status} {body}",
            caller.label, r.method, r.path
        );
        match r.access {
            Access::Public | Access::Anyone | Access::OwnStore => assert_eq!(status, 200, "{what}"),
            Access::HqOnly | Access::OtherStore => {
                assert!(status == 403 || status == 404, "{what}");
                assert!(body["error"].is_string(), "{what}: a JSON error");
                if r.access == Access::OtherStore && r.method == "GET" {
                    assert_eq!(status, 404, "{what}: other stores' objects do not exist");
                }
            }
        }
        if r.access != Access::Public {
            assert!(
                !body.to_string().contains("高雄巨蛋店"),
                "{what}: leaks store B"
            );
        }
    }
    let (_, list) = caller.call("GET", "/stores", None).await;
    let names: Vec<&str> = list["stores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["台北信義店"]);
    assert_eq!(
        db_state(app).await,
        before,
        "{}: nothing changed",
        caller.label
    );
}

#[tokio::test]
async fn store_staff_by_session_reach_only_their_own_store_and_no_hq_route() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let clerk = app.store_staff(w.store_a).await;
    store_staff_reach_only_their_store(&clerk.api(), &app, &w).await;
}

#[tokio::test]
async fn store_tokens_reach_only_their_own_store_and_no_hq_route() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (clerk, _) = app.create_account(StaffRole::Store, Some(w.store_a)).await;
    let token = app.api_token(clerk, "A 店").await;
    store_staff_reach_only_their_store(&token, &app, &w).await;
}

async fn hq_reaches_every_route(caller: &ApiCaller, w: &World) {
    for r in routes(w) {
        let (status, body) = caller.call(r.method, &r.path, r.body.clone()).await;
        assert!(
            (200..300).contains(&status),
            "{}: {} {} → {status} {body}",
            caller.label,
            r.method,
            r.path
        );
    }
}

#[tokio::test]
async fn hq_by_session_reaches_every_route() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let hq = app.hq().await;
    hq_reaches_every_route(&hq.api(), &w).await;
}

#[tokio::test]
async fn hq_by_token_reaches_every_route() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let hq = app.hq().await;
    let token = app.api_token(hq.id, "總公司腳本").await;
    hq_reaches_every_route(&token, &w).await;
    // Changes made with a token name it in the audit log.
    let row = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("store.create"))
        .filter(audit_log::Column::ActorStaffId.eq(hq.id))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the API's store creation is audited");
    assert_eq!(row.actor_label, format!("{} (api:總公司腳本)", hq.username));
}

#[tokio::test]
async fn session_calls_that_change_things_need_the_csrf_header_and_token_calls_do_not() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let hq = app.hq().await;
    let before = db_state(&app).await;
    let no_csrf = hq.api().without_csrf();
    for r in routes(&w) {
        let (status, body) = no_csrf.call(r.method, &r.path, r.body.clone()).await;
        let what = format!("{} {} → {status} {body}", r.method, r.path);
        if r.method == "GET" {
            assert_eq!(status, 200, "{what}");
        } else {
            assert_eq!(status, 403, "{what}");
            assert!(body["message"].as_str().unwrap().contains("CSRF"), "{what}");
        }
    }
    assert_eq!(db_state(&app).await, before);

    // Another session's CSRF token is no better than none.
    let other = app.hq().await;
    let response = app
        .client
        .post(app.url("/api/v1/groups"))
        .header("cookie", format!("sa_session={}", hq.session))
        .header("x-csrf-token", &other.csrf)
        .json(&json!({"name": "東區"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);

    // A token needs no CSRF header; `/me` hands a session its CSRF token.
    let token = app.api_token(hq.id, "腳本").await;
    let (status, _) = token
        .call("POST", "/groups", Some(json!({"name": "東區"})))
        .await;
    assert_eq!(status, 201);
    let (_, me) = hq.api().without_csrf().call("GET", "/me", None).await;
    assert_eq!(me["auth"], "session");
    assert_eq!(me["csrf_token"], hq.csrf.as_str());
    let (_, me) = token.call("GET", "/me", None).await;
    assert_eq!(me["auth"], "token");
    assert_eq!(me["csrf_token"], Value::Null);
}

#[tokio::test]
async fn bad_revoked_or_orphaned_tokens_are_401_json() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let store = app.create_store("TP01", "台北信義店", None).await;
    let (clerk, _) = app.create_account(StaffRole::Store, Some(store)).await;
    let clerk_token = app.api_token(clerk, "門市").await;
    assert_eq!(clerk_token.call("GET", "/me", None).await.0, 200);

    for authorization in [
        "Bearer sat_not-a-real-token",
        "Bearer nope",
        "Bearer ",
        "Basic YWRtaW46eA==",
        "sat_x",
    ] {
        let response = app
            .client
            .get(app.url("/api/v1/stores"))
            .header("authorization", authorization)
            .header("cookie", format!("sa_session={}", hq.session))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status().as_u16(),
            401,
            "{authorization}: no fallback to the cookie"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "unauthorized");
    }

    // Deactivating the account stops its token at once.
    let (status, _) = hq
        .api()
        .call(
            "PUT",
            &format!("/accounts/{clerk}/active"),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(clerk_token.call("GET", "/me", None).await.0, 401);

    // Revoked tokens stop too.
    let hq_token = app.api_token(hq.id, "總部").await;
    let row = api_tokens::Entity::find()
        .filter(api_tokens::Column::Name.eq("總部"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    store_assistant::services::api_tokens::revoke(
        &app.db,
        &store_assistant::services::audit::Actor::cli(),
        row.id,
    )
    .await
    .unwrap();
    assert_eq!(hq_token.call("GET", "/me", None).await.0, 401);
}

#[tokio::test]
async fn malformed_input_gets_a_json_400_and_unknown_api_paths_a_json_404() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let token = app.api_token(hq.id, "腳本").await;
    let response = token
        .send("POST", "/stores", Some(&json!({"code": "A1"})))
        .await;
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "bad_request");

    let (status, body) = token
        .call(
            "POST",
            "/stores",
            Some(json!({"code": "A 1", "name": "店"})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("門市代碼"));

    let (status, body) = token.call("GET", "/stores/not-a-number", None).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = token.call("GET", "/nothing-here", None).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "not_found");
}

// ---- The same rules as the admin pages ----

#[tokio::test]
async fn a_store_is_in_one_group_at_most_through_the_api() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let api = app.api_token(hq.id, "腳本").await;
    let (status, north) = api
        .call("POST", "/groups", Some(json!({"name": "北區"})))
        .await;
    assert_eq!(status, 201);
    let (_, south) = api
        .call("POST", "/groups", Some(json!({"name": "南區"})))
        .await;
    let (status, store) = api
        .call(
            "POST",
            "/stores",
            Some(json!({"code": "tp01", "name": "台北信義店", "group_id": north["id"]})),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(store["code"], "TP01");
    assert_eq!(store["binding_label"], "北區｜台北信義店");
    let id = store["id"].as_i64().unwrap();

    let (status, moved) = api
        .call(
            "PUT",
            &format!("/stores/{id}/group"),
            Some(json!({"group_id": south["id"]})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        moved["moved"],
        json!({"from": "北區", "to": "南區", "changed": true})
    );
    assert_eq!(moved["store"]["binding_label"], "南區｜台北信義店");
    let (_, north_now) = api
        .call("GET", &format!("/groups/{}", north["id"]), None)
        .await;
    assert_eq!(north_now["stores"], json!([]));
    let (_, south_now) = api
        .call("GET", &format!("/groups/{}", south["id"]), None)
        .await;
    assert_eq!(south_now["stores"][0]["id"], id);

    // A group with stores cannot be deleted; an empty one can.
    let (status, body) = api
        .call("DELETE", &format!("/groups/{}", south["id"]), None)
        .await;
    assert_eq!(status, 409);
    assert!(body["message"].as_str().unwrap().contains("還有 1 間門市"));
    let (status, _) = api
        .call("DELETE", &format!("/groups/{}", north["id"]), None)
        .await;
    assert_eq!(status, 204);

    let (status, out) = api
        .call(
            "PUT",
            &format!("/stores/{id}/group"),
            Some(json!({"group_id": null})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(out["store"]["group_id"], Value::Null);
}

#[tokio::test]
async fn store_names_are_unique_through_the_api() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let api = app.api_token(hq.id, "腳本").await;
    let (status, _) = api
        .call(
            "POST",
            "/stores",
            Some(json!({"code": "TP01", "name": "台北信義店"})),
        )
        .await;
    assert_eq!(status, 201);
    let (status, body) = api
        .call(
            "POST",
            "/stores",
            Some(json!({"code": "TP02", "name": " 台北信義店 "})),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(body["error"], "conflict");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("已經有名為「台北信義店」的門市"),
        "{body}"
    );
    assert!(
        body["message_en"]
            .as_str()
            .unwrap()
            .contains("already exists"),
        "{body}"
    );
    let (status, other) = api
        .call(
            "POST",
            "/stores",
            Some(json!({"code": "TP02", "name": "台北大安店"})),
        )
        .await;
    assert_eq!(status, 201);
    let (status, body) = api
        .call(
            "PUT",
            &format!("/stores/{}/name", other["id"]),
            Some(json!({"name": "台北信義店"})),
        )
        .await;
    assert_eq!(status, 409);
    assert!(body["message"].as_str().unwrap().contains("台北信義店"));
    let (_, unchanged) = api
        .call("GET", &format!("/stores/{}", other["id"]), None)
        .await;
    assert_eq!(unchanged["name"], "台北大安店");
}

#[tokio::test]
async fn auto_liff_is_refused_without_a_certified_provider_through_the_api() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    for caller in [hq.api(), app.api_token(hq.id, "腳本").await] {
        let (status, body) = caller
            .call(
                "PUT",
                "/setup/items/auto_liff",
                Some(json!({"value": "yes"})),
            )
            .await;
        assert_eq!(status, 409, "{}", caller.label);
        assert_eq!(body["error"], "conflict");
        assert!(body["message"].as_str().unwrap().contains("認證提供者"));
        assert!(
            body["message_en"]
                .as_str()
                .unwrap()
                .contains("Certified Provider")
        );
    }
    assert!(
        checklist_items::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .is_empty()
    );

    let api = hq.api();
    api.call(
        "PUT",
        "/setup/items/certified_provider",
        Some(json!({"value": "yes"})),
    )
    .await;
    let (status, _) = api
        .call(
            "PUT",
            "/setup/items/auto_liff",
            Some(json!({"value": "yes"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, answered) = api
        .call(
            "PUT",
            "/setup/items/certified_provider",
            Some(json!({"value": "no"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        answered["also_changed"],
        json!([{"key": "auto_liff", "value": "no"}])
    );

    let (_, phone) = api
        .call(
            "PUT",
            "/setup/items/member_phone_verification",
            Some(json!({"value": "yes"})),
        )
        .await;
    assert!(
        phone["sms_cost_warning"]["message"]
            .as_str()
            .unwrap()
            .contains("簡訊費用")
    );
    let (status, _) = api
        .call(
            "PUT",
            "/setup/items/oa_verified",
            Some(json!({"value": "purple"})),
        )
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn activation_through_the_api_is_refused_until_the_checklist_holds() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let api = app.api_token(hq.id, "腳本").await;
    let (status, body) = api.call("POST", "/setup/activation", None).await;
    assert_eq!(status, 409);
    assert!(body["message"].as_str().unwrap().contains("還不能開通"));
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("至少需要一間營業中的門市")
    );

    let (_, setup) = api.call("GET", "/setup", None).await;
    assert_eq!(setup["ready"], false);
    let keys: Vec<&str> = setup["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), 9);
    assert_eq!(keys[8], "active_store");
    assert_eq!(setup["items"].as_array().unwrap().len(), 8);

    app.complete_checklist(true).await;
    app.create_store("TP01", "台北信義店", None).await;
    let (_, setup) = api.call("GET", "/setup", None).await;
    assert_eq!(setup["ready"], true);
    assert_eq!(setup["ungrouped_stores"][0]["code"], "TP01");
    assert_eq!(
        setup["items"][0]["confirmed_by"],
        Value::Null,
        "confirmed by the CLI"
    );

    let (status, activated) = api.call("POST", "/setup/activation", None).await;
    assert_eq!(status, 200);
    assert_eq!(activated["activated"], true);
    assert_eq!(activated["activated_by"], hq.username.as_str());
    let (status, deactivated) = api.call("DELETE", "/setup/activation", None).await;
    assert_eq!(status, 200);
    assert_eq!(deactivated["activated"], false);
}

#[tokio::test]
async fn live_checks_through_the_api_report_line_down_as_unreachable() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let api = app.api_token(hq.id, "腳本").await;
    Mock::given(method("GET"))
        .and(path("/v2/bot/info"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&app.line_api)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/bot/channel/webhook/test"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true, "timestamp": "2026-11-28T10:00:00.000Z",
            "statusCode": 200, "reason": "OK", "detail": "200"
        })))
        .mount(&app.line_api)
        .await;
    let (status, body) = api.call("POST", "/setup/checks", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["checks"][0]["key"], "line_bot_info");
    assert_eq!(body["checks"][0]["outcome"], "unreachable");
    assert!(
        body["checks"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("無法連線到 LINE")
    );
    assert_eq!(body["checks"][1]["outcome"], "ok");
    let (_, setup) = api.call("GET", "/setup", None).await;
    assert_eq!(setup["checks"][0]["outcome"], "unreachable");
}

#[tokio::test]
async fn accounts_and_settings_through_the_api() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let api = app.api_token(hq.id, "腳本").await;
    let store = app.create_store("TP01", "台北信義店", None).await;
    let (status, issued) = api
        .call(
            "POST",
            "/accounts",
            Some(json!({"username": "amy", "role": "store", "store_id": store})),
        )
        .await;
    assert_eq!(status, 201);
    assert!(issued["one_time_password"].as_str().unwrap().len() >= 12);
    let (status, _) = api
        .call(
            "POST",
            "/accounts",
            Some(json!({"username": "amy", "role": "store", "store_id": store})),
        )
        .await;
    assert_eq!(status, 409);
    let (status, _) = api
        .call(
            "PUT",
            &format!("/accounts/{}/active", hq.id),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(status, 409, "nobody deactivates their own account");

    let (status, body) = api
        .call(
            "PUT",
            "/setup/settings",
            Some(json!({
                "shop_name": "好好買", "welcome_message": "歡迎", "sms_template": "沒有驗證碼",
                "sms_daily_budget": 10, "liff_requires_phone": true
            })),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("{code}"));
    let (status, body) = api
        .call(
            "PUT",
            "/setup/settings",
            Some(json!({
                "shop_name": "好好買", "welcome_message": "歡迎", "sms_template": "驗證碼 {code}",
                "sms_daily_budget": 10, "liff_requires_phone": true
            })),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["sms_template"], "驗證碼 {code}");

    let (status, log) = api.call("GET", "/audit", None).await;
    assert_eq!(status, 200);
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"setup.settings"));
    assert!(actions.contains(&"staff.create"));
    let (_, filtered) = api
        .call("GET", &format!("/audit?store_id={store}"), None)
        .await;
    assert!(
        filtered["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["store_id"] == store)
    );
}
