//! The StarRocks release the emulator claims to be.
//!
//! StarRocks reports `<release>-<build hash>` (`Version.STARROCKS_VERSION + "-" +
//! Version.STARROCKS_COMMIT_HASH` in the FE) from `current_version()` and
//! `@@version_comment`, and clients decide from the leading release what they may use. The
//! release also decides behaviour here: multi-table transactions (`transaction_type: multi`)
//! exist only from 4.0, so a configured 3.x answers them as a 3.x cluster would.

use std::fmt;

/// The release the emulator claims unless told otherwise.
pub const DEFAULT_RELEASE: &str = "4.0.2";

/// The build part reported after the release when the configured text has none (StarRocks
/// prints a 7-digit commit hash there; the emulator has no StarRocks commit to name).
pub const EMULATOR_BUILD: &str = "0000000";

/// A parsed StarRocks version: `MAJOR.MINOR[.PATCH][-build]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    major: u32,
    minor: u32,
    /// What `current_version()` answers.
    text: String,
}

impl Version {
    /// Parses `4.0.2`, `3.5.4-9ab1c2d`, `4.1`, …; a text without a build part gets
    /// [`EMULATOR_BUILD`].
    pub fn parse(text: &str) -> Result<Version, String> {
        let text = text.trim();
        let (release, build) = match text.split_once('-') {
            Some((r, b)) if !b.is_empty() => (r, Some(b)),
            Some(_) => return Err(format!("invalid StarRocks version '{text}'")),
            None => (text, None),
        };
        let numbers: Vec<&str> = release.split('.').collect();
        let number = |i: usize| -> Result<u32, String> {
            numbers
                .get(i)
                .and_then(|n| n.parse::<u32>().ok())
                .ok_or_else(|| {
                    format!("invalid StarRocks version '{text}': expected MAJOR.MINOR[.PATCH]")
                })
        };
        if !(2..=3).contains(&numbers.len()) {
            return Err(format!(
                "invalid StarRocks version '{text}': expected MAJOR.MINOR[.PATCH]"
            ));
        }
        let (major, minor) = (number(0)?, number(1)?);
        if numbers.len() == 3 {
            number(2)?;
        }
        let text = match build {
            Some(_) => text.to_string(),
            None => format!("{release}-{EMULATOR_BUILD}"),
        };
        Ok(Version { major, minor, text })
    }

    /// Whether this release is `major.minor` or newer.
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }

    /// Multi-table Transaction Stream Load (`transaction_type: multi`) arrived in 4.0.
    pub fn has_multi_table_transactions(&self) -> bool {
        self.at_least(4, 0)
    }

    /// What `current_version()` and `@@version_comment` answer.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl Default for Version {
    fn default() -> Version {
        Version::parse(DEFAULT_RELEASE).expect("the default release parses")
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_release_gets_a_build_part_and_a_full_one_is_kept() {
        assert_eq!(Version::parse("4.0.2").unwrap().as_str(), "4.0.2-0000000");
        assert_eq!(
            Version::parse("3.5.4-9ab1c2d").unwrap().as_str(),
            "3.5.4-9ab1c2d"
        );
        assert_eq!(Version::default().as_str(), "4.0.2-0000000");
    }

    #[test]
    fn multi_table_transactions_start_at_four_zero() {
        for (text, multi) in [
            ("3.5.9", false),
            ("3.9", false),
            ("4.0", true),
            ("4.0.0-abc", true),
            ("4.1.1", true),
            ("10.0.0", true),
        ] {
            assert_eq!(
                Version::parse(text).unwrap().has_multi_table_transactions(),
                multi,
                "{text}"
            );
        }
    }

    #[test]
    fn malformed_versions_are_refused() {
        for text in ["", "4", "four.0", "4.0.x", "4.0.1.2", "4.0-"] {
            assert!(Version::parse(text).is_err(), "{text}");
        }
    }
}
