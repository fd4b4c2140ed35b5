//! Attribution: who gets the credit (the referrer) when a member binds.
//!
//! A policy object, so a merchant could choose another rule later. The default,
//! [`FirstBindingWins`], is DESIGN.md's: the first successful binding is permanent; a bound member
//! who scans another store's code keeps the binding they have and the attempt is only recorded.

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
}
