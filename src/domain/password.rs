//! Staff passwords: argon2id hashes (PHC strings) and the rules a new password must meet.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRuleError {
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("the password must have at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
}

/// Checks a new password against the rules: long enough to resist guessing, short enough to hash cheaply.
pub fn check_new_password(password: &str) -> Result<(), PasswordRuleError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        Err(PasswordRuleError::TooShort)
    } else if chars > MAX_PASSWORD_CHARS {
        Err(PasswordRuleError::TooLong)
    } else {
        Ok(())
    }
}

/// argon2id with the crate's default (OWASP) parameters and a random salt.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any password")
        .to_string()
}

/// Constant-time check of a password against a stored PHC string; a malformed hash never matches.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A password to hand out once (first start, resets): 16 characters without look-alikes.
pub fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..16)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_only_the_same_password() {
        let hash = hash_password("correct horse battery");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("anything", "not-a-hash"));
    }

    #[test]
    fn rules_bound_the_length() {
        assert_eq!(
            check_new_password("short"),
            Err(PasswordRuleError::TooShort)
        );
        assert!(check_new_password("long enough pw").is_ok());
        assert_eq!(
            check_new_password(&"x".repeat(201)),
            Err(PasswordRuleError::TooLong)
        );
    }

    #[test]
    fn generated_passwords_meet_the_rules() {
        let pw = generate_password();
        assert!(check_new_password(&pw).is_ok());
        assert_ne!(pw, generate_password());
    }
}
