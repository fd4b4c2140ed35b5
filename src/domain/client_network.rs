//! Which client a per-client limit counts (scans, SMS codes, sign-ins): an IPv4 address as it
//! is, an IPv6 address by its /64 network. A phone or a home router is handed a whole /64 and may
//! use any address in it, so counting IPv6 addresses one by one would give one subscriber 2^64
//! budgets.

use std::net::IpAddr;

/// The network `address` counts as: IPv4 (also written as IPv4-mapped IPv6) as it is, IPv6 with
/// the last 64 bits cleared.
pub fn network(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut octets = v6.octets();
                octets[8..].fill(0);
                IpAddr::from(octets)
            }
        },
    }
}

/// [`network`] as text, the way the limits store it: `203.0.113.9`, `2001:db8:1:2::/64`.
pub fn limit_key(address: IpAddr) -> String {
    match network(address) {
        v4 @ IpAddr::V4(_) => v4.to_string(),
        v6 @ IpAddr::V6(_) => format!("{v6}/64"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_bit_network() {
        assert_eq!(limit_key(ip("2001:db8:1:2::1")), "2001:db8:1:2::/64");
        assert_eq!(
            limit_key(ip("2001:db8:1:2:ffff:ab:cd:ef")),
            "2001:db8:1:2::/64"
        );
        assert_ne!(limit_key(ip("2001:db8:1:3::1")), "2001:db8:1:2::/64");
        assert_eq!(network(ip("2001:db8:1:2::77")), ip("2001:db8:1:2::"));
    }

    #[test]
    fn ipv4_addresses_count_as_they_are_even_written_as_ipv6() {
        assert_eq!(limit_key(ip("203.0.113.9")), "203.0.113.9");
        assert_eq!(limit_key(ip("::ffff:203.0.113.9")), "203.0.113.9");
        assert_ne!(limit_key(ip("203.0.113.10")), "203.0.113.9");
    }
}
