//! Stores and groups in the admin: codes, names, one group per store, deleting groups, the
//! binding preview, escaping, and the audit rows every change writes.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use store_assistant::db::entities::{audit_log, stores};

use crate::helpers::spawn_app;

async fn store_by_code(app: &crate::helpers::TestApp, code: &str) -> Option<stores::Model> {
    stores::Entity::find()
        .filter(stores::Column::Code.eq(code))
        .one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn store_codes_are_upper_cased_and_unique_regardless_of_case() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let response = hq
        .post_form(
            "/admin/stores",
            &[
                ("code", "tp-01"),
                ("name", " 台北信義店 "),
                ("group_id", ""),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let store = store_by_code(&app, "TP-01")
        .await
        .expect("stored upper-case");
    assert_eq!(store.name, "台北信義店");
    assert_eq!(
        response.headers()["location"],
        format!("/admin/stores/{}", store.id).as_str()
    );

    let again = hq
        .post_form(
            "/admin/stores",
            &[("code", "Tp-01"), ("name", "另一間"), ("group_id", "")],
        )
        .await;
    assert_eq!(again.status().as_u16(), 409);
    assert!(again.text().await.unwrap().contains("TP-01 已經有門市使用"));
}

#[tokio::test]
async fn bad_codes_and_names_are_refused_with_a_clear_message() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let long = "店".repeat(101);
    for (code, name, expected) in [
        ("A", "名稱", "門市代碼"),
        ("A B", "名稱", "門市代碼"),
        ("A1", "   ", "不可空白"),
        ("A1", long.as_str(), "100"),
        ("A1", "有\n換行", "控制字元"),
    ] {
        let response = hq
            .post_form(
                "/admin/stores",
                &[("code", code), ("name", name), ("group_id", "")],
            )
            .await;
        assert_eq!(response.status().as_u16(), 400, "{code:?} {name:?}");
        let body = response.text().await.unwrap();
        assert!(body.contains(expected), "{code:?} {name:?}: {body}");
    }
    assert!(
        stores::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn moving_a_store_to_another_group_takes_it_out_of_the_old_one_and_says_so() {
    let app = spawn_app().await;
    let store = app.create_store("TP01", "台北信義店", Some("南區")).await;
    app.create_store("TP02", "台北大安店", Some("北區")).await;
    let north = app.group_id("北區").await.unwrap();
    let hq = app.hq().await;

    let response = hq
        .post_form(
            &format!("/admin/stores/{store}/group"),
            &[("group_id", &north.to_string())],
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let body = response.text().await.unwrap();
    assert!(body.contains("已從「南區」移到「北區」"), "{body}");
    assert!(body.contains("北區｜台北信義店"), "the preview follows");
    assert_eq!(
        store_by_code(&app, "TP01").await.unwrap().group_id,
        Some(north)
    );

    // The group pages agree: the store is listed in 北區 only.
    let south = app.group_id("南區").await.unwrap();
    let south_page = hq.get(&format!("/admin/groups/{south}")).await;
    assert!(!south_page.text().await.unwrap().contains("TP01</a>"));
    let north_page = hq.get(&format!("/admin/groups/{north}")).await;
    assert!(north_page.text().await.unwrap().contains("TP01</a>"));

    // Adding it from the group page of 南區 moves it back, again with the message.
    let back = hq
        .post_form(
            &format!("/admin/groups/{south}/stores"),
            &[("store_id", &store.to_string())],
        )
        .await;
    assert!(
        back.text()
            .await
            .unwrap()
            .contains("已從「北區」移到「南區」")
    );

    // And out of every group.
    let out = hq
        .post_form(&format!("/admin/stores/{store}/group"), &[("group_id", "")])
        .await;
    assert!(out.text().await.unwrap().contains("已移出「南區」"));
    assert_eq!(store_by_code(&app, "TP01").await.unwrap().group_id, None);
}

#[tokio::test]
async fn a_group_with_stores_cannot_be_deleted_but_an_empty_one_can() {
    let app = spawn_app().await;
    let store = app.create_store("TP01", "台北信義店", Some("北區")).await;
    let north = app.group_id("北區").await.unwrap();
    let hq = app.hq().await;

    let refused = hq
        .post_form(&format!("/admin/groups/{north}/delete"), &[])
        .await;
    assert_eq!(refused.status().as_u16(), 409);
    let body = refused.text().await.unwrap();
    assert!(body.contains("群組「北區」還有 1 間門市"), "{body}");

    hq.post_form(&format!("/admin/stores/{store}/group"), &[("group_id", "")])
        .await;
    let deleted = hq
        .post_form(&format!("/admin/groups/{north}/delete"), &[])
        .await;
    assert_eq!(deleted.status().as_u16(), 200);
    assert!(deleted.text().await.unwrap().contains("已刪除群組「北區」"));
    assert_eq!(app.group_id("北區").await, None);
}

#[tokio::test]
async fn group_names_are_unique() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    assert_eq!(
        hq.post_form("/admin/groups", &[("name", "北區")])
            .await
            .status()
            .as_u16(),
        303
    );
    let again = hq.post_form("/admin/groups", &[("name", " 北區 ")]).await;
    assert_eq!(again.status().as_u16(), 409);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("已經有名為「北區」的群組")
    );
}

#[tokio::test]
async fn store_names_are_unique_on_create_and_rename() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let create = |code: &'static str, name: &'static str| {
        let hq = &hq;
        async move {
            hq.post_form(
                "/admin/stores",
                &[("code", code), ("name", name), ("group_id", "")],
            )
            .await
        }
    };
    assert_eq!(create("TP01", "台北信義店").await.status().as_u16(), 303);
    // The same name, also with spaces around it (names are stored trimmed).
    for name in ["台北信義店", "  台北信義店　"] {
        let again = create("TP02", name).await;
        assert_eq!(again.status().as_u16(), 409, "{name:?}");
        let body = again.text().await.unwrap();
        assert!(body.contains("已經有名為「台北信義店」的門市"), "{body}");
        assert!(body.contains("A store named"), "{body}");
    }
    assert!(
        store_by_code(&app, "TP02").await.is_none(),
        "nothing created"
    );

    assert_eq!(create("TP02", "台北大安店").await.status().as_u16(), 303);
    let second = store_by_code(&app, "TP02").await.unwrap();
    let rename = hq
        .post_form(
            &format!("/admin/stores/{}/rename", second.id),
            &[("name", " 台北信義店 ")],
        )
        .await;
    assert_eq!(rename.status().as_u16(), 409);
    assert!(
        rename
            .text()
            .await
            .unwrap()
            .contains("已經有名為「台北信義店」的門市")
    );
    assert_eq!(
        store_by_code(&app, "TP02").await.unwrap().name,
        "台北大安店",
        "the rename changed nothing"
    );
    // Renaming a store to its own name is no conflict.
    let same = hq
        .post_form(
            &format!("/admin/stores/{}/rename", second.id),
            &[("name", "台北大安店")],
        )
        .await;
    assert_eq!(same.status().as_u16(), 303);
}

/// Two HQ tabs create the same name at once: the unique index, not a check before the insert,
/// decides — one store, one 409.
#[tokio::test]
async fn two_concurrent_creates_of_one_name_give_one_store_and_one_conflict() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    for round in 0..5 {
        let name = format!("同名店 {round}");
        let codes = [format!("A{round}"), format!("B{round}")];
        let first = [
            ("code", codes[0].as_str()),
            ("name", name.as_str()),
            ("group_id", ""),
        ];
        let second = [
            ("code", codes[1].as_str()),
            ("name", name.as_str()),
            ("group_id", ""),
        ];
        let (a, b) = tokio::join!(
            hq.post_form("/admin/stores", &first),
            hq.post_form("/admin/stores", &second),
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [303, 409], "round {round}");
        let named = stores::Entity::find()
            .filter(stores::Column::Name.eq(name.as_str()))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(named.len(), 1, "round {round}");
    }
}

#[tokio::test]
async fn the_binding_preview_reads_group_then_store() {
    let app = spawn_app().await;
    let grouped = app.create_store("TP01", "台北信義店", Some("北區")).await;
    let alone = app.create_store("KS01", "高雄店", None).await;
    let hq = app.hq().await;
    let page = hq.get(&format!("/admin/stores/{grouped}")).await;
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("您已綁定：北區｜台北信義店")
    );
    let page = hq.get(&format!("/admin/stores/{alone}")).await;
    assert!(page.text().await.unwrap().contains("您已綁定：高雄店<"));
    // Store staff see the same card on their dashboard.
    let clerk = app.store_staff(grouped).await;
    let dashboard = clerk.get("/admin").await.text().await.unwrap();
    assert!(dashboard.contains("北區｜台北信義店"));
}

#[tokio::test]
async fn names_with_markup_are_shown_escaped_on_every_page() {
    let app = spawn_app().await;
    let evil = "<script>alert(1)</script>";
    let store = app.create_store("XSS1", evil, Some(evil)).await;
    let group = app.group_id(evil).await.unwrap();
    let (_, _) = app
        .create_account(
            store_assistant::db::entities::enums::StaffRole::Store,
            Some(store),
        )
        .await;
    let hq = app.hq().await;
    hq.post_form(
        &format!("/admin/stores/{store}/rename"),
        &[("name", "<img src=x onerror=alert(2)>")],
    )
    .await;
    for path in [
        "/admin/stores".to_owned(),
        format!("/admin/stores/{store}"),
        "/admin/groups".to_owned(),
        format!("/admin/groups/{group}"),
        "/admin/accounts".to_owned(),
        "/admin/audit".to_owned(),
        "/admin/stores/import".to_owned(),
    ] {
        let body = hq.get(&path).await.text().await.unwrap();
        assert!(!body.contains("<script>alert"), "{path}");
        assert!(!body.contains("<img src=x"), "{path}");
    }
    let body = hq
        .get(&format!("/admin/stores/{store}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("&lt;img src=x onerror=alert(2)&gt;") || body.contains("&#60;img"),
        "{body}"
    );
}

#[tokio::test]
async fn every_change_writes_an_audit_row_with_before_and_after() {
    let app = spawn_app().await;
    let store = app.create_store("TP01", "台北信義店", Some("南區")).await;
    let other = app.create_store("KS01", "高雄店", None).await;
    let north_group = app.create_store("TP02", "台北大安店", Some("北區")).await;
    let _ = north_group;
    let north = app.group_id("北區").await.unwrap();
    let hq = app.hq().await;

    hq.post_form(
        &format!("/admin/stores/{store}/rename"),
        &[("name", "台北101店")],
    )
    .await;
    hq.post_form(
        &format!("/admin/stores/{store}/group"),
        &[("group_id", &north.to_string())],
    )
    .await;
    hq.post_form(&format!("/admin/stores/{store}/deactivate"), &[])
        .await;

    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::StoreId.eq(store))
        .filter(audit_log::Column::ActorStaffId.eq(hq.id))
        .order_by_asc(audit_log::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        ["store.rename", "store.set_group", "store.deactivate"]
    );
    for row in &rows {
        assert_eq!(row.actor_label, hq.username);
        assert_eq!(row.entity_type, "store");
        assert_eq!(row.entity_id.as_deref(), Some(store.to_string().as_str()));
    }
    let rename = &rows[0];
    assert_eq!(rename.before_json.as_ref().unwrap()["name"], "台北信義店");
    assert_eq!(rename.after_json.as_ref().unwrap()["name"], "台北101店");
    let moved = &rows[1];
    assert_eq!(moved.before_json.as_ref().unwrap()["group"], "南區");
    assert_eq!(moved.after_json.as_ref().unwrap()["group"], "北區");
    assert_eq!(rows[2].after_json.as_ref().unwrap()["active"], false);

    // HQ reads the log filtered by store.
    let page = hq
        .get(&format!("/admin/audit?store_id={store}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("store.set_group"));
    assert!(page.contains("台北101店"));
    assert!(page.contains(&format!("store #{store}")));
    assert!(
        !page.contains(&format!("store #{other}")),
        "other stores' rows are filtered out"
    );
}
