//! HMAC-SHA256 signatures on raw request bodies: LINE's and the web shops' webhooks are all this
//! one rule, with the digest in Base64 (LINE, Shopify, WooCommerce) or hex (the generic order
//! webhook). Checked on the raw bytes before anything is parsed; the comparison is constant time
//! (`Mac::verify_slice`), so the response time tells an attacker nothing about a guess.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// A SHA-256 HMAC is 32 bytes.
const DIGEST_LEN: usize = 32;

/// Why a signature was refused. Never carries the message or the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HmacError {
    #[error("the signature is missing")]
    Missing,
    #[error("the signature is not an encoded SHA-256 HMAC")]
    Malformed,
    #[error("the signature does not match")]
    Mismatch,
}

fn mac(secret: &[u8], parts: &[&[u8]]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac
}

fn present(header: Option<&[u8]>) -> Result<&[u8], HmacError> {
    let header = header.ok_or(HmacError::Missing)?.trim_ascii();
    if header.is_empty() {
        Err(HmacError::Missing)
    } else {
        Ok(header)
    }
}

/// Checks a Base64 digest of `message` (the header value, if any).
pub fn verify_base64(
    secret: &[u8],
    message: &[u8],
    header: Option<&[u8]>,
) -> Result<(), HmacError> {
    let expected = STANDARD
        .decode(present(header)?)
        .map_err(|_| HmacError::Malformed)?;
    if expected.len() != DIGEST_LEN {
        return Err(HmacError::Malformed);
    }
    mac(secret, &[message])
        .verify_slice(&expected)
        .map_err(|_| HmacError::Mismatch)
}

/// The Base64 digest of `message`.
pub fn sign_base64(secret: &[u8], message: &[u8]) -> String {
    STANDARD.encode(mac(secret, &[message]).finalize().into_bytes())
}

/// Checks a hex digest (either case) of the concatenated `parts`.
pub fn verify_hex(secret: &[u8], parts: &[&[u8]], header: Option<&[u8]>) -> Result<(), HmacError> {
    let expected = decode_hex(present(header)?).ok_or(HmacError::Malformed)?;
    if expected.len() != DIGEST_LEN {
        return Err(HmacError::Malformed);
    }
    mac(secret, parts)
        .verify_slice(&expected)
        .map_err(|_| HmacError::Mismatch)
}

/// The lower-case hex digest of the concatenated `parts`.
pub fn sign_hex(secret: &[u8], parts: &[&[u8]]) -> String {
    mac(secret, parts)
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_hex(text: &[u8]) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.chunks(2)
        .map(|pair| {
            let digits = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(digits, 16).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_design_test_vector_in_base64() {
        let vector = "t7Hn4ZDHqs6e+wdvI5TyQIvzie0DmMUmuXEBqyyE/tM=";
        assert_eq!(sign_base64(b"test_secret", br#"{"hello":"world"}"#), vector);
        assert_eq!(
            verify_base64(
                b"test_secret",
                br#"{"hello":"world"}"#,
                Some(vector.as_bytes())
            ),
            Ok(())
        );
    }

    #[test]
    fn hex_digests_cover_the_parts_in_order() {
        let signature = sign_hex(b"k", &[b"1700000000", b".", b"{}"]);
        assert_eq!(signature.len(), 64);
        assert_eq!(sign_hex(b"k", &[b"1700000000.{}"]), signature);
        assert_eq!(
            verify_hex(
                b"k",
                &[b"1700000000.{}"],
                Some(signature.to_uppercase().as_bytes())
            ),
            Ok(())
        );
        assert_eq!(
            verify_hex(b"k", &[b"1700000001.{}"], Some(signature.as_bytes())),
            Err(HmacError::Mismatch)
        );
        assert_eq!(
            verify_hex(b"k", &[b"x"], Some(b"zz")),
            Err(HmacError::Malformed)
        );
        assert_eq!(
            verify_hex(b"k", &[b"x"], Some(b"  ")),
            Err(HmacError::Missing)
        );
        assert_eq!(verify_base64(b"k", b"x", None), Err(HmacError::Missing));
    }

    proptest! {
        #[test]
        fn arbitrary_headers_never_pass(
            message in proptest::collection::vec(any::<u8>(), 0..128),
            header in proptest::collection::vec(any::<u8>(), 0..80),
        ) {
            if header.trim_ascii() != sign_hex(b"k", &[&message]).as_bytes() {
                prop_assert!(verify_hex(b"k", &[&message], Some(&header)).is_err());
            }
            if header.trim_ascii() != sign_base64(b"k", &message).as_bytes() {
                prop_assert!(verify_base64(b"k", &message, Some(&header)).is_err());
            }
        }
    }
}
