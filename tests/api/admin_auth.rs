//! Staff sign-in, sessions, CSRF and throttling.

use sea_orm::{EntityTrait, PaginatorTrait};
use store_assistant::db::entities::enums::StaffRole;
use store_assistant::db::entities::staff_sessions;
use store_assistant::domain::tokens::token_hash;

use crate::helpers::{STAFF_PASSWORD, set_cookie, spawn_app, spawn_app_with};

#[tokio::test]
async fn sign_in_sets_an_http_only_lax_session_cookie_whose_hash_alone_is_stored() {
    let app = spawn_app().await;
    let (_, username) = app.create_account(StaffRole::Hq, None).await;
    let response = app.login(&username, STAFF_PASSWORD).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/admin");
    let raw = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("sa_session="))
        .unwrap();
    assert!(raw.contains("HttpOnly"), "{raw}");
    assert!(raw.contains("SameSite=Lax"), "{raw}");
    assert!(!raw.contains("Secure"), "plain http: no Secure flag: {raw}");
    let token = set_cookie(&response, "sa_session").unwrap();
    let stored = staff_sessions::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].token_hash, token_hash(&token));
    assert_ne!(stored[0].token_hash, token);
}

#[tokio::test]
async fn session_cookie_is_secure_when_the_public_url_is_https() {
    let app = spawn_app_with(|vars| {
        vars.insert(
            "PUBLIC_BASE_URL".to_owned(),
            "https://shop.example.com".to_owned(),
        );
    })
    .await;
    let (_, username) = app.create_account(StaffRole::Hq, None).await;
    let response = app.login(&username, STAFF_PASSWORD).await;
    let raw: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        raw.iter()
            .any(|c| c.starts_with("sa_session=") && c.contains("Secure")),
        "{raw:?}"
    );
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_the_sign_in_page_and_back() {
    let app = spawn_app().await;
    let response = app.get("/admin/stores?x=1").await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response.headers()["location"],
        "/admin/login?next=%2Fadmin%2Fstores%3Fx%3D1"
    );
    let page = app.get("/admin/login?next=%2Fadmin%2Fstores").await;
    assert_eq!(page.status().as_u16(), 200);
    let body = page.text().await.unwrap();
    assert!(body.contains("lang=\"zh-TW\""));
    assert!(body.contains("value=\"/admin/stores\""));
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_message() {
    let app = spawn_app().await;
    let (_, username) = app.create_account(StaffRole::Hq, None).await;
    for (user, password) in [
        (username.as_str(), "wrong-password-123"),
        ("nobody-here", "wrong-password-123"),
    ] {
        let response = app.login(user, password).await;
        assert_eq!(response.status().as_u16(), 200);
        assert!(set_cookie(&response, "sa_session").is_none());
        let body = response.text().await.unwrap();
        assert!(body.contains("帳號或密碼錯誤"), "{body}");
        assert!(!body.contains("不存在"));
    }
}

#[tokio::test]
async fn sign_in_without_the_form_token_is_refused() {
    let app = spawn_app().await;
    let (_, username) = app.create_account(StaffRole::Hq, None).await;
    let response = app
        .client
        .post(app.url("/admin/login"))
        .form(&[
            ("username", username.as_str()),
            ("password", STAFF_PASSWORD),
            ("csrf_token", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    assert!(response.text().await.unwrap().contains("CSRF"));
}

#[tokio::test]
async fn five_failures_pause_the_account_even_for_the_right_password() {
    let app = spawn_app().await;
    let (_, username) = app.create_account(StaffRole::Hq, None).await;
    for _ in 0..5 {
        let response = app.login(&username, "wrong-password-123").await;
        assert_eq!(response.status().as_u16(), 200);
    }
    let response = app.login(&username, STAFF_PASSWORD).await;
    assert_eq!(response.status().as_u16(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 15 * 60);
    let body = response.text().await.unwrap();
    assert!(body.contains("分鐘後"), "{body}");

    // Another account from the same address is not paused by this one's failures.
    let (_, other) = app.create_account(StaffRole::Hq, None).await;
    assert_eq!(
        app.login(&other, STAFF_PASSWORD).await.status().as_u16(),
        303
    );
}

#[tokio::test]
async fn twenty_failures_from_one_address_pause_that_address() {
    let app = spawn_app().await;
    for i in 0..20 {
        let response = app.login(&format!("guess-{i}"), "wrong-password-123").await;
        assert_eq!(response.status().as_u16(), 200);
    }
    let (_, username) = app.create_account(StaffRole::Hq, None).await;
    assert_eq!(
        app.login(&username, STAFF_PASSWORD).await.status().as_u16(),
        429
    );
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    assert_eq!(hq.get("/admin").await.status().as_u16(), 200);
    let response = hq.post_form("/admin/logout", &[]).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/admin/login");
    assert_eq!(
        staff_sessions::Entity::find().count(&app.db).await.unwrap(),
        0
    );
    let after = hq.get("/admin").await;
    assert_eq!(after.status().as_u16(), 303);
}

#[tokio::test]
async fn a_deactivated_account_is_signed_out_and_cannot_sign_in() {
    let app = spawn_app().await;
    let store = app.create_store("TP01", "台北信義店", None).await;
    let clerk = app.store_staff(store).await;
    assert_eq!(clerk.get("/admin").await.status().as_u16(), 200);

    let hq = app.hq().await;
    let response = hq
        .post_form(&format!("/admin/accounts/{}/deactivate", clerk.id), &[])
        .await;
    assert_eq!(response.status().as_u16(), 303);

    assert_eq!(clerk.get("/admin").await.status().as_u16(), 303);
    let again = app.login(&clerk.username, STAFF_PASSWORD).await;
    assert_eq!(again.status().as_u16(), 200);
    assert!(again.text().await.unwrap().contains("帳號或密碼錯誤"));
}

#[tokio::test]
async fn changing_the_own_password_keeps_this_session_and_needs_the_current_one() {
    let app = spawn_app().await;
    let store = app.create_store("TP01", "台北信義店", None).await;
    let clerk = app.store_staff(store).await;
    let wrong = clerk
        .post_form(
            "/admin/password",
            &[
                ("current", "not-my-password"),
                ("new_password", "brand-new-password"),
                ("confirm", "brand-new-password"),
            ],
        )
        .await;
    assert_eq!(wrong.status().as_u16(), 400);
    let ok = clerk
        .post_form(
            "/admin/password",
            &[
                ("current", STAFF_PASSWORD),
                ("new_password", "brand-new-password"),
                ("confirm", "brand-new-password"),
            ],
        )
        .await;
    assert_eq!(ok.status().as_u16(), 200);
    assert!(ok.text().await.unwrap().contains("密碼已變更"));
    assert_eq!(clerk.get("/admin").await.status().as_u16(), 200);
    assert_eq!(
        app.login(&clerk.username, "brand-new-password")
            .await
            .status()
            .as_u16(),
        303
    );
}

#[tokio::test]
async fn a_burst_of_wrong_passwords_gets_only_the_allowed_hash_checks() {
    const BURST: usize = 60;
    let app = spawn_app().await;
    let (_, username) = app.create_account(StaffRole::Hq, None).await;
    let page = app.get("/admin/login").await;
    let token = set_cookie(&page, "sa_login_csrf").unwrap();
    let checks_before = app.ctx.metrics.password_verifications();

    let mut burst = tokio::task::JoinSet::new();
    for i in 0..BURST {
        let (client, url, username, token) = (
            app.client.clone(),
            app.url("/admin/login"),
            username.clone(),
            token.clone(),
        );
        burst.spawn(async move {
            let response = client
                .post(url)
                .header(reqwest::header::COOKIE, format!("sa_login_csrf={token}"))
                .form(&[
                    ("username", username.as_str()),
                    ("password", &format!("wrong-password-{i}")),
                    ("csrf_token", &token),
                ])
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let retry_after = response.headers().get("retry-after").cloned();
            (status, retry_after, response.text().await.unwrap())
        });
    }
    let (mut wrong, mut refused) = (0, 0);
    while let Some(outcome) = burst.join_next().await {
        let (status, retry_after, body) = outcome.unwrap();
        match status {
            200 => {
                assert!(body.contains("帳號或密碼錯誤"), "{body}");
                wrong += 1;
            }
            429 => {
                assert!(body.contains("登入失敗次數過多"), "{body}");
                assert!(retry_after.is_some());
                refused += 1;
            }
            other => panic!("unexpected status {other}: {body}"),
        }
    }
    let checks = app.ctx.metrics.password_verifications() - checks_before;
    // Concurrent tries that see each other's attempts may all be refused: the limit errs on the
    // side of checking fewer passwords, never more.
    assert!(
        wrong <= 5,
        "{wrong} wrong-password answers, {refused} refused"
    );
    assert_eq!(
        checks, wrong as u64,
        "one hash check per answered try, none for refused ones"
    );
    assert_eq!(wrong + refused, BURST);
}

#[tokio::test]
async fn addresses_of_one_ipv6_network_share_the_sign_in_limit_per_address() {
    let app = spawn_app_with(|vars| {
        vars.insert("TRUST_X_FORWARDED_FOR".to_owned(), "true".to_owned());
    })
    .await;
    let page = app.get("/admin/login").await;
    let token = set_cookie(&page, "sa_login_csrf").unwrap();
    let login_from = |host: String, username: String, password: &'static str| {
        app.client
            .post(app.url("/admin/login"))
            .header(reqwest::header::COOKIE, format!("sa_login_csrf={token}"))
            .header("x-forwarded-for", host)
            .form(&[
                ("username", username.as_str()),
                ("password", password),
                ("csrf_token", token.as_str()),
            ])
            .send()
    };
    for i in 0..20u32 {
        let response = login_from(
            format!("2001:db8:7:7::{:x}", i + 1),
            format!("guess-{i}"),
            "wrong-password-123",
        )
        .await
        .unwrap();
        assert_eq!(response.status().as_u16(), 200);
    }
    let (_, username) = app.create_account(StaffRole::Hq, None).await;
    let same_network = login_from(
        "2001:db8:7:7::ffff".to_owned(),
        username.clone(),
        STAFF_PASSWORD,
    )
    .await
    .unwrap();
    assert_eq!(same_network.status().as_u16(), 429);
    let other_network = login_from("2001:db8:7:8::1".to_owned(), username, STAFF_PASSWORD)
        .await
        .unwrap();
    assert_eq!(other_network.status().as_u16(), 303);
}
