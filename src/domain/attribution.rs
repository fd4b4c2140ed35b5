//! Attribution: who gets the credit (the referrer) when a member binds, and which store and clerk
//! an order credits.
//!
//! Binding is a policy object, so a merchant could choose another rule later. The default,
//! [`FirstBindingWins`], is DESIGN.md's: the first successful binding is permanent; a bound member
//! who scans another store's code keeps the binding they have and the attempt is only recorded.
//!
//! Sales ([`credit_order`]): an order credits the referrer the member had *when it was ordered*
//! (an HQ rebinding later never moves past sales), only from the moment of binding on (an order
//! placed before the shopper bound is never credited), and only within HQ's attribution window
//! (歸因有效期限) counted from that first binding. The level (歸因層級) decides whether the clerk is
//! credited as well as the store.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};

/// The referrer a journey offers: a store and maybe the clerk whose card was scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Referrer {
    pub store_id: i32,
    pub clerk_id: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributionDecision {
    /// No binding yet: bind to the offered referrer.
    Bind,
    /// Bound already to the same store: nothing changes, and the shopper is told they are bound.
    AlreadyBoundHere,
    /// Bound to another store: nothing changes; the attempt is recorded.
    AlreadyBoundElsewhere { store_id: i32 },
}

pub trait AttributionPolicy: Send + Sync {
    fn decide(&self, existing: Option<Referrer>, offered: Referrer) -> AttributionDecision;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct FirstBindingWins;

impl AttributionPolicy for FirstBindingWins {
    fn decide(&self, existing: Option<Referrer>, offered: Referrer) -> AttributionDecision {
        match existing {
            None => AttributionDecision::Bind,
            Some(current) if current.store_id == offered.store_id => {
                AttributionDecision::AlreadyBoundHere
            }
            Some(current) => AttributionDecision::AlreadyBoundElsewhere {
                store_id: current.store_id,
            },
        }
    }
}

/// HQ's attribution settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributionRules {
    pub level: AttributionLevel,
    /// Days after the binding during which orders are credited; `None`: no limit.
    pub window_days: Option<u32>,
}

/// The longest attribution window HQ may set: ten years.
pub const MAX_WINDOW_DAYS: u32 = 3650;

impl AttributionRules {
    /// From the settings form: the level `store` or `clerk`, and the window in days (empty: no
    /// limit; full-width digits accepted).
    pub fn parse(level: &str, window_days: &str) -> Result<Self, RulesError> {
        let level = match level.trim() {
            "store" => AttributionLevel::Store,
            "clerk" => AttributionLevel::Clerk,
            _ => return Err(RulesError::Level),
        };
        let window: String = window_days
            .trim()
            .chars()
            .map(|c| match c {
                '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
                other => other,
            })
            .collect();
        let window_days = if window.is_empty() {
            None
        } else {
            Some(
                window
                    .parse::<u32>()
                    .ok()
                    .filter(|days| (1..=MAX_WINDOW_DAYS).contains(days))
                    .ok_or(RulesError::Window)?,
            )
        };
        Ok(Self { level, window_days })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("the attribution level is store or clerk")]
    Level,
    #[error(
        "the attribution window is a whole number of days from 1 to 3650, or empty for no limit"
    )]
    Window,
}

impl RulesError {
    pub fn zh(self) -> &'static str {
        match self {
            RulesError::Level => "歸因層級請選擇「門市」或「店員」。",
            RulesError::Window => "歸因有效期限須為 1 到 3650 的整數天數；留空表示不限期。",
        }
    }
}

/// One HQ change of a member's referrer (a rebinding, a reassignment or its undo).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferrerChange {
    pub at: DateTime<Utc>,
    pub from: Referrer,
    pub to: Referrer,
}

/// A member's binding over time: when they first bound, who their referrer is now, and HQ's
/// changes to it. Only the changes after the instant asked about matter; the rest may be left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingHistory {
    pub bound_at: DateTime<Utc>,
    pub current: Referrer,
    pub changes: Vec<ReferrerChange>,
}

impl BindingHistory {
    /// The referrer at `at`: the one the first change after `at` moved away from, or the current
    /// one when nothing changed since. `None` before the member bound.
    pub fn referrer_at(&self, at: DateTime<Utc>) -> Option<Referrer> {
        if at < self.bound_at {
            return None;
        }
        let next_change = self
            .changes
            .iter()
            .filter(|change| change.at > at)
            .min_by_key(|change| change.at);
        Some(next_change.map_or(self.current, |change| change.from))
    }
}

/// What an order credits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SalesCredit {
    /// The store (and, at clerk level, the clerk the member bound through, if any).
    Credited {
        store_id: i32,
        clerk_id: Option<i32>,
    },
    Unattributed(UnattributedReason),
}

/// The credit for an order of a matched member: `binding` is `None` when the member has none.
pub fn credit_order(
    binding: Option<&BindingHistory>,
    ordered_at: DateTime<Utc>,
    rules: AttributionRules,
) -> SalesCredit {
    let Some(binding) = binding else {
        return SalesCredit::Unattributed(UnattributedReason::NotBound);
    };
    let Some(referrer) = binding.referrer_at(ordered_at) else {
        return SalesCredit::Unattributed(UnattributedReason::BeforeBinding);
    };
    if let Some(days) = rules.window_days
        && ordered_at - binding.bound_at > Duration::days(i64::from(days))
    {
        return SalesCredit::Unattributed(UnattributedReason::WindowExpired);
    }
    SalesCredit::Credited {
        store_id: referrer.store_id,
        clerk_id: match rules.level {
            AttributionLevel::Store => None,
            AttributionLevel::Clerk => referrer.clerk_id,
        },
    }
}

/// `shop_settings.attribution_level`, `orders.attribution_level` (歸因層級)
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum AttributionLevel {
    /// The bound store gets the credit.
    #[sea_orm(string_value = "store")]
    Store,
    /// The bound store and, when the member bound through a clerk's card, that clerk.
    #[sea_orm(string_value = "clerk")]
    Clerk,
}

/// `orders.unattributed_reason`: why an order credits no store.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum UnattributedReason {
    /// The order names no customer we can look up (no phone, LINE id or member id).
    #[sea_orm(string_value = "no_customer")]
    NoCustomer,
    /// It names one, but no member has that phone, LINE id or member id.
    #[sea_orm(string_value = "unknown_member")]
    UnknownMember,
    /// The member has no binding.
    #[sea_orm(string_value = "not_bound")]
    NotBound,
    /// Ordered before the member bound: never credited.
    #[sea_orm(string_value = "before_binding")]
    BeforeBinding,
    /// Ordered after the attribution window (歸因有效期限) had closed.
    #[sea_orm(string_value = "window_expired")]
    WindowExpired,
}

#[cfg(test)]
mod tests {
    use super::*;

    const XINYI: Referrer = Referrer {
        store_id: 1,
        clerk_id: Some(7),
    };

    #[test]
    fn an_unbound_member_is_bound() {
        assert_eq!(
            FirstBindingWins.decide(None, XINYI),
            AttributionDecision::Bind
        );
    }

    #[test]
    fn the_same_store_again_changes_nothing() {
        let other_clerk = Referrer {
            store_id: 1,
            clerk_id: Some(8),
        };
        assert_eq!(
            FirstBindingWins.decide(Some(XINYI), other_clerk),
            AttributionDecision::AlreadyBoundHere
        );
    }

    #[test]
    fn another_store_never_overwrites_the_first_binding() {
        let banqiao = Referrer {
            store_id: 2,
            clerk_id: None,
        };
        assert_eq!(
            FirstBindingWins.decide(Some(XINYI), banqiao),
            AttributionDecision::AlreadyBoundElsewhere { store_id: 1 }
        );
    }

    // ---- Sales ----

    use chrono::TimeZone;
    use proptest::prelude::*;

    const BANQIAO: Referrer = Referrer {
        store_id: 2,
        clerk_id: None,
    };

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
    }

    const STORE_LEVEL: AttributionRules = AttributionRules {
        level: AttributionLevel::Store,
        window_days: None,
    };
    const CLERK_LEVEL: AttributionRules = AttributionRules {
        level: AttributionLevel::Clerk,
        window_days: None,
    };

    fn bound_at_xinyi(day: u32) -> BindingHistory {
        BindingHistory {
            bound_at: at(day, 12),
            current: XINYI,
            changes: vec![],
        }
    }

    #[test]
    fn the_settings_form_reads_level_and_window() {
        assert_eq!(
            AttributionRules::parse("clerk", " ３０ "),
            Ok(AttributionRules {
                level: AttributionLevel::Clerk,
                window_days: Some(30)
            })
        );
        assert_eq!(AttributionRules::parse("store", ""), Ok(STORE_LEVEL));
        assert_eq!(AttributionRules::parse("group", ""), Err(RulesError::Level));
        for window in ["0", "-1", "3651", "30.5", "thirty"] {
            assert_eq!(
                AttributionRules::parse("store", window),
                Err(RulesError::Window),
                "{window}"
            );
        }
    }

    #[test]
    fn an_order_credits_the_bound_store_and_at_clerk_level_the_clerk() {
        let binding = bound_at_xinyi(1);
        assert_eq!(
            credit_order(Some(&binding), at(5, 9), STORE_LEVEL),
            SalesCredit::Credited {
                store_id: 1,
                clerk_id: None
            }
        );
        assert_eq!(
            credit_order(Some(&binding), at(5, 9), CLERK_LEVEL),
            SalesCredit::Credited {
                store_id: 1,
                clerk_id: Some(7)
            }
        );
    }

    #[test]
    fn orders_before_the_binding_are_never_credited() {
        let binding = bound_at_xinyi(10);
        assert_eq!(
            credit_order(Some(&binding), at(10, 11), CLERK_LEVEL),
            SalesCredit::Unattributed(UnattributedReason::BeforeBinding)
        );
        // The very instant of binding counts as bound.
        assert!(matches!(
            credit_order(Some(&binding), at(10, 12), CLERK_LEVEL),
            SalesCredit::Credited { .. }
        ));
    }

    #[test]
    fn a_member_without_a_binding_credits_nobody() {
        assert_eq!(
            credit_order(None, at(5, 9), STORE_LEVEL),
            SalesCredit::Unattributed(UnattributedReason::NotBound)
        );
    }

    #[test]
    fn the_window_counts_from_the_binding_and_includes_its_last_instant() {
        let binding = bound_at_xinyi(1);
        let rules = AttributionRules {
            level: AttributionLevel::Store,
            window_days: Some(7),
        };
        assert!(matches!(
            credit_order(Some(&binding), at(8, 12), rules),
            SalesCredit::Credited { store_id: 1, .. }
        ));
        assert_eq!(
            credit_order(Some(&binding), at(8, 13), rules),
            SalesCredit::Unattributed(UnattributedReason::WindowExpired)
        );
    }

    #[test]
    fn a_rebinding_moves_only_the_orders_placed_after_it() {
        let binding = BindingHistory {
            bound_at: at(1, 12),
            current: BANQIAO,
            changes: vec![ReferrerChange {
                at: at(15, 0),
                from: XINYI,
                to: BANQIAO,
            }],
        };
        assert_eq!(binding.referrer_at(at(14, 23)), Some(XINYI));
        assert_eq!(binding.referrer_at(at(15, 1)), Some(BANQIAO));
        assert_eq!(binding.referrer_at(at(1, 11)), None);
    }

    #[test]
    fn with_several_changes_the_first_one_after_the_order_says_who_had_it() {
        let tamsui = Referrer {
            store_id: 3,
            clerk_id: Some(9),
        };
        let binding = BindingHistory {
            bound_at: at(1, 0),
            current: tamsui,
            changes: vec![
                ReferrerChange {
                    at: at(20, 0),
                    from: BANQIAO,
                    to: tamsui,
                },
                ReferrerChange {
                    at: at(10, 0),
                    from: XINYI,
                    to: BANQIAO,
                },
            ],
        };
        assert_eq!(binding.referrer_at(at(5, 0)), Some(XINYI));
        assert_eq!(binding.referrer_at(at(15, 0)), Some(BANQIAO));
        assert_eq!(binding.referrer_at(at(25, 0)), Some(tamsui));
    }

    fn referrer() -> impl Strategy<Value = Referrer> {
        (1..5i32, proptest::option::of(1..5i32))
            .prop_map(|(store_id, clerk_id)| Referrer { store_id, clerk_id })
    }

    proptest! {
        #[test]
        fn no_order_before_the_binding_is_ever_credited(
            bound_hour in 0i64..1000,
            order_hour in 0i64..2000,
            window in proptest::option::of(1u32..60),
            clerk_level in any::<bool>(),
            current in referrer(),
            changes in proptest::collection::vec((0i64..2000, referrer(), referrer()), 0..5),
        ) {
            let start = at(1, 0);
            let binding = BindingHistory {
                bound_at: start + Duration::hours(bound_hour),
                current,
                changes: changes
                    .into_iter()
                    .map(|(hour, from, to)| ReferrerChange { at: start + Duration::hours(hour), from, to })
                    .collect(),
            };
            let rules = AttributionRules {
                level: if clerk_level { AttributionLevel::Clerk } else { AttributionLevel::Store },
                window_days: window,
            };
            let ordered_at = start + Duration::hours(order_hour);
            let credit = credit_order(Some(&binding), ordered_at, rules);
            if ordered_at < binding.bound_at {
                prop_assert_eq!(credit, SalesCredit::Unattributed(UnattributedReason::BeforeBinding));
            }
            if let SalesCredit::Credited { store_id, clerk_id } = credit {
                prop_assert!(ordered_at >= binding.bound_at);
                let known: Vec<Referrer> = std::iter::once(binding.current)
                    .chain(binding.changes.iter().map(|c| c.from))
                    .collect();
                prop_assert!(known.iter().any(|r| r.store_id == store_id));
                if !clerk_level {
                    prop_assert_eq!(clerk_id, None);
                }
                if let Some(days) = window {
                    prop_assert!(ordered_at - binding.bound_at <= Duration::days(i64::from(days)));
                }
            }
        }
    }
}
