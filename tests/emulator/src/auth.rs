//! Users and HTTP Basic credentials.
//!
//! The emulator knows a fixed set of users (by default `root` with an empty password). Every
//! front end — FE and BE HTTP, the MySQL protocol, the SQL API — checks credentials here.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;

#[derive(Debug, Clone)]
pub struct Users(Arc<BTreeMap<String, String>>);

impl Users {
    pub fn new(users: impl IntoIterator<Item = (String, String)>) -> Users {
        Users(Arc::new(users.into_iter().collect()))
    }

    pub fn check(&self, user: &str, password: &str) -> bool {
        self.0.get(user).is_some_and(|p| p == password)
    }

    /// The stored password of a user (the MySQL handshake needs it to verify a scramble).
    pub fn password(&self, user: &str) -> Option<&str> {
        self.0.get(user).map(String::as_str)
    }
}

/// Decodes an `Authorization: Basic …` header into (user, password).
pub fn parse_basic(header: Option<&str>) -> Option<(String, String)> {
    let value = header?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_basic_credentials_with_empty_password() {
        assert_eq!(
            parse_basic(Some("Basic cm9vdDo=")),
            Some(("root".into(), "".into()))
        );
        assert_eq!(parse_basic(Some("Bearer x")), None);
        assert_eq!(parse_basic(Some("Basic !!!")), None);
        assert_eq!(parse_basic(None), None);
    }
}
