//! The shopper's pages: the scan of a poster (`/q`, `/qr`), route A's LIFF page (`/liff`,
//! `/api/liff/...`), route B's pages by phone (`/j/{journey}`, `/p/{link}`), named after
//! `domain::route::Route`, and the member card (`/me`, `/me/{link}`).

mod liff;
mod me;
mod phone;
mod scan;

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use crate::domain::journey::JourneyId;
use crate::http::error::{AppError, journey_not_found};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(scan::routes)
        .configure(liff::routes)
        .configure(phone::routes)
        .configure(me::routes);
}

/// The `{journey}` of a shopper page's path. A malformed id is answered like an unknown one
/// (404, scan again), without asking the database.
impl FromRequest for JourneyId {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let text = req.match_info().get("journey").unwrap_or_default();
        ready(JourneyId::parse(text).map_err(|_| journey_not_found()))
    }
}

/// A journey id sent in a body (the LIFF page's requests), checked like the path's.
pub(crate) fn journey_in_body(text: &str) -> Result<JourneyId, AppError> {
    JourneyId::parse(text).map_err(|_| journey_not_found())
}
