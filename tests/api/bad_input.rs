//! Bad-input sweep: every public form and API gets oversized bodies, wrong content types, invalid
//! UTF-8, very long and markup-laden names and SQL-looking strings. Every answer must be a 4xx
//! with a message a person can read (JSON `message` for programs, a page for browsers), markup
//! must never come back unescaped, nothing may be written, and `/healthz` must stay ok.

use sea_orm::{EntityTrait, PaginatorTrait};
use store_assistant::db::entities::{bindings, members, stores, webhook_events};
use store_assistant::line::signature::sign;

use crate::helpers::{CHANNEL_SECRET, TestApp, spawn_app};

const SQL: &str = "' OR '1'='1'; DROP TABLE members; --";
const MARKUP: &str = "<script>alert('x')</script><img src=x onerror=alert(1)>";
const INVALID_UTF8: &[u8] = &[0xff, 0xfe, 0xc3, 0x28, b'{', 0xa0, 0xa1];

fn long_name() -> String {
    "長".repeat(5_000) + MARKUP
}

/// One request of the sweep.
struct Probe {
    what: String,
    method: reqwest::Method,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    signed: bool,
    staff: bool,
}

fn probe(what: &str, method: &str, path: &str) -> Probe {
    Probe {
        what: what.to_owned(),
        method: reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
        path: path.to_owned(),
        content_type: None,
        body: Vec::new(),
        signed: false,
        staff: false,
    }
}

impl Probe {
    fn json(mut self, body: serde_json::Value) -> Self {
        self.content_type = Some("application/json");
        self.body = body.to_string().into_bytes();
        self
    }
    fn form(mut self, fields: &[(&str, &str)]) -> Self {
        self.content_type = Some("application/x-www-form-urlencoded");
        self.body = serde_urlencoded::to_string(fields).unwrap().into_bytes();
        self
    }
    fn raw(mut self, content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        self.content_type = Some(content_type);
        self.body = body.into();
        self
    }
    fn signed(mut self) -> Self {
        self.signed = true;
        self
    }
    fn by_staff(mut self) -> Self {
        self.staff = true;
        self
    }
}

/// Every public form and API with every kind of bad input.
fn sweep(journey: &str) -> Vec<Probe> {
    let big = vec![b'a'; 3 * 1024 * 1024];
    let long = long_name();
    let phone_path = format!("/j/{journey}/phone");
    let verify_path = format!("/j/{journey}/verify");
    let mut probes = vec![
        // The webhook: unsigned, signed garbage, oversized, invalid UTF-8, wrong type.
        probe("webhook, oversized", "POST", "/line/webhook").raw("application/json", big.clone()),
        probe("webhook, invalid UTF-8 signed", "POST", "/line/webhook")
            .raw("application/json", INVALID_UTF8)
            .signed(),
        probe("webhook, form body signed", "POST", "/line/webhook")
            .form(&[("events", SQL)])
            .signed(),
        probe("webhook, SQL as event id", "POST", "/line/webhook").json(serde_json::json!({
            "destination": SQL, "events": [{"type": MARKUP, "webhookEventId": SQL}]
        })),
        probe("webhook, events not a list", "POST", "/line/webhook")
            .json(serde_json::json!({"events": SQL}))
            .signed(),
        // Route A.
        probe("liff bind, oversized", "POST", "/api/liff/bind")
            .raw("application/json", big.clone()),
        probe("liff bind, wrong content type", "POST", "/api/liff/bind").raw(
            "text/plain",
            r#"{"journey":"x","id_token":"y","consent":true}"#,
        ),
        probe("liff bind, invalid UTF-8", "POST", "/api/liff/bind")
            .raw("application/json", INVALID_UTF8),
        probe("liff bind, SQL and markup", "POST", "/api/liff/bind").json(serde_json::json!({
            "journey": SQL, "id_token": MARKUP, "access_token": SQL, "consent": true
        })),
        probe("liff bind, long journey", "POST", "/api/liff/bind").json(serde_json::json!({
            "journey": long, "id_token": long, "consent": true
        })),
        probe("liff bind, form body", "POST", "/api/liff/bind")
            .form(&[("journey", journey), ("id_token", "x")]),
        probe(
            "liff journey, SQL",
            "GET",
            &format!("/api/liff/journeys/{}", urlencode(SQL)),
        ),
        probe(
            "liff journey, markup",
            "GET",
            &format!("/api/liff/journeys/{}", urlencode(MARKUP)),
        ),
        // Route B.
        probe(
            "landing, SQL journey",
            "GET",
            &format!("/j/{}", urlencode(SQL)),
        ),
        probe(
            "landing, long markup journey",
            "GET",
            &format!("/j/{}", urlencode(&long)),
        ),
        probe("phone, oversized", "POST", &phone_path)
            .raw("application/x-www-form-urlencoded", big.clone()),
        probe("phone, JSON body", "POST", &phone_path)
            .json(serde_json::json!({"phone": "0912345678", "consent": "yes"})),
        probe("phone, invalid UTF-8", "POST", &phone_path).raw(
            "application/x-www-form-urlencoded",
            [b"phone=".as_slice(), INVALID_UTF8].concat(),
        ),
        probe("phone, SQL", "POST", &phone_path).form(&[("phone", SQL), ("consent", "yes")]),
        probe("phone, markup", "POST", &phone_path).form(&[("phone", MARKUP), ("consent", "yes")]),
        probe("phone, long", "POST", &phone_path).form(&[("phone", &long), ("consent", "yes")]),
        probe(
            "phone, SQL journey",
            "POST",
            &format!("/j/{}/phone", urlencode(SQL)),
        )
        .form(&[("phone", "0912345678"), ("consent", "yes")]),
        probe("verify, SQL code", "POST", &verify_path)
            .form(&[("phone", "0912345678"), ("code", SQL)]),
        probe("verify, markup phone", "POST", &verify_path)
            .form(&[("phone", MARKUP), ("code", "123456")]),
        probe("verify, missing fields", "POST", &verify_path).form(&[("code", "1")]),
        probe("phone link, SQL", "GET", &format!("/p/{}", urlencode(SQL))),
        probe(
            "phone link, markup",
            "GET",
            &format!("/p/{}", urlencode(MARKUP)),
        ),
        // Staff sign-in (public) and the API without credentials.
        probe("login, SQL username", "POST", "/admin/login").form(&[
            ("username", SQL),
            ("password", SQL),
            ("csrf_token", SQL),
        ]),
        probe("login, oversized", "POST", "/admin/login")
            .raw("application/x-www-form-urlencoded", big.clone()),
        probe("api, no token", "POST", "/api/v1/stores")
            .json(serde_json::json!({"code": SQL, "name": MARKUP})),
        // Signed-in HQ: names that are too long, codes that are SQL, bodies of the wrong kind.
        probe("api, long store name", "POST", "/api/v1/stores")
            .json(serde_json::json!({"code": "LONG01", "name": long}))
            .by_staff(),
        probe("api, SQL store code", "POST", "/api/v1/stores")
            .json(serde_json::json!({"code": SQL, "name": "信義店"}))
            .by_staff(),
        probe("api, invalid UTF-8", "POST", "/api/v1/stores")
            .raw("application/json", INVALID_UTF8)
            .by_staff(),
        probe("api, wrong content type", "POST", "/api/v1/stores")
            .raw("text/plain", r#"{"code":"TP009","name":"x"}"#)
            .by_staff(),
        probe("api, oversized", "POST", "/api/v1/stores")
            .raw("application/json", big.clone())
            .by_staff(),
        probe(
            "api, SQL in path",
            "GET",
            &format!("/api/v1/stores/{}", urlencode(SQL)),
        )
        .by_staff(),
        probe("admin, long store name", "POST", "/admin/stores")
            .form(&[("code", "LONG02"), ("name", &long)])
            .by_staff(),
        probe("admin, SQL store code", "POST", "/admin/stores")
            .form(&[("code", SQL), ("name", MARKUP)])
            .by_staff(),
        probe(
            "admin, SQL member search",
            "GET",
            &format!("/admin/members/{}", urlencode(SQL)),
        )
        .by_staff(),
    ];
    probes.push(
        probe("admin, markup group name", "POST", "/admin/groups")
            .form(&[("name", &long)])
            .by_staff(),
    );
    probes
}

fn urlencode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

async fn counts(app: &TestApp) -> [u64; 4] {
    [
        members::Entity::find().count(&app.db).await.unwrap(),
        bindings::Entity::find().count(&app.db).await.unwrap(),
        stores::Entity::find().count(&app.db).await.unwrap(),
        webhook_events::Entity::find().count(&app.db).await.unwrap(),
    ]
}

#[tokio::test]
async fn every_bad_input_gets_a_4xx_with_a_message_and_the_server_stays_healthy() {
    let app = spawn_app().await;
    let store = app.seed_store("TP001", Some("北區")).await;
    let journey = app.seed_journey(store, chrono::Duration::hours(72)).await;
    let hq = app.hq().await;
    let before = counts(&app).await;

    for probe in sweep(&journey.id) {
        let mut request = app
            .client
            .request(probe.method.clone(), app.url(&probe.path))
            .body(probe.body.clone());
        if let Some(content_type) = probe.content_type {
            request = request.header("content-type", content_type);
        }
        if probe.signed {
            request = request.header(
                "x-line-signature",
                sign(CHANNEL_SECRET.as_bytes(), &probe.body),
            );
        }
        if probe.staff {
            request = request
                .header("cookie", format!("sa_session={}", hq.session))
                .header("x-csrf-token", &hq.csrf);
            if probe.content_type == Some("application/x-www-form-urlencoded") {
                let mut body = probe.body.clone();
                body.extend_from_slice(format!("&csrf_token={}", hq.csrf).as_bytes());
                request = request.body(body);
            }
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = response.text().await.unwrap_or_default();
        assert!(
            status.is_client_error(),
            "{}: {} {} answered {status}: {}",
            probe.what,
            probe.method,
            probe.path.chars().take(80).collect::<String>(),
            text.chars().take(300).collect::<String>()
        );
        if content_type.starts_with("application/json") {
            let json: serde_json::Value = serde_json::from_str(&text).unwrap();
            let message = json["message"].as_str().unwrap_or_default();
            assert!(!message.is_empty(), "{}: no message in {text}", probe.what);
        } else {
            assert!(
                content_type.starts_with("text/html") && text.contains("<html"),
                "{}: {status} without a page or JSON message ({content_type}): {}",
                probe.what,
                text.chars().take(300).collect::<String>()
            );
        }
        assert!(
            !text.contains("<script>alert"),
            "{}: markup came back unescaped",
            probe.what
        );
        let health = app.get("/healthz").await;
        assert_eq!(health.status(), 200, "{}: /healthz after it", probe.what);
    }
    assert_eq!(counts(&app).await, before, "bad input wrote nothing");
}
