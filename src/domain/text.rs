//! What the text-valued types (a journey id, a LINE user id, a phone number) share: each reads as
//! the `str` it holds and compares with one, so code and tests can look at the text without
//! being able to make one from any text.

/// `as_str`, `Deref<Target = str>` and equality with `str` for a newtype over one `String`.
macro_rules! reads_as_str {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

pub(crate) use reads_as_str;
