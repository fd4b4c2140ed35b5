//! Route A: the LIFF one-pass binding. The LIFF page sends LINE's ID token (and the user's access
//! token); LINE vouches for the user, the friendship is checked, and the binding service does the
//! rest in one transaction. Nothing the client says about the user is believed.

use chrono::Utc;
use sea_orm::{DatabaseConnection, EntityTrait};

use crate::db::entities::enums::Route;
use crate::db::entities::{journeys, store_groups, stores};
use crate::domain::id_token::unverified_nonce;
use crate::domain::names::binding_display_name;
use crate::line::LineApiError;
use crate::services::binding::{self, BindError, BindResult, Identity};
use crate::startup::AppState;

/// What a binding page shows before the shopper agrees: where they are about to bind.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JourneySummary {
    pub journey_id: String,
    pub store_name: String,
    pub group_name: Option<String>,
    /// "北區｜台北信義店"
    pub binding_name: String,
    pub route: Route,
    pub completed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum JourneyLookupError {
    #[error("no such journey")]
    NotFound,
    #[error("the journey has expired")]
    Expired,
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

/// The journey as a binding page shows it; unknown and expired journeys are errors.
pub async fn journey_summary(
    db: &DatabaseConnection,
    journey_id: &str,
) -> Result<JourneySummary, JourneyLookupError> {
    let journey = journeys::Entity::find_by_id(journey_id.to_owned())
        .one(db)
        .await?
        .ok_or(JourneyLookupError::NotFound)?;
    if journey.expires_at <= Utc::now() {
        return Err(JourneyLookupError::Expired);
    }
    let (store, group) = stores::Entity::find_by_id(journey.store_id)
        .find_also_related(store_groups::Entity)
        .one(db)
        .await?
        .ok_or(JourneyLookupError::NotFound)?;
    let group_name = group.map(|g| g.name);
    Ok(JourneySummary {
        binding_name: binding_display_name(group_name.as_deref(), &store.name),
        journey_id: journey.id,
        store_name: store.name,
        group_name,
        route: journey.route,
        completed: journey.completed_at.is_some(),
    })
}

pub struct LiffBindRequest {
    pub journey_id: String,
    pub id_token: String,
    pub access_token: Option<String>,
    pub consent: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum LiffBindError {
    #[error("the shopper did not agree to the personal-data notice")]
    ConsentMissing,
    #[error(transparent)]
    Journey(#[from] JourneyLookupError),
    /// LINE refused the ID token (expired, wrong audience, wrong nonce, forged).
    #[error("LINE refused the ID token: {0}")]
    InvalidToken(String),
    /// The user has not added the OA as a friend (or blocked it).
    #[error("the user is not a friend of the OA")]
    NotFriend { add_friend_url: Option<String> },
    /// LINE did not answer: nothing was written; the shopper can retry.
    #[error("LINE is unreachable: {0}")]
    LineUnavailable(LineApiError),
    #[error(transparent)]
    Bind(#[from] BindError),
}

/// Verifies the shopper with LINE, checks the friendship, then registers and binds.
pub async fn bind(state: &AppState, request: LiffBindRequest) -> Result<BindResult, LiffBindError> {
    if !request.consent {
        return Err(LiffBindError::ConsentMissing);
    }
    // Look before calling LINE: an expired journey needs no LINE round trip.
    let journey = journeys::Entity::find_by_id(request.journey_id.clone())
        .one(&state.db)
        .await
        .map_err(JourneyLookupError::from)?
        .ok_or(JourneyLookupError::NotFound)?;
    if journey.expires_at <= Utc::now() {
        return Err(JourneyLookupError::Expired.into());
    }

    // A token that carries a nonce must carry this journey's (see domain::id_token).
    let nonce = unverified_nonce(&request.id_token).map(|_| journey.nonce.clone());
    let claims = state
        .line
        .verify_id_token(&request.id_token, nonce.as_deref())
        .await
        .map_err(line_error)?;

    if let Some(access_token) = request.access_token.as_deref().filter(|t| !t.is_empty())
        && !state
            .line
            .friendship_status(access_token)
            .await
            .map_err(line_error)?
    {
        return Err(LiffBindError::NotFriend {
            add_friend_url: add_friend_url(state),
        });
    }

    let result = binding::bind(
        &state.db,
        &journey.id,
        Identity::Line {
            user_id: claims.sub,
            display_name: claims.name,
        },
    )
    .await?;
    Ok(result)
}

/// The OA's add-friend link, when the basic id is configured.
pub fn add_friend_url(state: &AppState) -> Option<String> {
    state
        .settings
        .line
        .oa_basic_id
        .as_deref()
        .map(|id| format!("https://line.me/R/ti/p/{}", id.replace('@', "%40")))
}

fn line_error(err: LineApiError) -> LiffBindError {
    match err {
        err if err.is_retryable() => LiffBindError::LineUnavailable(err),
        LineApiError::Api { message, .. } => LiffBindError::InvalidToken(message),
        other => LiffBindError::LineUnavailable(other),
    }
}
