//! 三竹資訊 (Mitake) HTTP API.
//!
//! Request: `POST {MITAKE_API_BASE_URL}/api/mtk/SmSend?CharsetURL=UTF-8`, form fields `username`,
//! `password`, `dstaddr` (national form, `09…`), `smbody` (a line break is written as the control
//! character 0x06, which the gateway turns back into a line break). Answer: text lines in INI style,
//!
//! ```text
//! [1]
//! msgid=1234567890
//! statuscode=1
//! AccountPoint=98
//! ```
//!
//! `statuscode` 0 (scheduled), 1/2/3 (handed to the carrier) and 4 (delivered) mean accepted; a
//! letter or `*` means refused before sending (e.g. `e` wrong username or password, `k` caller's IP
//! not allowed, `v` invalid phone, `s` billing failure); 5–9 are delivery failures. `AccountPoint`
//! is the credit left. An `Error=` line, when present, carries the gateway's own message.
//!
//! Sources: Mitake's published HTTP API specification as implemented by the open-source clients
//! `minchao/go-mitake` (status-code table, INI answer with `AccountPoint`) and `7a6163/mitake_sms`,
//! and integrations calling `/api/mtk/SmSend?CharsetURL=UTF-8` with these form fields. The code
//! table there lists `k` as "invalid connection address" and `v` as "invalid phone number".
//! Not confirmed against the vendor's current PDF: whether the answer ever uses CRLF (handled) and
//! whether code 3 appears for single sends (treated as accepted, like 1 and 2).

use url::Url;

use super::{SmsError, SmsReceipt, endpoint, status_error, transport_error};
use crate::config::Secret;
use crate::domain::phone::TaiwanMobile;
use crate::domain::sms_text::segment_count;

#[derive(Clone, Debug)]
pub struct MitakeSender {
    http: reqwest::Client,
    base_url: Url,
    username: String,
    password: Secret,
}

impl MitakeSender {
    pub fn new(http: reqwest::Client, base_url: Url, username: String, password: Secret) -> Self {
        Self {
            http,
            base_url,
            username,
            password,
        }
    }

    pub(super) async fn send(&self, to: &TaiwanMobile, text: &str) -> Result<SmsReceipt, SmsError> {
        let body = text.replace("\r\n", "\n").replace('\n', "\u{6}");
        let national = to.national();
        let form = [
            ("username", self.username.as_str()),
            ("password", self.password.expose()),
            ("dstaddr", national.as_str()),
            ("smbody", body.as_str()),
        ];
        let response = self
            .http
            .post(endpoint(&self.base_url, "/api/mtk/SmSend"))
            .query(&[("CharsetURL", "UTF-8")])
            .form(&form)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport_error)?;
        // The keys and codes are ASCII; a Big5 error text would only lose its readability.
        let answer = String::from_utf8_lossy(&bytes);
        if !status.is_success() {
            return Err(status_error(status, &answer));
        }
        parse_answer(&answer, segment_count(text))
    }
}

/// Reads the INI-style answer of `SmSend` for one message.
fn parse_answer(answer: &str, cost_units: i32) -> Result<SmsReceipt, SmsError> {
    let value = |key: &str| {
        answer.lines().find_map(|line| {
            let (k, v) = line.trim().split_once('=')?;
            (k.trim() == key).then(|| v.trim().to_owned())
        })
    };
    let Some(code) = value("statuscode") else {
        let snippet: String = answer.chars().take(200).collect();
        return Err(SmsError::Uncertain(format!(
            "Mitake's answer has no statuscode: {snippet:?}"
        )));
    };
    match code.as_str() {
        "0" | "1" | "2" | "3" | "4" => Ok(SmsReceipt {
            provider_message_id: value("msgid").filter(|id| !id.is_empty()),
            cost_units,
            credit_left: value("AccountPoint").and_then(|p| p.parse().ok()),
        }),
        _ => Err(SmsError::Rejected {
            message: value("Error")
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| describe(&code).to_owned()),
            code,
        }),
    }
}

/// Mitake's status codes for refusals, for the log and the admin.
fn describe(code: &str) -> &'static str {
    match code {
        "*" => "system error at Mitake",
        "a" | "b" | "r" => "the SMS service is temporarily unavailable",
        "c" => "username missing",
        "d" => "password missing",
        "e" => "wrong username or password",
        "f" => "account expired",
        "h" => "account disabled",
        "k" => "this server's IP address is not allowed",
        "m" | "n" => "the account password must be changed",
        "p" => "the account may not use the HTTP API",
        "s" => "billing failed (no points left?)",
        "t" => "message expired",
        "u" => "empty message",
        "v" => "invalid phone number",
        "5" => "content error",
        "6" => "phone number error",
        "7" => "SMS disabled for this number",
        "8" => "delivery timed out",
        "9" => "scheduled message cancelled",
        _ => "unknown status code",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accepted_answer_gives_the_message_id_and_points() {
        let receipt = parse_answer(
            "[1]\r\nmsgid=1234567890\r\nstatuscode=1\r\nAccountPoint=98\r\n",
            1,
        )
        .unwrap();
        assert_eq!(receipt.provider_message_id.as_deref(), Some("1234567890"));
        assert_eq!(receipt.credit_left, Some(98.0));
        assert_eq!(receipt.cost_units, 1);
    }

    #[test]
    fn a_refusal_keeps_the_code_and_a_readable_reason() {
        let err = parse_answer("[1]\nstatuscode=e\nError=帳號、密碼錯誤\n", 1).unwrap_err();
        assert_eq!(
            err,
            SmsError::Rejected {
                code: "e".into(),
                message: "帳號、密碼錯誤".into()
            }
        );
        assert!(err.surely_not_sent());
        let err = parse_answer("[1]\nstatuscode=v\n", 1).unwrap_err();
        assert!(matches!(err, SmsError::Rejected { message, .. } if message.contains("phone")));
    }

    #[test]
    fn an_answer_without_a_status_is_uncertain() {
        let err = parse_answer("<html>gateway error</html>", 1).unwrap_err();
        assert!(!err.surely_not_sent());
    }
}
