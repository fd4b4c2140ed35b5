//! The one-time binding code a route-B shopper sends to the OA in the prefilled chat message.
//!
//! An add-friend link cannot carry a parameter into the follow event, so the store context crosses
//! the hop through LINE as text: `綁定碼 K7P3QX`. The shopper may edit the message, so the code is
//! found anywhere in it, in either case.

/// The message the landing page prefills in the OA chat.
pub fn prefilled_message(code: &str) -> String {
    format!("綁定碼 {code}")
}

/// The words of a chat message that could be a binding code (6–8 letters and digits), upper-cased,
/// at most three; the caller looks them up, so ordinary words simply match no journey.
pub fn candidates(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| (6..=8).contains(&word.len()))
        .map(str::to_ascii_uppercase)
        .take(3)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefilled_message_yields_its_code() {
        assert_eq!(candidates(&prefilled_message("K7P3QX")), vec!["K7P3QX"]);
        assert_eq!(candidates(&prefilled_message("KPQXYZ")), vec!["KPQXYZ"]);
    }

    #[test]
    fn codes_are_found_in_edited_messages() {
        assert_eq!(candidates("k7p3qx"), vec!["K7P3QX"]);
        assert_eq!(
            candidates("你好，我的綁定碼是：k7p3qx 謝謝"),
            vec!["K7P3QX"]
        );
    }

    #[test]
    fn chat_without_code_shaped_words_has_no_candidates() {
        assert!(candidates("你好").is_empty());
        assert!(candidates("hi there").is_empty());
        assert!(candidates("").is_empty());
        assert_eq!(
            candidates("a b c d e f g h i j k l m aaaaaa bbbbbb cccccc dddddd").len(),
            3
        );
    }
}
