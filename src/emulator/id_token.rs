//! The ID tokens the emulator issues: JWTs signed with HMAC-SHA256 under a key only the emulator
//! knows (`demo_settings.emulator_key`), so only its verify endpoint can vouch for them — as only
//! LINE can vouch for LINE's. Pure: no clock of its own, no I/O.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

pub const ISSUER: &str = "https://access.line.me";

/// The claims LINE puts in a LIFF / LINE Login ID token (the subset the emulator issues).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    pub amr: Vec<String>,
    pub name: String,
}

/// Why LINE's verify endpoint refuses a token; the texts are LINE's `error_description`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Malformed,
    Signature,
    Audience,
    Expired,
    Nonce,
}

impl Refusal {
    pub fn description(self) -> &'static str {
        match self {
            Refusal::Malformed => "Invalid IdToken.",
            Refusal::Signature => "Invalid IdToken Signature.",
            Refusal::Audience => "Invalid IdToken Audience.",
            Refusal::Expired => "IdToken expired.",
            Refusal::Nonce => "Invalid IdToken Nonce.",
        }
    }
}

fn mac(key: &[u8]) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length")
}

pub fn issue(key: &[u8], claims: &Claims) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"HS256"}"#);
    let payload =
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialise to JSON"));
    let signing_input = format!("{header}.{payload}");
    let mut mac = mac(key);
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

/// Checks the token as LINE's `POST /oauth2/v2.1/verify` does: signature, audience (`client_id`),
/// expiry, and the nonce when one is asked for.
pub fn verify(
    key: &[u8],
    token: &str,
    client_id: &str,
    nonce: Option<&str>,
    now: i64,
) -> Result<Claims, Refusal> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refusal::Malformed);
    };
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| Refusal::Malformed)?;
    let mut mac = mac(key);
    mac.update(header.as_bytes());
    mac.update(b".");
    mac.update(payload.as_bytes());
    // Constant-time comparison.
    mac.verify_slice(&signature)
        .map_err(|_| Refusal::Signature)?;
    let claims: Claims = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(Refusal::Malformed)?;
    if claims.aud != client_id {
        return Err(Refusal::Audience);
    }
    if claims.exp <= now {
        return Err(Refusal::Expired);
    }
    if let Some(nonce) = nonce
        && claims.nonce.as_deref() != Some(nonce)
    {
        return Err(Refusal::Nonce);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(nonce: Option<&str>) -> Claims {
        Claims {
            iss: ISSUER.to_owned(),
            sub: "U1234".to_owned(),
            aud: "2000000001".to_owned(),
            exp: 2_000,
            iat: 1_000,
            nonce: nonce.map(str::to_owned),
            amr: vec!["linesso".to_owned()],
            name: "小明".to_owned(),
        }
    }

    #[test]
    fn an_issued_token_verifies_with_the_same_key_only() {
        let token = issue(b"key", &claims(None));
        assert_eq!(
            verify(b"key", &token, "2000000001", None, 1_500),
            Ok(claims(None))
        );
        assert_eq!(
            verify(b"other", &token, "2000000001", None, 1_500),
            Err(Refusal::Signature)
        );
    }

    #[test]
    fn audience_expiry_and_nonce_are_checked() {
        let token = issue(b"key", &claims(Some("n1")));
        assert_eq!(
            verify(b"key", &token, "999", None, 1_500),
            Err(Refusal::Audience)
        );
        assert_eq!(
            verify(b"key", &token, "2000000001", None, 2_000),
            Err(Refusal::Expired)
        );
        assert_eq!(
            verify(b"key", &token, "2000000001", Some("n2"), 1_500),
            Err(Refusal::Nonce)
        );
        assert!(verify(b"key", &token, "2000000001", Some("n1"), 1_500).is_ok());
    }

    #[test]
    fn altered_or_garbled_tokens_are_refused() {
        let token = issue(b"key", &claims(None));
        let (rest, _) = token.rsplit_once('.').unwrap();
        let forged_payload = URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(&Claims {
                sub: "Uattacker".into(),
                ..claims(None)
            })
            .unwrap(),
        );
        let header = rest.split('.').next().unwrap();
        let signature = token.rsplit('.').next().unwrap();
        let forged = format!("{header}.{forged_payload}.{signature}");
        assert_eq!(
            verify(b"key", &forged, "2000000001", None, 1_500),
            Err(Refusal::Signature)
        );
        assert_eq!(
            verify(b"key", "not-a-token", "2000000001", None, 1_500),
            Err(Refusal::Malformed)
        );
    }
}
