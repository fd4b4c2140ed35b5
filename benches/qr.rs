//! QR codes: rendering one 1,000-px PNG (target: under 5 ms), the SVG a poster embeds, and
//! exporting the codes of 1,000 stores as 1,024-px PNG files, as `store-assistant qr export`
//! does (target: under 10 s), and building the print-all poster document for 1,000 stores.
//! The stores live in a fresh SQLite database, the embedded default.
//!
//! `cargo bench --bench qr`

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use sea_orm::{DatabaseConnection, EntityTrait, Set};
use store_assistant::config::Settings;
use store_assistant::db::{self, entities::stores};
use store_assistant::services::audit::Actor;
use store_assistant::services::{posters, qr};

const URL: &str = "https://shop.example.com.tw/q/AbCdEfGhIjKlMnOpQrStUv";
const STORES: usize = 1000;

fn images(c: &mut Criterion) {
    let mut group = c.benchmark_group("qr");
    group.bench_function("png_1000px", |b| {
        b.iter(|| store_assistant::qr::png(black_box(URL), 1000).unwrap())
    });
    group.bench_function("svg", |b| {
        b.iter(|| store_assistant::qr::svg(black_box(URL)).unwrap())
    });
    group.finish();
}

/// A fresh SQLite database with `STORES` active stores.
async fn thousand_stores(dir: &std::path::Path) -> (DatabaseConnection, Settings) {
    let vars: HashMap<String, String> = [
        (
            "DATABASE_URL",
            format!("sqlite://{}", dir.join("bench.db").display()),
        ),
        ("PUBLIC_BASE_URL", "https://shop.example.com.tw".to_owned()),
        (
            "SECRET_KEY",
            "benchmark-secret-key-that-is-long-enough-0123".to_owned(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let settings = Settings::from_vars(&vars, true).expect("benchmark settings");
    let db = db::connect(&settings).await.unwrap();
    db::migrate(&db).await.unwrap();
    let now = chrono::Utc::now();
    let rows: Vec<stores::ActiveModel> = (0..STORES)
        .map(|i| stores::ActiveModel {
            code: Set(format!("S{i:04}")),
            name: Set(format!("門市 {i}")),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(200) {
        stores::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&db)
            .await
            .unwrap();
    }
    (db, settings)
}

fn thousand_store_exports(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = std::env::temp_dir().join(format!("store-assistant-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (db, settings) = runtime.block_on(thousand_stores(&dir));
    let options = qr::ExportOptions {
        dir: dir.join("export"),
        format: qr::ImageFormat::Png,
        size: 1024,
        clerks: false,
    };
    // The first export also creates the stores' tokens; measure the ones after.
    runtime
        .block_on(qr::export(
            &db,
            &settings,
            &Actor::cli(),
            &options,
            |_, _| {},
        ))
        .unwrap();

    let mut group = c.benchmark_group("qr_1000_stores");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.bench_function("export_png_1024px", |b| {
        b.iter(|| {
            let summary = runtime
                .block_on(qr::export(
                    &db,
                    &settings,
                    &Actor::cli(),
                    &options,
                    |_, _| {},
                ))
                .unwrap();
            assert_eq!(summary.stores, STORES);
        })
    });
    group.bench_function("print_all_posters", |b| {
        b.iter(|| {
            let document = runtime
                .block_on(posters::all_posters(&db, &settings, &Actor::cli()))
                .unwrap();
            assert_eq!(document.sheets.len(), STORES);
        })
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, images, thousand_store_exports);
criterion_main!(benches);
