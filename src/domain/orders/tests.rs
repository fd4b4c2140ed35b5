use super::*;

use chrono::TimeZone;
use proptest::prelude::*;

fn ntd(amount: i64) -> Ntd {
    Ntd::new(amount).unwrap()
}

#[test]
fn sources_are_slugs_and_in_store_is_reserved() {
    assert_eq!(
        OrderSource::parse(" Cyberbiz ").unwrap().as_str(),
        "cyberbiz"
    );
    assert_eq!(
        OrderSource::parse("pos-2"),
        Ok(OrderSource("pos-2".to_owned()))
    );
    assert_eq!(OrderSource::parse(""), Err(OrderFieldError::Source));
    assert_eq!(OrderSource::parse("web shop"), Err(OrderFieldError::Source));
    assert_eq!(
        OrderSource::parse(&"a".repeat(33)),
        Err(OrderFieldError::Source)
    );
    assert_eq!(
        OrderSource::parse("in_store"),
        Err(OrderFieldError::ReservedSource)
    );
    assert!(OrderSource::any("in_store").is_ok());
}

#[test]
fn external_ids_are_printable_and_bounded() {
    assert_eq!(ExternalId::parse(" #1001 ").unwrap().as_str(), "#1001");
    assert!(ExternalId::parse("").is_err());
    assert!(ExternalId::parse("a\nb").is_err());
    assert!(ExternalId::parse(&"x".repeat(101)).is_err());
    assert_eq!(
        refund_external_id("A1", &RefundKey::Numbered("9".into())),
        "A1#refund-9"
    );
    assert_eq!(
        refund_external_id("A1", &RefundKey::RefundedTo(500)),
        "A1#refunded-500"
    );
    assert_eq!(
        refund_external_id("A1", &RefundKey::Cancellation),
        "A1#cancel"
    );
}

#[test]
fn idempotency_keys_and_void_reasons_are_checked() {
    assert!(parse_idempotency_key("2f1c9a7e-0b4d-4c1e-9f6a-1b2c3d4e5f60").is_some());
    assert!(parse_idempotency_key("short").is_none());
    assert!(parse_idempotency_key("has space in it").is_none());
    assert!(parse_idempotency_key(&"k".repeat(65)).is_none());
    assert_eq!(parse_void_reason(" 打錯金額 ").as_deref(), Some("打錯金額"));
    assert_eq!(parse_void_reason("  "), None);
    assert_eq!(parse_void_reason(&"字".repeat(201)), None);
}

#[test]
fn stated_statuses_check_their_refunded_amount() {
    let amount = ntd(1000);
    assert_eq!(
        StatedStatus::parse(None, None, amount),
        Ok(StatedStatus::Paid)
    );
    assert_eq!(
        StatedStatus::parse(Some("refunded"), None, amount),
        Ok(StatedStatus::Refunded { total: 1000 })
    );
    assert_eq!(
        StatedStatus::parse(Some("已退款"), Some(300), amount),
        Ok(StatedStatus::Refunded { total: 300 })
    );
    assert_eq!(
        StatedStatus::parse(Some("canceled"), None, amount),
        Ok(StatedStatus::Cancelled)
    );
    assert_eq!(
        StatedStatus::parse(Some("paid"), Some(10), amount),
        Err(OrderFieldError::RefundWithoutStatus)
    );
    assert_eq!(
        StatedStatus::parse(Some("refunded"), Some(1001), amount),
        Err(OrderFieldError::RefundTooLarge)
    );
    assert_eq!(
        StatedStatus::parse(Some("cancelled"), Some(10), amount),
        Err(OrderFieldError::PartialCancel)
    );
    assert_eq!(
        StatedStatus::parse(Some("shipped"), None, amount),
        Err(OrderFieldError::Status)
    );
}

const PAID: SaleState = SaleState {
    amount: 1000,
    refunded: 0,
    status: OrderStatus::Paid,
};

#[test]
fn refunds_book_the_difference_and_never_move_back() {
    let (book, state) = PAID.apply(Adjustment::RefundedTo(300));
    assert_eq!(
        (book, state.refunded, state.status),
        (300, 300, OrderStatus::Refunded)
    );
    let (book, state) = state.apply(Adjustment::RefundedTo(500));
    assert_eq!((book, state.refunded), (200, 500));
    // A late, older delivery books nothing.
    let (book, same) = state.apply(Adjustment::RefundedTo(300));
    assert_eq!((book, same), (0, state));
    // A numbered refund beyond what is left is capped.
    let (book, state) = state.apply(Adjustment::Refund(900));
    assert_eq!((book, state.refunded), (500, 1000));
}

#[test]
fn a_cancellation_refunds_what_is_left_and_ends_the_order() {
    let (_, partly) = PAID.apply(Adjustment::Refund(100));
    let (book, cancelled) = partly.apply(Adjustment::Cancel);
    assert_eq!(
        (book, cancelled.refunded, cancelled.status),
        (900, 1000, OrderStatus::Cancelled)
    );
    assert_eq!(cancelled.apply(Adjustment::Refund(10)), (0, cancelled));
    assert_eq!(cancelled.apply(Adjustment::Cancel), (0, cancelled));
}

#[test]
fn order_times_are_read_as_rfc3339_or_taiwan_time() {
    let expected = Utc.with_ymd_and_hms(2026, 11, 28, 6, 3, 0).unwrap();
    for text in [
        "2026-11-28T14:03:00+08:00",
        "2026-11-28T06:03:00Z",
        "2026-11-28 14:03:00",
        "2026-11-28 14:03",
        "2026/11/28 14:03",
        "2026-11-28T14:03",
    ] {
        assert_eq!(parse_ordered_at(text), Ok(expected), "{text}");
    }
    assert_eq!(
        parse_ordered_at("2026-11-28"),
        Ok(Utc.with_ymd_and_hms(2026, 11, 27, 16, 0, 0).unwrap())
    );
    assert_eq!(
        parse_ordered_at("yesterday"),
        Err(OrderFieldError::OrderedAt)
    );
    assert_eq!(
        parse_ordered_at("2026-13-01 10:00"),
        Err(OrderFieldError::OrderedAt)
    );
    let now = Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0).unwrap();
    assert!(check_not_future(now + chrono::Duration::hours(2), now).is_ok());
    assert_eq!(
        check_not_future(now + chrono::Duration::days(2), now),
        Err(OrderFieldError::OrderedInFuture)
    );
}

#[test]
fn orders_are_booked_on_their_taiwan_day() {
    // 2026-11-30 16:30 UTC is 2026-12-01 00:30 in Taipei.
    let late = Utc.with_ymd_and_hms(2026, 11, 30, 16, 30, 0).unwrap();
    assert_eq!(booked_day_and_month(late), (20261201, 202612));
    let early = Utc.with_ymd_and_hms(2026, 11, 30, 15, 59, 59).unwrap();
    assert_eq!(booked_day_and_month(early), (20261130, 202611));
}

#[test]
fn receipts_and_notes_are_trimmed_and_bounded() {
    assert_eq!(
        parse_receipt_no(Some(" AB-12345678 ")),
        Ok(Some("AB-12345678".into()))
    );
    assert_eq!(parse_receipt_no(Some("  ")), Ok(None));
    assert_eq!(
        parse_receipt_no(Some("a\nb")),
        Err(OrderFieldError::ReceiptNo)
    );
    assert_eq!(
        parse_note(Some("兩件\n一件換貨")),
        Ok(Some("兩件\n一件換貨".into()))
    );
    assert_eq!(
        parse_note(Some(&"字".repeat(501))),
        Err(OrderFieldError::Note)
    );
}

fn adjustment() -> impl Strategy<Value = Adjustment> {
    prop_oneof![
        (0i64..1500).prop_map(Adjustment::Refund),
        (0i64..1500).prop_map(Adjustment::RefundedTo),
        Just(Adjustment::Cancel),
    ]
}

proptest! {
    #[test]
    fn no_sequence_of_adjustments_refunds_more_than_the_sale(
        amount in 1i64..1000,
        adjustments in proptest::collection::vec(adjustment(), 0..8),
    ) {
        let mut state = SaleState { amount, refunded: 0, status: OrderStatus::Paid };
        let mut booked = 0;
        for adjustment in adjustments {
            let before = state;
            let (book, after) = state.apply(adjustment);
            prop_assert!(book >= 0);
            prop_assert!(after.refunded >= before.refunded, "never moves back");
            prop_assert_eq!(after.refunded, before.refunded + book);
            booked += book;
            state = after;
        }
        prop_assert!(state.refunded <= amount);
        prop_assert_eq!(booked, state.refunded);
    }

    #[test]
    fn applying_the_same_state_twice_books_it_once(amount in 1i64..1000, total in 0i64..1000) {
        let state = SaleState { amount, refunded: 0, status: OrderStatus::Paid };
        let (_, once) = state.apply(Adjustment::RefundedTo(total));
        let (again, twice) = once.apply(Adjustment::RefundedTo(total));
        prop_assert_eq!(again, 0);
        prop_assert_eq!(once, twice);
    }
}
