//! Twilio Programmable Messaging (REST API 2010-04-01).
//!
//! Request: `POST {TWILIO_API_BASE_URL}/2010-04-01/Accounts/{AccountSid}/Messages.json` with HTTP
//! basic auth (account SID, auth token) and form fields `To` (E.164), `From`, `Body`. Answer: `201`
//! with the Message resource as JSON (`sid`, `status` such as `queued`/`accepted`, `num_segments`
//! as a string, `error_code`, `error_message`); errors are JSON `{"code", "message", "more_info",
//! "status"}` with an HTTP 4xx (e.g. 21211 invalid `To`, 20003 authentication) or 5xx status.
//!
//! Sources: Twilio's API reference ("Message resource", "Twilio API responses", the error
//! dictionary). A 4xx is a refusal before accepting (not sent, not billed); a 5xx leaves the
//! outcome unknown and is not retried.

use serde::Deserialize;
use url::Url;

use super::{SmsError, SmsReceipt, endpoint, status_error, transport_error};
use crate::config::Secret;
use crate::domain::phone::TaiwanMobile;
use crate::domain::sms_text::segment_count;

#[derive(Clone, Debug)]
pub struct TwilioSender {
    http: reqwest::Client,
    base_url: Url,
    account_sid: String,
    auth_token: Secret,
    from: String,
}

#[derive(Deserialize)]
struct MessageResource {
    sid: Option<String>,
    status: Option<String>,
    num_segments: Option<String>,
    error_code: Option<i64>,
    error_message: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    code: Option<i64>,
    message: Option<String>,
}

impl TwilioSender {
    pub fn new(
        http: reqwest::Client,
        base_url: Url,
        account_sid: String,
        auth_token: Secret,
        from: String,
    ) -> Self {
        Self {
            http,
            base_url,
            account_sid,
            auth_token,
            from,
        }
    }

    pub(super) async fn send(&self, to: &TaiwanMobile, text: &str) -> Result<SmsReceipt, SmsError> {
        let path = format!("/2010-04-01/Accounts/{}/Messages.json", self.account_sid);
        let form = [
            ("To", to.e164()),
            ("From", self.from.as_str()),
            ("Body", text),
        ];
        let response = self
            .http
            .post(endpoint(&self.base_url, &path))
            .basic_auth(&self.account_sid, Some(self.auth_token.expose()))
            .form(&form)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let answer = response.text().await.map_err(transport_error)?;
        if status.is_success() {
            return parse_message(&answer, segment_count(text));
        }
        match serde_json::from_str::<ErrorBody>(&answer) {
            Ok(body) if status.is_client_error() => Err(SmsError::Rejected {
                code: body
                    .code
                    .map_or_else(|| format!("http {}", status.as_u16()), |c| c.to_string()),
                message: body.message.unwrap_or_default(),
            }),
            _ => Err(status_error(status, &answer)),
        }
    }
}

fn parse_message(answer: &str, estimated_segments: i32) -> Result<SmsReceipt, SmsError> {
    let message: MessageResource = serde_json::from_str(answer)
        .map_err(|err| SmsError::Uncertain(format!("Twilio's answer could not be read: {err}")))?;
    // Created but already failed (Twilio bills only messages it sends out).
    if message.status.as_deref() == Some("failed") {
        return Err(SmsError::Rejected {
            code: message
                .error_code
                .map_or_else(|| "failed".to_owned(), |c| c.to_string()),
            message: message.error_message.unwrap_or_default(),
        });
    }
    Ok(SmsReceipt {
        provider_message_id: message.sid,
        cost_units: message
            .num_segments
            .and_then(|n| n.parse().ok())
            .filter(|n| *n > 0)
            .unwrap_or(estimated_segments),
        credit_left: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_message_gives_its_sid_and_segments() {
        let receipt = parse_message(
            r#"{"sid":"SM123","status":"queued","num_segments":"2","error_code":null}"#,
            1,
        )
        .unwrap();
        assert_eq!(receipt.provider_message_id.as_deref(), Some("SM123"));
        assert_eq!(receipt.cost_units, 2);
    }

    #[test]
    fn unreadable_json_is_uncertain() {
        assert!(!parse_message("not json", 1).unwrap_err().surely_not_sent());
    }
}
