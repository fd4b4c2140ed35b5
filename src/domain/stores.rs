//! Stores and groups as the member and the staff read them: store codes, names, and the binding
//! label "北區｜台北信義店" that member pages show.

use std::fmt;

pub const MAX_NAME_CHARS: usize = 100;

/// A store code: 2–20 characters of A–Z, 0–9, `-` or `_`, kept upper-case so `a01` and `A01`
/// are the same store (the unique index on `stores.code` then decides case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StoreCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a store code has 2 to 20 characters: letters A-Z, digits, '-' or '_'")]
pub struct StoreCodeError;

impl StoreCode {
    pub fn parse(text: &str) -> Result<Self, StoreCodeError> {
        let code = text.trim().to_ascii_uppercase();
        let valid_len = (2..=20).contains(&code.len());
        let valid_chars = code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if valid_len && valid_chars {
            Ok(Self(code))
        } else {
            Err(StoreCodeError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StoreCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A store or group name: trimmed, 1–100 characters, no control characters (they would break the
/// CSV export, the poster and the member's chat message).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Name(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the name is empty")]
    Empty,
    #[error("the name is longer than {MAX_NAME_CHARS} characters")]
    TooLong,
    #[error("the name contains control characters (such as line breaks or tabs)")]
    ControlCharacters,
}

impl NameError {
    pub fn zh(self) -> &'static str {
        match self {
            NameError::Empty => "名稱不可空白",
            NameError::TooLong => "名稱不可超過 100 個字",
            NameError::ControlCharacters => "名稱不可包含換行、定位字元等控制字元",
        }
    }
}

impl Name {
    pub fn parse(text: &str) -> Result<Self, NameError> {
        let name = text.trim();
        if name.is_empty() {
            Err(NameError::Empty)
        } else if name.chars().count() > MAX_NAME_CHARS {
            Err(NameError::TooLong)
        } else if name.chars().any(char::is_control) {
            Err(NameError::ControlCharacters)
        } else {
            Ok(Self(name.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The binding as the member reads it: "北區｜台北信義店", or just the store without a group.
pub fn binding_label(group_name: Option<&str>, store_name: &str) -> String {
    match group_name {
        Some(group) => format!("{group}｜{store_name}"),
        None => store_name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binding_labels_join_group_and_store_with_a_full_width_bar() {
        assert_eq!(
            binding_label(Some("北區"), "台北信義店"),
            "北區｜台北信義店"
        );
        assert_eq!(binding_label(None, "台北信義店"), "台北信義店");
    }

    #[test]
    fn store_codes_are_upper_cased_and_checked() {
        assert_eq!(StoreCode::parse(" tp-01 ").unwrap().as_str(), "TP-01");
        assert_eq!(StoreCode::parse("a_b").unwrap().as_str(), "A_B");
        assert!(StoreCode::parse("A").is_err());
        assert!(StoreCode::parse(&"A".repeat(21)).is_err());
        assert!(StoreCode::parse(&"A".repeat(20)).is_ok());
        assert!(StoreCode::parse("A 1").is_err());
        assert!(StoreCode::parse("台北").is_err());
        assert!(StoreCode::parse("A1,").is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(Name::parse("  台北信義店 ").unwrap().as_str(), "台北信義店");
        assert_eq!(Name::parse("   "), Err(NameError::Empty));
        assert!(Name::parse(&"店".repeat(100)).is_ok());
        assert_eq!(Name::parse(&"店".repeat(101)), Err(NameError::TooLong));
        assert_eq!(Name::parse("a\nb"), Err(NameError::ControlCharacters));
        assert_eq!(Name::parse("a\u{7}b"), Err(NameError::ControlCharacters));
        assert!(
            Name::parse("<script>alert(1)</script>").is_ok(),
            "escaped on output, not refused"
        );
    }

    #[test]
    fn binding_label_joins_group_and_store() {
        assert_eq!(
            binding_label(Some("北區"), "台北信義店"),
            "北區｜台北信義店"
        );
        assert_eq!(binding_label(None, "台北信義店"), "台北信義店");
    }
}
