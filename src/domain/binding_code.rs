//! The one-time binding code a route-B shopper sends to the OA in the prefilled chat message.
//!
//! An add-friend link cannot carry a parameter into the follow event, so the store context crosses
//! the hop through LINE as text: `綁定碼 K7P3QX`. The shopper may edit the message, so the code is
//! found anywhere in it, in either case.

use rand::Rng;
use rand::rngs::OsRng;

/// Letters and digits a person cannot mix up when reading the code aloud or typing it
/// (no 0/O, 1/I/L).
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// Length of a new code: 31^8 ≈ 8.5e11 codes, so guessing one of the live journeys' codes is
/// hopeless, and still short enough to type.
pub const LENGTH: usize = 8;

/// A fresh random code for a route-B journey (unique among journeys by a database index; the
/// caller draws again on the rare clash).
pub fn generate() -> String {
    let mut rng = OsRng;
    (0..LENGTH)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

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
    fn generated_codes_are_found_in_their_message_and_vary() {
        let code = generate();
        assert_eq!(code.len(), LENGTH);
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)));
        assert_eq!(candidates(&prefilled_message(&code)), vec![code.clone()]);
        assert_ne!(generate(), code);
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
