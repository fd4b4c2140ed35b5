//! Staff accounts admin (HQ): create with a one-time password, reset, deactivate, and the audit.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use store_assistant::db::entities::{audit_log, staff_accounts, staff_sessions};

use crate::helpers::{STAFF_PASSWORD, TestApp, spawn_app};

/// The one-time password shown on the page.
fn shown_password(body: &str) -> String {
    let start = body
        .find("<code class=\"one-time\">")
        .expect("the password is shown")
        + "<code class=\"one-time\">".len();
    body[start..].split('<').next().unwrap().to_owned()
}

async fn account(app: &TestApp, username: &str) -> staff_accounts::Model {
    staff_accounts::Entity::find()
        .filter(staff_accounts::Column::Username.eq(username))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn hq_creates_a_store_account_whose_one_time_password_signs_in() {
    let app = spawn_app().await;
    let store = app.create_store("TP01", "台北信義店", None).await;
    let hq = app.hq().await;
    let response = hq
        .post_form(
            "/admin/accounts",
            &[
                ("username", "Amy.Chen"),
                ("display_name", "陳小美"),
                ("role", "store"),
                ("store_id", &store.to_string()),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let password = shown_password(&response.text().await.unwrap());
    let created = account(&app, "amy.chen").await;
    assert_eq!(created.store_id, Some(store));
    assert_eq!(
        app.login("amy.chen", &password).await.status().as_u16(),
        303
    );

    let row = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("staff.create"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.store_id, Some(store));
    assert_eq!(row.after_json.unwrap()["username"], "amy.chen");
    let text = serde_json::to_string(&row.before_json).unwrap();
    assert!(!text.contains(&password));
}

#[tokio::test]
async fn account_rules_are_explained() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    for (fields, status, expected) in [
        (
            vec![("username", "x"), ("role", "hq"), ("store_id", "")],
            400,
            "帳號名稱須為",
        ),
        (
            vec![
                ("username", "clerk.one"),
                ("role", "store"),
                ("store_id", ""),
            ],
            400,
            "必須選擇門市",
        ),
        (
            vec![("username", &hq.username), ("role", "hq"), ("store_id", "")],
            409,
            "已經有人使用",
        ),
    ] {
        let response = hq.post_form("/admin/accounts", &fields).await;
        assert_eq!(response.status().as_u16(), status, "{fields:?}");
        assert!(response.text().await.unwrap().contains(expected));
    }
}

#[tokio::test]
async fn resetting_a_password_ends_the_accounts_sessions_and_issues_a_new_one() {
    let app = spawn_app().await;
    let store = app.create_store("TP01", "台北信義店", None).await;
    let clerk = app.store_staff(store).await;
    let hq = app.hq().await;
    let response = hq
        .post_form(&format!("/admin/accounts/{}/reset-password", clerk.id), &[])
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let password = shown_password(&response.text().await.unwrap());
    assert_eq!(clerk.get("/admin").await.status().as_u16(), 303);
    assert_eq!(
        app.login(&clerk.username, STAFF_PASSWORD)
            .await
            .status()
            .as_u16(),
        200,
        "the old password no longer works"
    );
    assert_eq!(
        app.login(&clerk.username, &password)
            .await
            .status()
            .as_u16(),
        303
    );
}

#[tokio::test]
async fn hq_cannot_deactivate_their_own_account_but_can_reactivate_others() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let own = hq
        .post_form(&format!("/admin/accounts/{}/deactivate", hq.id), &[])
        .await;
    assert_eq!(own.status().as_u16(), 409);
    assert!(own.text().await.unwrap().contains("不能停用自己的帳號"));

    let other = app.hq().await;
    hq.post_form(&format!("/admin/accounts/{}/deactivate", other.id), &[])
        .await;
    assert!(!account(&app, &other.username).await.active);
    assert!(
        staff_sessions::Entity::find()
            .filter(staff_sessions::Column::StaffId.eq(other.id))
            .all(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
    hq.post_form(&format!("/admin/accounts/{}/reactivate", other.id), &[])
        .await;
    assert!(account(&app, &other.username).await.active);
    let actions: Vec<String> = audit_log::Entity::find()
        .filter(audit_log::Column::EntityType.eq("staff"))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert_eq!(actions, ["staff.deactivate", "staff.reactivate"]);
}
