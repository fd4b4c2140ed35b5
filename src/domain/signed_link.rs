//! Short-lived signed tokens: the button the OA chat sends after the shopper sends their binding
//! code carries a [`PhoneLink`] that ties the LINE user id (known only from the signed webhook) to
//! the journey; the member card (`/me`) opens with a [`MemberCardLink`]; the clerk's purchase form
//! carries a [`MemberPick`] naming the member the clerk looked up. Anyone can read the payload;
//! nobody without `SECRET_KEY` can make or change one, and each kind is signed under its own
//! purpose, so one kind can never be passed off as another.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::domain::journey::JourneyId;
use crate::domain::line_user::LineUserId;

/// A payload that travels signed: its purpose (mixed into the signature) and its expiry.
pub trait Signed: Serialize + DeserializeOwned {
    /// Distinct per kind of token.
    const PURPOSE: &'static [u8];
    /// Seconds since the Unix epoch.
    fn expires_at(&self) -> i64;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneLink {
    /// The journey (store and clerk) the shopper scanned.
    #[serde(rename = "j")]
    pub journey_id: JourneyId,
    /// The LINE user id from the signed webhook message event.
    #[serde(rename = "u")]
    pub line_user_id: LineUserId,
    /// Expiry, seconds since the Unix epoch.
    #[serde(rename = "e")]
    pub expires_at: i64,
}

impl Signed for PhoneLink {
    const PURPOSE: &'static [u8] = b"phone-link:";
    fn expires_at(&self) -> i64 {
        self.expires_at
    }
}

/// Opens a member's card (`/me/{link}`): sent in the OA chat to the member's LINE account, or
/// minted after LINE vouched for the member on the LIFF page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberCardLink {
    #[serde(rename = "m")]
    pub member_id: i32,
    #[serde(rename = "e")]
    pub expires_at: i64,
}

impl Signed for MemberCardLink {
    const PURPOSE: &'static [u8] = b"member-card:";
    fn expires_at(&self) -> i64 {
        self.expires_at
    }
}

/// The member a clerk found (by whole phone number or by card), carried by the purchase form so
/// a purchase is recorded only for a member this clerk looked up, not for any member id typed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberPick {
    #[serde(rename = "m")]
    pub member_id: i32,
    /// The staff account that looked the member up.
    #[serde(rename = "s")]
    pub staff_id: i32,
    #[serde(rename = "e")]
    pub expires_at: i64,
}

impl Signed for MemberPick {
    const PURPOSE: &'static [u8] = b"clerk-member-pick:";
    fn expires_at(&self) -> i64 {
        self.expires_at
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link is malformed or was altered")]
    Invalid,
    #[error("the link has expired")]
    Expired,
}

fn mac(secret: &[u8], purpose: &[u8], payload: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(purpose);
    mac.update(payload.as_bytes());
    mac
}

pub fn sign<T: Signed>(secret: &[u8], link: &T) -> String {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(link).expect("serialises"));
    let tag = URL_SAFE_NO_PAD.encode(mac(secret, T::PURPOSE, &payload).finalize().into_bytes());
    format!("{payload}.{tag}")
}

/// Checks the signature (constant time) before reading anything, then the expiry.
pub fn verify<T: Signed>(secret: &[u8], token: &str, now_unix: i64) -> Result<T, LinkError> {
    let (payload, tag) = token.split_once('.').ok_or(LinkError::Invalid)?;
    let tag = URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| LinkError::Invalid)?;
    mac(secret, T::PURPOSE, payload)
        .verify_slice(&tag)
        .map_err(|_| LinkError::Invalid)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| LinkError::Invalid)?;
    let link: T = serde_json::from_slice(&bytes).map_err(|_| LinkError::Invalid)?;
    if link.expires_at() <= now_unix {
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
            journey_id: JourneyId::parse("j1").unwrap(),
            line_user_id: LineUserId::from_line("U1"),
            expires_at: 1_000,
        }
    }

    #[test]
    fn a_signed_link_verifies_until_it_expires() {
        let token = sign(SECRET, &link());
        assert_eq!(verify(SECRET, &token, 999), Ok(link()));
        assert_eq!(
            verify::<PhoneLink>(SECRET, &token, 1_000),
            Err(LinkError::Expired)
        );
    }

    #[test]
    fn altered_or_foreign_links_are_invalid() {
        let token = sign(SECRET, &link());
        assert_eq!(
            verify::<PhoneLink>(b"another-secret", &token, 0),
            Err(LinkError::Invalid)
        );
        let mut forged = link();
        forged.line_user_id = LineUserId::from_line("U-attacker");
        let forged_payload = sign(b"x", &forged);
        let (payload, _) = forged_payload.split_once('.').unwrap();
        let (_, tag) = token.split_once('.').unwrap();
        assert_eq!(
            verify::<PhoneLink>(SECRET, &format!("{payload}.{tag}"), 0),
            Err(LinkError::Invalid)
        );
        assert_eq!(
            verify::<PhoneLink>(SECRET, "garbage", 0),
            Err(LinkError::Invalid)
        );
        assert_eq!(verify::<PhoneLink>(SECRET, "", 0), Err(LinkError::Invalid));
    }

    #[test]
    fn a_token_of_one_kind_is_not_accepted_as_another() {
        let card = sign(
            SECRET,
            &MemberCardLink {
                member_id: 7,
                expires_at: 1_000,
            },
        );
        assert_eq!(
            verify::<MemberCardLink>(SECRET, &card, 0).map(|l| l.member_id),
            Ok(7)
        );
        // Same JSON field names (`m`, `e`) would read as a pick; the purpose tells them apart.
        assert_eq!(
            verify::<MemberPick>(SECRET, &card, 0),
            Err(LinkError::Invalid)
        );
        assert_eq!(
            verify::<PhoneLink>(SECRET, &card, 0),
            Err(LinkError::Invalid)
        );
    }
}
