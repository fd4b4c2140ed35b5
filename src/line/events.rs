//! The webhook body and its events as Rust types, following LINE's `webhook.yml`
//! (`CallbackRequest`, `Event` and its subtypes), plus `messageEdited`, which LINE added later.
//!
//! Parsing is two-step so that nothing LINE sends is ever lost: the body is read with each event
//! kept as its raw JSON text (stored verbatim), then each event is converted by its `type`. A type
//! this code does not know becomes [`EventKind::Unknown`], and a known type whose content does not
//! match the spec becomes [`EventKind::Unreadable`]; both keep the raw JSON and are acknowledged, not
//! refused, because LINE adds types and fields over time. Unknown fields are ignored everywhere.
//! Only a body that is not JSON, or an event without a `type` or `timestamp`, is refused.
//!
//! The product reads a few fields; the rest is typed for completeness and kept raw for the record.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

/// Every event type this code knows (webhook.yml's discriminator mapping, plus `messageEdited`).
pub const KNOWN_EVENT_TYPES: [&str; 20] = [
    "message",
    "unsend",
    "follow",
    "unfollow",
    "join",
    "leave",
    "memberJoined",
    "memberLeft",
    "postback",
    "videoPlayComplete",
    "beacon",
    "accountLink",
    "membership",
    "module",
    "activated",
    "deactivated",
    "botSuspended",
    "botResumed",
    "delivery",
    "messageEdited",
];

/// The webhook request body (`CallbackRequest`).
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookBody {
    /// The bot's user id. LINE always sends it; kept empty when absent rather than refusing.
    pub destination: String,
    /// Empty for the console's "Verify" request.
    pub events: Vec<WebhookEvent>,
}

/// One event: the fields every event has, what its type carries, and its JSON verbatim.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEvent {
    pub common: EventCommon,
    pub kind: EventKind,
    /// The event's JSON exactly as LINE sent it (what is stored).
    pub raw: String,
}

/// The properties of LINE's base `Event` schema (and the reply token several subtypes share).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventCommon {
    #[serde(rename = "type")]
    pub event_type: String,
    /// Milliseconds since the epoch.
    pub timestamp: i64,
    #[serde(default)]
    pub mode: Option<EventMode>,
    #[serde(default)]
    pub source: Option<Source>,
    /// A ULID. The spec requires it; old bodies (and the legacy fixture) may lack or repeat it.
    #[serde(default)]
    pub webhook_event_id: Option<String>,
    #[serde(default)]
    pub delivery_context: Option<DeliveryContext>,
    #[serde(default)]
    pub reply_token: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EventMode {
    Active,
    /// Another channel (a module) holds the chat: this bot must not reply.
    Standby,
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryContext {
    #[serde(default)]
    pub is_redelivery: bool,
}

/// Where the event came from (`Source`: user, group or room).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Source {
    #[serde(rename_all = "camelCase")]
    User {
        #[serde(default)]
        user_id: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    Group {
        #[serde(default)]
        group_id: String,
        /// Only in message events, and only for users of LINE for iOS and Android.
        #[serde(default)]
        user_id: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    Room {
        #[serde(default)]
        room_id: String,
        #[serde(default)]
        user_id: Option<String>,
    },
    #[serde(other)]
    Other,
}

impl Source {
    pub fn user_id(&self) -> Option<&str> {
        match self {
            Source::User { user_id }
            | Source::Group { user_id, .. }
            | Source::Room { user_id, .. } => user_id.as_deref(),
            Source::Other => None,
        }
    }

    /// A one-to-one chat with the OA (as opposed to a group or room the OA is in).
    pub fn is_user(&self) -> bool {
        matches!(self, Source::User { .. })
    }
}

/// What each event type carries beyond the common properties.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    Message(MessageContent),
    Unsend(UnsendDetail),
    /// `follow` is required by the spec but missing in older bodies: then it is a new friend.
    Follow(FollowDetail),
    Unfollow,
    Join,
    Leave,
    MemberJoined(Members),
    MemberLeft(Members),
    Postback(PostbackContent),
    VideoPlayComplete(VideoPlayComplete),
    Beacon(BeaconContent),
    AccountLink(LinkContent),
    Membership(MembershipContent),
    Module(ModuleContent),
    Activated(ChatControl),
    Deactivated,
    BotSuspended,
    BotResumed,
    Delivery(PnpDelivery),
    MessageEdited(MessageContent),
    /// A type LINE added after this code was written: stored and acknowledged.
    Unknown,
    /// A known type whose content does not match the spec: stored and acknowledged, never lost.
    Unreadable {
        error: String,
    },
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum MessageContent {
    #[serde(rename_all = "camelCase")]
    Text {
        id: String,
        text: String,
        #[serde(default)]
        emojis: Vec<Emoji>,
        #[serde(default)]
        mention: Option<Mention>,
        #[serde(default)]
        quote_token: Option<String>,
        #[serde(default)]
        quoted_message_id: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    Image {
        id: String,
        #[serde(default)]
        content_provider: Option<ContentProvider>,
        #[serde(default)]
        image_set: Option<ImageSet>,
        #[serde(default)]
        quote_token: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    Video {
        id: String,
        #[serde(default)]
        duration: Option<i64>,
        #[serde(default)]
        content_provider: Option<ContentProvider>,
        #[serde(default)]
        quote_token: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    Audio {
        id: String,
        #[serde(default)]
        duration: Option<i64>,
        #[serde(default)]
        content_provider: Option<ContentProvider>,
    },
    #[serde(rename_all = "camelCase")]
    File {
        id: String,
        file_name: String,
        file_size: i64,
    },
    #[serde(rename_all = "camelCase")]
    Location {
        id: String,
        #[serde(default)]
        title: Option<String>,
        #[serde(default)]
        address: Option<String>,
        latitude: f64,
        longitude: f64,
    },
    #[serde(rename_all = "camelCase")]
    Sticker {
        id: String,
        package_id: String,
        sticker_id: String,
        #[serde(default)]
        sticker_resource_type: Option<String>,
        #[serde(default)]
        keywords: Vec<String>,
        /// Text typed into a message sticker.
        #[serde(default)]
        text: Option<String>,
        #[serde(default)]
        quote_token: Option<String>,
    },
    /// A message type LINE added later.
    #[serde(other)]
    Other,
}

impl MessageContent {
    /// The text of a text message; `None` for every other kind.
    pub fn text(&self) -> Option<&str> {
        match self {
            MessageContent::Text { text, .. } => Some(text),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Emoji {
    pub index: i64,
    pub length: i64,
    pub product_id: String,
    pub emoji_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Mention {
    #[serde(default)]
    pub mentionees: Vec<Mentionee>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mentionee {
    /// `user` or `all`.
    #[serde(rename = "type")]
    pub kind: String,
    pub index: i64,
    pub length: i64,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub is_self: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentProvider {
    /// `line` or `external`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub original_content_url: Option<String>,
    #[serde(default)]
    pub preview_image_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ImageSet {
    pub id: String,
    #[serde(default)]
    pub index: Option<i64>,
    #[serde(default)]
    pub total: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnsendDetail {
    pub message_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowDetail {
    /// `true`: a friend who had blocked the OA unblocked it; `false`: a new friend.
    #[serde(default)]
    pub is_unblocked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Members {
    #[serde(default)]
    pub members: Vec<Source>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PostbackContent {
    pub data: String,
    /// Date/time picker and rich menu switch parameters.
    #[serde(default)]
    pub params: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoPlayComplete {
    pub tracking_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BeaconContent {
    pub hwid: String,
    /// `enter`, `banner` or `stay`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub dm: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LinkContent {
    /// `ok` or `failed`.
    pub result: String,
    pub nonce: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MembershipContent {
    /// `joined`, `left` or `renewed`.
    #[serde(rename = "type")]
    pub kind: String,
    pub membership_id: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModuleContent {
    /// `attached` or `detached`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub bot_id: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatControl {
    pub expire_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PnpDelivery {
    pub data: String,
}

/// Why a body was refused (400). Holds serde's description, never the body itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the body is not a LINE webhook body: {0}")]
    Body(String),
    #[error("event {index} is not a LINE webhook event: {error}")]
    Event { index: usize, error: String },
}

impl WebhookBody {
    /// Parses a (signature-checked) body. See the module docs for what is refused.
    pub fn parse(body: &[u8]) -> Result<Self, ParseError> {
        #[derive(Deserialize)]
        struct RawBody<'a> {
            #[serde(default)]
            destination: Option<String>,
            #[serde(borrow)]
            events: Vec<&'a RawValue>,
        }
        let raw: RawBody<'_> =
            serde_json::from_slice(body).map_err(|err| ParseError::Body(err.to_string()))?;
        let events = raw
            .events
            .into_iter()
            .enumerate()
            .map(|(index, event)| {
                WebhookEvent::parse(event.get()).map_err(|error| ParseError::Event {
                    index,
                    error: error.to_string(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(WebhookBody {
            destination: raw.destination.unwrap_or_default(),
            events,
        })
    }
}

impl WebhookEvent {
    /// Converts one event's JSON (as stored) by its `type`.
    pub fn parse(raw: &str) -> Result<Self, serde_json::Error> {
        let common: EventCommon = serde_json::from_str(raw)?;
        let kind = EventKind::parse(&common.event_type, raw);
        Ok(WebhookEvent {
            common,
            kind,
            raw: raw.to_owned(),
        })
    }

    /// LINE's `webhookEventId`, or, for an event without one, `sha256:` + the hash of its JSON, so
    /// the same event delivered twice still maps to the same id.
    pub fn event_id(&self) -> String {
        match self.common.webhook_event_id.as_deref() {
            Some(id) if !id.is_empty() => id.to_owned(),
            _ => derived_event_id(&self.raw),
        }
    }

    pub fn is_redelivery(&self) -> bool {
        self.common
            .delivery_context
            .is_some_and(|context| context.is_redelivery)
    }

    pub fn source_user_id(&self) -> Option<&str> {
        self.common.source.as_ref().and_then(Source::user_id)
    }

    /// The reply token, unless the channel is in standby (another channel answers then).
    pub fn reply_token(&self) -> Option<&str> {
        if self.common.mode == Some(EventMode::Standby) {
            return None;
        }
        self.common.reply_token.as_deref().filter(|t| !t.is_empty())
    }
}

fn derived_event_id(raw: &str) -> String {
    let digest = Sha256::digest(raw.as_bytes());
    let mut id = String::with_capacity(7 + 64);
    id.push_str("sha256:");
    for byte in digest {
        id.push_str(&format!("{byte:02x}"));
    }
    id
}

impl EventKind {
    fn parse(event_type: &str, raw: &str) -> Self {
        let result = match event_type {
            "message" => field::<MessageContent>(raw, "message").map(EventKind::Message),
            "unsend" => field(raw, "unsend").map(EventKind::Unsend),
            "follow" => optional_field::<FollowDetail>(raw, "follow")
                .map(|detail| EventKind::Follow(detail.unwrap_or_default())),
            "unfollow" => Ok(EventKind::Unfollow),
            "join" => Ok(EventKind::Join),
            "leave" => Ok(EventKind::Leave),
            "memberJoined" => field(raw, "joined").map(EventKind::MemberJoined),
            "memberLeft" => field(raw, "left").map(EventKind::MemberLeft),
            "postback" => field(raw, "postback").map(EventKind::Postback),
            "videoPlayComplete" => {
                field(raw, "videoPlayComplete").map(EventKind::VideoPlayComplete)
            }
            "beacon" => field(raw, "beacon").map(EventKind::Beacon),
            "accountLink" => field(raw, "link").map(EventKind::AccountLink),
            "membership" => field(raw, "membership").map(EventKind::Membership),
            "module" => field(raw, "module").map(EventKind::Module),
            "activated" => field(raw, "chatControl").map(EventKind::Activated),
            "deactivated" => Ok(EventKind::Deactivated),
            "botSuspended" => Ok(EventKind::BotSuspended),
            "botResumed" => Ok(EventKind::BotResumed),
            "delivery" => field(raw, "delivery").map(EventKind::Delivery),
            "messageEdited" => field(raw, "message").map(EventKind::MessageEdited),
            _ => Ok(EventKind::Unknown),
        };
        result.unwrap_or_else(|error| EventKind::Unreadable { error })
    }
}

/// Reads the property `name` of the event object as `T`; missing or mistyped is an error.
fn field<T: DeserializeOwned>(raw: &str, name: &str) -> Result<T, String> {
    optional_field(raw, name)?.ok_or_else(|| format!("missing field `{name}`"))
}

fn optional_field<T: DeserializeOwned>(raw: &str, name: &str) -> Result<Option<T>, String> {
    // Borrowing the values as raw JSON keeps this to one pass over the event and one typed parse.
    let object: BTreeMap<String, &RawValue> =
        serde_json::from_str(raw).map_err(|err| err.to_string())?;
    match object.get(name) {
        None => Ok(None),
        Some(value) if value.get() == "null" => Ok(None),
        Some(value) => serde_json::from_str(value.get())
            .map(Some)
            .map_err(|err| format!("field `{name}`: {err}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEGACY: &str = include_str!("../../tests/fixtures/line-webhook-sdk-legacy.json");

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
                    proptest::collection::vec(inner.clone(), 0..6)
                        .prop_map(serde_json::Value::from),
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
}
