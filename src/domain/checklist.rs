//! The setup checklist (前置準備) of the merchant's install guide, and the route rule that reads it.
//!
//! Items are stored in `checklist_items` by [`ChecklistItem::key`]; `value` holds the answer
//! (`"yes"`/`"no"`, or for the OA shield `"none"`/`"blue"`/`"green"`). Unanswered items are absent.

use std::collections::HashMap;

use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};

use super::route::Route;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecklistItem {
    /// 1. The OA and a LINE Login channel are linked under the same provider.
    ChannelsLinked,
    /// 2. LINE quick login (LINE 快速登入) is enabled for the shop.
    QuickLogin,
    /// 3. The OA is verified: blue or green shield.
    OaVerified,
    /// 4. The company holds a LINE Certified Provider (認證提供者): yes or no; both are valid answers.
    CertifiedProvider,
    /// 5. "Auto-generate LIFF URL" (自動產生LIFF網址): may be on only with a Certified Provider.
    AutoLiff,
    /// 6. "Quick checkout and register" (快速結帳並註冊) is on.
    QuickCheckoutRegister,
    /// 7. Member phone required + verified + verified at registration (produces SMS costs).
    MemberPhoneVerification,
    /// 8. The SMS template "customer requests a verification code" (顧客請求發送驗證碼通知) is on.
    SmsTemplateEnabled,
}

impl ChecklistItem {
    pub const ALL: [ChecklistItem; 8] = [
        ChecklistItem::ChannelsLinked,
        ChecklistItem::QuickLogin,
        ChecklistItem::OaVerified,
        ChecklistItem::CertifiedProvider,
        ChecklistItem::AutoLiff,
        ChecklistItem::QuickCheckoutRegister,
        ChecklistItem::MemberPhoneVerification,
        ChecklistItem::SmsTemplateEnabled,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ChecklistItem::ChannelsLinked => "channels_linked",
            ChecklistItem::QuickLogin => "quick_login",
            ChecklistItem::OaVerified => "oa_verified",
            ChecklistItem::CertifiedProvider => "certified_provider",
            ChecklistItem::AutoLiff => "auto_liff",
            ChecklistItem::QuickCheckoutRegister => "quick_checkout_register",
            ChecklistItem::MemberPhoneVerification => "member_phone_verification",
            ChecklistItem::SmsTemplateEnabled => "sms_template_enabled",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|item| item.key() == key)
    }
}

/// How an item is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerKind {
    YesNo,
    /// The OA's verification badge: none (grey), blue or green.
    Shield,
}

/// One stored answer. Yes/no items take [`Answer::Yes`]/[`Answer::No`]; the OA shield takes one of
/// the three shields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Answer {
    Yes,
    No,
    NoShield,
    BlueShield,
    GreenShield,
}

impl Answer {
    /// The value stored in `checklist_items.value`.
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::No => "no",
            Answer::NoShield => "none",
            Answer::BlueShield => "blue",
            Answer::GreenShield => "green",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Answer::Yes => "是",
            Answer::No => "否",
            Answer::NoShield => "未認證（灰盾）",
            Answer::BlueShield => "藍盾",
            Answer::GreenShield => "綠盾",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::No => "no",
            Answer::NoShield => "not verified (grey)",
            Answer::BlueShield => "blue shield",
            Answer::GreenShield => "green shield",
        }
    }
}

/// The answer given does not fit the item (`maybe` for a yes/no item, `yes` for the shield).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("this item takes {}", match .0 { AnswerKind::YesNo => "yes or no", AnswerKind::Shield => "none, blue or green" })]
pub struct InvalidAnswer(pub AnswerKind);

/// Where the merchant does an item and what to do there (the install guide, in the admin).
pub struct Guide {
    pub title_zh: &'static str,
    pub title_en: &'static str,
    pub where_zh: &'static str,
    pub where_en: &'static str,
    pub todo_zh: &'static str,
    pub todo_en: &'static str,
}

impl ChecklistItem {
    /// The item's number in the install guide (1–8).
    pub fn number(self) -> usize {
        Self::ALL.iter().position(|i| *i == self).unwrap_or(0) + 1
    }

    pub fn answer_kind(self) -> AnswerKind {
        match self {
            ChecklistItem::OaVerified => AnswerKind::Shield,
            _ => AnswerKind::YesNo,
        }
    }

    /// The answers this item takes, in the order the admin offers them.
    pub fn choices(self) -> &'static [Answer] {
        match self.answer_kind() {
            AnswerKind::YesNo => &[Answer::Yes, Answer::No],
            AnswerKind::Shield => &[Answer::NoShield, Answer::BlueShield, Answer::GreenShield],
        }
    }

    pub fn parse_answer(self, text: &str) -> Result<Answer, InvalidAnswer> {
        let text = text.trim().to_ascii_lowercase();
        self.choices()
            .iter()
            .copied()
            .find(|a| a.as_str() == text)
            .ok_or(InvalidAnswer(self.answer_kind()))
    }

    pub fn guide(self) -> Guide {
        const DEVELOPERS_ZH: &str = "LINE Developers 主控台（developers.line.biz）";
        const DEVELOPERS_EN: &str = "LINE Developers Console (developers.line.biz)";
        const SHOP_ZH: &str = "網店後台";
        const SHOP_EN: &str = "the web shop's admin";
        match self {
            ChecklistItem::ChannelsLinked => Guide {
                title_zh: "LINE 官方帳號與 LINE Login 通路已連結",
                title_en: "The OA and a LINE Login channel are linked",
                where_zh: DEVELOPERS_ZH,
                where_en: DEVELOPERS_EN,
                todo_zh: "在同一個 Provider 底下建立 Messaging API 通路（官方帳號）與 LINE Login 通路，並在 LINE Login 通路的「Linked LINE Official Account」選擇這個官方帳號。不同 Provider 的通路拿到的使用者 ID 不同，無法對應同一位會員。",
                todo_en: "Under one provider, create the Messaging API channel (the OA) and a LINE Login channel, and pick the OA as the LINE Login channel's linked Official Account. Channels of different providers see different user IDs for the same person.",
            },
            ChecklistItem::QuickLogin => Guide {
                title_zh: "LINE 快速登入已啟用",
                title_en: "LINE quick login is enabled",
                where_zh: SHOP_ZH,
                where_en: SHOP_EN,
                todo_zh: "在網店後台的會員登入設定開啟「LINE 快速登入」，並填入 LINE Login 通路的 Channel ID 與 Channel secret。",
                todo_en: "In the shop's member login settings, turn on LINE quick login with the LINE Login channel's ID and secret.",
            },
            ChecklistItem::OaVerified => Guide {
                title_zh: "官方帳號已認證（藍盾或綠盾）",
                title_en: "The OA is verified (blue or green shield)",
                where_zh: "LINE Official Account Manager（manager.line.biz）→ 設定 → 帳號設定",
                where_en: "LINE Official Account Manager (manager.line.biz) → Settings → Account settings",
                todo_zh: "申請認證帳號（藍盾），或確認為企業官方帳號（綠盾）。未認證的一般帳號（灰盾）不符合開通條件。",
                todo_en: "Apply for a verified account (blue shield) or confirm it is a premium account (green). An unverified (grey) account does not qualify.",
            },
            ChecklistItem::CertifiedProvider => Guide {
                title_zh: "LINE 認證提供者（Certified Provider）",
                title_en: "LINE Certified Provider",
                where_zh: DEVELOPERS_ZH,
                where_en: DEVELOPERS_EN,
                todo_zh: "只有公司可以申請，一家公司一個。有或沒有都可以開通：有認證提供者時，顧客在 LINE 內一次完成綁定（LIFF）；沒有時，顧客先加好友，再以手機簡訊驗證。",
                todo_en: "Only companies can hold one, one per company. Either answer can be activated: with one, shoppers bind in one pass inside LINE (LIFF); without, they add the OA and verify their phone by SMS.",
            },
            ChecklistItem::AutoLiff => Guide {
                title_zh: "自動產生 LIFF 網址",
                title_en: "Auto-generate LIFF URL",
                where_zh: SHOP_ZH,
                where_en: SHOP_EN,
                todo_zh: "只有具備認證提供者時才可以開啟；沒有認證提供者時請保持關閉，系統也會拒絕開啟。",
                todo_en: "May be on only with a Certified Provider; without one keep it off (it is refused here too).",
            },
            ChecklistItem::QuickCheckoutRegister => Guide {
                title_zh: "「快速結帳並註冊」已開啟",
                title_en: "\"Quick checkout and register\" is on",
                where_zh: SHOP_ZH,
                where_en: SHOP_EN,
                todo_zh: "在網店後台的結帳設定開啟「快速結帳並註冊」。",
                todo_en: "Turn on \"quick checkout and register\" in the shop's checkout settings.",
            },
            ChecklistItem::MemberPhoneVerification => Guide {
                title_zh: "會員手機：必填、驗證、註冊時驗證電話",
                title_en: "Member phone: required, verified, verified at registration",
                where_zh: SHOP_ZH,
                where_en: SHOP_EN,
                todo_zh: "在網店後台的會員資料設定把手機設為必填、需驗證，並在註冊時驗證電話。注意：每次驗證都會發送一則簡訊，會產生簡訊費用。",
                todo_en: "In the shop's member settings make the phone required and verified, verified at registration. Note: every verification sends an SMS, which costs money.",
            },
            ChecklistItem::SmsTemplateEnabled => Guide {
                title_zh: "簡訊範本「顧客請求發送驗證碼通知」已開啟",
                title_en: "SMS template \"customer requests a verification code\" is on",
                where_zh: SHOP_ZH,
                where_en: SHOP_EN,
                todo_zh: "在網店後台的簡訊通知設定開啟「顧客請求發送驗證碼通知」。",
                todo_en: "Turn on the \"customer requests a verification code\" SMS template in the shop's SMS settings.",
            },
        }
    }

    /// Whether this answer switches on member phone verification, which sends paid SMS.
    pub fn costs_sms(self, answer: Answer) -> bool {
        self == ChecklistItem::MemberPhoneVerification && answer == Answer::Yes
    }
}

/// The checklist's answers as stored; unanswered items are absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answers(HashMap<ChecklistItem, Answer>);

impl Answers {
    /// From stored `(key, value)` pairs; unknown keys and values that do not fit are ignored (they
    /// count as unanswered).
    pub fn from_stored<'a>(rows: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> Self {
        let mut answers = HashMap::new();
        for (key, value) in rows {
            if let (Some(item), Some(value)) = (ChecklistItem::from_key(key), value)
                && let Ok(answer) = item.parse_answer(value)
            {
                answers.insert(item, answer);
            }
        }
        Self(answers)
    }

    pub fn get(&self, item: ChecklistItem) -> Option<Answer> {
        self.0.get(&item).copied()
    }

    pub fn set(&mut self, item: ChecklistItem, answer: Answer) {
        self.0.insert(item, answer);
    }

    fn is_yes(&self, item: ChecklistItem) -> bool {
        self.get(item) == Some(Answer::Yes)
    }

    /// What storing `answer` for `item` changes, or why it is refused. The first change is the
    /// one asked for; a second one follows when the rules require it:
    /// - auto-LIFF cannot be turned on without a Certified Provider (refused);
    /// - answering "no Certified Provider" while auto-LIFF is on turns auto-LIFF off too, since a
    ///   LIFF URL made by the shop does not work without one.
    pub fn changes_for(
        &self,
        item: ChecklistItem,
        answer: Answer,
    ) -> Result<Vec<(ChecklistItem, Answer)>, RuleError> {
        if item.answer_kind() != answer_kind_of(answer) {
            return Err(RuleError::InvalidAnswer(InvalidAnswer(item.answer_kind())));
        }
        let mut changes = vec![(item, answer)];
        match (item, answer) {
            (ChecklistItem::AutoLiff, Answer::Yes)
                if !self.is_yes(ChecklistItem::CertifiedProvider) =>
            {
                return Err(RuleError::AutoLiffNeedsCertifiedProvider);
            }
            (ChecklistItem::CertifiedProvider, Answer::No)
                if self.is_yes(ChecklistItem::AutoLiff) =>
            {
                changes.push((ChecklistItem::AutoLiff, Answer::No));
            }
            _ => {}
        }
        Ok(changes)
    }

    /// Everything that still keeps activation (開通) back, in checklist order. `active_stores`
    /// is the number of active stores (at least one is needed).
    pub fn missing(&self, active_stores: u64) -> Vec<Missing> {
        let mut missing = Vec::new();
        for item in ChecklistItem::ALL {
            let answer = self.get(item);
            let holds = match item {
                ChecklistItem::OaVerified => {
                    matches!(answer, Some(Answer::BlueShield | Answer::GreenShield))
                }
                // Either answer is fine; it only decides the route.
                ChecklistItem::CertifiedProvider => answer.is_some(),
                ChecklistItem::AutoLiff => match answer {
                    None => false,
                    Some(Answer::Yes) => self.is_yes(ChecklistItem::CertifiedProvider),
                    Some(_) => true,
                },
                _ => answer == Some(Answer::Yes),
            };
            if !holds {
                missing.push(Missing::Item(item));
            }
        }
        if active_stores == 0 {
            missing.push(Missing::ActiveStore);
        }
        missing
    }
}

fn answer_kind_of(answer: Answer) -> AnswerKind {
    match answer {
        Answer::Yes | Answer::No => AnswerKind::YesNo,
        _ => AnswerKind::Shield,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error(transparent)]
    InvalidAnswer(#[from] InvalidAnswer),
    #[error("auto-generated LIFF URLs need a LINE Certified Provider")]
    AutoLiffNeedsCertifiedProvider,
}

/// One thing activation still waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Item(ChecklistItem),
    ActiveStore,
}

impl Missing {
    /// What is missing, said so the merchant knows what to do.
    pub fn zh(self) -> String {
        match self {
            Missing::Item(item) => {
                let what = match item {
                    ChecklistItem::ChannelsLinked => {
                        "尚未確認官方帳號與 LINE Login 通路已在同一個 Provider 下連結"
                    }
                    ChecklistItem::QuickLogin => "尚未確認已啟用 LINE 快速登入",
                    ChecklistItem::OaVerified => "官方帳號尚未確認為藍盾或綠盾",
                    ChecklistItem::CertifiedProvider => "尚未回答是否有 LINE 認證提供者",
                    ChecklistItem::AutoLiff => {
                        "尚未確認「自動產生 LIFF 網址」（沒有認證提供者時須為關閉）"
                    }
                    ChecklistItem::QuickCheckoutRegister => "尚未確認已開啟「快速結帳並註冊」",
                    ChecklistItem::MemberPhoneVerification => {
                        "尚未確認會員手機為必填、驗證、註冊時驗證"
                    }
                    ChecklistItem::SmsTemplateEnabled => {
                        "尚未確認已開啟簡訊範本「顧客請求發送驗證碼通知」"
                    }
                };
                format!("{}. {what}", item.number())
            }
            Missing::ActiveStore => "至少需要一間營業中的門市".to_owned(),
        }
    }

    pub fn en(self) -> String {
        match self {
            Missing::Item(item) => {
                let what = match item {
                    ChecklistItem::ChannelsLinked => {
                        "the OA and the LINE Login channel are not confirmed as linked under one provider"
                    }
                    ChecklistItem::QuickLogin => "LINE quick login is not confirmed as enabled",
                    ChecklistItem::OaVerified => {
                        "the OA is not confirmed as verified (blue or green shield)"
                    }
                    ChecklistItem::CertifiedProvider => {
                        "whether there is a LINE Certified Provider is not answered"
                    }
                    ChecklistItem::AutoLiff => {
                        "auto-generate LIFF URL is not confirmed (it must be off without a Certified Provider)"
                    }
                    ChecklistItem::QuickCheckoutRegister => {
                        "quick checkout and register is not confirmed as on"
                    }
                    ChecklistItem::MemberPhoneVerification => {
                        "member phone required + verified is not confirmed"
                    }
                    ChecklistItem::SmsTemplateEnabled => {
                        "the verification-code SMS template is not confirmed as on"
                    }
                };
                format!("{}. {what}", item.number())
            }
            Missing::ActiveStore => "at least one active store is needed".to_owned(),
        }
    }

    /// A stable code for scripts: the item's key, or `active_store`.
    pub fn key(self) -> &'static str {
        match self {
            Missing::Item(item) => item.key(),
            Missing::ActiveStore => "active_store",
        }
    }
}

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

/// The answers that decide behaviour, read from the checklist and the shop settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SetupFlags {
    pub activated: bool,
    pub certified_provider: bool,
    pub auto_liff: bool,
    pub sms_template_enabled: bool,
}

impl SetupFlags {
    /// Decided at scan time, so posters never need reprinting when a Certified Provider arrives:
    /// LIFF one pass needs both the Certified Provider and auto-LIFF; everything else goes by phone.
    pub fn route(&self) -> Route {
        if self.certified_provider && self.auto_liff {
            Route::Liff
        } else {
            Route::Phone
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(pairs: &[(ChecklistItem, Answer)]) -> Answers {
        let mut answers = Answers::default();
        for (item, answer) in pairs {
            answers.set(*item, *answer);
        }
        answers
    }

    fn complete(certified: bool) -> Answers {
        use ChecklistItem::*;
        let yes_no = |b: bool| if b { Answer::Yes } else { Answer::No };
        answers(&[
            (ChannelsLinked, Answer::Yes),
            (QuickLogin, Answer::Yes),
            (OaVerified, Answer::BlueShield),
            (CertifiedProvider, yes_no(certified)),
            (AutoLiff, yes_no(certified)),
            (QuickCheckoutRegister, Answer::Yes),
            (MemberPhoneVerification, Answer::Yes),
            (SmsTemplateEnabled, Answer::Yes),
        ])
    }

    #[test]
    fn answers_fit_their_item() {
        assert_eq!(
            ChecklistItem::QuickLogin.parse_answer(" YES "),
            Ok(Answer::Yes)
        );
        assert!(ChecklistItem::QuickLogin.parse_answer("blue").is_err());
        assert_eq!(
            ChecklistItem::OaVerified.parse_answer("green"),
            Ok(Answer::GreenShield)
        );
        assert!(ChecklistItem::OaVerified.parse_answer("yes").is_err());
        let stored = Answers::from_stored([
            ("quick_login", Some("yes")),
            ("oa_verified", Some("purple")),
            ("line_bot_info", None),
        ]);
        assert_eq!(stored.get(ChecklistItem::QuickLogin), Some(Answer::Yes));
        assert_eq!(stored.get(ChecklistItem::OaVerified), None);
    }

    #[test]
    fn auto_liff_is_refused_without_a_certified_provider() {
        let none = Answers::default();
        assert_eq!(
            none.changes_for(ChecklistItem::AutoLiff, Answer::Yes),
            Err(RuleError::AutoLiffNeedsCertifiedProvider)
        );
        let no = answers(&[(ChecklistItem::CertifiedProvider, Answer::No)]);
        assert_eq!(
            no.changes_for(ChecklistItem::AutoLiff, Answer::Yes),
            Err(RuleError::AutoLiffNeedsCertifiedProvider)
        );
        assert_eq!(
            no.changes_for(ChecklistItem::AutoLiff, Answer::No),
            Ok(vec![(ChecklistItem::AutoLiff, Answer::No)])
        );
        let yes = answers(&[(ChecklistItem::CertifiedProvider, Answer::Yes)]);
        assert_eq!(
            yes.changes_for(ChecklistItem::AutoLiff, Answer::Yes),
            Ok(vec![(ChecklistItem::AutoLiff, Answer::Yes)])
        );
    }

    #[test]
    fn losing_the_certified_provider_turns_auto_liff_off_too() {
        let on = complete(true);
        assert_eq!(
            on.changes_for(ChecklistItem::CertifiedProvider, Answer::No),
            Ok(vec![
                (ChecklistItem::CertifiedProvider, Answer::No),
                (ChecklistItem::AutoLiff, Answer::No)
            ])
        );
        let off = complete(false);
        assert_eq!(
            off.changes_for(ChecklistItem::CertifiedProvider, Answer::No),
            Ok(vec![(ChecklistItem::CertifiedProvider, Answer::No)])
        );
    }

    #[test]
    fn a_shield_answer_is_refused_for_a_yes_no_item() {
        assert!(matches!(
            Answers::default().changes_for(ChecklistItem::QuickLogin, Answer::BlueShield),
            Err(RuleError::InvalidAnswer(_))
        ));
    }

    #[test]
    fn a_complete_checklist_with_a_store_misses_nothing_either_way() {
        assert_eq!(complete(true).missing(1), vec![]);
        assert_eq!(complete(false).missing(1), vec![]);
        assert_eq!(complete(false).missing(0), vec![Missing::ActiveStore]);
    }

    #[test]
    fn an_empty_checklist_misses_every_item_and_a_store() {
        let missing = Answers::default().missing(0);
        assert_eq!(missing.len(), 9);
        assert_eq!(missing[0], Missing::Item(ChecklistItem::ChannelsLinked));
        assert!(missing[0].zh().starts_with("1. "));
        assert_eq!(missing[8].key(), "active_store");
    }

    #[test]
    fn grey_shield_and_inconsistent_auto_liff_keep_activation_back() {
        let mut answers = complete(false);
        answers.set(ChecklistItem::OaVerified, Answer::NoShield);
        answers.set(ChecklistItem::AutoLiff, Answer::Yes);
        assert_eq!(
            answers.missing(1),
            vec![
                Missing::Item(ChecklistItem::OaVerified),
                Missing::Item(ChecklistItem::AutoLiff)
            ]
        );
    }

    #[test]
    fn basic_ids_compare_without_at_sign_or_case() {
        assert!(same_basic_id("@StoreTest", "@storetest"));
        assert!(same_basic_id("@abc", "abc"));
        assert!(!same_basic_id("@abc", "@abd"));
    }

    #[test]
    fn live_check_keys_do_not_collide_with_items() {
        for check in LiveCheck::ALL {
            assert_eq!(ChecklistItem::from_key(check.key()), None);
            assert_eq!(LiveCheck::from_key(check.key()), Some(check));
        }
    }

    #[test]
    fn keys_round_trip() {
        for item in ChecklistItem::ALL {
            assert_eq!(ChecklistItem::from_key(item.key()), Some(item));
        }
        assert_eq!(ChecklistItem::from_key("nope"), None);
    }

    #[test]
    fn liff_route_needs_both_certified_provider_and_auto_liff() {
        let mut flags = SetupFlags::default();
        assert_eq!(flags.route(), Route::Phone);
        flags.certified_provider = true;
        assert_eq!(flags.route(), Route::Phone);
        flags.auto_liff = true;
        assert_eq!(flags.route(), Route::Liff);
        flags.certified_provider = false;
        assert_eq!(flags.route(), Route::Phone);
    }
}
