//! The setup checklist (前置準備) of the merchant's install guide, and the route rule that reads it.
//!
//! Items are stored in `checklist_items` by [`ChecklistItem::key`]; `value` holds the answer
//! (`"yes"`/`"no"`, or for the OA shield `"none"`/`"blue"`/`"green"`). Unanswered items are absent.

mod guide;
mod live;
pub use guide::Guide;
pub use live::{CheckOutcome, LiveCheck, same_basic_id};

use std::collections::HashMap;

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
