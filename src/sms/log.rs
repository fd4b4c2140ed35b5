//! The `log` provider: sends nothing. Each message goes to the log (phone masked, text — and so the
//! code — visible: this provider is for development and the demo) and to an in-memory outbox of
//! the last [`OUTBOX_CAPACITY`] messages, which demo mode shows on screen and browser tests read.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::SmsReceipt;
use crate::domain::phone::TaiwanMobile;
use crate::domain::sms_text::segment_count;

/// Messages kept; older ones are dropped.
pub const OUTBOX_CAPACITY: usize = 50;

#[derive(Clone, Debug, Default)]
pub struct LogSender {
    outbox: Outbox,
}

/// One message the `log` provider would have sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: String,
    pub to: TaiwanMobile,
    pub text: String,
    pub sent_at: DateTime<Utc>,
}

/// The last messages of the `log` provider, newest last. Shared by every clone of the provider.
#[derive(Clone, Debug, Default)]
pub struct Outbox {
    messages: Arc<Mutex<VecDeque<OutboxMessage>>>,
}

impl LogSender {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    pub(super) fn send(&self, to: &TaiwanMobile, text: &str) -> SmsReceipt {
        let id = format!("log-{}", uuid::Uuid::new_v4().simple());
        tracing::info!(to = %to.masked(), %text, message_id = %id, "SMS not sent (SMS_PROVIDER=log)");
        self.outbox.push(OutboxMessage {
            id: id.clone(),
            to: to.clone(),
            text: text.to_owned(),
            sent_at: Utc::now(),
        });
        SmsReceipt {
            provider_message_id: Some(id),
            cost_units: segment_count(text),
            credit_left: None,
        }
    }
}

impl Outbox {
    fn push(&self, message: OutboxMessage) {
        let mut messages = self.lock();
        if messages.len() == OUTBOX_CAPACITY {
            messages.pop_front();
        }
        messages.push_back(message);
    }

    /// Every kept message, oldest first.
    pub fn messages(&self) -> Vec<OutboxMessage> {
        self.lock().iter().cloned().collect()
    }

    /// The newest message to one phone.
    pub fn latest_to(&self, to: &TaiwanMobile) -> Option<OutboxMessage> {
        self.lock().iter().rev().find(|m| &m.to == to).cloned()
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<OutboxMessage>> {
        // A panic while holding this lock cannot leave the queue half-updated; keep using it.
        self.messages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outbox_keeps_the_newest_messages_per_phone() {
        let sender = LogSender::new();
        let a = TaiwanMobile::parse("0912345678").unwrap();
        let b = TaiwanMobile::parse("0922333444").unwrap();
        let receipt = sender.send(&a, "first");
        assert!(receipt.provider_message_id.is_some());
        assert_eq!(receipt.cost_units, 1);
        sender.send(&b, "other");
        sender.send(&a, "second");
        assert_eq!(sender.outbox().latest_to(&a).unwrap().text, "second");
        assert_eq!(sender.outbox().latest_to(&b).unwrap().text, "other");
        assert_eq!(sender.outbox().len(), 3);
    }

    #[test]
    fn the_outbox_is_bounded() {
        let sender = LogSender::new();
        let a = TaiwanMobile::parse("0912345678").unwrap();
        for i in 0..OUTBOX_CAPACITY + 5 {
            sender.send(&a, &i.to_string());
        }
        let messages = sender.outbox().messages();
        assert_eq!(messages.len(), OUTBOX_CAPACITY);
        assert_eq!(messages[0].text, "5");
    }
}
