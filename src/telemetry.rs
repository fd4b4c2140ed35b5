//! Logging set-up and the request log line.

use std::borrow::Cow;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use tracing_subscriber::EnvFilter;

/// Logs to stderr; `RUST_LOG` overrides the default level (info, with the database driver quiet).
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// One line per request: method, path (never the query, which may carry tokens, and with path
/// secrets shortened by [`redacted_path`]), status, time.
pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = redacted_path(req.path()).into_owned();
    let res = next.call(req).await?;
    let status = res.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(%method, %path, status, elapsed_ms = format!("{elapsed_ms:.1}"), "request");
    Ok(res)
}

/// Paths whose segment after the prefix is a capability: whoever has it can act with it, so logs
/// (read by more people, kept longer, shipped elsewhere) must not hold it whole.
/// - `/q/` and `/qr/`: the printed code's token. It is on a poster, but it starts journeys
///   credited to a store or a clerk, and the log would list every code, revoked ones and clerk
///   cards included, in one place.
/// - `/j/` and `/api/liff/journeys/`: a shopper's journey, which binds whoever completes it.
/// - `/p/`: the signed link that ties a LINE user to a journey's phone step.
const SECRET_PATH_PREFIXES: [&str; 5] = ["/q/", "/qr/", "/j/", "/p/", "/api/liff/journeys/"];

/// Characters of a secret kept in the log: enough to tell requests apart and find the row.
const SECRET_CHARS_SHOWN: usize = 4;

/// The path with the secret segment cut to its first characters and `…` (the file extension of a
/// QR picture and any sub-path are kept): `/j/AbCdEf…/phone` → `/j/AbCd…/phone`.
pub fn redacted_path(path: &str) -> Cow<'_, str> {
    let Some(prefix) = SECRET_PATH_PREFIXES.iter().find(|p| path.starts_with(**p)) else {
        return Cow::Borrowed(path);
    };
    let rest = &path[prefix.len()..];
    let secret_len = rest.find('/').unwrap_or(rest.len());
    let (secret, after) = rest.split_at(secret_len);
    let (secret, extension) = match secret.rfind('.') {
        Some(dot) if *prefix == "/qr/" => secret.split_at(dot),
        _ => (secret, ""),
    };
    let shown: String = secret.chars().take(SECRET_CHARS_SHOWN).collect();
    if shown.len() == secret.len() {
        return Cow::Borrowed(path);
    }
    Cow::Owned(format!("{prefix}{shown}…{extension}{after}"))
}

#[cfg(test)]
mod tests {
    use super::redacted_path;

    #[test]
    fn path_secrets_keep_their_first_four_characters() {
        for (path, logged) in [
            ("/q/AbCdEfGhIjKl", "/q/AbCd…"),
            ("/qr/AbCdEfGhIjKl.png", "/qr/AbCd….png"),
            ("/qr/AbCdEfGhIjKl.svg", "/qr/AbCd….svg"),
            ("/j/Journey123456", "/j/Jour…"),
            ("/j/Journey123456/phone", "/j/Jour…/phone"),
            ("/j/Journey123456/verify", "/j/Jour…/verify"),
            ("/p/eyJqIjoieCJ9.signature", "/p/eyJq…"),
            (
                "/api/liff/journeys/Journey123456",
                "/api/liff/journeys/Jour…",
            ),
        ] {
            assert_eq!(redacted_path(path), logged, "{path}");
        }
    }

    #[test]
    fn other_paths_and_short_segments_are_logged_as_they_are() {
        for path in [
            "/admin/stores/12",
            "/healthz",
            "/liff",
            "/line/webhook",
            "/api/liff/bind",
            "/q/",
            "/j/abc",
            "/jx/AbCdEfGh",
            "/emulator/liff/1234567890-AbCdEfGh",
        ] {
            assert_eq!(redacted_path(path), path);
        }
    }

    #[test]
    fn a_secret_of_multibyte_characters_is_cut_on_a_character_boundary() {
        assert_eq!(redacted_path("/j/台北信義店門市"), "/j/台北信義…");
    }
}
