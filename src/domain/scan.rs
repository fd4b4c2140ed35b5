//! The scan of a printed QR code: what the token in `/q/{token}` may look like, what the scan
//! leads to (a journey on route A or B, or a page saying why not), where route A sends the
//! phone, and the words a poster prints for the route in force.

use url::Url;

use crate::domain::route::Route;

/// How long a journey started by a scan stays usable (DESIGN: about 72 hours).
pub const JOURNEY_VALIDITY_HOURS: i64 = 72;

/// A QR token as it appears in a URL: 16–64 URL-safe base64 characters (new tokens are 22, i.e.
/// 128 random bits). Anything else is not looked up at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrToken(String);

impl QrToken {
    pub fn parse(text: &str) -> Option<Self> {
        let ok = (16..=64).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What is known about a scanned token when the scan is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    Unknown,
    Revoked,
    Live { store_active: bool },
}

/// What a scan leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanOutcome {
    /// No such code: 404.
    Unknown,
    /// HQ revoked or replaced this code: 410, "ask the staff".
    Revoked,
    /// The shop is not activated yet: a friendly page (200), no journey.
    NotOpen,
    /// The store is deactivated: a friendly page (200), no journey.
    StoreClosed,
    /// Record the scan and start a journey on this route.
    Start(Route),
}

/// Decides a scan from the token, whether the shop is activated, and the route the settings give
/// right now (so posters never need reprinting when the settings change).
pub fn decide(token: TokenState, activated: bool, route: Route) -> ScanOutcome {
    match token {
        TokenState::Unknown => ScanOutcome::Unknown,
        TokenState::Revoked => ScanOutcome::Revoked,
        TokenState::Live { .. } if !activated => ScanOutcome::NotOpen,
        TokenState::Live {
            store_active: false,
        } => ScanOutcome::StoreClosed,
        TokenState::Live { store_active: true } => ScanOutcome::Start(route),
    }
}

/// Route A's address for a journey: the LIFF app, with the journey as `ref`
/// (`https://liff.line.me/{LIFF_ID}?ref={journey}`).
pub fn liff_url(base: &Url, liff_id: &str, journey_id: &str) -> String {
    let mut url = base.clone();
    {
        let mut segments = url
            .path_segments_mut()
            .expect("LIFF_URL_BASE is an http(s) URL");
        segments.pop_if_empty().push(liff_id);
    }
    url.query_pairs_mut().append_pair("ref", journey_id);
    url.into()
}

/// Route B's address for a journey: the landing page on this server.
pub fn landing_path(journey_id: &str) -> String {
    format!("/j/{journey_id}")
}

/// The short instructions a poster prints, matching the route a scan takes now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PosterCopy {
    pub headline_zh: &'static str,
    pub instructions_zh: &'static str,
    pub instructions_en: &'static str,
}

impl PosterCopy {
    pub fn for_route(route: Route) -> Self {
        match route {
            Route::Liff => Self {
                headline_zh: "掃描加入會員",
                instructions_zh: "用 LINE 掃描，一步完成加入好友與會員綁定",
                instructions_en: "Scan with LINE: become our friend and a member in one step",
            },
            Route::Phone => Self {
                headline_zh: "掃描加入會員",
                instructions_zh: "加入好友後驗證手機即可完成綁定",
                instructions_en: "Add us as a friend, then verify your phone to finish",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_url_safe_words_of_sane_length() {
        assert!(QrToken::parse("AbCdEfGhIjKlMnOpQrStUv").is_some());
        assert!(QrToken::parse("abc-_0123456789xyz").is_some());
        assert!(QrToken::parse("short").is_none());
        assert!(QrToken::parse(&"a".repeat(65)).is_none());
        assert!(QrToken::parse("AbCdEfGhIjKlMnOpQr/tUv").is_none());
        assert!(QrToken::parse("AbCdEfGhIjKlMnOpQr.png").is_none());
        assert!(QrToken::parse("<script>alert(1)</script>").is_none());
    }

    #[test]
    fn a_live_token_of_an_open_shop_starts_a_journey_on_the_current_route() {
        let live = TokenState::Live { store_active: true };
        assert_eq!(
            decide(live, true, Route::Liff),
            ScanOutcome::Start(Route::Liff)
        );
        assert_eq!(
            decide(live, true, Route::Phone),
            ScanOutcome::Start(Route::Phone)
        );
    }

    #[test]
    fn unknown_and_revoked_tokens_win_over_everything_else() {
        for activated in [true, false] {
            assert_eq!(
                decide(TokenState::Unknown, activated, Route::Liff),
                ScanOutcome::Unknown
            );
            assert_eq!(
                decide(TokenState::Revoked, activated, Route::Liff),
                ScanOutcome::Revoked
            );
        }
    }

    #[test]
    fn a_closed_shop_or_store_starts_nothing() {
        let closed = TokenState::Live {
            store_active: false,
        };
        let open = TokenState::Live { store_active: true };
        assert_eq!(decide(open, false, Route::Phone), ScanOutcome::NotOpen);
        assert_eq!(decide(closed, false, Route::Phone), ScanOutcome::NotOpen);
        assert_eq!(decide(closed, true, Route::Phone), ScanOutcome::StoreClosed);
    }

    #[test]
    fn route_a_goes_to_the_liff_app_with_the_journey_as_ref() {
        let base = Url::parse("https://liff.line.me").unwrap();
        assert_eq!(
            liff_url(&base, "1234567890-AbCdEfGh", "j0urney_ID-1"),
            "https://liff.line.me/1234567890-AbCdEfGh?ref=j0urney_ID-1"
        );
        let emulator = Url::parse("http://127.0.0.1:8080/demo/liff/").unwrap();
        assert_eq!(
            liff_url(&emulator, "demo-liff", "abc"),
            "http://127.0.0.1:8080/demo/liff/demo-liff?ref=abc"
        );
    }

    #[test]
    fn posters_say_what_the_current_route_asks_of_the_shopper() {
        assert_eq!(
            PosterCopy::for_route(Route::Liff).instructions_zh,
            "用 LINE 掃描，一步完成加入好友與會員綁定"
        );
        assert_eq!(
            PosterCopy::for_route(Route::Phone).instructions_zh,
            "加入好友後驗證手機即可完成綁定"
        );
    }
}
