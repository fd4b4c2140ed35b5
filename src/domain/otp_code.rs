//! One-time SMS codes: six digits from the operating system's CSPRNG, and the keyed hash that is
//! all the database keeps of them.
//!
//! The hash is HMAC-SHA256 under `SECRET_KEY` over the phone and the code. A million possible codes
//! make a plain hash trivially reversible; keyed with a secret the database does not hold, a leaked
//! `otp_challenges` table gives nothing away, and binding the phone in means a code hash cannot be
//! replayed for another number.

use std::fmt;

use hmac::{Hmac, Mac};
use rand::Rng;
use rand::rngs::OsRng;
use sha2::Sha256;

use super::phone::TaiwanMobile;

pub const CODE_DIGITS: usize = 6;

/// Six ASCII digits. `Debug` hides them; only the SMS text shows the code.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpCode(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a code is 6 digits")]
pub struct MalformedCode;

impl OtpCode {
    /// A fresh code, uniform over 000000–999999.
    pub fn generate() -> Self {
        let n: u32 = OsRng.gen_range(0..1_000_000);
        Self(format!("{n:06}"))
    }

    /// What the shopper typed: full-width digits and spaces or hyphens between digits are fine.
    pub fn parse(input: &str) -> Result<Self, MalformedCode> {
        let mut digits = String::with_capacity(CODE_DIGITS);
        for c in input.trim().chars() {
            match c {
                '0'..='9' => digits.push(c),
                '０'..='９' => digits.push(char::from(b'0' + (c as u32 - '０' as u32) as u8)),
                ' ' | '-' | '\u{3000}' | '－' => {}
                _ => return Err(MalformedCode),
            }
            if digits.len() > CODE_DIGITS {
                return Err(MalformedCode);
            }
        }
        if digits.len() == CODE_DIGITS {
            Ok(Self(digits))
        } else {
            Err(MalformedCode)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The stored form: hex HMAC-SHA256 under `secret` over `phone` and the code.
    pub fn hash(&self, secret: &[u8], phone: &TaiwanMobile) -> String {
        self.mac(secret, phone)
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Compares against a stored hash in constant time.
    pub fn matches(&self, secret: &[u8], phone: &TaiwanMobile, stored_hex: &str) -> bool {
        let Some(stored) = decode_hex(stored_hex) else {
            return false;
        };
        self.mac(secret, phone).verify_slice(&stored).is_ok()
    }

    fn mac(&self, secret: &[u8], phone: &TaiwanMobile) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts keys of any length");
        mac.update(b"otp:");
        mac.update(phone.e164().as_bytes());
        mac.update(b":");
        mac.update(self.0.as_bytes());
        mac
    }
}

impl fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OtpCode(******)")
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(text: &str) -> TaiwanMobile {
        TaiwanMobile::parse(text).unwrap()
    }

    #[test]
    fn generated_codes_are_six_digits_and_vary() {
        let codes: std::collections::HashSet<String> = (0..50)
            .map(|_| OtpCode::generate().as_str().to_owned())
            .collect();
        assert!(
            codes.len() > 40,
            "50 draws from a million are almost surely distinct"
        );
        for code in &codes {
            assert_eq!(code.len(), 6);
            assert!(code.chars().all(|c| c.is_ascii_digit()));
        }
    }

    #[test]
    fn typed_codes_are_normalised_or_refused() {
        for ok in ["012345", " 012345 ", "012 345", "012-345", "０１２３４５"] {
            assert_eq!(OtpCode::parse(ok).unwrap().as_str(), "012345", "{ok:?}");
        }
        for bad in ["", "12345", "1234567", "12345a", "１２３", "012345\u{0}"] {
            assert_eq!(OtpCode::parse(bad), Err(MalformedCode), "{bad:?}");
        }
    }

    #[test]
    fn the_hash_is_keyed_and_bound_to_the_phone() {
        let code = OtpCode::parse("123456").unwrap();
        let a = phone("0912345678");
        let stored = code.hash(b"key-one", &a);
        assert_eq!(stored.len(), 64);
        assert!(code.matches(b"key-one", &a, &stored));
        assert!(!code.matches(b"key-two", &a, &stored));
        assert!(!code.matches(b"key-one", &phone("0922333444"), &stored));
        assert!(
            !OtpCode::parse("123457")
                .unwrap()
                .matches(b"key-one", &a, &stored)
        );
        assert!(!code.matches(b"key-one", &a, "not hex"));
    }

    #[test]
    fn debug_hides_the_code() {
        assert_eq!(
            format!("{:?}", OtpCode::parse("123456").unwrap()),
            "OtpCode(******)"
        );
    }
}
