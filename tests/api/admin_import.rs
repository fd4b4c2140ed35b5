//! The store CSV: import all or nothing with line-numbered problems, one group per store,
//! export → import round trip, in the admin and at the command line.

use sea_orm::{EntityTrait, PaginatorTrait, QueryOrder};
use store_assistant::db::entities::{audit_log, store_groups, stores};

use crate::helpers::{TestApp, spawn_app};

const HEADER: &str = "store_code,store_name,group_name\n";

async fn all_stores(app: &TestApp) -> Vec<stores::Model> {
    stores::Entity::find()
        .order_by_asc(stores::Column::Code)
        .all(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn import_creates_stores_and_groups_and_updates_existing_codes() {
    let app = spawn_app().await;
    app.create_store("TP01", "舊名字", Some("南區")).await;
    let hq = app.hq().await;
    let csv = format!("\u{FEFF}{HEADER}tp01,台北信義店,北區\nTP02,台北大安店,北區\nKS01,高雄店,\n");
    let response = hq.post_form("/admin/stores/import", &[("csv", &csv)]).await;
    assert_eq!(response.status().as_u16(), 200);
    let body = response.text().await.unwrap();
    assert!(body.contains("新增 2 間、更新 1 間、未變更 0 間"), "{body}");
    assert!(body.contains("已從「南區」移到「北區」"), "{body}");

    let stores = all_stores(&app).await;
    let north = app.group_id("北區").await.unwrap();
    let names: Vec<(&str, &str, Option<i32>)> = stores
        .iter()
        .map(|s| (s.code.as_str(), s.name.as_str(), s.group_id))
        .collect();
    assert_eq!(
        names,
        [
            ("KS01", "高雄店", None),
            ("TP01", "台北信義店", Some(north)),
            ("TP02", "台北大安店", Some(north)),
        ]
    );
    let imported = audit_log::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.reason.as_deref().is_some_and(|r| r.contains("CSV")))
        .count();
    assert_eq!(imported, 4, "three stores and one new group");
}

#[tokio::test]
async fn a_bad_file_changes_nothing_and_lists_every_problem_by_line() {
    let app = spawn_app().await;
    app.create_store("TP01", "台北信義店", None).await;
    let hq = app.hq().await;
    let before = all_stores(&app).await;
    let long = "店".repeat(101);
    let csv = format!(
        "{HEADER}NEW1,好的一行,北區\nNEW2,,北區\nNEW3,{long},\nNEW1,好的一行,南區\nNEW4,少一欄\nNEW5,重複,\nnew5,重複,\n"
    );
    let response = hq.post_form("/admin/stores/import", &[("csv", &csv)]).await;
    assert_eq!(response.status().as_u16(), 200);
    let body = response.text().await.unwrap();
    for expected in [
        "檔案有 5 個問題，整個檔案都沒有匯入",
        "第 3 行：門市名稱不可空白",
        "第 4 行：門市名稱超過 100 個字",
        "第 5 行：門市 NEW1 被列在兩個群組",
        "第 6 行：應有 3 欄，實際有 2 欄",
        "第 8 行：門市代碼 NEW5 重複（第 7 行已出現）",
    ] {
        assert!(body.contains(expected), "missing {expected:?}: {body}");
    }
    assert_eq!(all_stores(&app).await, before);
    assert_eq!(
        store_groups::Entity::find().count(&app.db).await.unwrap(),
        0
    );
}

/// Store names are unique: a name twice in the file, or a name of a store the file leaves alone,
/// refuses the whole file (409 for the latter) with every such line named; nothing changes.
#[tokio::test]
async fn repeated_store_names_refuse_the_whole_file_by_line() {
    let app = spawn_app().await;
    app.create_store("TP01", "台北信義店", None).await;
    app.create_store("KS01", "高雄店", None).await;
    let hq = app.hq().await;
    let before = all_stores(&app).await;

    let twice = format!("{HEADER}NEW1,台中店,\nNEW2,台南店,\nNEW3, 台中店 ,\n");
    let response = hq
        .post_form("/admin/stores/import", &[("csv", &twice)])
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("第 4 行：門市名稱「台中店」重複（第 2 行已出現）"),
        "{body}"
    );
    assert_eq!(all_stores(&app).await, before);

    let taken = format!("{HEADER}NEW1,台北信義店,\nNEW2,台南店,\nKS01,高雄巨蛋店,\nNEW3,高雄店,\n");
    let response = hq
        .post_form("/admin/stores/import", &[("csv", &taken)])
        .await;
    assert_eq!(response.status().as_u16(), 409);
    let body = response.text().await.unwrap();
    for expected in [
        "第 2 行：門市名稱「台北信義店」已由門市 TP01 使用",
        "line 2: store name &#34;台北信義店&#34; is already used by store TP01",
    ] {
        assert!(body.contains(expected), "missing {expected:?}: {body}");
    }
    // KS01 is renamed by the file itself, so its old name is free for NEW3.
    assert!(!body.contains("第 5 行"), "{body}");
    assert_eq!(all_stores(&app).await, before, "nothing imported");
}

/// Names move between stores of the same file (a swap) without tripping the unique index.
#[tokio::test]
async fn a_file_may_swap_two_store_names() {
    let app = spawn_app().await;
    app.create_store("TP01", "甲店", None).await;
    app.create_store("TP02", "乙店", None).await;
    let hq = app.hq().await;
    let csv = format!("{HEADER}TP01,乙店,\nTP02,甲店,\n");
    let response = hq.post_form("/admin/stores/import", &[("csv", &csv)]).await;
    assert_eq!(response.status().as_u16(), 200);
    let body = response.text().await.unwrap();
    assert!(body.contains("更新 2 間"), "{body}");
    let names: Vec<(String, String)> = all_stores(&app)
        .await
        .into_iter()
        .map(|s| (s.code, s.name))
        .collect();
    assert_eq!(
        names,
        [
            ("TP01".to_owned(), "乙店".to_owned()),
            ("TP02".to_owned(), "甲店".to_owned())
        ]
    );
}

#[tokio::test]
async fn a_wrong_header_or_encoding_is_refused() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let wrong_header = hq
        .post_form("/admin/stores/import", &[("csv", "code,name\nA1,甲\n")])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        wrong_header.contains("第 1 行：標題必須是"),
        "{wrong_header}"
    );

    let mut big5 = HEADER.as_bytes().to_vec();
    big5.extend_from_slice(b"A1,ok,\nB1,");
    big5.extend_from_slice(&[0xA5, 0x78, 0xA5, 0x5F]);
    big5.extend_from_slice(b",\n");
    let response = hq.post_raw("/admin/stores/import", "text/csv", big5).await;
    assert_eq!(response.status().as_u16(), 200);
    let body = response.text().await.unwrap();
    assert!(body.contains("第 3 行：不是 UTF-8"), "{body}");
    assert!(all_stores(&app).await.is_empty());
}

#[tokio::test]
async fn a_raw_upload_needs_the_csrf_header() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let response = app
        .client
        .post(app.url("/admin/stores/import"))
        .header("cookie", format!("sa_session={}", hq.session))
        .header("content-type", "text/csv")
        .body(format!("{HEADER}A1,甲,\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    assert!(all_stores(&app).await.is_empty());
}

#[tokio::test]
async fn export_then_import_changes_nothing() {
    let app = spawn_app().await;
    app.create_store("TP01", "台北, \"信義\" 店", Some("北區"))
        .await;
    app.create_store("KS01", "<script>高雄</script>", None)
        .await;
    app.create_store("TC01", "台中店", Some("中區")).await;
    let hq = app.hq().await;
    let export = hq.get("/admin/stores/export.csv").await;
    assert_eq!(export.status().as_u16(), 200);
    assert!(
        export.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let bytes = export.bytes().await.unwrap().to_vec();
    assert!(bytes.starts_with(b"\xEF\xBB\xBFstore_code,store_name,group_name\n"));
    let before = all_stores(&app).await;
    let audit_before = audit_log::Entity::find().count(&app.db).await.unwrap();

    let response = hq.post_raw("/admin/stores/import", "text/csv", bytes).await;
    let body = response.text().await.unwrap();
    assert!(body.contains("新增 0 間、更新 0 間、未變更 3 間"), "{body}");
    assert_eq!(all_stores(&app).await, before);
    assert_eq!(
        audit_log::Entity::find().count(&app.db).await.unwrap(),
        audit_before
    );
}

#[tokio::test]
async fn exported_formulas_are_defused_and_reimport_as_the_same_names() {
    let app = spawn_app().await;
    let formula = "=HYPERLINK(\"https://evil.example\",\"點我\")";
    app.create_store("TP01", formula, Some("@北區")).await;
    app.create_store("TP02", "-折扣店", None).await;
    app.create_store("TP03", "+886 門市", None).await;
    app.create_store("TP04", "'=早已加上撇號", None).await;
    app.create_store("TP05", "'一般撇號", None).await;
    let hq = app.hq().await;
    let export = hq.get("/admin/stores/export.csv").await;
    let bytes = export.bytes().await.unwrap().to_vec();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(
        text.contains("TP01,\"'=HYPERLINK(\"\"https://evil.example\"\",\"\"點我\"\")\",'@北區\n"),
        "{text}"
    );
    assert!(text.contains("TP02,'-折扣店,\n"), "{text}");
    assert!(text.contains("TP03,'+886 門市,\n"), "{text}");
    assert!(text.contains("TP04,''=早已加上撇號,\n"), "{text}");
    assert!(text.contains("TP05,'一般撇號,\n"), "{text}");
    for line in text.lines().skip(1) {
        for cell in line.split(',') {
            let cell = cell.trim_start_matches('"');
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "a spreadsheet would run {cell:?} in {line:?}"
            );
        }
    }

    let before = all_stores(&app).await;
    let response = hq.post_raw("/admin/stores/import", "text/csv", bytes).await;
    let body = response.text().await.unwrap();
    assert!(body.contains("新增 0 間、更新 0 間、未變更 5 間"), "{body}");
    assert_eq!(all_stores(&app).await, before);
    let names: Vec<String> = before.into_iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        [
            formula,
            "-折扣店",
            "+886 門市",
            "'=早已加上撇號",
            "'一般撇號"
        ]
    );
}

#[tokio::test]
async fn an_imported_apostrophe_before_a_formula_character_is_taken_off() {
    let app = spawn_app().await;
    let hq = app.hq().await;
    let csv = format!("{HEADER}'-A1,'-減價店,'=群組\nB1,'平凡店,\n");
    let response = hq.post_form("/admin/stores/import", &[("csv", &csv)]).await;
    assert_eq!(response.status().as_u16(), 200);
    let stores: Vec<(String, String)> = all_stores(&app)
        .await
        .into_iter()
        .map(|s| (s.code, s.name))
        .collect();
    assert_eq!(
        stores,
        [
            ("-A1".to_owned(), "-減價店".to_owned()),
            ("B1".to_owned(), "'平凡店".to_owned())
        ]
    );
    assert!(app.group_id("=群組").await.is_some());
}

/// Runs the binary against the test's database.
fn cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    let dir = std::env::temp_dir().join(format!(
        "store-assistant-cli-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_store-assistant"))
        .args(args)
        .current_dir(&dir)
        .env_clear()
        .env("DATABASE_URL", &app.database_url)
        .output()
        .expect("the binary runs")
}

#[tokio::test]
async fn the_command_line_imports_and_exports_the_same_format() {
    let app = spawn_app().await;
    let dir = std::env::temp_dir().join(format!(
        "store-assistant-csv-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("stores.csv");
    std::fs::write(
        &input,
        format!("\u{FEFF}{HEADER}TP01,台北信義店,北區\nKS01,高雄店,\n"),
    )
    .unwrap();
    let output = cli(&app, &["stores", "import", input.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("2 created"));

    let out = dir.join("export.csv");
    let output = cli(&app, &["stores", "export", "--out", out.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        format!("{HEADER}KS01,高雄店,\nTP01,台北信義店,北區\n")
    );
    let output = cli(&app, &["stores", "export"]);
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!("{HEADER}KS01,高雄店,\nTP01,台北信義店,北區\n")
    );

    std::fs::write(
        &input,
        format!("{HEADER}TP01,台北信義店,北區\nTP01,台北信義店,南區\n"),
    )
    .unwrap();
    let output = cli(&app, &["stores", "import", input.to_str().unwrap()]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("line 3: store TP01 is listed in two groups"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert_eq!(app.group_id("南區").await, None);
}
