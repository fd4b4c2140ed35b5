//! The text of an SMS: the HQ-editable verification template and how many billed parts a text is.

/// Fills the SMS template: `{code}`, `{shop}` and `{minutes}` are replaced in one pass, so a shop
/// name that itself contains `{code}` stays literal.
///
/// The template is edited by HQ; one without `{code}` would send a message without the code, so the
/// code is then appended rather than lost.
pub fn render_code_message(template: &str, shop: &str, code: &str, minutes: i64) -> String {
    let minutes = minutes.to_string();
    let placeholders = [
        ("{code}", code),
        ("{shop}", shop.trim()),
        ("{minutes}", &minutes),
    ];
    let template = template.trim();
    let mut text = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        text.push_str(&rest[..start]);
        rest = &rest[start..];
        match placeholders.iter().find(|(name, _)| rest.starts_with(name)) {
            Some((name, value)) => {
                text.push_str(value);
                rest = &rest[name.len()..];
            }
            None => {
                text.push('{');
                rest = &rest[1..];
            }
        }
    }
    text.push_str(rest);
    if !template.contains("{code}") {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(code);
    }
    text
}

/// Characters of the GSM 03.38 default alphabet (one septet each).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// Characters of the GSM extension table (two septets each: escape + character).
const GSM_EXTENDED: &str = "^{}\\[~]|€\u{c}";

/// How many SMS parts a text is billed as: 160 GSM-7 characters (153 per part when split), or for
/// any Chinese character 70 UCS-2 units (67 per part). Gateways bill per part.
pub fn segment_count(text: &str) -> i32 {
    let septets: Option<usize> = text
        .chars()
        .map(|c| {
            if GSM_BASIC.contains(c) {
                Some(1)
            } else if GSM_EXTENDED.contains(c) {
                Some(2)
            } else {
                None
            }
        })
        .sum();
    let (units, single, part) = match septets {
        Some(septets) => (septets, 160, 153),
        None => (text.encode_utf16().count(), 70, 67),
    };
    let parts = if units <= single {
        1
    } else {
        units.div_ceil(part)
    };
    i32::try_from(parts).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT_TEMPLATE: &str =
        "【{shop}】您的驗證碼為 {code}，{minutes} 分鐘內有效，請勿提供給他人。";

    #[test]
    fn the_template_gets_code_shop_and_minutes() {
        assert_eq!(
            render_code_message(DEFAULT_TEMPLATE, "好物商店", "012345", 5),
            "【好物商店】您的驗證碼為 012345，5 分鐘內有效，請勿提供給他人。"
        );
    }

    #[test]
    fn every_placeholder_occurrence_is_replaced() {
        assert_eq!(
            render_code_message("{code} {code} {shop}{shop}", "A", "999999", 5),
            "999999 999999 AA"
        );
    }

    #[test]
    fn a_template_without_the_code_still_carries_the_code() {
        assert_eq!(
            render_code_message("【{shop}】歡迎", "店", "123456", 5),
            "【店】歡迎 123456"
        );
        assert_eq!(render_code_message("  ", "店", "123456", 5), "123456");
    }

    #[test]
    fn placeholders_inside_the_shop_name_are_not_expanded() {
        assert_eq!(
            render_code_message("{shop}:{code}", "{code}", "123456", 5),
            "{code}:123456"
        );
        assert_eq!(
            render_code_message("{unknown} {code", "店", "1", 5),
            "{unknown} {code 1"
        );
    }

    #[test]
    fn segments_follow_gsm7_and_ucs2_limits() {
        assert_eq!(segment_count(""), 1);
        assert_eq!(segment_count(&"a".repeat(160)), 1);
        assert_eq!(segment_count(&"a".repeat(161)), 2);
        assert_eq!(segment_count(&"a".repeat(306)), 2);
        assert_eq!(segment_count(&"a".repeat(307)), 3);
        assert_eq!(segment_count(&"€".repeat(80)), 1);
        assert_eq!(segment_count(&"€".repeat(81)), 2);
        assert_eq!(segment_count(&"驗".repeat(70)), 1);
        assert_eq!(segment_count(&"驗".repeat(71)), 2);
        assert_eq!(segment_count(&"驗".repeat(134)), 2);
        assert_eq!(segment_count(&"驗".repeat(135)), 3);
        let default = render_code_message(DEFAULT_TEMPLATE, "我的品牌", "123456", 5);
        assert_eq!(segment_count(&default), 1);
    }
}
