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

mod content;
#[cfg(test)]
mod tests;
pub use content::{
    BeaconContent, ChatControl, ContentProvider, Emoji, FollowDetail, ImageSet, LinkContent,
    Members, MembershipContent, Mention, Mentionee, MessageContent, ModuleContent, PnpDelivery,
    PostbackContent, UnsendDetail, VideoPlayComplete,
};

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
