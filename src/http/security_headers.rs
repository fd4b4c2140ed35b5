//! Frame and content-security headers for the staff pages: everything under `/admin` and the
//! clerk's phone view `/clerk`, the sign-in page and the error pages shown there included.
//!
//! - `X-Frame-Options: DENY` and `frame-ancestors 'none'`: no other site can show an admin page in
//!   a frame and trick a signed-in clerk into clicking "erase member" or "rotate QR code".
//! - A Content-Security-Policy that allows only this server's own files: the pages keep their
//!   styles and script in `/assets/` (no inline `<style>`, `style=""`, `<script>` or `on…=`), so
//!   markup injected through a store or member name could not run script even if escaping failed.
//!
//! The shopper pages (`/j/…`, `/liff`, the scan) are left alone: the LIFF page runs LINE's SDK
//! from LINE's CDN and its own inline script inside LINE's in-app browser, and the emulator's pages
//! (demo mode) stand in for LINE's apps.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;

/// Only this server's own scripts, styles, images and fetches; forms post only here; no framing.
pub const STAFF_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// Whether a path is a staff page.
fn is_staff_path(path: &str) -> bool {
    ["/admin", "/clerk"]
        .iter()
        .any(|root| path == *root || path.starts_with(&format!("{root}/")))
}

/// Middleware body: adds the headers to every response under `/admin` and `/clerk` (error pages
/// too, so this wraps the error-page middleware).
pub async fn for_staff_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let staff = is_staff_path(req.path());
    let mut res = next.call(req).await?;
    if staff {
        let headers = res.headers_mut();
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(STAFF_CONTENT_SECURITY_POLICY),
        );
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_paths_are_the_admin_and_nothing_that_only_starts_alike() {
        assert!(is_staff_path("/admin"));
        assert!(is_staff_path("/admin/"));
        assert!(is_staff_path("/admin/login"));
        assert!(is_staff_path("/admin/stores/1/poster"));
        assert!(!is_staff_path("/administrator"));
        assert!(is_staff_path("/clerk"));
        assert!(is_staff_path("/clerk/member"));
        assert!(!is_staff_path("/clerkship"));
        assert!(!is_staff_path("/j/abc"));
        assert!(!is_staff_path("/liff"));
        assert!(!is_staff_path("/emulator/phone"));
    }

    #[test]
    fn the_policy_refuses_framing_and_inline_code() {
        let policy = STAFF_CONTENT_SECURITY_POLICY;
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(!policy.contains("unsafe-inline"));
        assert!(!policy.contains("unsafe-eval"));
        assert!(policy.contains("script-src 'self'"));
    }
}
