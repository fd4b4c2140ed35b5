//! What a message event carries, and the details of the other kinds of event.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Source;

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
