//! A LINE user id: who a shopper is to the brand's channel. Only LINE hands them out, in a signed
//! webhook event or a verified ID token, so the server never parses one from what a shopper types;
//! the type keeps them apart from phone numbers, journey ids and other text in the code and in
//! the tables that store them.

use std::fmt;

use sea_orm::DeriveValueType;

use crate::domain::text::reads_as_str;

#[derive(
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
pub struct LineUserId(String);

reads_as_str!(LineUserId);

impl LineUserId {
    /// An id as LINE sent it (webhook `source.userId`, ID token `sub`).
    pub fn from_line(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// An id in the shape LINE gives them (`U` and 32 hex digits), from text others send: a web
    /// shop's order, or free text such as a stored webhook body, where anything looser could match
    /// unrelated words.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let valid = text.len() == 33
            && text.starts_with('U')
            && text[1..].bytes().all(|b| b.is_ascii_hexdigit());
        valid.then(|| Self(text.to_owned()))
    }
}

impl fmt::Display for LineUserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Debug output shows the id: it is a pseudonym for this channel only, and logs need it to follow
/// one shopper's events.
impl fmt::Debug for LineUserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LineUserId({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines_own_shape_only() {
        let id = format!("U{}", "0a".repeat(16));
        assert_eq!(
            LineUserId::parse(&format!(" {id} ")).as_deref(),
            Some(id.as_str())
        );
        for loose in [
            "U-verified",
            "",
            "U",
            "U123",
            &format!("C{}", "0".repeat(32)),
        ] {
            assert_eq!(LineUserId::parse(loose), None, "{loose:?}");
        }
    }

    #[test]
    fn compares_with_text() {
        let id = LineUserId::from_line("U1");
        assert_eq!(id, "U1");
        assert_eq!(&*id, "U1");
    }
}
