use super::*;

const LEGACY: &str = include_str!("../../../tests/fixtures/line-webhook-sdk-legacy.json");

#[test]
fn legacy_sdk_fixture_parses_completely() {
    let body = WebhookBody::parse(LEGACY.as_bytes()).expect("the fixture parses");
    assert_eq!(body.destination, "U123");
    assert_eq!(body.events.len(), 27);
    let unreadable: Vec<_> = body
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Unreadable { .. }))
        .map(|e| (&e.common.event_type, &e.kind))
        .collect();
    assert!(unreadable.is_empty(), "{unreadable:?}");
    let unknown: Vec<_> = body
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Unknown)
        .map(|e| e.common.event_type.as_str())
        .collect();
    assert_eq!(unknown, ["undefined"]);
    // Every message kind in the fixture is typed, none falls to `Other`.
    assert!(
        body.events
            .iter()
            .all(|e| !matches!(e.kind, EventKind::Message(MessageContent::Other)))
    );
}

#[test]
fn legacy_fixture_fields_the_product_reads() {
    let body = WebhookBody::parse(LEGACY.as_bytes()).unwrap();
    let first = &body.events[0];
    assert_eq!(first.common.event_type, "message");
    assert_eq!(first.event_id(), "testwebhookeventid");
    assert_eq!(
        first.source_user_id(),
        Some("U206d25c2ea6bd87c17655609a1c37cb8")
    );
    assert_eq!(first.reply_token(), Some("nHuyWiB7yP5Zw52FIkcQobQuGDXCTA"));
    assert_eq!(first.common.mode, Some(EventMode::Active));
    assert!(!first.is_redelivery());
    assert!(matches!(&first.kind, EventKind::Message(m) if m.text() == Some("Hello, world")));

    let follow = body.events.iter().find(|e| e.common.event_type == "follow");
    assert_eq!(
        follow.map(|e| &e.kind),
        Some(&EventKind::Follow(FollowDetail {
            is_unblocked: false
        }))
    );
    let postback = body
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Postback(p) => Some(p),
            _ => None,
        })
        .unwrap();
    assert_eq!(postback.data, "action=buyItem&itemId=123123&color=red");
    assert!(body.events.iter().any(WebhookEvent::is_redelivery));
    // The raw JSON is the event's own text, verbatim.
    assert!(first.raw.starts_with('{') && first.raw.contains("\"Hello, world\""));
}

#[test]
fn verify_request_has_no_events() {
    let body = WebhookBody::parse(br#"{"destination":"Uxxxxxxxx","events":[]}"#).unwrap();
    assert!(body.events.is_empty());
}

#[test]
fn follow_with_is_unblocked_and_unknown_fields() {
    let raw = r#"{"type":"follow","mode":"active","timestamp":1,"source":{"type":"user","userId":"U1","future":1},
        "webhookEventId":"01H","deliveryContext":{"isRedelivery":true},"replyToken":"r",
        "follow":{"isUnblocked":true,"newThing":[1]},"brandNew":{"x":1}}"#;
    let event = WebhookEvent::parse(raw).unwrap();
    assert_eq!(
        event.kind,
        EventKind::Follow(FollowDetail { is_unblocked: true })
    );
    assert!(event.is_redelivery());
    assert_eq!(event.source_user_id(), Some("U1"));
}

#[test]
fn standby_events_have_no_usable_reply_token() {
    let raw = r#"{"type":"follow","mode":"standby","timestamp":1,"source":{"type":"user","userId":"U1"},
        "webhookEventId":"01H","deliveryContext":{"isRedelivery":false},"replyToken":"r","follow":{"isUnblocked":false}}"#;
    assert_eq!(WebhookEvent::parse(raw).unwrap().reply_token(), None);
}

#[test]
fn unknown_types_and_sources_are_kept_not_refused() {
    let raw = r#"{"type":"somethingNew","mode":"active","timestamp":5,"source":{"type":"planet","planetId":"P"},
        "webhookEventId":"01X","deliveryContext":{"isRedelivery":false},"payload":{"a":[1,2]}}"#;
    let event = WebhookEvent::parse(raw).unwrap();
    assert_eq!(event.kind, EventKind::Unknown);
    assert_eq!(event.common.source, Some(Source::Other));
    assert_eq!(event.raw, raw);
}

#[test]
fn known_type_with_broken_content_is_unreadable_not_an_error() {
    let raw = r#"{"type":"postback","mode":"active","timestamp":5,"webhookEventId":"01P",
        "deliveryContext":{"isRedelivery":false},"postback":{"data":42}}"#;
    let event = WebhookEvent::parse(raw).unwrap();
    assert!(
        matches!(event.kind, EventKind::Unreadable { .. }),
        "{:?}",
        event.kind
    );
}

#[test]
fn event_without_id_gets_a_stable_derived_id() {
    let raw = r#"{"type":"unfollow","timestamp":5,"source":{"type":"user","userId":"U1"}}"#;
    let a = WebhookEvent::parse(raw).unwrap().event_id();
    let b = WebhookEvent::parse(raw).unwrap().event_id();
    assert_eq!(a, b);
    assert!(a.starts_with("sha256:") && a.len() == 7 + 64, "{a}");
}

#[test]
fn not_a_webhook_body_is_refused() {
    for body in [
        &b"not json"[..],
        b"{}",
        b"[]",
        br#"{"events":{}}"#,
        br#"{"events":[1]}"#,
        br#"{"events":[{"timestamp":1}]}"#,
        br#"{"events":[{"type":"follow"}]}"#,
        b"{\"events\":[]",
    ] {
        assert!(
            WebhookBody::parse(body).is_err(),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn every_type_of_the_spec_is_typed() {
    let cases = [
        (
            "message",
            r#""message":{"type":"text","id":"1","text":"hi","quoteToken":"q"}"#,
        ),
        ("unsend", r#""unsend":{"messageId":"1"}"#),
        ("follow", r#""follow":{"isUnblocked":false}"#),
        ("unfollow", ""),
        ("join", ""),
        ("leave", ""),
        (
            "memberJoined",
            r#""joined":{"members":[{"type":"user","userId":"U1"}]}"#,
        ),
        (
            "memberLeft",
            r#""left":{"members":[{"type":"user","userId":"U1"}]}"#,
        ),
        (
            "postback",
            r#""postback":{"data":"a=1","params":{"date":"2024-01-01"}}"#,
        ),
        (
            "videoPlayComplete",
            r#""videoPlayComplete":{"trackingId":"t"}"#,
        ),
        ("beacon", r#""beacon":{"hwid":"d41d8cd98f","type":"enter"}"#),
        ("accountLink", r#""link":{"result":"ok","nonce":"n"}"#),
        (
            "membership",
            r#""membership":{"type":"joined","membershipId":3}"#,
        ),
        (
            "module",
            r#""module":{"type":"attached","botId":"U1","scopes":["message:send"]}"#,
        ),
        ("activated", r#""chatControl":{"expireAt":1}"#),
        ("deactivated", ""),
        ("botSuspended", ""),
        ("botResumed", ""),
        ("delivery", r#""delivery":{"data":"hash"}"#),
        (
            "messageEdited",
            r#""message":{"type":"text","id":"1","text":"edited"}"#,
        ),
    ];
    for (event_type, extra) in cases {
        let extra = if extra.is_empty() {
            String::new()
        } else {
            format!(",{extra}")
        };
        let raw = format!(
            r#"{{"type":"{event_type}","mode":"active","timestamp":1,"webhookEventId":"01{event_type}","deliveryContext":{{"isRedelivery":false}},"source":{{"type":"user","userId":"U1"}}{extra}}}"#
        );
        let event = WebhookEvent::parse(&raw).unwrap();
        assert!(
            !matches!(
                event.kind,
                EventKind::Unknown | EventKind::Unreadable { .. }
            ),
            "{event_type}: {:?}",
            event.kind
        );
    }
}

mod fuzz {
    //! Property tests standing in for a fuzzer: whatever bytes arrive (after the signature
    //! check), parsing answers `Ok` or `Err` and never panics, and what it accepts can be
    //! stored (id, user, redelivery flag) without panicking either.
    use super::*;
    use proptest::prelude::*;

    /// Every known type and one LINE may add later.
    fn event_types() -> Vec<&'static str> {
        let mut types = KNOWN_EVENT_TYPES.to_vec();
        types.push("somethingNew");
        types
    }

    fn json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(serde_json::Value::from),
            ".{0,40}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
                proptest::collection::btree_map(
                    prop_oneof![
                        Just("type".to_owned()),
                        Just("source".to_owned()),
                        Just("userId".to_owned()),
                        Just("webhookEventId".to_owned()),
                        Just("deliveryContext".to_owned()),
                        Just("message".to_owned()),
                        Just("text".to_owned()),
                        ".{0,12}",
                    ],
                    inner,
                    0..8
                )
                .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
            ]
        })
    }

    /// An event of a known (or new) type whose fields are anything at all.
    fn event() -> impl Strategy<Value = serde_json::Value> {
        (
            proptest::sample::select(event_types()),
            json(),
            json(),
            json(),
            any::<i64>(),
        )
            .prop_map(|(event_type, source, body, context, timestamp)| {
                let mut event = serde_json::json!({
                    "type": event_type,
                    "mode": "active",
                    "timestamp": timestamp,
                    "source": source,
                    "deliveryContext": context,
                });
                event[event_type] = body.clone();
                event["message"] = body;
                event
            })
    }

    fn use_everything(body: &WebhookBody) {
        for event in &body.events {
            let _ = (
                event.event_id(),
                event.source_user_id(),
                event.is_redelivery(),
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            if let Ok(body) = WebhookBody::parse(&bytes) {
                use_everything(&body);
            }
        }

        #[test]
        fn the_fixture_changed_anywhere_never_panics(
            edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..8),
        ) {
            let mut bytes = LEGACY.as_bytes().to_vec();
            for (index, byte) in edits {
                let i = index.index(bytes.len());
                bytes[i] = byte;
            }
            if let Ok(body) = WebhookBody::parse(&bytes) {
                use_everything(&body);
            }
        }

        #[test]
        fn events_with_any_fields_never_panic_and_keep_their_type(
            events in proptest::collection::vec(event(), 0..6),
            destination in json(),
        ) {
            let body = serde_json::json!({"destination": destination, "events": events});
            let bytes = body.to_string().into_bytes();
            if let Ok(parsed) = WebhookBody::parse(&bytes) {
                use_everything(&parsed);
                prop_assert_eq!(parsed.events.len(), events.len());
                for (parsed, sent) in parsed.events.iter().zip(&events) {
                    prop_assert_eq!(&parsed.common.event_type, sent["type"].as_str().unwrap());
                }
            }
        }

        #[test]
        fn a_body_is_accepted_only_with_its_own_signature(
            body in proptest::collection::vec(any::<u8>(), 0..512),
            header in proptest::collection::vec(any::<u8>(), 0..64),
            other_secret in proptest::collection::vec(any::<u8>(), 1..32),
        ) {
            const SECRET: &[u8] = b"fuzz_channel_secret";
            // What the receiver does: verify, and only then parse.
            let accepted = |header: &[u8]| {
                crate::line::signature::verify(SECRET, &body, Some(header)).is_ok()
                    && WebhookBody::parse(&body).is_ok()
            };
            let genuine = crate::line::signature::sign(SECRET, &body);
            if header.trim_ascii() != genuine.as_bytes() {
                prop_assert!(!accepted(&header));
            }
            if other_secret != SECRET {
                let forged = crate::line::signature::sign(&other_secret, &body);
                prop_assert!(!accepted(forged.as_bytes()));
            }
        }
    }
}
