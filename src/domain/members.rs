//! Members as staff read and handle them: masked phones, the list's search term, the reason an
//! HQ change must carry, the merge rule for a LINE-id/phone conflict, and spreadsheet-safe cells.

use chrono::{DateTime, Utc};

use crate::domain::phone::TaiwanMobile;

/// How a member whose personal data was erased (on request, or by a merge) is shown.
pub const ERASED_LABEL: &str = "已刪除的會員";

/// A stored phone as staff of a store see it: `+886912345678` → `0912***678`.
///
/// Store staff recognise a shopper by the ends of the number without holding the whole number.
/// Same output as [`TaiwanMobile::masked`] (a unit test holds them together); this works on the
/// stored E.164 text without re-parsing it against the numbering plan, which matters for a CSV
/// of every member.
pub fn mask_phone(e164: &str) -> String {
    let local = local_phone(e164);
    let chars: Vec<char> = local.chars().collect();
    if chars.len() < 8 {
        return "***".to_owned();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 3..].iter().collect();
    format!("{head}***{tail}")
}

/// A Taiwan number in the national form people write (`0912345678`, as
/// [`TaiwanMobile::national`]); other numbers as stored.
pub fn local_phone(e164: &str) -> String {
    match e164.strip_prefix("+886") {
        Some(rest) => format!("0{rest}"),
        None => e164.to_owned(),
    }
}

/// What was typed into the member list's search box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchTerm {
    /// A whole Taiwan mobile number, as E.164: matched exactly.
    FullPhone(String),
    /// Part of a number: `0912` (a prefix of the local form) or `345678` (anywhere).
    PartialPhone(PhoneFragment),
    /// Part of a display name.
    Name(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneFragment {
    /// The start of the E.164 form (`0912` was typed: `+886912…`).
    Prefix(String),
    /// Digits anywhere in the number.
    Anywhere(String),
}

impl SearchTerm {
    /// `None` for an empty box. Digits (with spaces, dashes, brackets or a `+`; full-width too)
    /// are a phone search when there are at least three of them; anything else searches names.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let mut digits = String::new();
        let mut only_phone_chars = true;
        for c in text.chars() {
            match c {
                '0'..='9' => digits.push(c),
                '０'..='９' => digits.push(char::from(b'0' + (c as u32 - '０' as u32) as u8)),
                ' ' | '-' | '+' | '(' | ')' | '　' | '－' => {}
                _ => {
                    only_phone_chars = false;
                    break;
                }
            }
        }
        if !only_phone_chars || digits.len() < 3 {
            return Some(SearchTerm::Name(text.chars().take(100).collect()));
        }
        // A whole number is read the way the binding pages read it, so every way a shopper may
        // have written it finds them.
        if let Ok(mobile) = TaiwanMobile::parse(text) {
            return Some(SearchTerm::FullPhone(mobile.e164().to_owned()));
        }
        Some(match digits.strip_prefix('0') {
            Some(rest) => SearchTerm::PartialPhone(PhoneFragment::Prefix(format!("+886{rest}"))),
            None => SearchTerm::PartialPhone(PhoneFragment::Anywhere(digits)),
        })
    }
}

/// Why HQ changed something (a rebinding, a reassignment, an erasure): required, one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

pub const MAX_REASON_CHARS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReasonError {
    #[error("a reason is required")]
    Missing,
    #[error("the reason is longer than {MAX_REASON_CHARS} characters")]
    TooLong,
}

impl ReasonError {
    pub fn zh(self) -> String {
        match self {
            ReasonError::Missing => "請填寫原因。".to_owned(),
            ReasonError::TooLong => format!("原因最多 {MAX_REASON_CHARS} 個字。"),
        }
    }
}

impl Reason {
    /// Trimmed; line breaks and tabs become spaces so the audit log and CSV stay one line each.
    pub fn parse(text: &str) -> Result<Self, ReasonError> {
        let cleaned: String = text
            .trim()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if cleaned.trim().is_empty() {
            Err(ReasonError::Missing)
        } else if cleaned.chars().count() > MAX_REASON_CHARS {
            Err(ReasonError::TooLong)
        } else {
            Ok(Self(cleaned.trim().to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A free-text note (resolving a conflict): optional, one line, at most 500 characters.
pub fn parse_note(text: &str) -> Result<Option<Reason>, ReasonError> {
    match Reason::parse(text) {
        Ok(reason) => Ok(Some(reason)),
        Err(ReasonError::Missing) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Whose binding the merged member keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingWinner {
    LineMember,
    PhoneMember,
    /// Neither member is bound.
    Neither,
}

/// The merge rule for a conflict: the phone member absorbs the LINE id; the LINE member's
/// binding wins if it is older (first binding wins, as everywhere), else the phone member's.
pub fn merge_binding_winner(
    line_member_bound_at: Option<DateTime<Utc>>,
    phone_member_bound_at: Option<DateTime<Utc>>,
) -> BindingWinner {
    match (line_member_bound_at, phone_member_bound_at) {
        (None, None) => BindingWinner::Neither,
        (Some(_), None) => BindingWinner::LineMember,
        (None, Some(_)) => BindingWinner::PhoneMember,
        (Some(line), Some(phone)) if line < phone => BindingWinner::LineMember,
        (Some(_), Some(_)) => BindingWinner::PhoneMember,
    }
}

/// Why two members of a conflict cannot be merged by the rule (HQ keeps them apart instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeBlocked {
    /// One of them has been erased.
    Erased,
    /// Their LINE id or phone changed after the conflict was recorded.
    ChangedSince,
    /// The phone member is linked to another LINE account.
    PhoneLinkedElsewhere,
}

impl MergeBlocked {
    pub fn zh(self) -> &'static str {
        match self {
            MergeBlocked::Erased => "其中一位會員的個人資料已刪除，無法合併；請選擇「分開保留」。",
            MergeBlocked::ChangedSince => {
                "兩位會員的資料在衝突發生後已變更，無法依規則合併；請選擇「分開保留」。"
            }
            MergeBlocked::PhoneLinkedElsewhere => {
                "手機會員已連結另一個 LINE 帳號，無法合併；請選擇「分開保留」。"
            }
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            MergeBlocked::Erased => {
                "One of the members has been erased; they cannot be merged. Keep them apart."
            }
            MergeBlocked::ChangedSince => {
                "The members changed since the conflict was recorded; they cannot be merged by the rule. Keep them apart."
            }
            MergeBlocked::PhoneLinkedElsewhere => {
                "The phone member is linked to another LINE account; they cannot be merged. Keep them apart."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn phones_are_masked_in_the_national_form_as_the_phone_type_does() {
        assert_eq!(mask_phone("+886912345678"), "0912***678");
        assert_eq!(local_phone("+886912345678"), "0912345678");
        assert_eq!(mask_phone("+12"), "***");
        for e164 in ["+886912345678", "+886987654321", "+886900000000"] {
            let mobile = TaiwanMobile::parse(e164).unwrap();
            assert_eq!(mask_phone(e164), mobile.masked());
            assert_eq!(local_phone(e164), mobile.national());
        }
    }

    #[test]
    fn search_terms_tell_phones_from_names() {
        assert_eq!(
            SearchTerm::parse(" 0912-345-678 "),
            Some(SearchTerm::FullPhone("+886912345678".to_owned()))
        );
        assert_eq!(
            SearchTerm::parse("+886 912 345 678"),
            Some(SearchTerm::FullPhone("+886912345678".to_owned()))
        );
        assert_eq!(
            SearchTerm::parse("０９１２３４５６７８"),
            Some(SearchTerm::FullPhone("+886912345678".to_owned()))
        );
        assert_eq!(
            SearchTerm::parse("0912"),
            Some(SearchTerm::PartialPhone(PhoneFragment::Prefix(
                "+886912".to_owned()
            )))
        );
        assert_eq!(
            SearchTerm::parse("5678"),
            Some(SearchTerm::PartialPhone(PhoneFragment::Anywhere(
                "5678".to_owned()
            )))
        );
        assert_eq!(
            SearchTerm::parse("王小明"),
            Some(SearchTerm::Name("王小明".to_owned()))
        );
        assert_eq!(
            SearchTerm::parse("12"),
            Some(SearchTerm::Name("12".to_owned()))
        );
        assert_eq!(SearchTerm::parse("   "), None);
    }

    #[test]
    fn reasons_are_required_and_one_line() {
        assert_eq!(Reason::parse("  "), Err(ReasonError::Missing));
        assert_eq!(Reason::parse("店員\n離職").unwrap().as_str(), "店員 離職");
        assert_eq!(Reason::parse(&"字".repeat(501)), Err(ReasonError::TooLong));
        assert_eq!(parse_note(""), Ok(None));
    }

    #[test]
    fn the_older_binding_wins_a_merge_and_a_tie_goes_to_the_phone_member() {
        let early = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let late = Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap();
        assert_eq!(
            merge_binding_winner(Some(early), Some(late)),
            BindingWinner::LineMember
        );
        assert_eq!(
            merge_binding_winner(Some(late), Some(early)),
            BindingWinner::PhoneMember
        );
        assert_eq!(
            merge_binding_winner(Some(early), Some(early)),
            BindingWinner::PhoneMember
        );
        assert_eq!(
            merge_binding_winner(None, Some(early)),
            BindingWinner::PhoneMember
        );
        assert_eq!(
            merge_binding_winner(Some(early), None),
            BindingWinner::LineMember
        );
        assert_eq!(merge_binding_winner(None, None), BindingWinner::Neither);
    }
}
