//! The shopper's member card (`/me`): who the member is, a short-lived code for the clerk (see
//! `domain::member_card`), the bound store and clerk, and the member's own valid purchases.
//!
//! The card opens only with a signed [`MemberCardLink`]: the OA chat sends one to the member's
//! LINE account (the member types 會員卡 or taps a postback), route B's result page carries one,
//! and the LIFF page (`/me` in LINE) gets one after LINE vouched for the user the same way the
//! binding does. The link names a member id, so an erased member's link opens nothing.
//!
//! Nothing here writes: a card is read, a code is computed.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::db::entities::enums::{OrderKind, OrderStatus, SalesChannel};
use crate::db::entities::{bindings, members, orders};
use crate::domain::amount::ntd;
use crate::domain::line_user::LineUserId;
use crate::domain::member_card::{self, IssuedCode};
use crate::domain::signed_link::{self, LinkError, MemberCardLink};
use crate::domain::taipei_time;
use crate::line::{LineApiError, OutgoingMessage};
use crate::services::Context;
use crate::services::binding::liff::{LineLoginError, verify_line_login};
use crate::services::members::{Directory, member_label};

/// How long a card link works. A link in the chat older than this asks for a new one (type
/// 會員卡 again); a forwarded link stops showing the member's purchases after a day.
pub const LINK_VALIDITY: Duration = Duration::hours(24);
/// Purchases the card lists, newest first.
const PURCHASES_SHOWN: u64 = 50;
/// The postback data a rich-menu button sends to ask for the card.
pub const CARD_POSTBACK: &str = "action=member_card";

#[derive(Debug, thiserror::Error)]
pub enum MemberCardError {
    #[error("the card link has expired")]
    LinkExpired,
    #[error("the card link is not valid")]
    LinkInvalid,
    /// The link's member was erased or merged away.
    #[error("the card's member does not exist")]
    MemberGone,
    /// LINE vouched for the user, who is not a member (yet).
    #[error("the LINE user is not a member")]
    NotAMember,
    #[error("the LIFF page sent no access token")]
    AccessTokenMissing,
    #[error("too many card opens; retry after {retry_after:?}")]
    TooManyTries { retry_after: StdDuration },
    /// LINE refused the ID token or the access token, or they are two users'.
    #[error("LINE refused the login: {0}")]
    InvalidToken(String),
    #[error("LINE is unreachable: {0}")]
    LineUnavailable(LineApiError),
    #[error(transparent)]
    Database(#[from] DbErr),
}

impl From<LinkError> for MemberCardError {
    fn from(err: LinkError) -> Self {
        match err {
            LinkError::Expired => MemberCardError::LinkExpired,
            LinkError::Invalid => MemberCardError::LinkInvalid,
        }
    }
}

/// What the card page shows.
#[derive(Debug, Clone)]
pub struct MemberCard {
    /// The name as the member gave it.
    pub name: String,
    pub code: CardCode,
    /// "北區｜台北信義店", `None` when not bound.
    pub bound_store: Option<String>,
    pub bound_clerk: Option<String>,
    /// Valid purchases, newest first.
    pub purchases: Vec<CardPurchase>,
}

/// A fresh code and the QR code that carries it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CardCode {
    /// `1024-83920174`: the digits under the QR code.
    pub code: String,
    /// Seconds since the Unix epoch.
    pub expires_at: i64,
    pub expires_in_secs: i64,
    /// The QR code (an inline SVG) of `{PUBLIC_BASE_URL}/clerk/member?card={code}`.
    pub qr_svg: String,
}

/// One of the member's own purchases as the card lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardPurchase {
    /// `NT$1,200`.
    pub amount: String,
    /// 網路商店 or 門市消費.
    pub channel: &'static str,
    /// The store it was bought in (in-store purchases).
    pub store: Option<String>,
    /// Taiwan time, `2026-12-07 14:30`.
    pub ordered_at: String,
}

fn secret(ctx: &Context) -> &[u8] {
    ctx.settings.secret_key.expose().as_bytes()
}

/// A signed link to the member's card.
pub fn link_for(ctx: &Context, member_id: i32) -> String {
    signed_link::sign(
        secret(ctx),
        &MemberCardLink {
            member_id,
            expires_at: (Utc::now() + LINK_VALIDITY).timestamp(),
        },
    )
}

/// The card's address for the member: `{PUBLIC_BASE_URL}/me/{link}`.
pub fn card_url(ctx: &Context, member_id: i32) -> String {
    ctx.settings
        .public_url(&format!("/me/{}", link_for(ctx, member_id)))
}

/// The card a link opens.
pub async fn open(ctx: &Context, link: &str) -> Result<MemberCard, MemberCardError> {
    let member = linked_member(ctx, link).await?;
    let binding = bindings::Entity::find()
        .filter(bindings::Column::MemberId.eq(member.id))
        .one(&ctx.db)
        .await?;
    let directory = Directory::load(&ctx.db).await?;
    let purchases = purchases(&ctx.db, &directory, member.id).await?;
    Ok(MemberCard {
        name: member_label(false, member.display_name.as_deref()),
        code: fresh_code_for(ctx, member.id),
        bound_store: binding.as_ref().map(|b| directory.store_label(b.store_id)),
        bound_clerk: binding
            .and_then(|b| b.clerk_id)
            .and_then(|id| directory.clerk(id)),
        purchases,
    })
}

/// A fresh code for the card a link opens (the page asks before the shown one runs out).
pub async fn fresh_code(ctx: &Context, link: &str) -> Result<CardCode, MemberCardError> {
    let member = linked_member(ctx, link).await?;
    Ok(fresh_code_for(ctx, member.id))
}

fn fresh_code_for(ctx: &Context, member_id: i32) -> CardCode {
    let now = Utc::now().timestamp();
    let IssuedCode { text, expires_at } = member_card::issue(secret(ctx), member_id, now);
    let url = ctx
        .settings
        .public_url(&format!("/clerk/member?card={text}"));
    CardCode {
        // A URL of a few dozen characters always fits a QR code; an empty image is the fallback
        // the digits under it cover.
        qr_svg: crate::qr::svg(&url).unwrap_or_default(),
        code: text,
        expires_at,
        expires_in_secs: (expires_at - now).max(0),
    }
}

async fn linked_member(ctx: &Context, link: &str) -> Result<members::Model, MemberCardError> {
    let link: MemberCardLink =
        signed_link::verify(secret(ctx), link.trim(), Utc::now().timestamp())?;
    members::Entity::find_by_id(link.member_id)
        .filter(members::Column::ErasedAt.is_null())
        .one(&ctx.db)
        .await?
        .ok_or(MemberCardError::MemberGone)
}

/// The member's paid sales, neither voided nor refunded, newest first.
async fn purchases(
    db: &DatabaseConnection,
    directory: &Directory,
    member_id: i32,
) -> Result<Vec<CardPurchase>, DbErr> {
    let rows = orders::Entity::find()
        .filter(orders::Column::MemberId.eq(member_id))
        .filter(orders::Column::Kind.eq(OrderKind::Sale))
        .filter(orders::Column::Status.eq(OrderStatus::Paid))
        .filter(orders::Column::VoidedAt.is_null())
        .order_by_desc(orders::Column::OrderedAt)
        .order_by_desc(orders::Column::Id)
        .limit(PURCHASES_SHOWN)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|order| CardPurchase {
            amount: ntd(order.amount),
            channel: match order.channel {
                SalesChannel::Online => "網路商店",
                SalesChannel::InStore => "門市消費",
            },
            store: order.entry_store_id.map(|id| directory.store_label(id)),
            ordered_at: taipei_time::format_minutes(order.ordered_at),
        })
        .collect())
}

/// What the LIFF page sends: LINE's ID token and the user's access token.
pub struct LiffCardRequest {
    pub id_token: String,
    pub access_token: Option<String>,
    pub client_ip: String,
}

/// Opens the card of the LINE user the LIFF page is logged in as: LINE vouches for the ID token
/// and the access token and that both are the same user's (as for the binding), nothing the page
/// says about the user is believed. Returns the card link.
pub async fn open_with_line(
    ctx: &Context,
    request: LiffCardRequest,
) -> Result<String, MemberCardError> {
    let access_token = request
        .access_token
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .ok_or(MemberCardError::AccessTokenMissing)?;
    let address = request
        .client_ip
        .parse()
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    // Each open costs three LINE Login calls, like a bind: the same budget per address.
    ctx.liff_bind_limiter
        .check_address(address, Instant::now())
        .map_err(|retry_after| MemberCardError::TooManyTries { retry_after })?;
    let (claims, _) = verify_line_login(ctx, &request.id_token, None, access_token).await?;
    let member = member_of_line_user(&ctx.db, &LineUserId::from_line(claims.sub))
        .await?
        .ok_or(MemberCardError::NotAMember)?;
    Ok(link_for(ctx, member.id))
}

async fn member_of_line_user(
    db: &DatabaseConnection,
    line_user_id: &LineUserId,
) -> Result<Option<members::Model>, DbErr> {
    members::Entity::find()
        .filter(members::Column::LineUserId.eq(line_user_id.clone()))
        .filter(members::Column::ErasedAt.is_null())
        .one(db)
        .await
}

impl From<LineLoginError> for MemberCardError {
    fn from(err: LineLoginError) -> Self {
        match err {
            LineLoginError::Unavailable(err) => MemberCardError::LineUnavailable(err),
            LineLoginError::Invalid(message) => MemberCardError::InvalidToken(message),
        }
    }
}

/// The OA chat's answer when a LINE user asks for the card (會員卡, or the card postback): a
/// button to the member's card, or how to join for someone who is not a member.
pub async fn chat_answer(
    ctx: &Context,
    line_user_id: &LineUserId,
) -> Result<Vec<OutgoingMessage>, DbErr> {
    Ok(match member_of_line_user(&ctx.db, line_user_id).await? {
        Some(member) => vec![card_button(ctx, member.id)],
        None => vec![OutgoingMessage::text(
            "您還不是會員：請在門市掃描店員出示的 QR Code，加入會員並綁定門市後，即可在這裡開啟會員卡。",
        )],
    })
}

/// The chat button that opens the member's card.
pub fn card_button(ctx: &Context, member_id: i32) -> OutgoingMessage {
    OutgoingMessage::link_button(
        "您的會員卡：結帳時請出示 QR Code 給店員掃描（連結 24 小時內有效）。",
        "開啟會員卡",
        card_url(ctx, member_id),
    )
}
