//! The LINE API client: Messaging API (reply, push, profile, bot info, webhook test) and LINE Login
//! (ID token and access token verify, the user's own profile, friendship status). One shared reqwest client with timeouts; the base URL comes
//! from `LINE_API_BASE_URL`, so tests and the demo point it at a fake.
//!
//! Retry policy: network failures, 429 and 5xx are retried with backoff (3 tries in all) where a
//! retry cannot send a message twice — reads always; a reply because LINE refuses a used reply
//! token; a push only with its `X-Line-Retry-Key` (LINE answers 409 to a repeat, which means the
//! first try went through). Other 4xx answers are final and keep LINE's `message` and `details`.

use std::time::Duration;

use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::config::{LineSettings, Secret};

const MAX_TRIES: u32 = 3;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

#[derive(Clone)]
pub struct LineClient {
    http: reqwest::Client,
    base_url: Url,
    channel_access_token: Option<Secret>,
    login_channel_id: Option<String>,
}

/// LINE's error detail (`ErrorDetail` in messaging-api.yml).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ErrorDetail {
    pub message: Option<String>,
    pub property: Option<String>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum LineApiError {
    /// Timeout, refused connection, DNS: LINE did not answer at all.
    #[error("LINE could not be reached: {0}")]
    Unreachable(String),
    /// LINE answered with an error status (its `message` and `details` kept).
    #[error("LINE answered {status}: {message}")]
    Api {
        status: u16,
        message: String,
        details: Vec<ErrorDetail>,
    },
    #[error("LINE's answer could not be read: {0}")]
    InvalidResponse(String),
    /// The setting this call needs is not set.
    #[error("{0} is not set")]
    NotConfigured(&'static str),
}

impl LineApiError {
    /// Worth trying again later: LINE was unreachable, rate-limited us, or failed on its side.
    pub fn is_retryable(&self) -> bool {
        match self {
            LineApiError::Unreachable(_) => true,
            LineApiError::Api { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// A reply token is single-use and short-lived; LINE answers 400 "Invalid reply token".
    pub fn is_invalid_reply_token(&self) -> bool {
        matches!(self, LineApiError::Api { status: 400, message, .. }
            if message.to_ascii_lowercase().contains("reply token"))
    }

    /// The access token (or ID token) was refused.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, LineApiError::Api { status: 401, .. })
    }
}

/// A message object of the Messaging API (the subset the product sends).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum OutgoingMessage {
    Text {
        text: String,
    },
    Template {
        #[serde(rename = "altText")]
        alt_text: String,
        template: ButtonsTemplate,
    },
}

impl OutgoingMessage {
    pub fn text(text: impl Into<String>) -> Self {
        OutgoingMessage::Text { text: text.into() }
    }

    /// A text with one button that opens a link (the phone-verification page, for example).
    pub fn link_button(
        text: impl Into<String>,
        label: impl Into<String>,
        uri: impl Into<String>,
    ) -> Self {
        let text = text.into();
        OutgoingMessage::Template {
            alt_text: text.clone(),
            template: ButtonsTemplate {
                text,
                actions: vec![UriAction::new(label, uri)],
            },
        }
    }
}

/// The buttons template (text up to 160 characters without a title or image, 1–4 actions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename = "buttons")]
pub struct ButtonsTemplate {
    pub text: String,
    pub actions: Vec<UriAction>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename = "uri")]
pub struct UriAction {
    pub label: String,
    pub uri: String,
}

impl UriAction {
    pub fn new(label: impl Into<String>, uri: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            uri: uri.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub user_id: String,
    pub display_name: String,
    pub picture_url: Option<String>,
    pub language: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BotInfo {
    pub user_id: String,
    pub basic_id: String,
    pub premium_id: Option<String>,
    pub display_name: String,
    pub chat_mode: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookTestResult {
    pub success: Option<bool>,
    pub status_code: i32,
    pub reason: String,
    pub detail: String,
}

/// What LINE vouches for after verifying an ID token (`sub` is the LINE user id).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub nonce: Option<String>,
    pub name: Option<String>,
    pub picture: Option<String>,
}

/// What LINE Login says of a user's access token (`GET /oauth2/v2.1/verify`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AccessTokenInfo {
    pub scope: String,
    /// The LINE Login channel the token was issued for.
    pub client_id: String,
    /// Seconds until it expires.
    pub expires_in: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FriendshipStatus {
    friend_flag: bool,
}

/// Both error shapes: Messaging API `{message, details}`, LINE Login `{error, error_description}`.
#[derive(Deserialize, Default)]
struct ErrorBody {
    message: Option<String>,
    #[serde(default)]
    details: Vec<ErrorDetail>,
    error: Option<String>,
    error_description: Option<String>,
}

impl LineClient {
    pub fn new(settings: &LineSettings) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("store-assistant/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client builds with static settings");
        Self {
            http,
            base_url: settings.api_base_url.clone(),
            channel_access_token: settings.channel_access_token.clone(),
            login_channel_id: settings.login_channel_id.clone(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url.as_str().trim_end_matches('/'), path)
    }

    fn bot_request(&self, method: Method, path: &str) -> Result<RequestBuilder, LineApiError> {
        let token = self
            .channel_access_token
            .as_ref()
            .ok_or(LineApiError::NotConfigured("LINE_CHANNEL_ACCESS_TOKEN"))?;
        Ok(self
            .http
            .request(method, self.url(path))
            .bearer_auth(token.expose()))
    }

    /// `POST /v2/bot/message/reply`.
    pub async fn reply(
        &self,
        reply_token: &str,
        messages: &[OutgoingMessage],
    ) -> Result<(), LineApiError> {
        let body = serde_json::json!({ "replyToken": reply_token, "messages": messages });
        let request = self
            .bot_request(Method::POST, "/v2/bot/message/reply")?
            .json(&body);
        self.send(request).await.map(drop)
    }

    /// `POST /v2/bot/message/push` with `X-Line-Retry-Key`: the same key never sends twice.
    pub async fn push(
        &self,
        to: &str,
        messages: &[OutgoingMessage],
        retry_key: uuid::Uuid,
    ) -> Result<(), LineApiError> {
        let body = serde_json::json!({ "to": to, "messages": messages });
        let request = self
            .bot_request(Method::POST, "/v2/bot/message/push")?
            .header("X-Line-Retry-Key", retry_key.hyphenated().to_string())
            .json(&body);
        match self.send(request).await {
            Ok(_) => Ok(()),
            // 409: a push with this retry key was already accepted.
            Err(LineApiError::Api { status: 409, .. }) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// `GET /v2/bot/profile/{userId}`.
    pub async fn profile(&self, user_id: &str) -> Result<Profile, LineApiError> {
        let path = format!("/v2/bot/profile/{}", urlencode_segment(user_id));
        let request = self.bot_request(Method::GET, &path)?;
        self.send_json(request).await
    }

    /// `GET /v2/bot/info`: proves the access token works and tells the OA's basic id.
    pub async fn bot_info(&self) -> Result<BotInfo, LineApiError> {
        let request = self.bot_request(Method::GET, "/v2/bot/info")?;
        self.send_json(request).await
    }

    /// `POST /v2/bot/channel/webhook/test`: LINE calls our webhook and reports what it got.
    pub async fn test_webhook_endpoint(
        &self,
        endpoint: Option<&str>,
    ) -> Result<WebhookTestResult, LineApiError> {
        let body = match endpoint {
            Some(endpoint) => serde_json::json!({ "endpoint": endpoint }),
            None => serde_json::json!({}),
        };
        let request = self
            .bot_request(Method::POST, "/v2/bot/channel/webhook/test")?
            .json(&body);
        self.send_json(request).await
    }

    /// `POST /oauth2/v2.1/verify` (LINE Login): LINE checks signature, expiry, audience and nonce.
    /// The answer is checked again here, so a fake or misconfigured endpoint cannot widen trust.
    ///
    /// `nonce`: the nonce the token must carry; `None` for tokens minted without one (LIFF SDK
    /// logins, whose authorization request this server does not make).
    pub async fn verify_id_token(
        &self,
        id_token: &str,
        nonce: Option<&str>,
    ) -> Result<IdTokenClaims, LineApiError> {
        let client_id = self
            .login_channel_id
            .as_deref()
            .ok_or(LineApiError::NotConfigured("LINE_LOGIN_CHANNEL_ID"))?;
        let mut form = vec![("id_token", id_token), ("client_id", client_id)];
        if let Some(nonce) = nonce {
            form.push(("nonce", nonce));
        }
        let request = self.http.post(self.url("/oauth2/v2.1/verify")).form(&form);
        let claims: IdTokenClaims = self.send_json(request).await?;
        if claims.aud != client_id {
            return Err(refused("ID token audience does not match the channel"));
        }
        if nonce.is_some() && claims.nonce.as_deref() != nonce {
            return Err(refused("ID token nonce does not match"));
        }
        if claims.exp <= chrono::Utc::now().timestamp() {
            return Err(refused("ID token expired"));
        }
        Ok(claims)
    }

    /// `GET /oauth2/v2.1/verify?access_token=…` (LINE Login): the user's access token is genuine,
    /// issued for our LINE Login channel and not expired. Checked here, not trusted to the caller.
    pub async fn verify_access_token(
        &self,
        access_token: &str,
    ) -> Result<AccessTokenInfo, LineApiError> {
        let client_id = self
            .login_channel_id
            .as_deref()
            .ok_or(LineApiError::NotConfigured("LINE_LOGIN_CHANNEL_ID"))?;
        let request = self
            .http
            .get(self.url("/oauth2/v2.1/verify"))
            .query(&[("access_token", access_token)]);
        let info: AccessTokenInfo = self.send_json(request).await?;
        if info.client_id != client_id {
            return Err(refused("access token was issued for another channel"));
        }
        if info.expires_in <= 0 {
            return Err(refused("access token expired"));
        }
        Ok(info)
    }

    /// `GET /v2/profile` (LINE Login) with the user's access token: whose token it is.
    pub async fn user_profile(&self, access_token: &str) -> Result<Profile, LineApiError> {
        let request = self
            .http
            .get(self.url("/v2/profile"))
            .bearer_auth(access_token);
        self.send_json(request).await
    }

    /// `GET /friendship/v1/status` with the user's access token: is the user a friend of the OA?
    pub async fn friendship_status(&self, user_access_token: &str) -> Result<bool, LineApiError> {
        let request = self
            .http
            .get(self.url("/friendship/v1/status"))
            .bearer_auth(user_access_token);
        let status: FriendshipStatus = self.send_json(request).await?;
        Ok(status.friend_flag)
    }

    async fn send_json<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
    ) -> Result<T, LineApiError> {
        let body = self.send(request).await?;
        serde_json::from_slice(&body).map_err(|err| LineApiError::InvalidResponse(err.to_string()))
    }

    /// Every call this client makes is safe to repeat (see the module docs), so all are retried.
    async fn send(&self, request: RequestBuilder) -> Result<Vec<u8>, LineApiError> {
        let mut backoff = FIRST_BACKOFF;
        let mut tries = 0;
        loop {
            tries += 1;
            let attempt = request
                .try_clone()
                .expect("LINE requests have in-memory bodies");
            let result = Self::send_once(attempt).await;
            match result {
                Err(err) if err.is_retryable() && tries < MAX_TRIES => {
                    tracing::warn!(error = %err, tries, "LINE API call failed; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "LINE API call failed");
                    return Err(err);
                }
                Ok(body) => return Ok(body),
            }
        }
    }

    async fn send_once(request: RequestBuilder) -> Result<Vec<u8>, LineApiError> {
        let response = request
            .send()
            .await
            .map_err(|err| LineApiError::Unreachable(without_url(&err)))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|err| LineApiError::Unreachable(without_url(&err)))?;
        if status.is_success() {
            return Ok(body.to_vec());
        }
        let parsed: ErrorBody = serde_json::from_slice(&body).unwrap_or_default();
        let message = parsed
            .message
            .or(parsed.error_description)
            .or(parsed.error)
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
        Err(LineApiError::Api {
            status: status.as_u16(),
            message,
            details: parsed.details,
        })
    }
}

/// An answer of LINE's that this client refuses on checking it (as LINE's own 400 would).
fn refused(why: &str) -> LineApiError {
    LineApiError::Api {
        status: 400,
        message: why.to_owned(),
        details: Vec::new(),
    }
}

/// reqwest errors name the URL, and LINE Login URLs can carry tokens in forms: keep the kind only.
fn without_url(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    kind.to_owned()
}

fn urlencode_segment(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_serialise_as_the_messaging_api_expects() {
        let text = serde_json::to_value(OutgoingMessage::text("哈囉")).unwrap();
        assert_eq!(text, serde_json::json!({"type": "text", "text": "哈囉"}));
        let button = serde_json::to_value(OutgoingMessage::link_button(
            "請驗證手機",
            "驗證手機",
            "https://example.com/p/x",
        ))
        .unwrap();
        assert_eq!(
            button,
            serde_json::json!({
                "type": "template",
                "altText": "請驗證手機",
                "template": {
                    "type": "buttons",
                    "text": "請驗證手機",
                    "actions": [{"type": "uri", "label": "驗證手機", "uri": "https://example.com/p/x"}]
                }
            })
        );
    }

    #[test]
    fn invalid_reply_token_is_recognised() {
        let err = LineApiError::Api {
            status: 400,
            message: "Invalid reply token".into(),
            details: vec![],
        };
        assert!(err.is_invalid_reply_token());
        assert!(!err.is_retryable());
        let busy = LineApiError::Api {
            status: 429,
            message: "Too Many Requests".into(),
            details: vec![],
        };
        assert!(busy.is_retryable());
    }
}
