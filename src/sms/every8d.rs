//! every8d (互動資通) HTTP API 2.1.
//!
//! Request: `POST {EVERY8D_API_BASE_URL}/API21/HTTP/sendSMS.ashx`, form fields `UID`, `PWD`, `SB`
//! (subject, a note that is not sent; empty), `MSG`, `DEST` (national form, `09…`), `ST` (send time;
//! empty = now). Answer: one CSV line `CREDIT,SENDED,COST,UNSEND,BATCH_ID` on success, e.g.
//! `87.00,1,1,0,220478cc-8506-49b2-93b7-2505f651c12e`; a negative first field is an error with its
//! message, e.g. `-99,主機端發生不明錯誤` or `-100,帳號錯誤`. UNSEND counts numbers that were not
//! sent and not charged, so `SENDED=0` with `UNSEND>0` is a refusal too.
//!
//! Sources: every8d's HTTP API 2.1 document as implemented by the open-source client
//! `minchao/go-every8d` (endpoint, form fields, CSV answer, negative codes -24/-100/-101/-300).
//! That client sends `UID`/`PWD` in the query string; other integrations post them as form fields,
//! which is what this does (keeping the password out of URLs and access logs). Not confirmed
//! against the vendor's current document: whether `COST` can be fractional (rounded up here).

use url::Url;

use super::{SmsError, SmsReceipt, endpoint, status_error, transport_error};
use crate::config::Secret;
use crate::domain::phone::TaiwanMobile;

#[derive(Clone, Debug)]
pub struct Every8dSender {
    http: reqwest::Client,
    base_url: Url,
    uid: String,
    password: Secret,
}

impl Every8dSender {
    pub fn new(http: reqwest::Client, base_url: Url, uid: String, password: Secret) -> Self {
        Self {
            http,
            base_url,
            uid,
            password,
        }
    }

    pub(super) async fn send(&self, to: &TaiwanMobile, text: &str) -> Result<SmsReceipt, SmsError> {
        let national = to.national();
        let form = [
            ("UID", self.uid.as_str()),
            ("PWD", self.password.expose()),
            ("SB", ""),
            ("MSG", text),
            ("DEST", national.as_str()),
            ("ST", ""),
        ];
        let response = self
            .http
            .post(endpoint(&self.base_url, "/API21/HTTP/sendSMS.ashx"))
            .form(&form)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let answer = response.text().await.map_err(transport_error)?;
        if !status.is_success() {
            return Err(status_error(status, &answer));
        }
        parse_answer(&answer)
    }
}

fn parse_answer(answer: &str) -> Result<SmsReceipt, SmsError> {
    let line = answer.trim_start_matches('\u{feff}').trim();
    if line.starts_with('-') {
        let (code, message) = line.split_once(',').unwrap_or((line, ""));
        return Err(SmsError::Rejected {
            code: code.trim().to_owned(),
            message: message.trim().to_owned(),
        });
    }
    let unreadable = || {
        let snippet: String = line.chars().take(200).collect();
        SmsError::Uncertain(format!("every8d's answer could not be read: {snippet:?}"))
    };
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    let [credit, sent, cost, unsent, batch_id] = fields[..] else {
        return Err(unreadable());
    };
    let (Ok(credit), Ok(sent), Ok(cost), Ok(unsent)) = (
        credit.parse::<f64>(),
        sent.parse::<i32>(),
        cost.parse::<f64>(),
        unsent.parse::<i32>(),
    ) else {
        return Err(unreadable());
    };
    if sent == 0 && unsent > 0 {
        return Err(SmsError::Rejected {
            code: "unsent".to_owned(),
            message: format!("every8d did not send the message (UNSEND={unsent}, credit {credit})"),
        });
    }
    Ok(SmsReceipt {
        provider_message_id: Some(batch_id.to_owned()).filter(|id| !id.is_empty()),
        cost_units: cost.ceil().clamp(0.0, f64::from(i32::MAX)) as i32,
        credit_left: Some(credit),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_success_line_gives_credit_cost_and_batch() {
        let receipt = parse_answer("87.00,1,1,0,220478cc-8506-49b2-93b7-2505f651c12e\r\n").unwrap();
        assert_eq!(receipt.credit_left, Some(87.0));
        assert_eq!(receipt.cost_units, 1);
        assert_eq!(
            receipt.provider_message_id.as_deref(),
            Some("220478cc-8506-49b2-93b7-2505f651c12e")
        );
    }

    #[test]
    fn a_negative_code_is_a_refusal_with_its_message() {
        let err = parse_answer("-99,帳號或密碼錯誤").unwrap_err();
        assert_eq!(
            err,
            SmsError::Rejected {
                code: "-99".into(),
                message: "帳號或密碼錯誤".into()
            }
        );
    }

    #[test]
    fn nothing_sent_and_something_unsent_is_a_refusal() {
        let err = parse_answer("87.00,0,0,1,abc").unwrap_err();
        assert!(err.surely_not_sent());
        assert!(matches!(err, SmsError::Rejected { code, .. } if code == "unsent"));
    }

    #[test]
    fn garbage_is_uncertain() {
        assert!(!parse_answer("<html>").unwrap_err().surely_not_sent());
        assert!(!parse_answer("1,2,3").unwrap_err().surely_not_sent());
    }
}
