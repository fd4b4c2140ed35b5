//! The webhook signature: `X-Line-Signature` is Base64(HMAC-SHA256(channel secret, raw body)).
//!
//! It is checked on the raw bytes before anything is parsed, so a forged body never reaches the
//! JSON parser or the database. The comparison is constant time (`Mac::verify_slice`), so the
//! response time tells an attacker nothing about how many bytes of a guess were right.

use crate::domain::hmac::{self, HmacError};

/// Why a request's signature was refused. Never carries the body or the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the X-Line-Signature header is missing")]
    Missing,
    #[error("the X-Line-Signature header is not Base64 of a SHA-256 HMAC")]
    Malformed,
    #[error("the X-Line-Signature header does not match the body")]
    Mismatch,
}

/// Checks `signature` (the header value, if any) against `body` under the channel secret.
pub fn verify(secret: &[u8], body: &[u8], signature: Option<&[u8]>) -> Result<(), SignatureError> {
    hmac::verify_base64(secret, body, signature).map_err(|err| match err {
        HmacError::Missing => SignatureError::Missing,
        HmacError::Malformed => SignatureError::Malformed,
        HmacError::Mismatch => SignatureError::Mismatch,
    })
}

/// The header value LINE would send for `body`: used by tests, the load generator and the demo.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    hmac::sign_base64(secret, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &[u8] = b"test_secret";
    const BODY: &[u8] = br#"{"hello":"world"}"#;
    const VECTOR: &str = "t7Hn4ZDHqs6e+wdvI5TyQIvzie0DmMUmuXEBqyyE/tM=";

    #[test]
    fn design_test_vector_signs_and_verifies() {
        assert_eq!(sign(SECRET, BODY), VECTOR);
        assert_eq!(verify(SECRET, BODY, Some(VECTOR.as_bytes())), Ok(()));
    }

    #[test]
    fn missing_or_empty_header_is_missing() {
        assert_eq!(verify(SECRET, BODY, None), Err(SignatureError::Missing));
        assert_eq!(
            verify(SECRET, BODY, Some(b"")),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(SECRET, BODY, Some(b"  ")),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn non_base64_and_truncated_headers_are_malformed() {
        assert_eq!(
            verify(SECRET, BODY, Some(b"not base64!")),
            Err(SignatureError::Malformed)
        );
        let truncated = &VECTOR.as_bytes()[..VECTOR.len() - 4];
        assert_eq!(
            verify(SECRET, BODY, Some(truncated)),
            Err(SignatureError::Malformed)
        );
        // Valid Base64 of the wrong length.
        assert_eq!(
            verify(SECRET, BODY, Some(b"aGVsbG8=")),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn other_secret_or_body_is_a_mismatch() {
        assert_eq!(
            verify(b"other_secret", BODY, Some(VECTOR.as_bytes())),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, br#"{"hello":"World"}"#, Some(VECTOR.as_bytes())),
            Err(SignatureError::Mismatch)
        );
    }

    proptest! {
        #[test]
        fn a_body_changed_by_one_byte_is_refused(
            body in proptest::collection::vec(any::<u8>(), 1..512),
            index in any::<proptest::sample::Index>(),
            delta in 1u8..=255,
        ) {
            let signature = sign(SECRET, &body);
            prop_assert_eq!(verify(SECRET, &body, Some(signature.as_bytes())), Ok(()));
            let mut changed = body.clone();
            let i = index.index(changed.len());
            changed[i] = changed[i].wrapping_add(delta);
            prop_assert_eq!(
                verify(SECRET, &changed, Some(signature.as_bytes())),
                Err(SignatureError::Mismatch)
            );
        }

        #[test]
        fn arbitrary_headers_never_panic_and_never_pass(
            body in proptest::collection::vec(any::<u8>(), 0..256),
            header in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let genuine = sign(SECRET, &body);
            let result = verify(SECRET, &body, Some(&header));
            if header.trim_ascii() != genuine.as_bytes() {
                prop_assert!(result.is_err());
            }
        }
    }
}
