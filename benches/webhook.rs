//! The CPU cost of accepting a webhook before it is stored: checking the signature and parsing a
//! signed one-event follow body (the load run in `bench/webhook-load.sh` measures the whole path).
//!
//! `cargo bench --bench webhook`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use store_assistant::line::events::WebhookBody;
use store_assistant::line::signature;

const SECRET: &[u8] = b"benchmark-channel-secret";

fn follow_body() -> Vec<u8> {
    serde_json::json!({
        "destination": "U0123456789abcdef0123456789abcdef",
        "events": [{
            "type": "follow",
            "mode": "active",
            "timestamp": 1_700_000_000_000_u64,
            "source": {"type": "user", "userId": "U4af4980629c3b5e1c2d0a8b7e6f5d4c3"},
            "webhookEventId": "01HZX4G5K9J6Q8R2T3V4W5X6Y7",
            "deliveryContext": {"isRedelivery": false},
            "replyToken": "b60d432864f44d079f6d8efe86cf404b",
            "follow": {"isUnblocked": false}
        }]
    })
    .to_string()
    .into_bytes()
}

fn webhook(c: &mut Criterion) {
    let body = follow_body();
    let header = signature::sign(SECRET, &body);
    let mut group = c.benchmark_group("webhook");
    group.throughput(Throughput::Elements(1));
    group.bench_function("verify_signature", |b| {
        b.iter(|| signature::verify(SECRET, black_box(&body), Some(black_box(header.as_bytes()))))
    });
    group.bench_function("parse_follow_body", |b| {
        b.iter(|| WebhookBody::parse(black_box(&body)).expect("the body parses"))
    });
    group.bench_function("verify_and_parse", |b| {
        b.iter(|| {
            signature::verify(SECRET, black_box(&body), Some(header.as_bytes())).unwrap();
            WebhookBody::parse(black_box(&body)).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, webhook);
criterion_main!(benches);
