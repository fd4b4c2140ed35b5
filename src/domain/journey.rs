//! A journey's id: the server-minted handle of one scan that every later binding step names (in
//! `/j/{journey}`, the LIFF page's `ref`, a signed phone link). Only the server makes them; what a
//! client sends back is checked for shape before the database is asked.

use std::fmt;

use sea_orm::DeriveValueType;

use crate::domain::text::reads_as_str;
use crate::domain::tokens::random_token;

/// 16 random bytes, base64url without padding (22 characters).
const RANDOM_BYTES: usize = 16;
/// Longer or stranger than any id we mint (older ids included): not worth a lookup.
const MAX_CHARS: usize = 64;

#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    DeriveValueType,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct JourneyId(String);

reads_as_str!(JourneyId);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a journey id")]
pub struct NotAJourneyId;

impl JourneyId {
    /// A new, unguessable id.
    pub fn generate() -> Self {
        Self(random_token(RANDOM_BYTES))
    }

    /// An id as a client sends it back: 1 to 64 characters of base64url's alphabet.
    pub fn parse(text: &str) -> Result<Self, NotAJourneyId> {
        let well_formed = !text.is_empty()
            && text.len() <= MAX_CHARS
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if well_formed {
            Ok(Self(text.to_owned()))
        } else {
            Err(NotAJourneyId)
        }
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for JourneyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back_and_differ() {
        let a = JourneyId::generate();
        assert_eq!(a.as_str().len(), 22);
        assert_eq!(JourneyId::parse(a.as_str()), Ok(a.clone()));
        assert_ne!(a, JourneyId::generate());
    }

    #[test]
    fn junk_is_not_an_id() {
        for junk in ["", "a b", "../etc", "ｊ", "x?y=1", &"a".repeat(65), "id%20"] {
            assert_eq!(JourneyId::parse(junk), Err(NotAJourneyId), "{junk:?}");
        }
        assert!(JourneyId::parse("Ab-_09").is_ok());
    }
}
