//! Each SMS provider against a fake gateway (wiremock): the request it sends, success, a refusal
//! code, a gateway that does not answer in time, and one that cannot be connected to.

use std::time::Duration;

use store_assistant::config::{Secret, SmsSettings};
use store_assistant::domain::phone::TaiwanMobile;
use store_assistant::sms::{SmsError, SmsProvider, Timeouts};
use url::Url;
use wiremock::matchers::{basic_auth, method, path, query_param};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

const TEXT: &str = "【好物】您的驗證碼為 123456，5 分鐘內有效。";

/// Matches a form-encoded body that contains every given field with that value.
struct FormHas(Vec<(&'static str, String)>);

impl Match for FormHas {
    fn matches(&self, request: &Request) -> bool {
        let fields: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
        self.0
            .iter()
            .all(|(k, v)| fields.iter().any(|(fk, fv)| fk == k && fv == v))
    }
}

fn form(pairs: &[(&'static str, &str)]) -> FormHas {
    FormHas(pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect())
}

fn phone() -> TaiwanMobile {
    TaiwanMobile::parse("0912-345-678").unwrap()
}

/// Short timeouts, so a gateway that hangs is given up on quickly.
fn quick() -> Timeouts {
    Timeouts {
        connect: Duration::from_secs(2),
        total: Duration::from_millis(300),
    }
}

fn mitake(base: &str) -> SmsProvider {
    SmsProvider::with_timeouts(
        &SmsSettings::Mitake {
            username: "shop-account".into(),
            password: Secret::new("mitake-secret"),
            api_base_url: Url::parse(base).unwrap(),
        },
        quick(),
    )
}

fn every8d(base: &str) -> SmsProvider {
    SmsProvider::with_timeouts(
        &SmsSettings::Every8d {
            uid: "shop-uid".into(),
            password: Secret::new("every8d-secret"),
            api_base_url: Url::parse(base).unwrap(),
        },
        quick(),
    )
}

fn twilio(base: &str) -> SmsProvider {
    SmsProvider::with_timeouts(
        &SmsSettings::Twilio {
            account_sid: "AC0123456789abcdef".into(),
            auth_token: Secret::new("twilio-token"),
            from: "+15005550006".into(),
            api_base_url: Url::parse(base).unwrap(),
        },
        quick(),
    )
}

/// A gateway that hangs longer than the client waits.
fn slow(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_string(body)
        .set_delay(Duration::from_secs(3))
}

/// An address nothing listens on.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

// ---------------------------------------------------------------- log

#[tokio::test]
async fn log_provider_keeps_the_message_in_its_outbox() {
    let provider = SmsProvider::from_settings(&SmsSettings::Log);
    let receipt = provider.send(&phone(), TEXT).await.unwrap();
    assert_eq!(receipt.cost_units, 1);
    let outbox = provider.outbox().expect("the log provider has an outbox");
    let message = outbox.latest_to(&phone()).unwrap();
    assert_eq!(message.text, TEXT);
    assert_eq!(receipt.provider_message_id, Some(message.id));
    assert!(mitake("http://127.0.0.1:9").outbox().is_none());
}

// ---------------------------------------------------------------- mitake

#[tokio::test]
async fn mitake_sends_the_documented_request_and_reads_the_accepted_answer() {
    let gateway = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/mtk/SmSend"))
        .and(query_param("CharsetURL", "UTF-8"))
        .and(form(&[
            ("username", "shop-account"),
            ("password", "mitake-secret"),
            ("dstaddr", "0912345678"),
            ("smbody", TEXT),
        ]))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("[1]\r\nmsgid=1234567890\r\nstatuscode=1\r\nAccountPoint=98\r\n"),
        )
        .expect(1)
        .mount(&gateway)
        .await;
    let receipt = mitake(&gateway.uri()).send(&phone(), TEXT).await.unwrap();
    assert_eq!(receipt.provider_message_id.as_deref(), Some("1234567890"));
    assert_eq!(receipt.credit_left, Some(98.0));
    assert_eq!(receipt.cost_units, 1);
}

#[tokio::test]
async fn mitake_refusal_code_is_a_rejection_that_was_not_sent() {
    let gateway = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/mtk/SmSend"))
        .respond_with(ResponseTemplate::new(200).set_body_string("[1]\nstatuscode=e\n"))
        .expect(1)
        .mount(&gateway)
        .await;
    let err = mitake(&gateway.uri())
        .send(&phone(), TEXT)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SmsError::Rejected { code, message } if code == "e" && message.contains("password")),
        "{err:?}"
    );
    assert!(err.surely_not_sent());
}

#[tokio::test]
async fn mitake_timeout_is_uncertain_and_not_retried() {
    let gateway = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(slow("[1]\nmsgid=1\nstatuscode=1\n"))
        .expect(1)
        .mount(&gateway)
        .await;
    let err = mitake(&gateway.uri())
        .send(&phone(), TEXT)
        .await
        .unwrap_err();
    assert!(matches!(err, SmsError::Uncertain(_)), "{err:?}");
    assert!(!err.surely_not_sent());
}

#[tokio::test]
async fn mitake_server_error_is_uncertain() {
    let gateway = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502))
        .expect(1)
        .mount(&gateway)
        .await;
    let err = mitake(&gateway.uri())
        .send(&phone(), TEXT)
        .await
        .unwrap_err();
    assert!(!err.surely_not_sent(), "{err:?}");
}

#[tokio::test]
async fn an_unreachable_gateway_is_retried_then_reported_as_not_sent() {
    let err = mitake(&closed_port_url())
        .send(&phone(), TEXT)
        .await
        .unwrap_err();
    assert!(matches!(err, SmsError::Unreachable(_)), "{err:?}");
    assert!(err.surely_not_sent());
    assert!(
        !err.to_string().contains("mitake-secret"),
        "the password never appears in an error"
    );
}

// ---------------------------------------------------------------- every8d

#[tokio::test]
async fn every8d_sends_the_documented_request_and_reads_the_csv_answer() {
    let gateway = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/API21/HTTP/sendSMS.ashx"))
        .and(form(&[
            ("UID", "shop-uid"),
            ("PWD", "every8d-secret"),
            ("SB", ""),
            ("MSG", TEXT),
            ("DEST", "0912345678"),
            ("ST", ""),
        ]))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("87.00,1,1,0,220478cc-8506-49b2-93b7-2505f651c12e"),
        )
        .expect(1)
        .mount(&gateway)
        .await;
    let receipt = every8d(&gateway.uri()).send(&phone(), TEXT).await.unwrap();
    assert_eq!(receipt.credit_left, Some(87.0));
    assert_eq!(receipt.cost_units, 1);
    assert_eq!(
        receipt.provider_message_id.as_deref(),
        Some("220478cc-8506-49b2-93b7-2505f651c12e")
    );
}

#[tokio::test]
async fn every8d_negative_code_is_a_rejection_with_its_message() {
    let gateway = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("-99,帳號或密碼錯誤"))
        .expect(1)
        .mount(&gateway)
        .await;
    let err = every8d(&gateway.uri())
        .send(&phone(), TEXT)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        SmsError::Rejected {
            code: "-99".into(),
            message: "帳號或密碼錯誤".into()
        }
    );
}

#[tokio::test]
async fn every8d_timeout_is_uncertain_and_not_retried() {
    let gateway = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(slow("87.00,1,1,0,x"))
        .expect(1)
        .mount(&gateway)
        .await;
    let err = every8d(&gateway.uri())
        .send(&phone(), TEXT)
        .await
        .unwrap_err();
    assert!(matches!(err, SmsError::Uncertain(_)), "{err:?}");
}

// ---------------------------------------------------------------- twilio

#[tokio::test]
async fn twilio_sends_the_documented_request_and_reads_the_message_resource() {
    let gateway = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(
            "/2010-04-01/Accounts/AC0123456789abcdef/Messages.json",
        ))
        .and(basic_auth("AC0123456789abcdef", "twilio-token"))
        .and(form(&[
            ("To", "+886912345678"),
            ("From", "+15005550006"),
            ("Body", TEXT),
        ]))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({
            "sid": "SM0123456789abcdef0123456789abcdef",
            "status": "queued",
            "num_segments": "1",
            "error_code": null,
            "error_message": null
        })))
        .expect(1)
        .mount(&gateway)
        .await;
    let receipt = twilio(&gateway.uri()).send(&phone(), TEXT).await.unwrap();
    assert_eq!(
        receipt.provider_message_id.as_deref(),
        Some("SM0123456789abcdef0123456789abcdef")
    );
    assert_eq!(receipt.cost_units, 1);
    assert_eq!(receipt.credit_left, None);
}

#[tokio::test]
async fn twilio_error_json_is_a_rejection_with_its_code() {
    let gateway = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "code": 21211,
            "message": "The 'To' number +886912345678 is not a valid phone number.",
            "more_info": "https://www.twilio.com/docs/errors/21211",
            "status": 400
        })))
        .expect(1)
        .mount(&gateway)
        .await;
    let err = twilio(&gateway.uri())
        .send(&phone(), TEXT)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SmsError::Rejected { code, message } if code == "21211" && message.contains("not a valid")),
        "{err:?}"
    );
    assert!(err.surely_not_sent());
}

#[tokio::test]
async fn twilio_timeout_is_uncertain_and_not_retried() {
    let gateway = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(slow(r#"{"sid":"SM1","status":"queued"}"#))
        .expect(1)
        .mount(&gateway)
        .await;
    let err = twilio(&gateway.uri())
        .send(&phone(), TEXT)
        .await
        .unwrap_err();
    assert!(matches!(err, SmsError::Uncertain(_)), "{err:?}");
}

#[tokio::test]
async fn twilio_server_error_is_uncertain() {
    let gateway = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_json(serde_json::json!({
            "code": 20500, "message": "Internal Server Error", "status": 500
        })))
        .expect(1)
        .mount(&gateway)
        .await;
    let err = twilio(&gateway.uri())
        .send(&phone(), TEXT)
        .await
        .unwrap_err();
    assert!(!err.surely_not_sent(), "{err:?}");
}
