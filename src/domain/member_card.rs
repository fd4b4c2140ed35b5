//! The member card's code: what the shopper's card (`/me`) shows as a QR code and as digits under
//! it, and what the clerk scans or types at `/clerk` to find the member.
//!
//! A code is `{member id}-{8 digits}`. The digits are an HMAC (keyed with `SECRET_KEY`) of the
//! member id and the 30-second step the code was issued in, so only this server makes valid
//! codes, a code works for 5 minutes after it was shown, and a clerk can still type one when the
//! camera cannot read it. A screenshot kept for later, or a code forwarded to someone else, stops
//! working on its own. Codes need no table: verifying recomputes the digits for the recent steps.
//! The card page asks for a fresh code before the old one runs out.
//!
//! The QR code encodes `{PUBLIC_BASE_URL}/clerk/member?card={code}`, so a clerk whose browser has
//! no barcode reader can scan it with the phone's own camera app and land on the member.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::tokens::constant_time_eq;

/// A code is issued for the 30-second step it is shown in.
pub const STEP_SECS: i64 = 30;
/// How long a code is accepted after it was issued.
pub const VALID_FOR_SECS: i64 = 300;
const VALID_STEPS: i64 = VALID_FOR_SECS / STEP_SECS;
/// Older codes (within two hours) are told apart as expired rather than not valid, so a clerk
/// looking at an old screenshot hears what to do about it.
const RECOGNISED_STEPS: i64 = 2 * 3600 / STEP_SECS;
const DIGITS: usize = 8;

/// A fresh code for a member's card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCode {
    /// `1024-83920174`.
    pub text: String,
    /// Seconds since the Unix epoch.
    pub expires_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CardCodeError {
    #[error("this is not a member card code")]
    Malformed,
    #[error("the member card code has expired")]
    Expired,
    #[error("the member card code is not valid")]
    Invalid,
}

impl CardCodeError {
    pub fn message_zh(self) -> &'static str {
        match self {
            CardCodeError::Malformed => {
                "這不是會員條碼：請掃描顧客會員卡上的 QR Code，或輸入 QR Code 下方的號碼（例如 1024-83920174）。"
            }
            CardCodeError::Expired => {
                "會員條碼已過期（每組 5 分鐘有效），請顧客重新開啟或重新整理會員卡。"
            }
            CardCodeError::Invalid => "會員條碼不正確，請再確認一次號碼，或重新掃描顧客的會員卡。",
        }
    }

    pub fn message_en(self) -> &'static str {
        match self {
            CardCodeError::Malformed => {
                "This is not a member card code: scan the QR code on the shopper's card or type the number under it (like 1024-83920174)."
            }
            CardCodeError::Expired => {
                "The member card code has expired (each is valid 5 minutes); ask the shopper to reopen or refresh the card."
            }
            CardCodeError::Invalid => {
                "The member card code is not right; check the number or scan the shopper's card again."
            }
        }
    }
}

fn step_of(unix: i64) -> i64 {
    unix.div_euclid(STEP_SECS)
}

fn digits(secret: &[u8], member_id: i32, step: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(b"member-card-code:");
    mac.update(&member_id.to_be_bytes());
    mac.update(&step.to_be_bytes());
    let tag = mac.finalize().into_bytes();
    let mut first = [0u8; 8];
    first.copy_from_slice(&tag[..8]);
    format!(
        "{:0width$}",
        u64::from_be_bytes(first) % 10u64.pow(DIGITS as u32),
        width = DIGITS
    )
}

/// The member's code for the moment `now_unix`.
pub fn issue(secret: &[u8], member_id: i32, now_unix: i64) -> IssuedCode {
    let step = step_of(now_unix);
    IssuedCode {
        text: format!("{member_id}-{}", digits(secret, member_id, step)),
        expires_at: (step + VALID_STEPS) * STEP_SECS,
    }
}

/// The member a scanned or typed code names, if this server issued it less than 5 minutes ago.
pub fn verify(secret: &[u8], input: &str, now_unix: i64) -> Result<i32, CardCodeError> {
    let (member_id, typed) = parse(input).ok_or(CardCodeError::Malformed)?;
    let now = step_of(now_unix);
    // One step ahead too: several server instances may disagree on the time by a little.
    let matches = |step: i64| constant_time_eq(&digits(secret, member_id, step), &typed);
    if (now - VALID_STEPS + 1..=now + 1).any(matches) {
        return Ok(member_id);
    }
    if (now - RECOGNISED_STEPS..=now - VALID_STEPS).any(matches) {
        return Err(CardCodeError::Expired);
    }
    Err(CardCodeError::Invalid)
}

/// Reads a code as the camera or a clerk gives it: the QR's URL (its `card` parameter) or the
/// code itself, with full-width digits, spaces and any dash; without a dash the last 8 digits
/// are the code. Returns the member id and the 8 digits.
pub fn parse(input: &str) -> Option<(i32, String)> {
    let input = input.trim();
    if input.chars().count() > 300 {
        return None;
    }
    let code = match input.find("card=") {
        Some(at) => input[at + "card=".len()..]
            .split(['&', '#'])
            .next()
            .unwrap_or_default(),
        None => input,
    };
    // A camera app may hand over the URL's dash percent-encoded.
    let code = code.replace("%2D", "-").replace("%2d", "-");
    let mut member = String::new();
    let mut rest = String::new();
    let mut after_dash = false;
    for c in code.chars() {
        let c = match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '－' | '—' | '–' | '‐' | '−' => '-',
            other => other,
        };
        match c {
            '0'..='9' if after_dash => rest.push(c),
            '0'..='9' => member.push(c),
            '-' if !after_dash && !member.is_empty() => after_dash = true,
            ' ' | '　' | '\t' => {}
            _ => return None,
        }
    }
    if !after_dash {
        if member.len() <= DIGITS {
            return None;
        }
        rest = member.split_off(member.len() - DIGITS);
    }
    // Issued codes never start with 0, so a phone number typed in the wrong box is malformed.
    if rest.len() != DIGITS || member.is_empty() || member.len() > 10 || member.starts_with('0') {
        return None;
    }
    let member_id: i32 = member.parse().ok().filter(|id| *id > 0)?;
    Some((member_id, rest))
}

/// Whether a chat message asks for the member card ("會員卡"): the OA answers with a link to it.
pub fn is_card_request(text: &str) -> bool {
    let text: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    matches!(
        text.as_str(),
        "會員卡" | "我的會員卡" | "會員條碼" | "会员卡" | "membercard" | "mycard"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &[u8] = b"a-secret-key-for-tests-0123456789";
    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_code_is_valid_for_five_minutes_then_expired() {
        let code = issue(SECRET, 1024, NOW);
        assert!(code.text.starts_with("1024-"));
        assert_eq!(code.text.len(), "1024-".len() + 8);
        assert!(code.expires_at > NOW && code.expires_at <= NOW + VALID_FOR_SECS);
        assert_eq!(verify(SECRET, &code.text, NOW), Ok(1024));
        assert_eq!(verify(SECRET, &code.text, code.expires_at - 1), Ok(1024));
        assert_eq!(
            verify(SECRET, &code.text, code.expires_at),
            Err(CardCodeError::Expired)
        );
        assert_eq!(
            verify(SECRET, &code.text, NOW + 3 * 3600),
            Err(CardCodeError::Invalid)
        );
    }

    #[test]
    fn forged_or_foreign_codes_are_refused() {
        let code = issue(SECRET, 1024, NOW);
        assert_eq!(
            verify(b"another-secret", &code.text, NOW),
            Err(CardCodeError::Invalid)
        );
        // The digits of member 1024 do not open member 1025.
        let digits = code.text.split_once('-').unwrap().1;
        assert_eq!(
            verify(SECRET, &format!("1025-{digits}"), NOW),
            Err(CardCodeError::Invalid)
        );
        let mut wrong = code.text.clone().into_bytes();
        let last = wrong.len() - 1;
        wrong[last] = if wrong[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            verify(SECRET, &String::from_utf8(wrong).unwrap(), NOW),
            Err(CardCodeError::Invalid)
        );
    }

    #[test]
    fn codes_are_read_however_they_arrive() {
        let code = issue(SECRET, 7, NOW);
        let digits = code.text.split_once('-').unwrap().1.to_owned();
        let full_width: String = code
            .text
            .chars()
            .map(|c| match c {
                '0'..='9' => char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap(),
                '-' => '－',
                other => other,
            })
            .collect();
        for typed in [
            code.text.clone(),
            format!(" 7 - {} ", &digits),
            format!("7{digits}"),
            full_width,
            format!("https://shop.example/clerk/member?card={}", code.text),
            format!("https://shop.example/clerk/member?card=7%2D{digits}&x=1"),
        ] {
            assert_eq!(verify(SECRET, &typed, NOW), Ok(7), "{typed}");
        }
    }

    #[test]
    fn things_that_are_not_codes_are_malformed() {
        for typed in [
            "",
            "0912345678",
            "1234567",
            "abc-12345678",
            "7-1234567",
            "7-123456789",
            "0-12345678",
            "99999999999-12345678",
            "7--12345678",
            "<script>",
        ] {
            assert_eq!(
                verify(SECRET, typed, NOW),
                Err(CardCodeError::Malformed),
                "{typed}"
            );
        }
    }

    #[test]
    fn the_chat_asks_for_the_card_in_a_few_words() {
        assert!(is_card_request("會員卡"));
        assert!(is_card_request(" 我的 會員卡 "));
        assert!(is_card_request("Member Card"));
        assert!(!is_card_request("綁定碼 K7P3QX"));
        assert!(!is_card_request("我想問會員卡怎麼用"));
    }

    proptest! {
        #[test]
        fn every_issued_code_verifies_for_its_member(member in 1..i32::MAX, now in 0i64..4_000_000_000) {
            let code = issue(SECRET, member, now);
            prop_assert_eq!(verify(SECRET, &code.text, now), Ok(member));
        }

        #[test]
        fn parsing_never_panics(text in "\\PC{0,60}") {
            let _ = verify(SECRET, &text, NOW);
        }
    }
}
