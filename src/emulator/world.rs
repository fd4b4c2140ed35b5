//! What the emulated LINE Platform remembers, in memory: the shoppers' LINE accounts (user id,
//! display name, friend of the OA or not, logged in to the LIFF app or not), each one's chat with
//! the OA, and the single-use tokens LINE hands out (reply tokens, user access tokens, push retry
//! keys). A restart forgets it, like a phone reinstalled; the channel's secrets are in the database.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

/// How long a reply token can be used (LINE: a short while after the event).
pub const REPLY_TOKEN_VALIDITY: Duration = Duration::minutes(10);
/// How long a user access token the LIFF SDK hands out is valid (LIFF: 12 hours).
pub const ACCESS_TOKEN_VALIDITY: Duration = Duration::hours(12);
/// Messages kept per chat.
const CHAT_CAPACITY: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineUser {
    pub user_id: String,
    pub display_name: String,
    pub friend: bool,
    /// Agreed to the LIFF app's consent screen (LINE Login).
    pub logged_in: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    User,
    Oa,
}

/// One message in a chat, as the chat screen shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessage {
    pub seq: u64,
    pub from: Sender,
    pub at: DateTime<Utc>,
    /// The Messaging API message object (for the OA's) or `{type: text, text}` (for the user's).
    pub body: Value,
}

/// A reply token or a user access token: whose, and since when.
struct IssuedToken {
    user_id: String,
    issued_at: DateTime<Utc>,
}

#[derive(Default)]
struct World {
    users: HashMap<String, LineUser>,
    chats: HashMap<String, Vec<ChatMessage>>,
    reply_tokens: HashMap<String, IssuedToken>,
    access_tokens: HashMap<String, IssuedToken>,
    retry_keys: HashSet<String>,
    next_seq: u64,
}

/// The shared world; cheap to clone.
#[derive(Clone, Default)]
pub struct Worlds(Arc<Mutex<World>>);

/// A reply token that cannot be used (unknown, used or too old): LINE's 400 "Invalid reply token".
#[derive(Debug, PartialEq, Eq)]
pub struct InvalidReplyToken;

impl Worlds {
    fn lock(&self) -> MutexGuard<'_, World> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The user with this id, created (not a friend, not logged in) when the emulator has not seen
    /// it yet — after a restart, for example.
    pub fn user(&self, user_id: &str) -> LineUser {
        let mut world = self.lock();
        world
            .users
            .entry(user_id.to_owned())
            .or_insert_with(|| LineUser {
                user_id: user_id.to_owned(),
                display_name: default_name(user_id),
                friend: false,
                logged_in: false,
            })
            .clone()
    }

    /// Only users the emulator already knows (the Messaging API does not invent users).
    pub fn known_user(&self, user_id: &str) -> Option<LineUser> {
        self.lock().users.get(user_id).cloned()
    }

    pub fn update_user(&self, user_id: &str, change: impl FnOnce(&mut LineUser)) -> LineUser {
        self.user(user_id);
        let mut world = self.lock();
        let user = world.users.get_mut(user_id).expect("created just above");
        change(user);
        user.clone()
    }

    pub fn add_message(&self, user_id: &str, from: Sender, body: Value) {
        let mut world = self.lock();
        world.next_seq += 1;
        let seq = world.next_seq;
        let chat = world.chats.entry(user_id.to_owned()).or_default();
        if chat.len() == CHAT_CAPACITY {
            chat.remove(0);
        }
        chat.push(ChatMessage {
            seq,
            from,
            at: Utc::now(),
            body,
        });
    }

    pub fn chat(&self, user_id: &str) -> Vec<ChatMessage> {
        self.lock().chats.get(user_id).cloned().unwrap_or_default()
    }

    pub fn issue_reply_token(&self, user_id: &str) -> String {
        let token = random_hex(16);
        self.lock().reply_tokens.insert(
            token.clone(),
            IssuedToken {
                user_id: user_id.to_owned(),
                issued_at: Utc::now(),
            },
        );
        token
    }

    /// Uses a reply token up: the user it was issued for, once.
    pub fn use_reply_token(&self, token: &str) -> Result<String, InvalidReplyToken> {
        let issued = self
            .lock()
            .reply_tokens
            .remove(token)
            .ok_or(InvalidReplyToken)?;
        if Utc::now() - issued.issued_at > REPLY_TOKEN_VALIDITY {
            return Err(InvalidReplyToken);
        }
        Ok(issued.user_id)
    }

    pub fn issue_access_token(&self, user_id: &str) -> String {
        let token = format!("emu.{}", random_hex(24));
        self.lock().access_tokens.insert(
            token.clone(),
            IssuedToken {
                user_id: user_id.to_owned(),
                issued_at: Utc::now(),
            },
        );
        token
    }

    /// The user of a live access token, and how long it stays valid.
    pub fn access_token(&self, token: &str) -> Option<(String, Duration)> {
        let world = self.lock();
        let issued = world.access_tokens.get(token)?;
        let left = issued.issued_at + ACCESS_TOKEN_VALIDITY - Utc::now();
        (left > Duration::zero()).then(|| (issued.user_id.clone(), left))
    }

    pub fn access_token_user(&self, token: &str) -> Option<String> {
        self.access_token(token).map(|(user_id, _)| user_id)
    }

    /// Records a push's retry key; `false` when it was accepted before (LINE answers 409).
    pub fn accept_retry_key(&self, key: &str) -> bool {
        self.lock().retry_keys.insert(key.to_owned())
    }
}

/// A LINE user id: `U` and 32 hex digits.
pub fn is_user_id(text: &str) -> bool {
    text.len() == 33 && text.starts_with('U') && text[1..].chars().all(|c| c.is_ascii_hexdigit())
}

pub fn new_user_id() -> String {
    format!("U{}", random_hex(16))
}

fn default_name(user_id: &str) -> String {
    let tail: String = user_id
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("示範顧客 {}", tail.to_ascii_uppercase())
}

pub fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_token_works_once() {
        let world = Worlds::default();
        let user = new_user_id();
        let token = world.issue_reply_token(&user);
        assert_eq!(world.use_reply_token(&token), Ok(user));
        assert_eq!(world.use_reply_token(&token), Err(InvalidReplyToken));
        assert_eq!(world.use_reply_token("made-up"), Err(InvalidReplyToken));
    }

    #[test]
    fn a_retry_key_is_accepted_once() {
        let world = Worlds::default();
        assert!(world.accept_retry_key("k"));
        assert!(!world.accept_retry_key("k"));
    }

    #[test]
    fn user_ids_look_like_lines() {
        assert!(is_user_id(&new_user_id()));
        assert!(!is_user_id("U123"));
        assert!(!is_user_id("<script>"));
    }
}
