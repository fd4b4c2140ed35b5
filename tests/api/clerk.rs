//! `/clerk`: the clerk's phone view — sign-in, the clerk's own QR code, a member found by whole
//! phone number or member card code, 新增門市消費 through the form (double submits, bad amounts,
//! purchase entry off, another store's member), the void, and HQ picking a store.

use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use store_assistant::db::entities::{audit_log, members, qr_tokens};
use store_assistant::domain::member_card;
use store_assistant::domain::signed_link::{self, MemberPick};
use store_assistant::services::audit::Actor;
use store_assistant::services::sales_settings;

use crate::helpers::{StaffClient, TestApp, spawn_app};
use crate::member_fixtures::{phone_member, set_bound_at};

struct Shop {
    app: TestApp,
    store_a: i32,
    store_b: i32,
    /// 王小明, +886912345678, bound to store A.
    member: i32,
}

async fn shop() -> Shop {
    let app = spawn_app().await;
    let store_a = app.create_store("A01", "台北信義店", Some("北區")).await;
    let store_b = app.create_store("B01", "高雄巨蛋店", Some("南區")).await;
    for store in [store_a, store_b] {
        sales_settings::set_purchase_entry(&app.db, &Actor::cli(), store, true)
            .await
            .unwrap();
    }
    let member = phone_member(&app, store_a, None, "+886912345678", None).await;
    members::Entity::update_many()
        .col_expr(members::Column::DisplayName, Expr::value("王小明"))
        .filter(members::Column::Id.eq(member))
        .exec(&app.db)
        .await
        .unwrap();
    set_bound_at(&app, member, Utc::now() - Duration::days(1)).await;
    Shop {
        app,
        store_a,
        store_b,
        member,
    }
}

fn secret(app: &TestApp) -> Vec<u8> {
    app.ctx.settings.secret_key.expose().as_bytes().to_vec()
}

/// The value of the hidden field `name` in a page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} in {html}"))
        + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&#43;", "+")
        .replace("&#x2b;", "+")
}

async fn text(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Looks the member up by phone and returns the purchase form's hidden fields.
async fn form_for(clerk: &StaffClient, phone: &str) -> (String, String) {
    let (status, page) = text(
        clerk
            .get(&format!("/clerk/member?phone={}", urlencode(phone)))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    (hidden(&page, "member"), hidden(&page, "idempotency_key"))
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn a_signed_out_clerk_signs_in_and_comes_back_to_the_page_they_opened() {
    let s = shop().await;
    let response = s.app.get("/clerk/member?card=7-12345678").await;
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/admin/login?next=%2Fclerk%2Fmember"),
        "{location}"
    );
    let (id, username) = s
        .app
        .create_account(
            store_assistant::db::entities::enums::StaffRole::Store,
            Some(s.store_a),
        )
        .await;
    let _ = id;
    // The sign-in form carries `next`; after it the clerk lands where they were going.
    let page = s.app.get(&location).await;
    let token = crate::helpers::set_cookie(&page, "sa_login_csrf").unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("/clerk/member?card=7-12345678"), "{html}");
    let signed_in = s
        .app
        .client
        .post(s.app.url("/admin/login"))
        .header(reqwest::header::COOKIE, format!("sa_login_csrf={token}"))
        .form(&[
            ("username", username.as_str()),
            ("password", crate::helpers::STAFF_PASSWORD),
            ("csrf_token", token.as_str()),
            ("next", "/clerk/member?card=7-12345678"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status().as_u16(), 303);
    assert_eq!(
        signed_in.headers()["location"],
        "/clerk/member?card=7-12345678"
    );
}

#[tokio::test]
async fn the_desk_shows_the_clerks_own_qr_code_full_screen() {
    let s = shop().await;
    let clerk = s.app.store_staff(s.store_a).await;
    let (status, page) = text(clerk.get("/clerk").await).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("北區｜台北信義店"), "{page}");
    assert!(page.contains("href=\"/clerk/qr\""), "{page}");
    assert!(page.contains("width=device-width"));
    let (status, page) = text(clerk.get("/clerk/qr").await).await;
    assert_eq!(status, 200);
    let token = qr_tokens::Entity::find()
        .filter(qr_tokens::Column::ClerkId.eq(clerk.id))
        .filter(qr_tokens::Column::RevokedAt.is_null())
        .one(&s.app.db)
        .await
        .unwrap()
        .expect("the clerk's card has a code");
    assert_eq!(token.store_id, s.store_a);
    assert!(
        page.contains(&format!("src=\"/qr/{}.svg\"", token.token)),
        "{page}"
    );
    // The code is the clerk's referral: a scan credits the store and the clerk.
    let scan = s.app.get(&format!("/q/{}", token.token)).await;
    assert!(
        scan.status().is_redirection() || scan.status().is_success(),
        "{}",
        scan.status()
    );
    assert_eq!(
        s.app
            .get(&format!("/qr/{}.svg", token.token))
            .await
            .status(),
        200
    );
    // The same code on every visit.
    let (_, again) = text(clerk.get("/clerk/qr").await).await;
    assert!(again.contains(&token.token));
}

#[tokio::test]
async fn a_member_is_found_by_the_whole_phone_number_only() {
    let s = shop().await;
    let clerk = s.app.store_staff(s.store_a).await;
    for typed in [
        "0912345678",
        "0912-345-678",
        "+886 912 345 678",
        "０９１２３４５６７８",
    ] {
        let (status, page) = text(
            clerk
                .get(&format!("/clerk/member?phone={}", urlencode(typed)))
                .await,
        )
        .await;
        assert_eq!(status, 200, "{typed}: {page}");
        assert!(page.contains("王小明"), "{page}");
        assert!(page.contains("0912***678"), "{page}");
        assert!(
            !page.contains("0912345678"),
            "store staff see a masked phone"
        );
        assert!(page.contains("北區｜台北信義店"), "{page}");
    }
    for partial in ["0912", "345678", "091234567"] {
        let (status, page) = text(
            clerk
                .get(&format!("/clerk/member?phone={}", urlencode(partial)))
                .await,
        )
        .await;
        assert_eq!(status, 400, "{partial}");
        assert!(page.contains("請輸入完整的手機號碼"), "{page}");
        assert!(!page.contains("王小明"));
        // What was typed stays in the box.
        assert!(page.contains(&format!("value=\"{partial}\"")), "{page}");
    }
    let (status, page) = text(clerk.get("/clerk/member?phone=0987654321").await).await;
    assert_eq!(status, 404);
    assert!(page.contains("查無此手機號碼的會員"), "{page}");
}

#[tokio::test]
async fn a_member_is_found_by_a_fresh_card_code_and_not_by_an_old_or_forged_one() {
    let s = shop().await;
    let clerk = s.app.store_staff(s.store_b).await;
    let now = Utc::now().timestamp();
    let code = member_card::issue(&secret(&s.app), s.member, now);
    for typed in [
        code.text.clone(),
        format!("{}/clerk/member?card={}", s.app.address, code.text),
    ] {
        let (status, page) = text(
            clerk
                .get(&format!("/clerk/member?card={}", urlencode(&typed)))
                .await,
        )
        .await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("王小明"));
        // Staff of store B: the name, the masked phone and the bound store, nothing more.
        assert!(page.contains("0912***678"));
        assert!(page.contains("北區｜台北信義店"));
        assert!(!page.contains("+886912345678") && !page.contains("0912345678"));
    }
    let old = member_card::issue(&secret(&s.app), s.member, now - 600);
    let (status, page) = text(clerk.get(&format!("/clerk/member?card={}", old.text)).await).await;
    assert_eq!(status, 410, "{page}");
    assert!(page.contains("會員條碼已過期"), "{page}");
    let forged = member_card::issue(b"not-our-secret", s.member, now);
    let (status, page) = text(
        clerk
            .get(&format!("/clerk/member?card={}", forged.text))
            .await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(page.contains("會員條碼不正確"), "{page}");
    assert!(!page.contains("王小明"));
    let (status, page) = text(clerk.get("/clerk/member?card=hello").await).await;
    assert_eq!(status, 400);
    assert!(page.contains("這不是會員條碼"), "{page}");
}

#[tokio::test]
async fn a_purchase_is_recorded_once_however_often_the_form_is_sent() {
    let s = shop().await;
    let clerk = s.app.store_staff(s.store_a).await;
    let (member, key) = form_for(&clerk, "0912345678").await;
    let fields = [
        ("member", member.as_str()),
        ("idempotency_key", key.as_str()),
        ("amount", "ＮＴ＄１，２００"),
        ("receipt_no", "AB-12345678"),
        ("note", "週年慶"),
    ];
    let first = clerk.post_form("/clerk/purchases", &fields).await;
    assert_eq!(first.status().as_u16(), 303);
    let location = first.headers()["location"].to_str().unwrap().to_owned();
    let second = clerk.post_form("/clerk/purchases", &fields).await;
    assert_eq!(second.status().as_u16(), 303);
    assert_eq!(second.headers()["location"], location.as_str());
    let rows = s.app.order_rows().await;
    assert_eq!(rows.len(), 1);
    let sale = &rows[0];
    assert_eq!(sale.amount, 1200);
    assert_eq!(sale.member_id, Some(s.member));
    assert_eq!(sale.entry_store_id, Some(s.store_a));
    assert_eq!(sale.credited_store_id, Some(s.store_a));
    assert_eq!(sale.operator_staff_id, Some(clerk.id));
    assert_eq!(sale.receipt_no.as_deref(), Some("AB-12345678"));
    assert_eq!(sale.note.as_deref(), Some("週年慶"));
    let (status, page) = text(clerk.get(&location).await).await;
    assert_eq!(status, 200);
    assert!(page.contains("已登錄"), "{page}");
    assert!(
        page.contains("NT$1,200") && page.contains("王小明"),
        "{page}"
    );
    // The desk lists it.
    let (_, desk) = text(clerk.get("/clerk").await).await;
    assert!(desk.contains(&format!("/clerk/purchases/{}", sale.id)));
    // The same form with another amount is refused and says what is recorded.
    let changed = [
        ("member", member.as_str()),
        ("idempotency_key", key.as_str()),
        ("amount", "1300"),
    ];
    let (status, page) = text(clerk.post_form("/clerk/purchases", &changed).await).await;
    assert_eq!(status, 409);
    assert!(page.contains("已登錄過一筆 NT$1,200"), "{page}");
    assert_eq!(s.app.order_rows().await.len(), 1);
}

#[tokio::test]
async fn bad_amounts_are_refused_clearly_and_the_form_keeps_what_was_typed() {
    let s = shop().await;
    let clerk = s.app.store_staff(s.store_a).await;
    let (member, key) = form_for(&clerk, "0912345678").await;
    for (amount, message) in [
        ("0", "金額不可為 0"),
        ("-300", "金額不可為負數"),
        ("abc", "金額必須是數字"),
        ("100000000", "金額過大"),
        ("12.5", "金額必須是整數"),
        ("", "請輸入金額"),
    ] {
        let (status, page) = text(
            clerk
                .post_form(
                    "/clerk/purchases",
                    &[
                        ("member", member.as_str()),
                        ("idempotency_key", key.as_str()),
                        ("amount", amount),
                        ("receipt_no", "ZZ-00000001"),
                        ("note", "請保留這段備註"),
                    ],
                )
                .await,
        )
        .await;
        assert_eq!(status, 400, "{amount}: {page}");
        assert!(page.contains(message), "{amount}: {page}");
        assert!(page.contains("請保留這段備註"), "the note is kept");
        assert!(
            page.contains("value=\"ZZ-00000001\""),
            "the receipt is kept"
        );
        assert_eq!(hidden(&page, "idempotency_key"), key, "the same key");
        assert!(page.contains("王小明"), "the member is still picked");
    }
    assert!(s.app.order_rows().await.is_empty());
    // After all that, the right amount with the same key records one purchase.
    let ok = clerk
        .post_form(
            "/clerk/purchases",
            &[
                ("member", member.as_str()),
                ("idempotency_key", key.as_str()),
                ("amount", "350"),
            ],
        )
        .await;
    assert_eq!(ok.status().as_u16(), 303);
    assert_eq!(s.app.order_rows().await.len(), 1);
}

#[tokio::test]
async fn a_clerk_of_another_store_records_for_a_member_bound_elsewhere_and_the_binding_is_credited()
{
    let s = shop().await;
    let clerk_b = s.app.store_staff(s.store_b).await;
    let (member, key) = form_for(&clerk_b, "0912345678").await;
    let response = clerk_b
        .post_form(
            "/clerk/purchases",
            &[
                ("member", member.as_str()),
                ("idempotency_key", key.as_str()),
                ("amount", "880"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let sale = s.app.order_rows().await.remove(0);
    assert_eq!(sale.entry_store_id, Some(s.store_b));
    assert_eq!(sale.credited_store_id, Some(s.store_a));
    // Asking for store A's desk is refused: staff work in their own store.
    assert_eq!(
        clerk_b
            .get(&format!("/clerk?store={}", s.store_a))
            .await
            .status(),
        404
    );
    let other_store = clerk_b
        .post_form(
            "/clerk/purchases",
            &[
                ("store", &s.store_a.to_string()),
                ("member", member.as_str()),
                ("idempotency_key", "another-key-0123456789"),
                ("amount", "880"),
            ],
        )
        .await;
    assert_eq!(other_store.status().as_u16(), 404);
    assert_eq!(s.app.order_rows().await.len(), 1);
}

#[tokio::test]
async fn purchase_entry_switched_off_by_hq_is_refused_with_a_clear_message() {
    let s = shop().await;
    sales_settings::set_purchase_entry(&s.app.db, &Actor::cli(), s.store_a, false)
        .await
        .unwrap();
    let clerk = s.app.store_staff(s.store_a).await;
    let (_, desk) = text(clerk.get("/clerk").await).await;
    assert!(desk.contains("尚未開放登錄門市消費"), "{desk}");
    let (member, key) = form_for(&clerk, "0912345678").await;
    let (status, page) = text(
        clerk
            .post_form(
                "/clerk/purchases",
                &[
                    ("member", member.as_str()),
                    ("idempotency_key", key.as_str()),
                    ("amount", "500"),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(status, 403);
    assert!(page.contains("尚未開放登錄門市消費"), "{page}");
    assert!(page.contains("value=\"500\""), "the amount is kept");
    assert!(s.app.order_rows().await.is_empty());
}

#[tokio::test]
async fn a_purchase_form_names_only_a_member_this_clerk_looked_up() {
    let s = shop().await;
    let clerk = s.app.store_staff(s.store_a).await;
    let other_clerk = s.app.store_staff(s.store_a).await;
    let (picked_by_other, _) = form_for(&other_clerk, "0912345678").await;
    let forged = signed_link::sign(
        b"not-our-secret",
        &MemberPick {
            member_id: s.member,
            staff_id: clerk.id,
            expires_at: Utc::now().timestamp() + 600,
        },
    );
    let expired = signed_link::sign(
        &secret(&s.app),
        &MemberPick {
            member_id: s.member,
            staff_id: clerk.id,
            expires_at: Utc::now().timestamp() - 1,
        },
    );
    for (pick, message) in [
        (picked_by_other.as_str(), "會員資料無效"),
        (forged.as_str(), "會員資料無效"),
        (&s.member.to_string(), "會員資料無效"),
        (expired.as_str(), "會員查詢已逾時"),
    ] {
        let (status, page) = text(
            clerk
                .post_form(
                    "/clerk/purchases",
                    &[
                        ("member", pick),
                        ("idempotency_key", "a-key-of-sixteen-chars"),
                        ("amount", "100"),
                    ],
                )
                .await,
        )
        .await;
        assert_eq!(status, 400, "{page}");
        assert!(page.contains(message), "{page}");
    }
    assert!(s.app.order_rows().await.is_empty());
    // And the CSRF token is required, as for every staff form.
    let (member, key) = form_for(&clerk, "0912345678").await;
    let refused = clerk
        .post_form_as_is(
            "/clerk/purchases",
            &[
                ("member", member.as_str()),
                ("idempotency_key", key.as_str()),
                ("amount", "100"),
            ],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 403);
    assert!(s.app.order_rows().await.is_empty());
}

#[tokio::test]
async fn a_void_needs_a_reason_is_audited_and_stays_in_the_store() {
    let s = shop().await;
    let clerk = s.app.store_staff(s.store_a).await;
    let (member, key) = form_for(&clerk, "0912345678").await;
    clerk
        .post_form(
            "/clerk/purchases",
            &[
                ("member", member.as_str()),
                ("idempotency_key", key.as_str()),
                ("amount", "990"),
            ],
        )
        .await;
    let sale = s.app.order_rows().await.remove(0);
    let path = format!("/clerk/purchases/{}/void", sale.id);
    let (status, page) = text(clerk.post_form(&path, &[("reason", " ")]).await).await;
    assert_eq!(status, 400);
    assert!(page.contains("請填寫作廢原因"), "{page}");
    // Staff of another store cannot see or void it.
    let clerk_b = s.app.store_staff(s.store_b).await;
    assert_eq!(
        clerk_b
            .get(&format!("/clerk/purchases/{}", sale.id))
            .await
            .status(),
        404
    );
    assert_eq!(
        clerk_b
            .post_form(&path, &[("reason", "不是我")])
            .await
            .status(),
        404
    );
    let voided = clerk.post_form(&path, &[("reason", "金額打錯")]).await;
    assert_eq!(voided.status().as_u16(), 303);
    let (_, page) = text(clerk.get(&format!("/clerk/purchases/{}", sale.id)).await).await;
    assert!(
        page.contains("已作廢") && page.contains("金額打錯"),
        "{page}"
    );
    assert!(!page.contains("id=\"void-form\""), "no second void");
    let row = s.app.order_rows().await.remove(0);
    assert_eq!(row.void_reason.as_deref(), Some("金額打錯"));
    assert_eq!(row.voided_by_staff_id, Some(clerk.id));
    let audit = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("order.void"))
        .one(&s.app.db)
        .await
        .unwrap()
        .expect("audited");
    assert_eq!(audit.actor_staff_id, Some(clerk.id));
    assert_eq!(s.app.daily_totals().await, (0, 0, 0, 0));
    let (status, page) = text(clerk.post_form(&path, &[("reason", "再一次")]).await).await;
    assert_eq!(status, 409);
    assert!(page.contains("已經作廢"), "{page}");
}

#[tokio::test]
async fn hq_picks_a_store_shows_its_code_and_records_there() {
    let s = shop().await;
    let hq = s.app.hq().await;
    let (status, page) = text(hq.get("/clerk").await).await;
    assert_eq!(status, 200);
    assert!(page.contains("選擇門市"), "{page}");
    assert!(page.contains(&format!("/clerk?store={}", s.store_b)));
    let (status, page) = text(hq.get(&format!("/clerk?store={}", s.store_b)).await).await;
    assert_eq!(status, 200);
    assert!(page.contains("南區｜高雄巨蛋店"), "{page}");
    let (_, qr) = text(hq.get(&format!("/clerk/qr?store={}", s.store_b)).await).await;
    let store_token = qr_tokens::Entity::find()
        .filter(qr_tokens::Column::StoreId.eq(s.store_b))
        .filter(qr_tokens::Column::ClerkId.is_null())
        .one(&s.app.db)
        .await
        .unwrap()
        .expect("the store's code");
    assert!(qr.contains(&store_token.token), "HQ shows the store's code");
    // HQ sees the whole phone.
    let (status, page) = text(
        hq.get(&format!(
            "/clerk/member?phone=0912345678&store={}",
            s.store_b
        ))
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert!(page.contains("0912345678"), "{page}");
    let member = hidden(&page, "member");
    let key = hidden(&page, "idempotency_key");
    let response = hq
        .post_form(
            "/clerk/purchases",
            &[
                ("store", &s.store_b.to_string()),
                ("member", member.as_str()),
                ("idempotency_key", key.as_str()),
                ("amount", "2,000"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let sale = s.app.order_rows().await.remove(0);
    assert_eq!(sale.entry_store_id, Some(s.store_b));
    assert_eq!(sale.amount, 2000);
    // Without a store the form asks for one.
    let (status, page) = text(
        hq.post_form(
            "/clerk/purchases",
            &[
                ("member", member.as_str()),
                ("idempotency_key", "another-key-0123456789"),
                ("amount", "100"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(page.contains("請先選擇您所在的門市"), "{page}");
    assert_eq!(s.app.order_rows().await.len(), 1);
}
