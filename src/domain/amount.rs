//! NT$ amounts: what a clerk types, a POS file holds or an API sends, as a whole number of dollars.
//!
//! People write amounts as `1200`, `1,200`, `NT$1,200`, `$1200`, `1200元`, `1200.00`, and with
//! full-width digits from a phone keyboard in Chinese input mode (`１，２００`). [`Ntd::parse`]
//! accepts all of these and keeps one integer. Zero, negative, fractional (NT$ has no cents in
//! practice), absurdly large or non-numeric amounts are refused, each with its own zh-TW message.
//! Web shops send decimal strings (`"1200.00"`); [`Ntd::from_shop_decimal`] rounds those to whole
//! dollars, half up, because a platform may carry cents the shopper never paid separately.

use std::fmt;

/// The largest single order accepted: NT$99,999,999. Anything above is a typo or an attack.
pub const MAX_AMOUNT: i64 = 99_999_999;
/// Longest input looked at; the largest amount with separators and a prefix fits in well under.
const MAX_INPUT_CHARS: usize = 40;

/// A positive whole amount of New Taiwan dollars, at most [`MAX_AMOUNT`]; valid by construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ntd(i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("no amount was entered")]
    Empty,
    #[error("the amount is not a number")]
    NotANumber,
    #[error("the amount has cents; NT$ amounts are whole dollars")]
    Fraction,
    #[error("the amount is zero")]
    Zero,
    #[error("the amount is negative")]
    Negative,
    #[error("the amount is larger than NT$99,999,999")]
    TooLarge,
}

impl AmountError {
    /// The message for a person, zh-TW.
    pub fn message_zh(self) -> &'static str {
        match self {
            AmountError::Empty => "請輸入金額。",
            AmountError::NotANumber => "金額必須是數字，例如 1200 或 1,200。",
            AmountError::Fraction => "金額必須是整數（新台幣以元為單位，不含角、分）。",
            AmountError::Zero => "金額不可為 0。",
            AmountError::Negative => "金額不可為負數；退款請以退款方式登錄。",
            AmountError::TooLarge => "金額過大：單筆最多 NT$99,999,999。",
        }
    }

    /// The same message in English.
    pub fn message_en(self) -> &'static str {
        match self {
            AmountError::Empty => "Enter an amount.",
            AmountError::NotANumber => "The amount must be a number, for example 1200 or 1,200.",
            AmountError::Fraction => "The amount must be a whole number of NT dollars.",
            AmountError::Zero => "The amount cannot be 0.",
            AmountError::Negative => "The amount cannot be negative; book refunds as refunds.",
            AmountError::TooLarge => "The amount is too large: at most NT$99,999,999 per order.",
        }
    }
}

impl Ntd {
    /// A whole amount as an API sends it in JSON.
    pub fn new(dollars: i64) -> Result<Self, AmountError> {
        match dollars {
            0 => Err(AmountError::Zero),
            d if d < 0 => Err(AmountError::Negative),
            d if d > MAX_AMOUNT => Err(AmountError::TooLarge),
            d => Ok(Self(d)),
        }
    }

    /// What a person typed: separators, `NT$`, `元` and full-width characters accepted; cents
    /// refused unless they are zero (`1200.00`).
    pub fn parse(text: &str) -> Result<Self, AmountError> {
        let number = Written::read(text)?;
        if number.cents != 0 {
            return Err(AmountError::Fraction);
        }
        Self::from_written(number)
    }

    /// A web shop's decimal string (`"404.95"`), rounded half up to whole dollars.
    pub fn from_shop_decimal(text: &str) -> Result<Self, AmountError> {
        let mut number = Written::read(text)?;
        if number.cents >= 50 {
            number.dollars += 1;
        }
        number.cents = 0;
        Self::from_written(number)
    }

    fn from_written(number: Written) -> Result<Self, AmountError> {
        if number.negative && number.dollars > 0 {
            return Err(AmountError::Negative);
        }
        Self::new(number.dollars)
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// `NT$1,200`: how staff pages show an amount.
impl fmt::Display for Ntd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&ntd(self.0))
    }
}

/// `NT$1,200`, `-NT$300`: any sum of dollars (totals and refunds too) as pages show it.
pub fn ntd(amount: i64) -> String {
    if amount < 0 {
        format!("-NT${}", thousands(-amount))
    } else {
        format!("NT${}", thousands(amount))
    }
}

/// `1,200`, `-300`: digits grouped by thousands.
pub fn thousands(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if amount < 0 {
        grouped.push('-');
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// An amount as written, before the rules of whole positive dollars are applied.
struct Written {
    negative: bool,
    dollars: i64,
    /// Hundredths; digits beyond the second are refused.
    cents: i64,
}

impl Written {
    fn read(text: &str) -> Result<Self, AmountError> {
        if text.chars().count() > MAX_INPUT_CHARS {
            return Err(AmountError::NotANumber);
        }
        let ascii: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| match c {
                // Full-width forms (`１２００`, `ＮＴ＄`, `，`) are their ASCII twins shifted.
                '！'..='～' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                '−' => '-',
                other => other,
            })
            .collect();
        if ascii.is_empty() {
            return Err(AmountError::Empty);
        }
        let (negative, rest) = match ascii.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, ascii.as_str()),
        };
        let rest = ["NT$", "NTD", "TWD", "$"]
            .iter()
            .find_map(|prefix| strip_prefix_ignore_case(rest, prefix))
            .unwrap_or(rest);
        let rest = rest.strip_suffix('元').unwrap_or(rest);
        // `NT$-300` as well as `-NT$300`.
        let (negative, rest) = match rest.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (negative, rest),
        };
        let (whole, fraction) = match rest.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (rest, None),
        };
        let whole = without_thousands_separators(whole)?;
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AmountError::NotANumber);
        }
        let significant = whole.trim_start_matches('0');
        // More digits than the largest amount has: too large, and no overflow below.
        if significant.len() > 12 {
            return Err(AmountError::TooLarge);
        }
        let dollars = significant.parse::<i64>().unwrap_or(0);
        let cents = match fraction {
            None => 0,
            Some(f) if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(AmountError::NotANumber);
            }
            Some(f) => {
                let kept = f.trim_end_matches('0');
                if kept.len() > 2 {
                    // 1200.001: more precision than a price has.
                    return Err(AmountError::Fraction);
                }
                format!("{kept:0<2}").parse::<i64>().unwrap_or(0)
            }
        };
        Ok(Self {
            negative,
            dollars,
            cents,
        })
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `1,200,000` → `1200000`; commas anywhere but between groups of three (`12,00`) are refused.
fn without_thousands_separators(whole: &str) -> Result<String, AmountError> {
    if !whole.contains(',') {
        return Ok(whole.to_owned());
    }
    let groups: Vec<&str> = whole.split(',').collect();
    let first_ok = (1..=3).contains(&groups[0].len());
    let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
    if first_ok && rest_ok {
        Ok(groups.concat())
    } else {
        Err(AmountError::NotANumber)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_common_way_of_writing_an_amount_is_read() {
        for (text, dollars) in [
            ("1200", 1200),
            ("1,200", 1200),
            ("  1,200  ", 1200),
            ("NT$1,200", 1200),
            ("nt$ 1200", 1200),
            ("NTD 1200", 1200),
            ("$1200", 1200),
            ("＄１２００", 1200),
            ("ＮＴ＄１，２００", 1200),
            ("1200元", 1200),
            ("１，２００", 1200),
            ("１２００．００", 1200),
            ("1200.00", 1200),
            ("1200.0", 1200),
            ("0001200", 1200),
            ("12,345,678", 12_345_678),
            ("99,999,999", MAX_AMOUNT),
            ("1", 1),
        ] {
            assert_eq!(Ntd::parse(text).map(Ntd::get), Ok(dollars), "{text:?}");
        }
    }

    #[test]
    fn zero_negative_fractional_huge_and_non_numeric_amounts_are_refused() {
        for (text, error) in [
            ("", AmountError::Empty),
            ("   ", AmountError::Empty),
            ("0", AmountError::Zero),
            ("0.00", AmountError::Zero),
            ("NT$0", AmountError::Zero),
            ("-300", AmountError::Negative),
            ("－３００", AmountError::Negative),
            ("NT$-300", AmountError::Negative),
            ("1200.5", AmountError::Fraction),
            ("1200.50", AmountError::Fraction),
            ("1200.001", AmountError::Fraction),
            ("100,000,000", AmountError::TooLarge),
            ("99999999999999999999999", AmountError::TooLarge),
            ("abc", AmountError::NotANumber),
            ("12,00", AmountError::NotANumber),
            ("1,2,3", AmountError::NotANumber),
            (",100", AmountError::NotANumber),
            ("1200.", AmountError::NotANumber),
            ("1.2.3", AmountError::NotANumber),
            ("1e3", AmountError::NotANumber),
            ("NT$", AmountError::NotANumber),
            ("1200 USD", AmountError::NotANumber),
            ("<b>1200</b>", AmountError::NotANumber),
        ] {
            assert_eq!(Ntd::parse(text), Err(error), "{text:?}");
        }
    }

    #[test]
    fn json_integers_are_checked_the_same_way() {
        assert_eq!(Ntd::new(1200).map(Ntd::get), Ok(1200));
        assert_eq!(Ntd::new(0), Err(AmountError::Zero));
        assert_eq!(Ntd::new(-1), Err(AmountError::Negative));
        assert_eq!(Ntd::new(MAX_AMOUNT + 1), Err(AmountError::TooLarge));
        assert_eq!(Ntd::new(i64::MIN), Err(AmountError::Negative));
    }

    #[test]
    fn shop_decimals_round_half_up_to_whole_dollars() {
        for (text, dollars) in [
            ("404.95", 405),
            ("403.00", 403),
            ("29.35", 29),
            ("0.50", 1),
            ("1200", 1200),
        ] {
            assert_eq!(
                Ntd::from_shop_decimal(text).map(Ntd::get),
                Ok(dollars),
                "{text:?}"
            );
        }
        assert_eq!(Ntd::from_shop_decimal("0.49"), Err(AmountError::Zero));
        assert_eq!(Ntd::from_shop_decimal("-10.00"), Err(AmountError::Negative));
    }

    #[test]
    fn amounts_show_with_thousands_separators() {
        assert_eq!(Ntd::new(1_234_567).unwrap().to_string(), "NT$1,234,567");
        assert_eq!(thousands(-300), "-300");
        assert_eq!(thousands(-1_000), "-1,000");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn every_refusal_has_a_message_in_both_languages() {
        for err in [
            AmountError::Empty,
            AmountError::NotANumber,
            AmountError::Fraction,
            AmountError::Zero,
            AmountError::Negative,
            AmountError::TooLarge,
        ] {
            assert!(err.message_zh().contains("金額"));
            assert!(!err.message_en().is_empty());
        }
    }

    fn full_width(text: &str) -> String {
        text.chars()
            .map(|c| match c {
                '0'..='9' => char::from_u32('０' as u32 + (c as u32 - '0' as u32)).unwrap(),
                ',' => '，',
                other => other,
            })
            .collect()
    }

    proptest! {
        #[test]
        fn parse_never_panics(text in "\\PC{0,50}") {
            let _ = Ntd::parse(&text);
            let _ = Ntd::from_shop_decimal(&text);
        }

        #[test]
        fn every_valid_amount_reads_back_in_every_written_form(dollars in 1..=MAX_AMOUNT) {
            let grouped = thousands(dollars);
            for text in [
                dollars.to_string(),
                grouped.clone(),
                format!("NT${grouped}"),
                format!("{dollars}元"),
                format!("{dollars}.00"),
                full_width(&grouped),
            ] {
                prop_assert_eq!(Ntd::parse(&text).map(Ntd::get), Ok(dollars), "{}", text);
            }
        }

        #[test]
        fn whatever_is_accepted_is_positive_and_bounded(text in "[0-9,.$元NT ０-９，－-]{0,20}") {
            if let Ok(amount) = Ntd::parse(&text) {
                prop_assert!((1..=MAX_AMOUNT).contains(&amount.get()));
            }
        }
    }
}
