//! Leases: an interactive request lives only while its client does.
//!
//! A request that holds an allocation for a shell has a lease: the file `lease` in its
//! directory on the cluster's shared filesystem, whose content is the lease's length in
//! seconds and whose modification time is the last renewal. The client renews it on the
//! round trips it already makes (each watch tick) and, while a shell is attached, every
//! [`renew_every`] seconds over the same SSH master. The job decides the rest by itself (see
//! `script`): its holder checks the lease every [`check_every`] seconds and ends the job
//! when the lease is older than its length and no step of the job is attached; an attached
//! shell ends itself when the lease is older than that (the client froze or was killed with
//! its terminal still open). So nothing holds GPUs long after its user is gone, with the
//! laptop closed. Batch work (a command) has no lease: it runs to its end.

use crate::slurm::time::Walltime;
use crate::util::quote;

/// The lease's length when neither `--lease` nor `[defaults] lease` says: 10 minutes.
pub const DEFAULT_SECS: u64 = 600;

/// The file, in a request's directory.
pub const FILE: &str = "lease";

/// A lease length from the user (`--lease`, `defaults.lease`): a duration of at least a
/// minute (`30m`, `2h`, `1:30:00`).
pub fn parse(text: &str) -> Result<u64, String> {
    if text.trim().starts_with('-') {
        return Err(format!(
            "{text:?}: a lease cannot be negative (--keep means no lease)"
        ));
    }
    if text.trim().bytes().all(|b| b == b'0') {
        return Err(format!(
            "{text:?}: a lease is at least a minute (--keep means no lease)"
        ));
    }
    let secs = Walltime::from_user(text)
        .map_err(|e| e.to_string())?
        .as_secs();
    if secs < 60 {
        return Err(format!(
            "{text:?}: a lease is at least a minute (--keep means no lease)"
        ));
    }
    Ok(secs)
}

/// The lease a request gets when `asked` is what was asked for: a holder's; never batch
/// work's (a command runs to its end).
pub fn of(request: &crate::records::Request, asked: Option<u64>) -> Option<u64> {
    asked.filter(|_| request.command.is_none())
}

/// Seconds between a client's renewals while a shell is attached: a quarter of the lease,
/// from 5 s to 60 s.
pub const fn renew_every(length: u64) -> u64 {
    let quarter = length / 4;
    if quarter < 5 {
        5
    } else if quarter > 60 {
        60
    } else {
        quarter
    }
}

/// Seconds between the job's checks of its lease: a sixth of the lease, from 5 s to 60 s.
pub fn check_every(length: u64) -> u64 {
    (length / 6).clamp(5, 60)
}

/// Renews the lease of the request in `dir` (nothing when it has none).
pub fn renew(dir: &str) -> String {
    format!("touch -c {}/{FILE} 2>/dev/null", quote(dir))
}

/// The shell that finds the lease of `job`'s request (the directory of its batch script)
/// into `$rv_lease`, empty when it has none.
pub fn find(job: u64) -> String {
    format!(
        r#"rv_lease=$(squeue -h -j {job} -o %o 2>/dev/null); rv_lease="${{rv_lease%/*}}/{FILE}"; [ -f "$rv_lease" ] || rv_lease="""#
    )
}

/// Renews the lease of `job`'s request, found through the job, and prints its length
/// (nothing when it has none); see [`parse_renewed`].
pub fn renew_job(job: u64) -> String {
    format!(
        r#"{}; [ -n "$rv_lease" ] && touch -c "$rv_lease" && head -c 32 "$rv_lease"; true"#,
        find(job)
    )
}

/// The length [`renew_job`] printed; `None` when the job has no lease.
pub fn parse_renewed(stdout: &str) -> Option<u64> {
    stdout.trim().parse().ok().filter(|&s| s > 0)
}

/// The line between the leases and the rows in the output of [`with_jobs`].
const ROWS: &str = "rv-rows\n";

/// Runs `squeue` (the user's jobs, with the batch script's path as the `script`-th column,
/// 1-based, of a `|`-separated format) once, and finds the leases of their requests in those
/// scripts' directories: prints a `renewed|length|request` line per lease (see
/// [`parse_listing`]), then `rv-rows`, then squeue's rows, and exits with squeue's status
/// (see [`split_with_jobs`]). Rows end in `|`, so the one newline the capture takes off the
/// end is put back. The rows are read by the shell's own `read` from a here-document; the
/// only process besides squeue is one `stat`, when there are leases.
pub fn with_jobs(squeue: &str, script: usize) -> String {
    let before = "x ".repeat(script.saturating_sub(1));
    format!(
        r#"q=$({squeue}); rc=$?
set --; seen=' '
# shellcheck disable=SC2034 # the columns before and after the script are not used
while IFS='|' read -r {before}o x; do
  case $o in /*) ;; *) continue ;; esac
  d=${{o%/*}}
  case $seen in *" $d "*) continue ;; esac
  seen="$seen$d "
  [ -f "$d/{FILE}" ] && set -- "$@" "$d/{FILE}"
done <<rv-rows
$q
rv-rows
[ $# -eq 0 ] || stat -c '%Y %n' -- "$@" 2>/dev/null | while read -r m f; do
  l=; read -r l <"$f"; d=${{f%/*}}; printf '%s|%s|%s\n' "$m" "$l" "${{d##*/}}"
done
printf 'rv-rows\n'; [ -z "$q" ] || printf '%s\n' "$q"
exit $rc"#
    )
}

/// The leases and the rows of [`with_jobs`]'s output (all of it rows, no lease, when it has
/// no `rv-rows` line: squeue's output is never lost).
pub fn split_with_jobs(stdout: &str) -> (Vec<Seen>, &str) {
    let at = if stdout.starts_with(ROWS) {
        Some(0)
    } else {
        stdout.find(&format!("\n{ROWS}")).map(|i| i + 1)
    };
    match at {
        Some(at) => (parse_listing(&stdout[..at]), &stdout[at + ROWS.len()..]),
        None => (Vec::new(), stdout),
    }
}

/// A lease as the cluster has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The request.
    pub request: String,
    /// When it was last renewed (epoch seconds, the cluster's clock).
    pub renewed: i64,
    /// Its length in seconds.
    pub length: u64,
}

/// Reads the lease lines of [`with_jobs`]; lines that are not a lease are skipped.
pub fn parse_listing(stdout: &str) -> Vec<Seen> {
    stdout
        .lines()
        .filter_map(|l| {
            let mut f = l.splitn(3, '|');
            let renewed = f.next()?.trim().parse().ok()?;
            let length = f.next()?.trim().parse().ok().filter(|&s| s > 0)?;
            let request = f.next()?.trim();
            request.starts_with("r-").then(|| Seen {
                request: request.to_owned(),
                renewed,
                length,
            })
        })
        .collect()
}

/// A request's lease, as `rv ps` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Lease {
    /// Its length in seconds.
    pub length: u64,
    /// Seconds since the last renewal.
    pub age: u64,
    /// Whether a client renews it (renewed within two renewal periods and a tick).
    pub client: bool,
    /// Seconds until the job ends unless a client comes back (`None` while one renews).
    pub ends_in: Option<u64>,
}

impl Lease {
    /// The lease `seen` at `now`.
    pub fn at(seen: &Seen, now: i64) -> Lease {
        let age = u64::try_from(now - seen.renewed).unwrap_or(0);
        let client = age <= 2 * renew_every(seen.length) + 5;
        Lease {
            length: seen.length,
            age,
            client,
            ends_in: (!client).then(|| seen.length.saturating_sub(age)),
        }
    }

    /// In words: `client here (lease 10 min)`, or `client gone 3 min, ends in 7 min unless
    /// reattached`.
    pub fn describe(&self) -> String {
        let m = |s: u64| {
            if s < 60 {
                format!("{s} s")
            } else {
                crate::plan::human(s)
            }
        };
        match self.ends_in {
            None => format!("client here (lease {})", m(self.length)),
            Some(0) => format!(
                "client gone {}: lease expired, ends unless a shell is attached",
                m(self.age)
            ),
            Some(left) => format!(
                "client gone {}, ends in {} unless reattached",
                m(self.age),
                m(left)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_a_duration_of_at_least_a_minute() {
        assert_eq!(parse("30m"), Ok(1800));
        assert_eq!(parse("1m"), Ok(60));
        assert_eq!(parse("1:00:00"), Ok(3600));
        for bad in ["0", "0m", "-5m", "soon", "", "30s"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn renewals_come_several_times_per_lease_and_at_least_once_a_minute() {
        assert_eq!(renew_every(600), 60);
        assert_eq!(renew_every(60), 15);
        assert_eq!(check_every(600), 60);
        assert_eq!(check_every(60), 10);
        assert_eq!(check_every(7200), 60);
    }

    #[test]
    fn the_listing_skips_what_is_not_a_lease() {
        let out = "1795891000|600|r-1795890000-01fadc0b\n\
                   garbage\n\
                   1795891000||r-1795890000-aa\n\
                   1795891000|600|not-a-request\n\
                   1795891000|60|r-1795890001-bb\n";
        assert_eq!(
            parse_listing(out),
            [
                Seen {
                    request: "r-1795890000-01fadc0b".into(),
                    renewed: 1_795_891_000,
                    length: 600
                },
                Seen {
                    request: "r-1795890001-bb".into(),
                    renewed: 1_795_891_000,
                    length: 60
                }
            ]
        );
    }

    #[test]
    fn jobs_and_their_leases_come_from_one_squeue() {
        let dir = std::env::temp_dir().join(format!("rv-lease-jobs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (one, two, none) = (
            dir.join("r-1795890000-aa"),
            dir.join("with space/r-1795890001-bb"),
            dir.join("r-1795890002-cc"),
        );
        for d in [&one, &two, &none] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(one.join(FILE), "600").unwrap();
        std::fs::write(two.join(FILE), "60\n").unwrap();
        let row = |id: &str, script: &str, name: &str| format!("{id}|a|b|{script}|{name}|\n");
        let rows = [
            row("1", &format!("{}/s1.sh", one.display()), "rv-x-s1"),
            row("2", &format!("{}/s2.sh", one.display()), "rv-x-s2"),
            row(
                "3",
                &format!("{}/s1.sh", two.display()),
                "odd | name\nrv-rows\n",
            ),
            row("4", &format!("{}/s1.sh", none.display()), "no lease"),
            row("5", "(null)", "wrapped"),
        ]
        .concat();
        let fake = format!(
            "sh -c {}",
            crate::util::quote(&format!(
                "printf '%s' {}; exit 3",
                crate::util::quote(&rows)
            ))
        );
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(with_jobs(&fake, 4))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "squeue's status");
        let stdout = String::from_utf8(out.stdout).unwrap();
        let (mut leases, got) = split_with_jobs(&stdout);
        assert_eq!(got, rows, "the rows, exactly");
        leases.sort_by(|a, b| a.request.cmp(&b.request));
        let found: Vec<(&str, u64)> = leases
            .iter()
            .map(|l| (l.request.as_str(), l.length))
            .collect();
        assert_eq!(found, [("r-1795890000-aa", 600), ("r-1795890001-bb", 60)]);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(
            leases
                .iter()
                .all(|l| l.renewed.abs_diff(i64::try_from(now).unwrap()) < 60)
        );
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(split_with_jobs("1|a|\n").1, "1|a|\n", "no line: all rows");
    }

    #[test]
    fn a_lease_says_whether_its_client_is_there_and_when_it_ends() {
        let seen = Seen {
            request: "r-1-a".into(),
            renewed: 1000,
            length: 600,
        };
        let here = Lease::at(&seen, 1030);
        assert!(here.client);
        assert_eq!(here.ends_in, None);
        assert_eq!(here.describe(), "client here (lease 10 min)");
        let gone = Lease::at(&seen, 1180);
        assert_eq!(gone.ends_in, Some(420));
        assert_eq!(
            gone.describe(),
            "client gone 3 min, ends in 7 min unless reattached"
        );
        let expired = Lease::at(&seen, 1700);
        assert_eq!(expired.ends_in, Some(0));
        // A clock a little behind the file's is no age at all.
        assert_eq!(Lease::at(&seen, 990).age, 0);
    }

    #[test]
    fn a_renewal_reads_back_the_length() {
        assert_eq!(parse_renewed("600"), Some(600));
        assert_eq!(parse_renewed(""), None);
        assert_eq!(parse_renewed("0"), None);
        assert_eq!(parse_renewed("x"), None);
    }
}
