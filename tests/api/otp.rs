//! One-time SMS codes, calling the service directly with the app's database and the `log`
//! provider (whose outbox holds the texts). Time is moved by passing `now`, never by sleeping.

use std::time::Duration;

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use futures_util::future::join_all;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use store_assistant::config::{Secret, SmsSettings};
use store_assistant::db::entities::enums::SmsStatus;
use store_assistant::db::entities::{checklist_items, otp_challenges, shop_settings, sms_messages};
use store_assistant::domain::journey::JourneyId;
use store_assistant::domain::line_user::LineUserId;
use store_assistant::domain::phone::TaiwanMobile;
use store_assistant::http::error::AppError;
use store_assistant::services::otp::{self, CodeLimit, CodeRequest, CodeSent, OtpError};
use store_assistant::sms::{SmsProvider, Timeouts};
use url::Url;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{TestApp, spawn_app};

const IP: &str = "203.0.113.7";

fn phone(n: u32) -> TaiwanMobile {
    TaiwanMobile::parse(&format!("0912{n:06}")).unwrap()
}

fn request<'a>(phone: &'a TaiwanMobile, ip: &'a str) -> CodeRequest<'a> {
    CodeRequest {
        phone,
        journey_id: None,
        line_user_id: None,
        client_ip: ip,
        store_id: None,
    }
}

/// An app whose setup checklist allows SMS codes (item 8, 顧客請求發送驗證碼通知).
async fn app_with_sms_codes() -> TestApp {
    let app = spawn_app().await;
    set_sms_template_item(&app, "yes").await;
    app
}

async fn set_sms_template_item(app: &TestApp, value: &str) {
    checklist_items::ActiveModel {
        key: Set("sms_template_enabled".to_owned()),
        value: Set(Some(value.to_owned())),
        confirmed_by_staff_id: Set(None),
        confirmed_at: Set(Some(Utc::now())),
        last_checked_at: Set(None),
        last_check_outcome: Set(None),
        last_check_detail: Set(None),
        updated_at: Set(Utc::now()),
    }
    .insert(&app.db)
    .await
    .unwrap();
}

fn secret(app: &TestApp) -> &Secret {
    &app.ctx.settings.secret_key
}

async fn send_at(
    app: &TestApp,
    phone: &TaiwanMobile,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<CodeSent, OtpError> {
    otp::send_code_at(&app.db, &app.ctx.sms, secret(app), &request(phone, ip), now).await
}

async fn verify_at(
    app: &TestApp,
    phone: &TaiwanMobile,
    code: &str,
    now: DateTime<Utc>,
) -> Result<otp::VerifiedPhone, OtpError> {
    otp::verify_code_at(&app.db, secret(app), phone, code, None, IP, now).await
}

/// The code in the newest SMS the `log` provider "sent" to `phone`.
fn code_in_outbox(app: &TestApp, phone: &TaiwanMobile) -> String {
    let message = app
        .ctx
        .sms
        .outbox()
        .expect("tests use the log provider")
        .latest_to(phone)
        .expect("a message was sent to this phone");
    let digits: Vec<char> = message.text.chars().collect();
    digits
        .windows(6)
        .find(|w| w.iter().all(char::is_ascii_digit))
        .expect("the SMS carries a 6-digit code")
        .iter()
        .collect()
}

fn wrong(code: &str) -> String {
    let first = code.chars().next().unwrap();
    let other = if first == '9' {
        '0'
    } else {
        char::from(first as u8 + 1)
    };
    format!("{other}{}", &code[1..])
}

fn later(now: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
    now + TimeDelta::seconds(secs)
}

async fn challenges(app: &TestApp) -> u64 {
    otp_challenges::Entity::find().count(&app.db).await.unwrap()
}

// ---------------------------------------------------------------- sending and verifying

#[tokio::test]
async fn a_sent_code_verifies_once_and_carries_the_journey() {
    let app = app_with_sms_codes().await;
    let phone = phone(1);
    // Whole microseconds, as both databases store them, so instants compare exactly.
    let now = Utc::now().trunc_subsecs(6);
    let sent = otp::send_code_at(
        &app.db,
        &app.ctx.sms,
        secret(&app),
        &CodeRequest {
            phone: &phone,
            journey_id: Some(&JourneyId::parse("journey-1").unwrap()),
            line_user_id: Some(&LineUserId::from_line("U4af4980629")),
            client_ip: IP,
            store_id: None,
        },
        now,
    )
    .await
    .unwrap();
    assert_eq!(sent.expires_at, now + TimeDelta::minutes(5));
    assert_eq!(sent.resend_at, now + TimeDelta::seconds(60));
    assert!(!sent.delivery_uncertain);

    let code = code_in_outbox(&app, &phone);
    let text = app
        .ctx
        .sms
        .outbox()
        .unwrap()
        .latest_to(&phone)
        .unwrap()
        .text;
    assert!(
        text.contains("我的品牌") && text.contains("5 分鐘"),
        "{text}"
    );

    let stored = otp_challenges::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(stored.code_hash, code, "the code is stored hashed");
    assert!(!stored.code_hash.contains(&code));
    assert_eq!(stored.code_hash.len(), 64);

    let verified = verify_at(&app, &phone, &code, later(now, 30))
        .await
        .unwrap();
    assert_eq!(verified.phone, phone);
    assert_eq!(verified.journey_id.as_deref(), Some("journey-1"));
    assert_eq!(verified.line_user_id.as_deref(), Some("U4af4980629"));

    let again = verify_at(&app, &phone, &code, later(now, 31)).await;
    assert!(matches!(again, Err(OtpError::AlreadyUsed)), "{again:?}");

    let sms = sms_messages::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].status, SmsStatus::Sent);
    assert_eq!(sms[0].provider, "log");
    assert_eq!(sms[0].purpose, "otp");
    assert_eq!(sms[0].phone_e164, "+886912000001");
}

#[tokio::test]
async fn a_code_typed_with_full_width_digits_verifies() {
    let app = app_with_sms_codes().await;
    let phone = phone(2);
    let now = Utc::now();
    send_at(&app, &phone, IP, now).await.unwrap();
    let full_width: String = code_in_outbox(&app, &phone)
        .chars()
        .map(|c| char::from_u32('０' as u32 + (c as u32 - '0' as u32)).unwrap())
        .collect();
    verify_at(&app, &phone, &full_width, now).await.unwrap();
}

#[tokio::test]
async fn malformed_codes_and_phones_without_a_code_are_refused() {
    let app = app_with_sms_codes().await;
    let now = Utc::now();
    let result = verify_at(&app, &phone(3), "12ab56", now).await;
    assert!(matches!(result, Err(OtpError::MalformedCode)), "{result:?}");
    let result = verify_at(&app, &phone(3), "123456", now).await;
    assert!(matches!(result, Err(OtpError::NoCode)), "{result:?}");
}

#[tokio::test]
async fn a_code_expires_after_five_minutes() {
    let app = app_with_sms_codes().await;
    let (a, b) = (phone(4), phone(5));
    let now = Utc::now();
    send_at(&app, &a, IP, now).await.unwrap();
    send_at(&app, &b, IP, now).await.unwrap();
    let (code_a, code_b) = (code_in_outbox(&app, &a), code_in_outbox(&app, &b));

    verify_at(&app, &a, &code_a, later(now, 5 * 60 - 1))
        .await
        .unwrap();
    let result = verify_at(&app, &b, &code_b, later(now, 5 * 60)).await;
    assert!(matches!(result, Err(OtpError::Expired)), "{result:?}");
    let err = AppError::from(result.unwrap_err());
    assert!(err.message().zh.contains("已過期"));
}

#[tokio::test]
async fn concurrent_verifications_of_the_right_code_give_exactly_one_success() {
    let app = app_with_sms_codes().await;
    let phone = phone(6);
    let now = Utc::now();
    send_at(&app, &phone, IP, now).await.unwrap();
    let code = code_in_outbox(&app, &phone);

    let attempts = (0..2).map(|_| verify_at(&app, &phone, &code, now));
    let results = join_all(attempts).await;
    let successes = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(successes, 1, "{results:?}");
    assert!(
        results
            .iter()
            .any(|r| matches!(r, Err(OtpError::AlreadyUsed))),
        "{results:?}"
    );

    // A larger burst of a second code: still one.
    let now = later(now, 61);
    send_at(&app, &phone, IP, now).await.unwrap();
    let code = code_in_outbox(&app, &phone);
    let results = join_all((0..8).map(|_| verify_at(&app, &phone, &code, now))).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
}

#[tokio::test]
async fn five_wrong_tries_lock_the_code_until_a_new_one_is_sent() {
    let app = app_with_sms_codes().await;
    let phone = phone(7);
    let now = Utc::now();
    send_at(&app, &phone, IP, now).await.unwrap();
    let code = code_in_outbox(&app, &phone);

    for tries_left in (1..=4).rev() {
        let result = verify_at(&app, &phone, &wrong(&code), later(now, 10)).await;
        assert!(
            matches!(result, Err(OtpError::WrongCode { tries_left: left }) if left == tries_left),
            "{result:?}"
        );
    }
    let fifth = verify_at(&app, &phone, &wrong(&code), later(now, 10)).await;
    assert!(
        matches!(fifth, Err(OtpError::TooManyTries { retry_after }) if retry_after == Duration::from_secs(50)),
        "{fifth:?}"
    );
    let right_too_late = verify_at(&app, &phone, &code, later(now, 20)).await;
    assert!(
        matches!(right_too_late, Err(OtpError::TooManyTries { .. })),
        "the right code no longer works: {right_too_late:?}"
    );

    send_at(&app, &phone, IP, later(now, 60)).await.unwrap();
    let new_code = code_in_outbox(&app, &phone);
    verify_at(&app, &phone, &new_code, later(now, 70))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_burst_of_parallel_guesses_gets_five_comparisons_in_all() {
    let app = app_with_sms_codes().await;
    let phone = phone(8);
    let now = Utc::now();
    send_at(&app, &phone, IP, now).await.unwrap();
    let code = code_in_outbox(&app, &phone);

    let guesses: Vec<String> = (0..20)
        .map(|i| format!("{:06}", (i * 7919) % 1_000_000))
        .collect();
    let guesses: Vec<&String> = guesses.iter().filter(|g| **g != code).collect();
    let results = join_all(guesses.iter().map(|g| verify_at(&app, &phone, g, now))).await;
    let compared = results
        .iter()
        .filter(|r| {
            matches!(r, Err(OtpError::WrongCode { .. }))
                || matches!(r, Err(OtpError::TooManyTries { .. }))
        })
        .count();
    assert_eq!(compared, guesses.len(), "{results:?}");
    let row = otp_challenges::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.wrong_tries, otp::MAX_TRIES);
    let result = verify_at(&app, &phone, &code, now).await;
    assert!(
        matches!(result, Err(OtpError::TooManyTries { .. })),
        "{result:?}"
    );
}

// ---------------------------------------------------------------- sending limits

#[tokio::test]
async fn a_new_code_is_sent_sixty_seconds_after_the_last_at_the_earliest() {
    let app = app_with_sms_codes().await;
    let phone = phone(9);
    let now = Utc::now();
    send_at(&app, &phone, IP, now).await.unwrap();
    let first_code = code_in_outbox(&app, &phone);

    let result = send_at(&app, &phone, IP, later(now, 15)).await;
    assert!(
        matches!(result, Err(OtpError::ResendTooSoon { retry_after }) if retry_after == Duration::from_secs(45)),
        "{result:?}"
    );
    let err = AppError::from(result.unwrap_err());
    assert!(
        err.message().zh.contains("請於 45 秒後再重新傳送"),
        "{:?}",
        err.message()
    );
    assert_eq!(
        challenges(&app).await,
        1,
        "a refused request leaves nothing behind"
    );

    send_at(&app, &phone, IP, later(now, 60)).await.unwrap();
    let second_code = code_in_outbox(&app, &phone);
    if second_code != first_code {
        let old = verify_at(&app, &phone, &first_code, later(now, 70)).await;
        assert!(old.is_err(), "the older code stops working: {old:?}");
    }
    verify_at(&app, &phone, &second_code, later(now, 71))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_phone_gets_five_codes_an_hour() {
    let app = app_with_sms_codes().await;
    let phone = phone(10);
    let now = Utc::now();
    for i in 0..5 {
        let ip = format!("198.51.100.{i}");
        send_at(&app, &phone, &ip, later(now, i * 61))
            .await
            .unwrap();
    }
    let sixth = send_at(&app, &phone, "198.51.100.99", later(now, 5 * 61)).await;
    assert!(
        matches!(sixth, Err(OtpError::TooManyCodes { limit: CodeLimit::PhonePerHour, retry_after })
            if retry_after == Duration::from_secs(3600 - 5 * 61)),
        "{sixth:?}"
    );
    send_at(&app, &phone, "198.51.100.99", later(now, 3601))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_phone_gets_ten_codes_a_day() {
    let app = app_with_sms_codes().await;
    let phone = phone(11);
    let now = Utc::now();
    // Thirteen minutes apart: never five in one hour.
    for i in 0..10 {
        send_at(
            &app,
            &phone,
            &format!("198.51.100.{i}"),
            later(now, i * 13 * 60),
        )
        .await
        .unwrap();
    }
    let eleventh = send_at(&app, &phone, "198.51.100.99", later(now, 10 * 13 * 60)).await;
    assert!(
        matches!(eleventh, Err(OtpError::TooManyCodes { limit: CodeLimit::PhonePerDay, retry_after })
            if retry_after == Duration::from_secs(24 * 3600 - 10 * 13 * 60)),
        "{eleventh:?}"
    );
}

#[tokio::test]
async fn a_client_ip_gets_ten_codes_an_hour_and_thirty_a_day() {
    let app = app_with_sms_codes().await;
    let now = Utc::now();
    for i in 0..10 {
        send_at(&app, &phone(100 + i), IP, later(now, i.into()))
            .await
            .unwrap();
    }
    let eleventh = send_at(&app, &phone(110), IP, later(now, 10)).await;
    assert!(
        matches!(
            eleventh,
            Err(OtpError::TooManyCodes {
                limit: CodeLimit::IpPerHour,
                ..
            })
        ),
        "{eleventh:?}"
    );
    send_at(&app, &phone(110), "192.0.2.1", later(now, 10))
        .await
        .expect("another address is not limited");

    // Seven minutes apart: at most nine in an hour, thirty in 3.5 hours.
    let app = app_with_sms_codes().await;
    for i in 0..30 {
        send_at(&app, &phone(200 + i), IP, later(now, i64::from(i) * 7 * 60))
            .await
            .unwrap();
    }
    let thirty_first = send_at(&app, &phone(230), IP, later(now, 30 * 7 * 60)).await;
    assert!(
        matches!(
            thirty_first,
            Err(OtpError::TooManyCodes {
                limit: CodeLimit::IpPerDay,
                ..
            })
        ),
        "{thirty_first:?}"
    );
}

#[tokio::test]
async fn the_shop_daily_sms_budget_stops_sending_until_tomorrow() {
    let app = app_with_sms_codes().await;
    shop_settings::ActiveModel {
        id: Set(1),
        sms_daily_budget: Set(2),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    let now = Utc::now();
    send_at(&app, &phone(20), IP, now).await.unwrap();
    send_at(&app, &phone(21), "192.0.2.2", now).await.unwrap();
    let third = send_at(&app, &phone(22), "192.0.2.3", now).await;
    let Err(OtpError::DailyBudgetReached { retry_after }) = third else {
        panic!("expected the budget refusal, got {third:?}");
    };
    assert!(retry_after > Duration::ZERO && retry_after <= Duration::from_secs(24 * 3600));
    assert_eq!(challenges(&app).await, 2);
    let err = AppError::from(OtpError::DailyBudgetReached { retry_after });
    assert!(err.message().zh.contains("今日簡訊驗證已達發送上限"));
}

#[tokio::test]
async fn sending_is_refused_while_the_sms_template_item_is_off() {
    let app = spawn_app().await;
    let result = send_at(&app, &phone(30), IP, Utc::now()).await;
    assert!(
        matches!(result, Err(OtpError::SmsTemplateDisabled)),
        "{result:?}"
    );

    set_sms_template_item(&app, "no").await;
    let result = send_at(&app, &phone(30), IP, Utc::now()).await;
    assert!(
        matches!(result, Err(OtpError::SmsTemplateDisabled)),
        "{result:?}"
    );
    let err = AppError::from(result.unwrap_err());
    assert_eq!(err.message().zh, "簡訊驗證暫停服務，請洽門市人員。");
    assert!(app.ctx.sms.outbox().unwrap().is_empty());
    assert_eq!(challenges(&app).await, 0);
}

// ---------------------------------------------------------------- gateway failures

fn mitake_at(gateway: &MockServer) -> SmsProvider {
    SmsProvider::with_timeouts(
        &SmsSettings::Mitake {
            username: "shop".into(),
            password: Secret::new("pw"),
            api_base_url: Url::parse(&gateway.uri()).unwrap(),
        },
        Timeouts {
            connect: Duration::from_secs(2),
            total: Duration::from_millis(300),
        },
    )
}

#[tokio::test]
async fn a_send_the_gateway_refused_does_not_count_against_the_shopper() {
    let app = app_with_sms_codes().await;
    shop_settings::ActiveModel {
        id: Set(1),
        sms_daily_budget: Set(1),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    let gateway = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("[1]\nstatuscode=s\n"))
        .mount(&gateway)
        .await;
    let failing = mitake_at(&gateway);
    let phone = phone(40);
    let now = Utc::now();

    // More failures than the cooldown, the hourly cap and the budget would allow.
    for i in 0..7 {
        let result = otp::send_code_at(
            &app.db,
            &failing,
            secret(&app),
            &request(&phone, IP),
            later(now, i),
        )
        .await;
        assert!(matches!(result, Err(OtpError::SmsNotSent(_))), "{result:?}");
    }
    assert_eq!(challenges(&app).await, 0);
    let failed = sms_messages::Entity::find()
        .filter(sms_messages::Column::Status.eq(SmsStatus::Failed))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(failed, 7, "each failed attempt is recorded for the admin");

    // The shopper is not held back: a working gateway sends at once.
    send_at(&app, &phone, IP, later(now, 8)).await.unwrap();
    let err = AppError::from(OtpError::SmsNotSent(
        store_assistant::sms::SmsError::Unreachable("x".into()),
    ));
    assert!(err.message().zh.contains("請稍後再試"));
}

#[tokio::test]
async fn a_send_with_an_unknown_outcome_keeps_the_code_and_counts() {
    let app = app_with_sms_codes().await;
    let gateway = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("[1]\nmsgid=1\nstatuscode=1\n")
                .set_delay(Duration::from_secs(3)),
        )
        .expect(1)
        .mount(&gateway)
        .await;
    let phone = phone(41);
    let now = Utc::now();
    let sent = otp::send_code_at(
        &app.db,
        &mitake_at(&gateway),
        secret(&app),
        &request(&phone, IP),
        now,
    )
    .await
    .unwrap();
    assert!(sent.delivery_uncertain);
    assert_eq!(challenges(&app).await, 1);
    let row = sms_messages::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, SmsStatus::Sent, "it may have been billed");
    assert!(row.error.is_some());
    let again = send_at(&app, &phone, IP, later(now, 5)).await;
    assert!(
        matches!(again, Err(OtpError::ResendTooSoon { .. })),
        "{again:?}"
    );
}

// ---------------------------------------------------------------- budget and journey caps

#[tokio::test]
async fn parallel_sends_never_overshoot_the_daily_budget() {
    const BUDGET: usize = 5;
    const SENDS: u32 = 30;
    let app = app_with_sms_codes().await;
    shop_settings::ActiveModel {
        id: Set(1),
        sms_daily_budget: Set(BUDGET as i32),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    let now = Utc::now();
    // Each send from its own phone and address, so only the budget can refuse one.
    let phones: Vec<TaiwanMobile> = (0..SENDS).map(|i| phone(500 + i)).collect();
    let ips: Vec<String> = (0..SENDS).map(|i| format!("198.51.100.{i}")).collect();
    let requests: Vec<CodeRequest> = phones
        .iter()
        .zip(&ips)
        .map(|(phone, ip)| request(phone, ip))
        .collect();
    let outcomes = join_all(
        requests
            .iter()
            .map(|request| otp::send_code_at(&app.db, &app.ctx.sms, secret(&app), request, now)),
    )
    .await;

    let sent = outcomes.iter().filter(|o| o.is_ok()).count();
    let refused: Vec<&OtpError> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    assert_eq!(sent, BUDGET, "{refused:?}");
    assert!(
        refused
            .iter()
            .all(|err| matches!(err, OtpError::DailyBudgetReached { .. })),
        "{refused:?}"
    );
    assert_eq!(app.ctx.sms.outbox().unwrap().len(), BUDGET);
    let recorded = sms_messages::Entity::find()
        .filter(sms_messages::Column::Status.eq(SmsStatus::Sent))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(recorded, BUDGET as u64);
    assert_eq!(challenges(&app).await, BUDGET as u64);
}

#[tokio::test]
async fn a_journey_sends_five_codes_at_most() {
    let app = app_with_sms_codes().await;
    let store = app.seed_store("TP001", None).await;
    let journey = app.seed_journey(store, TimeDelta::hours(72)).await;
    let now = Utc::now();
    let send = |n: u32, ip: &'static str, at: DateTime<Utc>| {
        let app = &app;
        let journey = journey.id.clone();
        async move {
            let phone = phone(600 + n);
            let request = CodeRequest {
                journey_id: Some(&journey),
                ..request(&phone, ip)
            };
            otp::send_code_at(&app.db, &app.ctx.sms, secret(app), &request, at).await
        }
    };
    // Five phones (a shopper who mistyped, a family sharing a poster) from changing addresses.
    for (n, ip) in (0..5).zip([
        "192.0.2.10",
        "192.0.2.11",
        "192.0.2.12",
        "192.0.2.13",
        "192.0.2.14",
    ]) {
        send(n, ip, later(now, i64::from(n) * 120)).await.unwrap();
    }
    let sixth = send(5, "192.0.2.15", later(now, 600)).await;
    assert!(
        matches!(sixth, Err(OtpError::JourneyCodesUsedUp)),
        "{sixth:?}"
    );
    assert_eq!(challenges(&app).await, 5);
    let err = AppError::from(sixth.unwrap_err());
    assert!(err.message().zh.contains("重新掃描"), "{:?}", err.message());

    // Another journey (a new scan) is not held back by this one.
    let other = app.seed_journey(store, TimeDelta::hours(72)).await;
    let phone = phone(700);
    let request = CodeRequest {
        journey_id: Some(&other.id),
        ..request(&phone, "192.0.2.16")
    };
    otp::send_code_at(
        &app.db,
        &app.ctx.sms,
        secret(&app),
        &request,
        later(now, 600),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn the_budget_counts_the_sms_already_sent_today_before_the_counter_existed() {
    let app = app_with_sms_codes().await;
    shop_settings::ActiveModel {
        id: Set(1),
        sms_daily_budget: Set(3),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    let now = Utc::now();
    // Two codes sent today by the version before the counter.
    for n in 0..2 {
        sms_messages::ActiveModel {
            phone_e164: Set(phone(800 + n).e164().to_owned()),
            store_id: Set(None),
            provider: Set("log".to_owned()),
            purpose: Set(otp::PURPOSE.to_owned()),
            status: Set(SmsStatus::Sent),
            provider_message_id: Set(None),
            cost_units: Set(1),
            error: Set(None),
            sent_at: Set(now.trunc_subsecs(6)),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    send_at(&app, &phone(810), IP, now).await.unwrap();
    let fourth = send_at(&app, &phone(811), "192.0.2.77", now).await;
    assert!(
        matches!(fourth, Err(OtpError::DailyBudgetReached { .. })),
        "{fourth:?}"
    );
}
