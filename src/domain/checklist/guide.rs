//! The install guide's words for each item: where the merchant does it and what to do there.

use super::{Answer, AnswerKind, ChecklistItem, InvalidAnswer};

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
