//! The Slurm version, as every client prints it with `--version`: `slurm 22.05.8`,
//! `slurm-wlm 24.11.5` (Debian), `slurm 25.05.0-0rc1`.

use crate::slurm::ParseError;

/// The command rv runs to learn the version.
pub const COMMAND: &str = "sinfo --version";

/// A Slurm release: `major.minor.patch`, where `major.minor` is the release (`24.11`) whose
/// output formats rv keys on. Ordered by release, then patch.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(into = "String", try_from = "String")]
pub struct SlurmVersion {
    /// The year of the release (`24`).
    pub major: u16,
    /// The month of the release (`11`).
    pub minor: u16,
    /// The maintenance release.
    pub patch: u16,
}

impl SlurmVersion {
    /// A version from its parts.
    pub const fn new(major: u16, minor: u16, patch: u16) -> Self {
        SlurmVersion {
            major,
            minor,
            patch,
        }
    }

    /// Reads `--version` output (the first line that names a version), or a bare
    /// `24.11.5` / `24.11`.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let err = |why: &str| ParseError::new("slurm version", text, why);
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .ok_or_else(|| err("no version"))?;
        let number = line.split_whitespace().last().unwrap_or_default();
        let mut parts = number.splitn(3, '.');
        let mut part = |what: &str| -> Result<Option<u16>, ParseError> {
            let Some(p) = parts.next() else {
                return Ok(None);
            };
            // `0-0rc1`, `5+local`: the leading digits are the number.
            let digits: &str = &p[..p.bytes().take_while(u8::is_ascii_digit).count()];
            digits
                .parse()
                .map(Some)
                .map_err(|_| err(&format!("the {what} is not a number")))
        };
        let major = part("major")?.ok_or_else(|| err("no version"))?;
        let minor = part("minor")?.ok_or_else(|| err("expected MAJOR.MINOR[.PATCH]"))?;
        let patch = part("patch")?.unwrap_or(0);
        Ok(SlurmVersion::new(major, minor, patch))
    }
}

impl std::fmt::Display for SlurmVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:02}.{}", self.major, self.minor, self.patch)
    }
}

impl From<SlurmVersion> for String {
    fn from(v: SlurmVersion) -> String {
        v.to_string()
    }
}

impl TryFrom<String> for SlurmVersion {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, ParseError> {
        SlurmVersion::parse(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_every_spelling() {
        assert_eq!(
            SlurmVersion::parse("slurm 22.05.8\n"),
            Ok(SlurmVersion::new(22, 5, 8))
        );
        assert_eq!(
            SlurmVersion::parse("slurm-wlm 24.11.5\n"),
            Ok(SlurmVersion::new(24, 11, 5))
        );
        assert_eq!(
            SlurmVersion::parse("slurm 25.05.0-0rc1"),
            Ok(SlurmVersion::new(25, 5, 0))
        );
        assert_eq!(
            SlurmVersion::parse("23.02"),
            Ok(SlurmVersion::new(23, 2, 0))
        );
        assert!(SlurmVersion::parse("").is_err());
        assert!(SlurmVersion::parse("slurm").is_err());
        assert!(SlurmVersion::parse("slurm 24").is_err());
        assert!(SlurmVersion::parse("slurm x.y").is_err());
    }

    #[test]
    fn orders_and_prints_releases() {
        let old = SlurmVersion::new(22, 5, 8);
        let new = SlurmVersion::new(24, 11, 5);
        assert!(old < new);
        assert_eq!(new.to_string(), "24.11.5");
        assert_eq!(old.to_string(), "22.05.8");
        let json = serde_json::to_string(&old).unwrap();
        assert_eq!(json, "\"22.05.8\"");
        assert_eq!(serde_json::from_str::<SlurmVersion>(&json).unwrap(), old);
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = SlurmVersion::parse(&s);
        }

        #[test]
        fn printed_versions_read_back(a in 0u16..100, b in 0u16..13, c in 0u16..100) {
            let v = SlurmVersion::new(a, b, c);
            prop_assert_eq!(SlurmVersion::parse(&format!("slurm {v}")), Ok(v));
        }
    }
}
