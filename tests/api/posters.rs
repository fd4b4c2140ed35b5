//! QR pictures (`/qr/{token}.png|svg`), printable posters and clerk cards, HQ's rotation and
//! revocation from the store page, and `store-assistant qr export`. Pictures are read back with
//! a QR decoder, so a code that does not scan fails here.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use store_assistant::db::entities::enums::StaffRole;
use store_assistant::db::entities::{audit_log, shop_settings, staff_accounts};
use store_assistant::services::audit::Actor;
use store_assistant::services::qr::{self, ExportOptions, ImageFormat, TokenOwner};

use crate::helpers::{TestApp, spawn_app};

/// The text of the one QR code in a PNG.
fn decode_png(bytes: &[u8]) -> String {
    let image = image::load_from_memory(bytes).expect("a PNG").to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        image.width() as usize,
        image.height() as usize,
        |x, y| image.get_pixel(x as u32, y as u32).0[0],
    );
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the picture");
    grids[0].decode().expect("the code decodes").1
}

async fn store_token(app: &TestApp, store: i32) -> String {
    qr::ensure_token(&app.db, TokenOwner::Store(store), None)
        .await
        .unwrap()
        .token
}

/// The stylesheets a page links (`/assets/…`), concatenated.
async fn linked_css(app: &TestApp, page: &str) -> String {
    let mut css = String::new();
    for piece in page.split("rel=\"stylesheet\" href=\"").skip(1) {
        let href = &piece[..piece.find('"').unwrap()];
        css.push_str(&app.get(href).await.text().await.unwrap());
    }
    css
}

async fn set_shop_name(app: &TestApp, name: &str) {
    let row = shop_settings::Entity::find_by_id(1)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut row = row.into_active_model();
    row.shop_name = Set(name.to_owned());
    row.update(&app.db).await.unwrap();
}

// ---- Pictures ----

#[tokio::test]
async fn the_png_decodes_to_the_stores_scan_url() {
    let app = spawn_app().await;
    let store = app.seed_store("TP01", None).await;
    let token = store_token(&app, store).await;

    let response = app.get(&format!("/qr/{token}.png?size=600")).await;

    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    let bytes = response.bytes().await.unwrap();
    let image = image::load_from_memory(&bytes).unwrap();
    assert_eq!((image.width(), image.height()), (600, 600));
    assert_eq!(decode_png(&bytes), app.url(&format!("/q/{token}")));
}

#[tokio::test]
async fn png_sizes_are_clamped_to_sane_bounds() {
    let app = spawn_app().await;
    let store = app.seed_store("TP01", None).await;
    let token = store_token(&app, store).await;
    for (asked, got) in [("1", 128), ("100000", 2048)] {
        let bytes = app
            .get(&format!("/qr/{token}.png?size={asked}"))
            .await
            .bytes()
            .await
            .unwrap();
        let image = image::load_from_memory(&bytes).unwrap();
        assert_eq!(image.width(), got, "size={asked}");
        assert_eq!(decode_png(&bytes), app.url(&format!("/q/{token}")));
    }
}

#[tokio::test]
async fn pictures_carry_an_etag_and_a_repeat_fetch_gets_304() {
    let app = spawn_app().await;
    let store = app.seed_store("TP01", None).await;
    let token = store_token(&app, store).await;
    for path in [format!("/qr/{token}.png"), format!("/qr/{token}.svg")] {
        let first = app.get(&path).await;
        assert_eq!(first.status().as_u16(), 200, "{path}");
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        assert!(
            first.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("max-age"),
            "{path}"
        );

        let again = app
            .client
            .get(app.url(&path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status().as_u16(), 304, "{path}");
        assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
        assert!(again.bytes().await.unwrap().is_empty());
    }
    // Another size is another picture.
    let small = app.get(&format!("/qr/{token}.png?size=256")).await;
    let large = app.get(&format!("/qr/{token}.png?size=1024")).await;
    assert_ne!(small.headers()["etag"], large.headers()["etag"]);
    let svg = app.get(&format!("/qr/{token}.svg")).await;
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert!(svg.text().await.unwrap().starts_with("<svg "));
}

#[tokio::test]
async fn pictures_of_unknown_and_revoked_codes_are_404_and_410() {
    let app = spawn_app().await;
    let store = app.seed_store("TP01", None).await;
    let old = store_token(&app, store).await;
    qr::rotate(&app.db, &Actor::cli(), TokenOwner::Store(store))
        .await
        .unwrap();
    for ext in ["png", "svg"] {
        let unknown = app.get(&format!("/qr/AAAAAAAAAAAAAAAAAAAAAA.{ext}")).await;
        assert_eq!(unknown.status().as_u16(), 404, "{ext}");
        let revoked = app.get(&format!("/qr/{old}.{ext}")).await;
        assert_eq!(revoked.status().as_u16(), 410, "{ext}");
    }
}

// ---- Posters and cards ----

#[tokio::test]
async fn the_poster_shows_brand_store_group_code_the_code_and_the_current_routes_words() {
    let app = spawn_app().await;
    let store = app.create_store("TP01", "台北信義店", Some("北區")).await;
    set_shop_name(&app, "好物商店").await;
    app.complete_checklist(false).await;
    let hq = app.hq().await;

    let response = hq.get(&format!("/admin/stores/{store}/poster")).await;

    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap();
    for text in [
        "<html lang=\"zh-TW\">",
        "好物商店",
        "台北信義店",
        "北區",
        "<span class=\"store-code\">TP01</span>",
        "加入好友後驗證手機即可完成綁定",
    ] {
        assert!(page.contains(text), "{text} in {page}");
    }
    assert!(
        linked_css(&app, &page).await.contains("@page { size: A4"),
        "posters print on A4"
    );
    assert!(!page.contains("用 LINE 掃描，一步完成加入好友與會員綁定"));
    // The code on the poster is the store's code.
    let token = store_token(&app, store).await;
    let svg = store_assistant::qr::svg(&app.url(&format!("/q/{token}"))).unwrap();
    assert!(page.contains(&svg), "the poster carries the store's code");

    // With a Certified Provider and auto-LIFF, the same poster says route A's words.
    app.complete_checklist(true).await;
    let page = hq
        .get(&format!("/admin/stores/{store}/poster"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("用 LINE 掃描，一步完成加入好友與會員綁定"));
    assert!(page.contains(&svg), "the code did not change");
}

#[tokio::test]
async fn names_with_markup_are_escaped_on_posters_and_cards() {
    let app = spawn_app().await;
    let store = app
        .create_store("TP01", "台北信義店", Some("<i>北區</i>"))
        .await;
    app.rename_store(store, "<script>alert('店')</script>")
        .await;
    set_shop_name(&app, "<b>品牌</b>").await;
    let (clerk, _) = app.create_account(StaffRole::Store, Some(store)).await;
    let row = staff_accounts::Entity::find_by_id(clerk)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut row = row.into_active_model();
    row.display_name = Set("<img src=x onerror=alert(1)>".to_owned());
    row.update(&app.db).await.unwrap();
    let hq = app.hq().await;

    for path in [
        format!("/admin/stores/{store}/poster"),
        format!("/admin/stores/{store}/clerks/{clerk}/card"),
        "/admin/posters".to_owned(),
    ] {
        let page = hq.get(&path).await.text().await.unwrap();
        assert!(!page.contains("<script>alert"), "{path}");
        assert!(!page.contains("<b>品牌"), "{path}");
        assert!(!page.contains("<i>北區"), "{path}");
        assert!(!page.contains("<img src=x"), "{path}");
        assert!(page.contains("&#60;script&#62;"), "{path}: {page}");
        assert!(page.contains("&#60;b&#62;品牌"), "{path}");
    }
    let card = hq
        .get(&format!("/admin/stores/{store}/clerks/{clerk}/card"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        card.contains("&#60;img src=x"),
        "the clerk's name is on the card"
    );
    assert!(
        linked_css(&app, &card).await.contains("@page { size: A6"),
        "cards print on A6"
    );
}

#[tokio::test]
async fn store_staff_print_only_their_own_stores_poster_and_their_own_card() {
    let app = spawn_app().await;
    let store_a = app.create_store("A01", "台北信義店", None).await;
    let store_b = app.create_store("B01", "高雄巨蛋店", None).await;
    let (colleague, _) = app.create_account(StaffRole::Store, Some(store_a)).await;
    let (clerk_b, _) = app.create_account(StaffRole::Store, Some(store_b)).await;
    let staff = app.store_staff(store_a).await;

    let own = staff.get(&format!("/admin/stores/{store_a}/poster")).await;
    assert_eq!(own.status().as_u16(), 200);
    assert!(own.text().await.unwrap().contains("台北信義店"));
    let own_card = staff
        .get(&format!("/admin/stores/{store_a}/clerks/{}/card", staff.id))
        .await;
    assert_eq!(own_card.status().as_u16(), 200);

    for path in [
        format!("/admin/stores/{store_b}/poster"),
        format!("/admin/stores/{store_b}/clerks/{clerk_b}/card"),
        format!("/admin/stores/{store_a}/clerks/{colleague}/card"),
        // Store B's clerk through store A's address.
        format!("/admin/stores/{store_a}/clerks/{clerk_b}/card"),
    ] {
        let response = staff.get(&path).await;
        assert_eq!(response.status().as_u16(), 404, "{path}");
        assert!(!response.text().await.unwrap().contains("高雄巨蛋店"));
    }
    assert_eq!(staff.get("/admin/posters").await.status().as_u16(), 403);
    // No code was made for what they could not print.
    assert!(
        qr::active_token(&app.db, TokenOwner::Store(store_b))
            .await
            .unwrap()
            .is_none()
    );

    // The store page links to the poster and to their own card only.
    let page = staff
        .get(&format!("/admin/stores/{store_a}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("/admin/stores/{store_a}/poster")));
    assert!(page.contains(&format!("/clerks/{}/card", staff.id)));
    assert!(!page.contains(&format!("/clerks/{colleague}/card")));
    assert!(!page.contains("/qr/rotate"), "rotation is HQ's");
}

#[tokio::test]
async fn a_deactivated_clerk_gets_no_card() {
    let app = spawn_app().await;
    let store = app.create_store("A01", "台北信義店", None).await;
    let (clerk, _) = app.create_account(StaffRole::Store, Some(store)).await;
    store_assistant::services::accounts::set_account_active(&app.db, &Actor::cli(), clerk, false)
        .await
        .unwrap();
    let hq = app.hq().await;
    let response = hq
        .get(&format!("/admin/stores/{store}/clerks/{clerk}/card"))
        .await;
    assert_eq!(response.status().as_u16(), 409);
}

#[tokio::test]
async fn hq_prints_every_active_stores_poster_in_one_document() {
    let app = spawn_app().await;
    app.create_store("A01", "台北信義店", Some("北區")).await;
    app.create_store("B01", "高雄巨蛋店", Some("南區")).await;
    let closed = app.create_store("C01", "已關門店", None).await;
    store_assistant::services::stores::set_store_active(&app.db, &Actor::cli(), closed, false)
        .await
        .unwrap();
    let hq = app.hq().await;

    let response = hq.get("/admin/posters").await;

    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap();
    assert_eq!(page.matches("<section class=\"sheet poster\"").count(), 2);
    let a = page
        .find("data-store-code=\"A01\"")
        .expect("A01 is printed");
    let b = page
        .find("data-store-code=\"B01\"")
        .expect("B01 is printed");
    assert!(a < b, "by store code");
    assert!(!page.contains("已關門店"));
    assert!(
        linked_css(&app, &page).await.contains("break-after: page"),
        "one sheet per page"
    );
    // The stores page links to it.
    let stores = hq.get("/admin/stores").await.text().await.unwrap();
    assert!(stores.contains("href=\"/admin/posters\""));
}

#[tokio::test]
async fn hq_rotates_and_revokes_codes_from_the_store_page() {
    let app = spawn_app().await;
    let store = app.create_store("A01", "台北信義店", None).await;
    let (clerk, _) = app.create_account(StaffRole::Store, Some(store)).await;
    let clerk_owner = TokenOwner::Clerk {
        store_id: store,
        clerk_id: clerk,
    };
    let old_store = store_token(&app, store).await;
    let old_card = qr::ensure_token(&app.db, clerk_owner, None)
        .await
        .unwrap()
        .token;
    let hq = app.hq().await;
    let page = hq
        .get(&format!("/admin/stores/{store}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("/admin/stores/{store}/qr/rotate")));
    assert!(page.contains(&format!("/admin/stores/{store}/clerks/{clerk}/card")));

    let response = hq
        .post_form(&format!("/admin/stores/{store}/qr/rotate"), &[])
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let page = hq
        .get(response.headers()["location"].to_str().unwrap())
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("已更換門市 QR Code"), "{page}");
    assert_eq!(
        app.get(&format!("/qr/{old_store}.png"))
            .await
            .status()
            .as_u16(),
        410
    );
    let new_store = store_token(&app, store).await;
    assert_ne!(new_store, old_store);

    let response = hq
        .post_form(
            &format!("/admin/stores/{store}/clerks/{clerk}/qr/revoke"),
            &[],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert!(
        qr::active_token(&app.db, clerk_owner)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        app.get(&format!("/qr/{old_card}.svg"))
            .await
            .status()
            .as_u16(),
        410
    );

    let audited: Vec<(String, Option<i32>, Option<i32>)> = audit_log::Entity::find()
        .filter(audit_log::Column::Action.starts_with("qr."))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.action, row.actor_staff_id, row.store_id))
        .collect();
    assert_eq!(
        audited,
        [
            ("qr.rotate".to_owned(), Some(hq.id), Some(store)),
            ("qr.revoke".to_owned(), Some(hq.id), Some(store)),
        ]
    );
}

// ---- Export ----

fn temp_dir(label: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "store-assistant-{label}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn each_exported_png_decodes_to_its_stores_scan_url() {
    let app = spawn_app().await;
    let a = app.create_store("A01", "台北信義店", None).await;
    let b = app.create_store("B01", "高雄巨蛋店", None).await;
    let closed = app.create_store("C01", "已關門店", None).await;
    store_assistant::services::stores::set_store_active(&app.db, &Actor::cli(), closed, false)
        .await
        .unwrap();
    let (clerk, username) = app.create_account(StaffRole::Store, Some(a)).await;
    let dir = temp_dir("qr-export");

    let mut progress = Vec::new();
    let summary = qr::export(
        &app.db,
        &app.ctx.settings,
        &Actor::cli(),
        &ExportOptions {
            dir: dir.clone(),
            format: ImageFormat::Png,
            size: 400,
            clerks: true,
        },
        |done, total| progress.push((done, total)),
    )
    .await
    .unwrap();

    assert_eq!((summary.stores, summary.clerk_cards), (2, 1));
    assert_eq!(progress, [(1, 2), (2, 2)]);
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "A01-".to_owned() + &username + ".png",
            "A01.png".to_owned(),
            "B01.png".to_owned()
        ]
    );
    for (file, owner) in [
        ("A01.png".to_owned(), TokenOwner::Store(a)),
        ("B01.png".to_owned(), TokenOwner::Store(b)),
        (
            format!("A01-{username}.png"),
            TokenOwner::Clerk {
                store_id: a,
                clerk_id: clerk,
            },
        ),
    ] {
        let token = qr::active_token(&app.db, owner)
            .await
            .unwrap()
            .unwrap()
            .token;
        let bytes = std::fs::read(dir.join(&file)).unwrap();
        assert_eq!(
            decode_png(&bytes),
            app.url(&format!("/q/{token}")),
            "{file}"
        );
    }
}

#[tokio::test]
async fn the_command_line_exports_svg_files_named_by_store_code() {
    let app = spawn_app().await;
    let store = app.create_store("A01", "台北信義店", None).await;
    let dir = temp_dir("qr-cli");

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_store-assistant"))
        .args([
            "qr",
            "export",
            "--out",
            dir.to_str().unwrap(),
            "--format",
            "svg",
        ])
        .current_dir(&dir)
        .env_clear()
        .env("DATABASE_URL", &app.database_url)
        .env("PUBLIC_BASE_URL", "https://shop.example.com.tw")
        .output()
        .expect("the binary runs");

    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("exported 1 store code(s) as svg"),
        "{stdout}"
    );
    let token = store_token(&app, store).await;
    let svg = std::fs::read_to_string(dir.join("A01.svg")).unwrap();
    assert_eq!(
        svg,
        store_assistant::qr::svg(&format!("https://shop.example.com.tw/q/{token}")).unwrap()
    );
    // Not a terminal: no progress bar in the output.
    assert!(!String::from_utf8_lossy(&output.stderr).contains("stores\r"));
}

#[tokio::test]
async fn export_is_for_hq() {
    let app = spawn_app().await;
    let store = app.create_store("A01", "台北信義店", None).await;
    let (clerk, username) = app.create_account(StaffRole::Store, Some(store)).await;
    let actor = Actor::staff(
        clerk,
        &username,
        store_assistant::domain::access::Scope::Store(store),
    );
    let result = qr::export(
        &app.db,
        &app.ctx.settings,
        &actor,
        &ExportOptions {
            dir: temp_dir("qr-refused"),
            format: ImageFormat::Png,
            size: 256,
            clerks: false,
        },
        |_, _| {},
    )
    .await;
    assert!(result.is_err());
}
