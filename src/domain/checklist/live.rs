//! What the server checks by itself with the LINE API, and how a check came out.

use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};

use super::guide::Guide;

/// What the server checks by itself with the LINE API, stored beside the checklist items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LiveCheck {
    /// Bot info with the channel access token: the token works and the OA's basic id matches
    /// `LINE_OA_BASIC_ID`.
    BotInfo,
    /// LINE's webhook test against this server's `/line/webhook`.
    Webhook,
}

impl LiveCheck {
    pub const ALL: [LiveCheck; 2] = [LiveCheck::BotInfo, LiveCheck::Webhook];

    /// The `checklist_items.key` the result is stored under.
    pub fn key(self) -> &'static str {
        match self {
            LiveCheck::BotInfo => "line_bot_info",
            LiveCheck::Webhook => "line_webhook",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.key() == key)
    }

    pub fn guide(self) -> Guide {
        match self {
            LiveCheck::BotInfo => Guide {
                title_zh: "Messaging API 存取權杖與官方帳號 ID",
                title_en: "Messaging API access token and the OA's basic ID",
                where_zh: "LINE Developers 主控台 → Messaging API 通路 → Messaging API 分頁",
                where_en: "LINE Developers Console → the Messaging API channel → Messaging API tab",
                todo_zh: "發行長期的 Channel access token，設為 LINE_CHANNEL_ACCESS_TOKEN；LINE_OA_BASIC_ID 設為官方帳號的 Basic ID（@ 開頭）。",
                todo_en: "Issue a long-lived channel access token for LINE_CHANNEL_ACCESS_TOKEN; set LINE_OA_BASIC_ID to the OA's basic ID (starting with @).",
            },
            LiveCheck::Webhook => Guide {
                title_zh: "Webhook 網址",
                title_en: "Webhook URL",
                where_zh: "LINE Developers 主控台 → Messaging API 分頁 → Webhook settings",
                where_en: "LINE Developers Console → Messaging API tab → Webhook settings",
                todo_zh: "Webhook URL 填入本系統的 /line/webhook（需 HTTPS），並開啟 Use webhook。",
                todo_en: "Set the webhook URL to this server's /line/webhook (HTTPS) and turn on Use webhook.",
            },
        }
    }
}

/// Whether the OA LINE reports is the one configured (`@` and letter case do not matter).
pub fn same_basic_id(reported: &str, configured: &str) -> bool {
    let normalise = |id: &str| id.trim().trim_start_matches('@').to_ascii_lowercase();
    normalise(reported) == normalise(configured)
}

/// `checklist_items.last_check_outcome`
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    #[sea_orm(string_value = "ok")]
    Ok,
    #[sea_orm(string_value = "failed")]
    Failed,
    #[sea_orm(string_value = "unreachable")]
    Unreachable,
}
