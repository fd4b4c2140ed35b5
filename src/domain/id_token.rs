//! Reading (not trusting) an ID token's claims before LINE verifies it.
//!
//! Only used to decide which nonce to demand: a token that names a nonce must name the journey's
//! (and LINE then verifies it); a token without one — LIFF SDK logins, whose authorization request
//! this server does not make — is verified for signature, audience and expiry alone.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The `nonce` claim of a JWT's payload, without checking anything else. Malformed → `None`.
pub fn unverified_nonce(id_token: &str) -> Option<String> {
    let payload = id_token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("nonce")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(payload: &str) -> String {
        format!(
            "eyJhbGciOiJIUzI1NiJ9.{}.sig",
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn the_nonce_claim_is_read() {
        assert_eq!(
            unverified_nonce(&token(r#"{"sub":"U1","nonce":"abc"}"#)).as_deref(),
            Some("abc")
        );
        assert_eq!(unverified_nonce(&token(r#"{"sub":"U1"}"#)), None);
    }

    #[test]
    fn garbage_has_no_nonce() {
        assert_eq!(unverified_nonce("not a jwt"), None);
        assert_eq!(unverified_nonce("a.!!!.c"), None);
        assert_eq!(unverified_nonce(""), None);
    }
}
