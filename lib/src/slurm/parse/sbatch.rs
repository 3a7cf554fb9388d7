//! `sbatch`: job ids of submissions, the reasons of refusals, and `--test-only` estimates.

use crate::slurm::ParseError;
use crate::slurm::hostlist;
use crate::slurm::time::Clock;

/// Reads the job id `sbatch` printed: `--parsable` (`16`, `16;cluster`) or the plain
/// `Submitted batch job 16` (possibly followed by ` on cluster X`).
pub fn parse_job_id(stdout: &str) -> Result<u64, ParseError> {
    let text = stdout.trim();
    let id = text.strip_prefix("Submitted batch job ").map_or_else(
        || text.split(';').next().unwrap_or_default(),
        |rest| rest.split_whitespace().next().unwrap_or_default(),
    );
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::new("sbatch", stdout, "no job id"));
    }
    id.parse()
        .map_err(|_| ParseError::new("sbatch", stdout, "job id out of range"))
}

/// The reason `sbatch` gave for refusing a job: the last `sbatch: error:` line without the
/// `Batch job submission failed:` prefix (`Requested time limit is invalid …`), or, from
/// `--test-only`, an `allocation failure:` line.
pub fn refusal(stderr: &str) -> Option<String> {
    stderr
        .lines()
        .rev()
        .find_map(|l| {
            let l = l.trim();
            l.strip_prefix("sbatch: error: ")
                .or_else(|| l.strip_prefix("allocation failure: "))
        })
        .map(|e| {
            e.strip_prefix("Batch job submission failed: ")
                .unwrap_or(e)
                .to_owned()
        })
}

/// What `sbatch --test-only` predicted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Estimate {
    /// The job id the probe consumed.
    pub job_id: u64,
    /// When the job would start (epoch seconds).
    pub start: i64,
    /// Processors it would get.
    pub processors: u32,
    /// Nodes it would get, expanded.
    pub nodes: Vec<String>,
    /// The partition it would run in.
    pub partition: String,
}

/// Reads `sbatch: Job 23 to start at 2026-11-28T16:37:50 using 1 processors on nodes
/// a6000-02 in partition gpu-a6000` from stderr, where sbatch prints it, in every wording:
/// 22.05-24.11 as shown, a federated or 25.x sbatch with `on cluster C` after the time
/// (`… to start at T on cluster afton using 8 processors …`) or at the end. A node list of
/// `(null)` (no nodes chosen yet) reads as none.
pub fn parse_test_only(stderr: &str, clock: &Clock) -> Result<Estimate, ParseError> {
    let line = stderr
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("sbatch: Job ") && l.contains(" to start at "))
        .ok_or_else(|| {
            let why = refusal(stderr).unwrap_or_else(|| "no estimate".to_owned());
            ParseError::new("sbatch --test-only", stderr, why)
        })?;
    let err = |why: &str| ParseError::new("sbatch --test-only", line, why);
    let wording = || err("unexpected wording");
    let rest = line.strip_prefix("sbatch: Job ").ok_or_else(wording)?;
    let (id, rest) = rest.split_once(" to start at ").ok_or_else(wording)?;
    let (time, rest) = rest.split_once(' ').ok_or_else(wording)?;
    let rest = match rest.strip_prefix("on cluster ") {
        Some(named) => named.split_once(" using ").map(|(_, r)| r),
        None => rest.strip_prefix("using "),
    }
    .ok_or_else(wording)?;
    let (n, rest) = rest
        .split_once(" processors on nodes ")
        .ok_or_else(wording)?;
    let (nodes, rest) = rest.split_once(" in partition ").ok_or_else(wording)?;
    let partition = rest.split(" on cluster ").next().unwrap_or_default().trim();
    if partition.is_empty() || partition.contains(' ') || nodes.contains(' ') {
        return Err(wording());
    }
    Ok(Estimate {
        job_id: id.parse().map_err(|_| err("the job id is not a number"))?,
        start: clock.timestamp(time)?.ok_or_else(|| err("no start time"))?,
        processors: n
            .parse()
            .map_err(|_| err("the processor count is not a number"))?,
        nodes: match nodes {
            "(null)" | "N/A" => Vec::new(),
            list => hostlist::expand(list)?,
        },
        partition: partition.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slurm::parse::test_support::{fixture, sample};
    use proptest::prelude::*;

    const UTC: Clock = Clock {
        now: 0,
        utc_offset: 0,
    };

    #[test]
    fn reads_job_ids() {
        assert_eq!(parse_job_id("16\n"), Ok(16));
        assert_eq!(parse_job_id("16;rvlocal\n"), Ok(16));
        assert_eq!(parse_job_id("Submitted batch job 45\n"), Ok(45));
        assert_eq!(
            parse_job_id("Submitted batch job 45 on cluster afton\n"),
            Ok(45)
        );
        let first = fixture("rivanna/sbatch-errors.txt");
        assert_eq!(parse_job_id(first.lines().next().unwrap()), Ok(10_058_413));
        assert!(parse_job_id("").is_err());
        assert!(parse_job_id("sbatch: error: x").is_err());
        assert!(parse_job_id("99999999999999999999999").is_err());
    }

    #[test]
    fn reads_refusals() {
        let rivanna = fixture("rivanna/sbatch-errors.txt");
        let reasons: Vec<String> = rivanna.lines().skip(1).filter_map(refusal).collect();
        assert_eq!(
            reasons,
            [
                "Invalid partition name specified",
                "Requested time limit is invalid (missing or exceeds some limit)",
                "Job violates accounting/QOS policy or AssocGrpBillingMinutes",
            ]
        );
        let testbed = "sbatch: error: invalid partition specified: nosuchpart\n\
                       sbatch: error: Batch job submission failed: Invalid partition name specified\n";
        assert_eq!(
            refusal(testbed).as_deref(),
            Some("Invalid partition name specified")
        );
        assert_eq!(refusal("Submitted batch job 4\n"), None);
        assert_eq!(
            refusal("allocation failure: Node count specification invalid\n").as_deref(),
            Some("Node count specification invalid"),
            "how --test-only refuses"
        );
    }

    #[test]
    fn reads_test_only_estimates() {
        let text = sample(
            "test_only.txt",
            "sbatch --test-only -p gpu-a6000 -N2 --gres=gpu:a6000:8 -t 1:00:00 --wrap \"sleep 1\"",
        );
        let e = parse_test_only(&text, &UTC).unwrap();
        assert_eq!(e.job_id, 27);
        assert_eq!(Some(e.start), UTC.timestamp("2026-11-30T16:53:13").unwrap());
        assert_eq!(e.processors, 2);
        assert_eq!(e.nodes, ["a6000-01", "a6000-02"]);
        assert_eq!(e.partition, "gpu-a6000");

        let newer = "sbatch: Job 3 to start at 1795896680 using 4 processors on nodes n[1-2] in partition gpu on cluster afton\n";
        let e = parse_test_only(newer, &UTC).unwrap();
        assert_eq!(
            (e.start, e.nodes.len(), e.partition.as_str()),
            (1_795_896_680, 2, "gpu")
        );

        let refused = "sbatch: error: Batch job submission failed: Requested node configuration is not available\n";
        let err = parse_test_only(refused, &UTC).unwrap_err();
        assert!(
            err.to_string()
                .contains("Requested node configuration is not available"),
            "{err}"
        );
        assert!(
            parse_test_only("sbatch: Job 3 to start at soon using many processors", &UTC).is_err()
        );
        assert!(
            parse_test_only(
                "sbatch: Job 3 to start at 1795896680 using 4 processors on nodes n1 in partition",
                &UTC
            )
            .is_err()
        );
    }

    #[test]
    fn reads_the_25_05_wording_and_null_nodes() {
        let named = "sbatch: Job 812 to start at 1795896680 on cluster afton using 8 processors on nodes udc-an38-[1-2] in partition gpu\n";
        let e = parse_test_only(named, &UTC).unwrap();
        assert_eq!(e.job_id, 812);
        assert_eq!(e.start, 1_795_896_680);
        assert_eq!(e.processors, 8);
        assert_eq!(e.nodes, ["udc-an38-1", "udc-an38-2"]);
        assert_eq!(e.partition, "gpu");
        let spaced = "sbatch: Job 9 to start at 1795896680 on cluster afton a using 2 processors on nodes a1 in partition gpu\n";
        assert_eq!(parse_test_only(spaced, &UTC).unwrap().nodes, ["a1"]);
        let null = "sbatch: Job 10 to start at 1795896680 using 1 processors on nodes (null) in partition gpu-h200\n";
        let e = parse_test_only(null, &UTC).unwrap();
        assert!(e.nodes.is_empty(), "(null) is no node");
        assert_eq!(e.partition, "gpu-h200");
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,200}") {
            let _ = parse_job_id(&s);
            let _ = refusal(&s);
            let _ = parse_test_only(&s, &UTC);
        }
    }
}
