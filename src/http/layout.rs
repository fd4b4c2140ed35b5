//! What every page's frame needs, in one value: the demo banner, and on staff pages the nav (who is
//! signed in, which section is current, the sign-out form's CSRF token). Each page struct holds a
//! `layout` and `base.html` / `admin/layout.html` read only that.

use crate::http::staff::Staff;
use crate::services::Context;

pub struct Layout {
    /// Demo mode: the banner says LINE is emulated.
    pub demo: bool,
    nav: Option<Nav>,
}

struct Nav {
    username: String,
    is_hq: bool,
    csrf_token: String,
    /// Which nav item is current: `dashboard`, `stores`, `groups`, `accounts`, `audit`, `setup`,
    /// `api-tokens`, `password`, `members`, `changes`, `conflicts`, `reports`, `sales-settings`.
    section: &'static str,
}

impl Layout {
    /// A page anyone may see (the shopper's pages, the sign-in page).
    pub fn public(ctx: &Context) -> Self {
        Self::without_nav(ctx.settings.demo)
    }

    /// The demo's own pages (the LINE emulator), which exist only in demo mode.
    pub fn demo() -> Self {
        Self::without_nav(true)
    }

    /// A page without the staff nav, where only the mode is known (an error page).
    pub fn without_nav(demo: bool) -> Self {
        Self { demo, nav: None }
    }

    /// A signed-in staff member's page, with `section` current in the nav.
    pub fn staff(ctx: &Context, staff: &Staff, section: &'static str) -> Self {
        Self {
            demo: ctx.settings.demo,
            nav: Some(Nav {
                username: staff.username.clone(),
                is_hq: staff.is_hq(),
                csrf_token: staff.csrf_token().to_owned(),
                section,
            }),
        }
    }

    pub fn section(&self) -> &str {
        self.nav.as_ref().map_or("", |nav| nav.section)
    }

    pub fn is_hq(&self) -> bool {
        self.nav.as_ref().is_some_and(|nav| nav.is_hq)
    }

    pub fn username(&self) -> &str {
        self.nav.as_ref().map_or("", |nav| &nav.username)
    }

    /// Put into every staff form as the hidden `csrf_token` field.
    pub fn csrf_token(&self) -> &str {
        self.nav.as_ref().map_or("", |nav| &nav.csrf_token)
    }
}
