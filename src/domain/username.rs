//! Staff usernames: what a login may be called.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a username has 3 to 32 characters: lowercase letters a-z, digits, '.', '_' or '-'")]
pub struct UsernameError;

impl Username {
    /// Lower-cases and trims, so `Admin ` and `admin` are the same login.
    pub fn parse(text: &str) -> Result<Self, UsernameError> {
        let name = text.trim().to_ascii_lowercase();
        let valid_len = (3..=32).contains(&name.len());
        let valid_chars = name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        if valid_len && valid_chars {
            Ok(Self(name))
        } else {
            Err(UsernameError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(Username::parse(" Admin ").unwrap().as_str(), "admin");
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("with space").is_err());
        assert!(Username::parse("<script>").is_err());
        assert!(Username::parse("clerk.01_a-b").is_ok());
    }
}
