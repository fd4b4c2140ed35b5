//! The shop-wide settings HQ edits on the setup page: shop name, welcome message, the SMS
//! template for verification codes, the SMS daily budget. Each value is parsed here once, so the
//! service stores only valid ones.

use crate::domain::stores::{Name, NameError};

/// Placeholders the verification SMS fills in.
pub const SMS_PLACEHOLDERS: [&str; 3] = ["{code}", "{shop}", "{minutes}"];
/// An SMS template stays within a few billed parts (70 Chinese characters each).
pub const MAX_SMS_TEMPLATE_CHARS: usize = 200;
/// LINE's text message limit is 5,000 characters; a welcome message is read on a phone.
pub const MAX_WELCOME_CHARS: usize = 1000;
pub const MAX_SMS_DAILY_BUDGET: i32 = 1_000_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("shop name: {0}")]
    ShopName(NameError),
    #[error("the welcome message is empty or longer than {MAX_WELCOME_CHARS} characters")]
    WelcomeMessage,
    #[error("the SMS template must contain {{code}}")]
    SmsTemplateWithoutCode,
    #[error(
        "the SMS template has an unknown placeholder {0}; use {{code}}, {{shop}} or {{minutes}}"
    )]
    SmsTemplateUnknownPlaceholder(String),
    #[error(
        "the SMS template is empty, has line breaks, or is longer than {MAX_SMS_TEMPLATE_CHARS} characters"
    )]
    SmsTemplateLength,
    #[error("the SMS daily budget is a whole number from 0 to {MAX_SMS_DAILY_BUDGET}")]
    SmsDailyBudget,
}

impl SettingsError {
    pub fn zh(&self) -> String {
        match self {
            SettingsError::ShopName(err) => format!("品牌名稱：{}", err.zh()),
            SettingsError::WelcomeMessage => {
                format!("歡迎訊息不可空白，也不可超過 {MAX_WELCOME_CHARS} 個字。")
            }
            SettingsError::SmsTemplateWithoutCode => {
                "簡訊範本必須包含 {code}（驗證碼），否則顧客收不到驗證碼。".to_owned()
            }
            SettingsError::SmsTemplateUnknownPlaceholder(found) => format!(
                "簡訊範本有無法辨識的欄位 {found}；可用的欄位是 {{code}}、{{shop}}、{{minutes}}。"
            ),
            SettingsError::SmsTemplateLength => {
                format!("簡訊範本不可空白、不可換行，也不可超過 {MAX_SMS_TEMPLATE_CHARS} 個字。")
            }
            SettingsError::SmsDailyBudget => {
                format!("每日簡訊上限須為 0 到 {MAX_SMS_DAILY_BUDGET} 的整數。")
            }
        }
    }
}

/// The verification SMS text with `{code}` (required), `{shop}` and `{minutes}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsTemplate(String);

impl SmsTemplate {
    pub fn parse(text: &str) -> Result<Self, SettingsError> {
        let text = text.trim();
        if text.is_empty()
            || text.chars().count() > MAX_SMS_TEMPLATE_CHARS
            || text.chars().any(char::is_control)
        {
            return Err(SettingsError::SmsTemplateLength);
        }
        // A `{word}` that is not a placeholder is almost always a typo such as `{cdoe}`.
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            let candidate = &rest[start..];
            let word_end = candidate[1..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map(|i| i + 1);
            if let Some(end) = word_end
                && candidate[end..].starts_with('}')
                && end > 1
            {
                let placeholder = &candidate[..=end];
                if !SMS_PLACEHOLDERS.contains(&placeholder) {
                    return Err(SettingsError::SmsTemplateUnknownPlaceholder(
                        placeholder.to_owned(),
                    ));
                }
            }
            rest = &candidate[1..];
        }
        if !text.contains("{code}") {
            return Err(SettingsError::SmsTemplateWithoutCode);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// The settings as HQ submits them, each parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopSettings {
    pub shop_name: Name,
    pub welcome_message: String,
    pub sms_template: SmsTemplate,
    pub sms_daily_budget: i32,
    pub liff_requires_phone: bool,
}

impl ShopSettings {
    pub fn parse(
        shop_name: &str,
        welcome_message: &str,
        sms_template: &str,
        sms_daily_budget: i64,
        liff_requires_phone: bool,
    ) -> Result<Self, SettingsError> {
        let shop_name = Name::parse(shop_name).map_err(SettingsError::ShopName)?;
        let welcome_message = welcome_message.trim().replace("\r\n", "\n");
        if welcome_message.is_empty() || welcome_message.chars().count() > MAX_WELCOME_CHARS {
            return Err(SettingsError::WelcomeMessage);
        }
        let sms_template = SmsTemplate::parse(sms_template)?;
        let sms_daily_budget = i32::try_from(sms_daily_budget)
            .ok()
            .filter(|b| (0..=MAX_SMS_DAILY_BUDGET).contains(b))
            .ok_or(SettingsError::SmsDailyBudget)?;
        Ok(Self {
            shop_name,
            welcome_message,
            sms_template,
            sms_daily_budget,
            liff_requires_phone,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: &str = "【{shop}】您的驗證碼為 {code}，{minutes} 分鐘內有效，請勿提供給他人。";

    #[test]
    fn the_default_template_is_valid() {
        assert_eq!(SmsTemplate::parse(DEFAULT).unwrap().into_string(), DEFAULT);
    }

    #[test]
    fn a_template_without_the_code_is_refused() {
        assert_eq!(
            SmsTemplate::parse("【{shop}】請於 {minutes} 分鐘內輸入"),
            Err(SettingsError::SmsTemplateWithoutCode)
        );
    }

    #[test]
    fn unknown_placeholders_are_refused_but_plain_braces_are_fine() {
        assert_eq!(
            SmsTemplate::parse("驗證碼 {cdoe} {code}"),
            Err(SettingsError::SmsTemplateUnknownPlaceholder(
                "{cdoe}".to_owned()
            ))
        );
        assert!(SmsTemplate::parse("驗證碼 {code} {} { code").is_ok());
        assert!(SmsTemplate::parse("{{code}}").is_ok());
    }

    #[test]
    fn templates_have_bounded_length_and_no_line_breaks() {
        assert_eq!(
            SmsTemplate::parse("   "),
            Err(SettingsError::SmsTemplateLength)
        );
        assert_eq!(
            SmsTemplate::parse("a\n{code}"),
            Err(SettingsError::SmsTemplateLength)
        );
        let long = format!("{}{{code}}", "字".repeat(MAX_SMS_TEMPLATE_CHARS));
        assert_eq!(
            SmsTemplate::parse(&long),
            Err(SettingsError::SmsTemplateLength)
        );
    }

    #[test]
    fn settings_parse_checks_every_field() {
        let ok = ShopSettings::parse(" 我的品牌 ", "歡迎！\r\n第二行", DEFAULT, 500, true).unwrap();
        assert_eq!(ok.shop_name.as_str(), "我的品牌");
        assert_eq!(ok.welcome_message, "歡迎！\n第二行");
        assert!(ShopSettings::parse("", "歡迎", DEFAULT, 1, false).is_err());
        assert_eq!(
            ShopSettings::parse("品牌", " ", DEFAULT, 1, false),
            Err(SettingsError::WelcomeMessage)
        );
        assert_eq!(
            ShopSettings::parse("品牌", "歡迎", DEFAULT, -1, false),
            Err(SettingsError::SmsDailyBudget)
        );
        assert_eq!(
            ShopSettings::parse("品牌", "歡迎", DEFAULT, i64::from(i32::MAX) + 1, false),
            Err(SettingsError::SmsDailyBudget)
        );
    }
}
