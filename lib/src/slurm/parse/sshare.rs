//! `sshare`: the fair-share standing of users in their accounts.

use crate::slurm::ParseError;

use super::Table;

/// The `sshare` rv runs: the calling user's associations, parsable, with a header.
pub const COMMAND: &str = "sshare -U -P";

/// One user's standing in one account.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Share {
    /// The account.
    pub account: String,
    /// The user.
    pub user: String,
    /// Raw usage (decayed CPU-seconds, or billing units).
    pub raw_usage: Option<u64>,
    /// The share of the parent's usage that is this user's.
    pub effective_usage: Option<f64>,
    /// The fair-share factor in 0..=1: higher schedules sooner.
    pub fairshare: Option<f64>,
}

/// Parses `sshare` output (`-P`, the default fixed-width layout, `-l`, or a whitespace
/// layout without the dashes line) into its user rows; account-only rows are skipped.
pub fn parse_shares(text: &str) -> Result<Vec<Share>, ParseError> {
    let table = Table::parse("sshare", text)?;
    let col = |name| {
        table
            .column(name)
            .ok_or_else(|| ParseError::new("sshare", text, format!("no {name} column")))
    };
    let (account, user) = (col("Account")?, col("User")?);
    let (raw, effective, fairshare) = (
        table.column("RawUsage"),
        table.column("EffectvUsage"),
        table.column("FairShare"),
    );
    let mut shares = Vec::new();
    for (line, cells) in &table.rows {
        let cell = |c: Option<usize>| c.and_then(|c| cells.get(c)).copied().unwrap_or_default();
        let name = cell(Some(user));
        // An account row has no user; in a whitespace layout, where the empty cell is not
        // seen, its next word (a number) stands in the User column. Elsewhere a user may be
        // called `nan` or `1e5`.
        if name.is_empty() || (table.whitespace && name.parse::<f64>().is_ok()) {
            continue;
        }
        let number = |c: Option<usize>, what: &str| -> Result<Option<f64>, ParseError> {
            match cell(c) {
                "" => Ok(None),
                v => v.parse::<f64>().map(Some).map_err(|_| {
                    ParseError::new("sshare", v, format!("{what} is not a number")).at_line(*line)
                }),
            }
        };
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let raw_usage = number(raw, "RawUsage")?.map(|v| v.max(0.0) as u64);
        shares.push(Share {
            account: cell(Some(account)).to_owned(),
            user: name.to_owned(),
            raw_usage,
            effective_usage: number(effective, "EffectvUsage")?,
            fairshare: number(fairshare, "FairShare")?,
        });
    }
    Ok(shares)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slurm::parse::test_support::{fixture, sample};
    use proptest::prelude::*;

    #[test]
    fn reads_rivannas_long_layout() {
        let shares = parse_shares(&fixture("rivanna/sshare-l.txt")).unwrap();
        assert_eq!(shares.len(), 1);
        assert_eq!(shares[0].account, "meng-lab");
        assert_eq!(shares[0].user, "abs6bd");
        assert_eq!(shares[0].raw_usage, Some(44205));
        assert_eq!(shares[0].effective_usage, Some(0.000_039));
        assert_eq!(
            shares[0].fairshare,
            Some(0.161_731),
            "column 8 of 11, not the last"
        );
    }

    #[test]
    fn reads_testbed_layouts_alike() {
        let parsable = parse_shares(&sample("sshare.txt", "sshare -U -P")).unwrap();
        let fixed = parse_shares(&sample("sshare.txt", "sshare")).unwrap();
        let long = parse_shares(&sample("sshare.txt", "sshare -a -l")).unwrap();
        assert_eq!(parsable.len(), 1);
        assert_eq!(parsable, fixed);
        assert_eq!(parsable[0].fairshare, Some(0.333_333));
        assert_eq!(parsable[0].raw_usage, Some(666));
        let users: Vec<&str> = long.iter().map(|s| s.user.as_str()).collect();
        assert_eq!(users, ["root", "rvother", "rvtest"]);
    }

    #[test]
    fn users_named_like_numbers_are_users() {
        let text = "Account|User|RawShares|NormShares|RawUsage|EffectvUsage|FairShare\n\
                    lab||1|0.5|100|0.1|\n\
                    lab|nan|1|0.5|10|0.01|0.5\n\
                    lab|1e5|1|0.5|20|0.02|0.25\n";
        let users: Vec<String> = parse_shares(text)
            .unwrap()
            .into_iter()
            .map(|s| s.user)
            .collect();
        assert_eq!(users, ["nan", "1e5"]);
    }

    #[test]
    fn rejects_other_tables() {
        assert!(parse_shares("JobID|State\n1|R\n").is_err());
        assert!(parse_shares("Account|User|FairShare\nlab|me|high\n").is_err());
        assert_eq!(
            parse_shares(""),
            Err(ParseError::new("sshare", "", "no Account column"))
        );
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = parse_shares(&s);
        }
    }
}
