//! Short-lived signed links: the button the OA chat sends after the shopper sends their binding
//! code carries a token that ties the LINE user id (known only from the signed webhook) to the
//! journey. Anyone can read the payload; nobody without `SECRET_KEY` can make or change one.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneLink {
    /// The journey (store and clerk) the shopper scanned.
    #[serde(rename = "j")]
    pub journey_id: String,
    /// The LINE user id from the signed webhook message event.
    #[serde(rename = "u")]
    pub line_user_id: String,
    /// Expiry, seconds since the Unix epoch.
    #[serde(rename = "e")]
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link is malformed or was altered")]
    Invalid,
    #[error("the link has expired")]
    Expired,
}

fn mac(secret: &[u8], payload: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(b"phone-link:");
    mac.update(payload.as_bytes());
    mac
}

pub fn sign(secret: &[u8], link: &PhoneLink) -> String {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(link).expect("serialises"));
    let tag = URL_SAFE_NO_PAD.encode(mac(secret, &payload).finalize().into_bytes());
    format!("{payload}.{tag}")
}

/// Checks the signature (constant time) before reading anything, then the expiry.
pub fn verify(secret: &[u8], token: &str, now_unix: i64) -> Result<PhoneLink, LinkError> {
    let (payload, tag) = token.split_once('.').ok_or(LinkError::Invalid)?;
    let tag = URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| LinkError::Invalid)?;
    mac(secret, payload)
        .verify_slice(&tag)
        .map_err(|_| LinkError::Invalid)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| LinkError::Invalid)?;
    let link: PhoneLink = serde_json::from_slice(&bytes).map_err(|_| LinkError::Invalid)?;
    if link.expires_at <= now_unix {
        return Err(LinkError::Expired);
    }
    Ok(link)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a-secret-key-for-tests-0123456789";

    fn link() -> PhoneLink {
        PhoneLink {
            journey_id: "j1".into(),
            line_user_id: "U1".into(),
            expires_at: 1_000,
        }
    }

    #[test]
    fn a_signed_link_verifies_until_it_expires() {
        let token = sign(SECRET, &link());
        assert_eq!(verify(SECRET, &token, 999), Ok(link()));
        assert_eq!(verify(SECRET, &token, 1_000), Err(LinkError::Expired));
    }

    #[test]
    fn altered_or_foreign_links_are_invalid() {
        let token = sign(SECRET, &link());
        assert_eq!(
            verify(b"another-secret", &token, 0),
            Err(LinkError::Invalid)
        );
        let mut forged = link();
        forged.line_user_id = "U-attacker".into();
        let forged_payload = sign(b"x", &forged);
        let (payload, _) = forged_payload.split_once('.').unwrap();
        let (_, tag) = token.split_once('.').unwrap();
        assert_eq!(
            verify(SECRET, &format!("{payload}.{tag}"), 0),
            Err(LinkError::Invalid)
        );
        assert_eq!(verify(SECRET, "garbage", 0), Err(LinkError::Invalid));
        assert_eq!(verify(SECRET, "", 0), Err(LinkError::Invalid));
    }
}
