//! How names read to people.

/// The binding as the member reads it: "北區｜台北信義店", or the store alone when it has no group.
pub fn binding_display_name(group_name: Option<&str>, store_name: &str) -> String {
    match group_name {
        Some(group) if !group.is_empty() => format!("{group}｜{store_name}"),
        _ => store_name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_and_store_are_joined_with_a_full_width_bar() {
        assert_eq!(
            binding_display_name(Some("北區"), "台北信義店"),
            "北區｜台北信義店"
        );
        assert_eq!(binding_display_name(None, "台北信義店"), "台北信義店");
    }
}
