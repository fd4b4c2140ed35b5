//! Taiwan mobile numbers: what a shopper types on the phone form, normalised to E.164.
//!
//! Shoppers type numbers in every shape: `0912345678`, `0912-345-678`, `+886 912 345 678`,
//! `886912345678`, `(09)12-345678`, and full-width digits or `＋`/`－` from a phone keyboard in
//! Chinese input mode. [`TaiwanMobile::parse`] accepts them all and keeps one form, E.164
//! (`+886912345678`); landlines, other countries and anything else are refused with a zh-TW message
//! that shows what a valid number looks like.
//!
//! Classification is done by the `phonenumber` crate (a port of Google's libphonenumber with its
//! metadata), not by a regex: the metadata knows which `09…` ranges are mobile, which numbers are
//! landlines and which country a `+` number belongs to, and it is updated with each release. Its
//! cost was measured before choosing it: about 25 s of one-time compile on a 2-core machine and
//! ~0.5 MB of embedded metadata, which is acceptable for a server binary. Before the crate sees the
//! input, this module maps full-width characters to ASCII and refuses any character that is not a
//! digit or a separator, so `0912345678abc` or `0800-FLOWERS` (keypad letters, which libphonenumber
//! would translate) are refused instead of silently reinterpreted. Whatever the crate accepts is
//! then checked structurally: Taiwan mobiles are exactly `+886 9` followed by 8 digits.

use std::fmt;

use phonenumber::country::Id as Region;
use phonenumber::{Mode, PhoneNumber, Type};
use sea_orm::DeriveValueType;

use crate::domain::text::reads_as_str;

/// Longest input looked at; real numbers with separators fit in well under this.
const MAX_INPUT_CHARS: usize = 40;

/// What every refusal shows, so the shopper sees a valid example.
pub const EXAMPLE_ZH: &str = "請輸入台灣手機號碼，例如 0912-345-678。";
pub const EXAMPLE_EN: &str = "Enter a Taiwan mobile number, for example 0912-345-678.";

/// A Taiwan mobile number, valid by construction. Held (and stored) as E.164 (`+8869XXXXXXXX`).
#[derive(Clone, PartialEq, Eq, Hash, DeriveValueType, serde::Serialize)]
#[serde(transparent)]
pub struct TaiwanMobile(String);

// Reads as its E.164 text, as stored.
reads_as_str!(TaiwanMobile);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("no phone number was entered")]
    Empty,
    /// Letters, stray symbols, too short or too long: not a phone number at all.
    #[error("not a phone number")]
    NotANumber,
    /// A valid Taiwan number that is not a mobile (a landline, a toll-free number): no SMS.
    #[error("a Taiwan number that is not a mobile")]
    NotMobile,
    /// A valid number of another country.
    #[error("a number of another country")]
    OtherCountry,
}

impl PhoneError {
    /// The message for the shopper, zh-TW.
    pub fn message_zh(&self) -> String {
        let reason = match self {
            PhoneError::Empty => "尚未輸入手機號碼。",
            PhoneError::NotANumber => "這不是有效的手機號碼。",
            PhoneError::NotMobile => "這不是手機號碼（市話無法接收簡訊）。",
            PhoneError::OtherCountry => "目前只支援台灣的手機號碼。",
        };
        format!("{reason}{EXAMPLE_ZH}")
    }

    /// The same message in English.
    pub fn message_en(&self) -> String {
        let reason = match self {
            PhoneError::Empty => "No phone number was entered.",
            PhoneError::NotANumber => "This is not a valid mobile number.",
            PhoneError::NotMobile => "This is not a mobile number (landlines cannot receive SMS).",
            PhoneError::OtherCountry => "Only Taiwan mobile numbers are supported.",
        };
        format!("{reason} {EXAMPLE_EN}")
    }
}

impl TaiwanMobile {
    /// Normalises any common way of writing a Taiwan mobile number; refuses everything else.
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let ascii = to_ascii(input)?;
        let digits: String = ascii.chars().filter(char::is_ascii_digit).collect();
        if digits.is_empty() {
            return Err(if ascii.trim().is_empty() {
                PhoneError::Empty
            } else {
                PhoneError::NotANumber
            });
        }
        // A `+` anywhere but first (`09+12…`) is a typo, not an international prefix.
        if ascii
            .trim_start()
            .get(1..)
            .is_some_and(|rest| rest.contains('+'))
        {
            return Err(PhoneError::NotANumber);
        }
        if !(8..=15).contains(&digits.len()) {
            return Err(PhoneError::NotANumber);
        }
        let text = with_country_code_plus(&ascii, &digits);
        let number =
            phonenumber::parse(Some(Region::TW), &text).map_err(|_| PhoneError::NotANumber)?;
        Self::from_number(&number)
    }

    fn from_number(number: &PhoneNumber) -> Result<Self, PhoneError> {
        if number.code().value() != 886 {
            return Err(if phonenumber::is_valid(number) {
                PhoneError::OtherCountry
            } else {
                PhoneError::NotANumber
            });
        }
        if !phonenumber::is_valid(number) {
            return Err(PhoneError::NotANumber);
        }
        if number.number_type(&phonenumber::metadata::DATABASE) != Type::Mobile {
            return Err(PhoneError::NotMobile);
        }
        let e164 = number.format().mode(Mode::E164).to_string();
        // The metadata decides what is a mobile; the shape is checked here too, so nothing
        // that is not `+8869` and 8 digits can ever be held.
        let national = e164.strip_prefix("+886").unwrap_or_default();
        if national.len() != 9
            || !national.starts_with('9')
            || !national.chars().all(|c| c.is_ascii_digit())
        {
            return Err(PhoneError::NotMobile);
        }
        Ok(Self(e164))
    }

    /// `+886912345678`: what is stored and what international gateways take.
    pub fn e164(&self) -> &str {
        &self.0
    }

    /// `0912345678`: the national form Taiwanese gateways take and people read.
    pub fn national(&self) -> String {
        // Read back from a table, the text is not re-parsed: stay total on anything odd there.
        match self.0.get(4..) {
            Some(rest) if self.0.starts_with("+886") => format!("0{rest}"),
            _ => self.0.clone(),
        }
    }

    /// `0912***678`: for staff views and logs, where the whole number is not needed.
    pub fn masked(&self) -> String {
        let national = self.national();
        match (national.get(..4), national.get(7..)) {
            (Some(head), Some(tail)) => format!("{head}***{tail}"),
            _ => "***".to_owned(),
        }
    }
}

/// Logs and debug output show the masked number only.
impl fmt::Debug for TaiwanMobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaiwanMobile({})", self.masked())
    }
}

/// Maps full-width digits and punctuation to ASCII and refuses anything that is not a digit or a
/// separator people put in phone numbers.
fn to_ascii(input: &str) -> Result<String, PhoneError> {
    if input.chars().count() > MAX_INPUT_CHARS {
        return Err(PhoneError::NotANumber);
    }
    input
        .chars()
        .map(|c| match c {
            '0'..='9' | '+' | '-' | '(' | ')' | '.' | ' ' => Ok(c),
            '０'..='９' => Ok(char::from(b'0' + (c as u32 - '０' as u32) as u8)),
            '＋' => Ok('+'),
            // Hyphens and dashes a keyboard or an autocorrect may produce.
            '－' | '‐' | '‑' | '‒' | '–' | '—' | '−' | '﹣' => Ok('-'),
            '（' => Ok('('),
            '）' => Ok(')'),
            '．' => Ok('.'),
            '\t' | '\u{a0}' | '\u{3000}' | '\u{2002}'..='\u{200a}' => Ok(' '),
            _ => Err(PhoneError::NotANumber),
        })
        .collect()
}

/// `886912345678` typed without the `+`: read as the country code, as people mean it. (No
/// national number in Taiwan starts with 886, so this reading is never ambiguous.)
fn with_country_code_plus(ascii: &str, digits: &str) -> String {
    let has_plus = ascii.trim_start().starts_with('+');
    if !has_plus && digits.starts_with("886") {
        format!("+{digits}")
    } else {
        ascii.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_common_form_of_a_mobile_normalises_to_e164() {
        let accepted = [
            "0912345678",
            "0912-345-678",
            "0912 345 678",
            "0912.345.678",
            "+886912345678",
            "+886 912 345 678",
            "+886-912-345-678",
            "+886 0912 345 678",
            "886912345678",
            "886 912 345 678",
            "(09)12-345678",
            "(0912)345678",
            "０９１２３４５６７８",
            "０９１２－３４５－６７８",
            "＋８８６９１２３４５６７８",
            "＋８８６　９１２　３４５　６７８",
            "  0912345678  ",
            "0912\u{a0}345\u{a0}678",
        ];
        for input in accepted {
            let phone = TaiwanMobile::parse(input)
                .unwrap_or_else(|err| panic!("{input:?} was refused: {err}"));
            assert_eq!(phone.e164(), "+886912345678", "{input:?}");
        }
    }

    #[test]
    fn landlines_other_countries_and_junk_are_refused_with_the_right_reason() {
        let refused = [
            ("", PhoneError::Empty),
            ("   ", PhoneError::Empty),
            ("02-2345-6789", PhoneError::NotMobile),
            ("(02)2345-6789", PhoneError::NotMobile),
            ("+886 2 2345 6789", PhoneError::NotMobile),
            ("07-123-4567", PhoneError::NotMobile),
            ("0800-000-123", PhoneError::NotMobile),
            ("+85291234567", PhoneError::OtherCountry),
            ("+8613812345678", PhoneError::OtherCountry),
            ("+14155552671", PhoneError::OtherCountry),
            ("091234567", PhoneError::NotANumber),
            ("09123456789", PhoneError::NotANumber),
            ("0912", PhoneError::NotANumber),
            ("0912345678abc", PhoneError::NotANumber),
            ("abc", PhoneError::NotANumber),
            ("0800-FLOWERS", PhoneError::NotANumber),
            ("09+12345678", PhoneError::NotANumber),
            ("0912345678; DROP TABLE", PhoneError::NotANumber),
            ("<script>0912345678</script>", PhoneError::NotANumber),
            ("１２３", PhoneError::NotANumber),
            (
                "0912345678901234567890123456789012345678901",
                PhoneError::NotANumber,
            ),
        ];
        for (input, expected) in refused {
            assert_eq!(TaiwanMobile::parse(input), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn refusals_show_a_valid_example_in_zh_tw_and_english() {
        for err in [
            PhoneError::Empty,
            PhoneError::NotANumber,
            PhoneError::NotMobile,
            PhoneError::OtherCountry,
        ] {
            assert!(
                err.message_zh()
                    .contains("請輸入台灣手機號碼，例如 0912-345-678")
            );
            assert!(err.message_en().contains("0912-345-678"));
        }
    }

    #[test]
    fn national_masked_and_debug_forms() {
        let phone = TaiwanMobile::parse("+886 912 345 678").unwrap();
        assert_eq!(phone.national(), "0912345678");
        assert_eq!(phone.masked(), "0912***678");
        assert_eq!(format!("{phone:?}"), "TaiwanMobile(0912***678)");
    }

    #[test]
    fn the_e164_form_parses_back_to_itself() {
        let phone = TaiwanMobile::parse("0912-345-678").unwrap();
        assert_eq!(TaiwanMobile::parse(phone.e164()), Ok(phone.clone()));
        assert_eq!(TaiwanMobile::parse(&phone.national()), Ok(phone));
    }

    /// Eight digits after `09`, first of them 0–8: the ranges the metadata calls mobile.
    fn mobile_national() -> impl Strategy<Value = String> {
        ("[0-8]", "[0-9]{7}").prop_map(|(a, rest)| format!("09{a}{rest}"))
    }

    fn full_width(text: &str) -> String {
        text.chars()
            .map(|c| match c {
                '0'..='9' => char::from_u32('０' as u32 + (c as u32 - '0' as u32)).unwrap(),
                '+' => '＋',
                '-' => '－',
                ' ' => '\u{3000}',
                other => other,
            })
            .collect()
    }

    proptest! {
        #[test]
        fn parse_never_panics(input in "\\PC{0,60}") {
            let _ = TaiwanMobile::parse(&input);
        }

        #[test]
        fn parse_never_panics_on_phone_like_input(input in "[0-9+()\\- ０-９＋－]{0,30}") {
            if let Ok(phone) = TaiwanMobile::parse(&input) {
                prop_assert!(phone.e164().starts_with("+8869"));
                prop_assert_eq!(phone.e164().len(), 13);
            }
        }

        #[test]
        fn every_format_of_a_mobile_gives_the_same_e164(national in mobile_national()) {
            let canonical = TaiwanMobile::parse(&national);
            // Only numbers the metadata calls mobile are checked; the others must be refused.
            prop_assume!(canonical.is_ok());
            let canonical = canonical.unwrap();
            let rest = &national[1..];
            let formats = [
                national.clone(),
                format!("{}-{}-{}", &national[..4], &national[4..7], &national[7..]),
                format!("{} {} {}", &national[..4], &national[4..7], &national[7..]),
                format!("({}){}-{}", &national[..2], &national[2..4], &national[4..]),
                format!("+886{rest}"),
                format!("+886 {} {} {}", &rest[..3], &rest[3..6], &rest[6..]),
                format!("886{rest}"),
                full_width(&national),
                full_width(&format!("+886 {rest}")),
            ];
            for format in formats {
                prop_assert_eq!(TaiwanMobile::parse(&format), Ok(canonical.clone()), "{}", format);
            }
        }
    }
}
