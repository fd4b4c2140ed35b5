//! The setup checklist (前置準備) of the merchant's install guide, and the route rule that reads it.
//!
//! Items are stored in `checklist_items` by [`ChecklistItem::key`]; `value` holds the answer
//! (`"yes"`/`"no"`, or for the OA shield `"none"`/`"blue"`/`"green"`). Unanswered items are absent.

use crate::db::entities::enums::Route;

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
