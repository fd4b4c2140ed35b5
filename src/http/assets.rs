//! The stylesheets and the pages' scripts (the staff pages, the member card), compiled into the
//! binary and served under `/assets/`. They are files rather than inline `<style>`/`<script>` so
//! the staff pages' Content-Security-Policy ([`super::security_headers`]) can refuse inline code.
//!
//! Pages link them through [`url`], which adds the file's content hash (`/assets/admin.css?v=…`):
//! a browser may then keep a file for a year and still fetches the new one after an upgrade.

use std::collections::HashMap;
use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::domain::tokens::token_hash;
use crate::http::error::AppError;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// An asset from `assets/`, compiled in.
macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_str!(concat!("../../assets/", $name)),
        }
    };
}

const ASSETS: &[Asset] = &[
    asset!("base.css", CSS),
    asset!("admin.css", CSS),
    asset!("admin.js", JS),
    asset!("clerk.css", CSS),
    asset!("clerk.js", JS),
    asset!("me.css", CSS),
    asset!("me.js", JS),
    asset!("me-liff.js", JS),
    asset!("posters.css", CSS),
    asset!("print-a4.css", CSS),
    asset!("print-a6.css", CSS),
];

/// Each asset's version: the first 16 hex digits of the SHA-256 of its content.
static VERSIONS: LazyLock<HashMap<&'static str, String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| (asset.name, token_hash(asset.body)[..16].to_owned()))
        .collect()
});

/// The address a page links an asset by, with its version: `/assets/admin.css?v=…`.
pub fn url(name: &str) -> String {
    match VERSIONS.get(name) {
        Some(version) => format!("/assets/{name}?v={version}"),
        // Only a typo in a template gets here; the assets test renders every page that links one.
        None => format!("/assets/{name}"),
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/assets/{name}", web::get().to(serve));
}

#[derive(serde::Deserialize)]
struct Version {
    v: Option<String>,
}

async fn serve(
    name: web::Path<String>,
    version: web::Query<Version>,
) -> Result<HttpResponse, AppError> {
    let Some(asset) = ASSETS.iter().find(|asset| asset.name == name.as_str()) else {
        return Err(AppError::not_found(
            "找不到這個檔案。",
            "This file does not exist.",
        ));
    };
    // A versioned address never changes content; an unversioned or stale one is checked each time.
    let cache = if version.v.is_some() && version.v.as_ref() == VERSIONS.get(asset.name) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    Ok(HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(asset.body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_urls_carry_the_content_hash() {
        let url = url("admin.css");
        let version = url.strip_prefix("/assets/admin.css?v=").expect(&url);
        assert_eq!(version.len(), 16);
        assert!(version.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(url, super::url("base.css").replace("base", "admin"));
    }

    #[test]
    fn every_asset_has_a_distinct_name_and_content() {
        for (i, asset) in ASSETS.iter().enumerate() {
            assert!(!asset.body.trim().is_empty(), "{}", asset.name);
            assert!(
                ASSETS[i + 1..].iter().all(|other| other.name != asset.name),
                "{}",
                asset.name
            );
        }
    }
}
