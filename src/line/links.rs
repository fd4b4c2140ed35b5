//! Links into the LINE app (LINE URL scheme): the one place they are built. Their base is
//! `LINE_APP_BASE_URL` (`https://line.me`), so demo mode points them at the emulator's chat.

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use crate::config::Settings;

/// Opens the OA's profile with its add-friend button: `https://line.me/R/ti/p/%40{id}`.
pub fn add_friend_url(settings: &Settings) -> Option<String> {
    let basic_id = settings.line.oa_basic_id.as_deref()?;
    Some(format!(
        "{}/R/ti/p/{}",
        base(settings),
        utf8_percent_encode(basic_id, NON_ALPHANUMERIC)
    ))
}

/// Opens the chat with the OA with `text` typed in, ready to send:
/// `https://line.me/R/oaMessage/{basicId}/?{text}`.
pub fn oa_message_url(settings: &Settings, text: &str) -> Option<String> {
    let basic_id = settings.line.oa_basic_id.as_deref()?;
    Some(format!(
        "{}/R/oaMessage/{basic_id}/?{}",
        base(settings),
        utf8_percent_encode(text, NON_ALPHANUMERIC)
    ))
}

fn base(settings: &Settings) -> &str {
    settings.line.app_base_url.as_str().trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings() -> Settings {
        let vars: HashMap<String, String> =
            [("LINE_OA_BASIC_ID".to_owned(), "@123abcde".to_owned())].into();
        Settings::from_vars(&vars, false).unwrap()
    }

    #[test]
    fn links_follow_the_line_url_scheme() {
        let s = settings();
        assert_eq!(
            add_friend_url(&s).unwrap(),
            "https://line.me/R/ti/p/%40123abcde"
        );
        assert_eq!(
            oa_message_url(&s, "綁定碼 K7P3QX").unwrap(),
            "https://line.me/R/oaMessage/@123abcde/?%E7%B6%81%E5%AE%9A%E7%A2%BC%20K7P3QX"
        );
    }

    #[test]
    fn links_follow_their_configured_base() {
        let mut s = settings();
        s.line.app_base_url = url::Url::parse("http://127.0.0.1:8080/emulator/line").unwrap();
        assert_eq!(
            add_friend_url(&s).unwrap(),
            "http://127.0.0.1:8080/emulator/line/R/ti/p/%40123abcde"
        );
        assert!(
            oa_message_url(&s, "x")
                .unwrap()
                .starts_with("http://127.0.0.1:8080/emulator/line/R/oaMessage/@123abcde/?")
        );
    }
}
