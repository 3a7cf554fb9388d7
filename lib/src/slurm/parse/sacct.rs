//! `sacct`: finished (and running) jobs and their steps from accounting.

use crate::slurm::ParseError;
use crate::slurm::hostlist;
use crate::slurm::time::{Clock, Limit, Walltime};

use super::Table;
use super::gres::{parse_gpus, total};
use super::job_state::JobState;

/// The `sacct` rv runs (with `SLURM_TIME_FORMAT=%s`) before its job or time filters:
/// `--parsable2` with a header, the job name last since it may contain the delimiter.
pub const COMMAND: &str = "sacct --parsable2 -o JobID,JobIDRaw,State,ExitCode,Partition,Account,User,Start,End,Elapsed,NodeList,AllocTRES,JobName";

/// Which part of a job a row describes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The job allocation itself.
    Job,
    /// The batch script (`.batch`).
    Batch,
    /// The external step holding adopted processes (`.extern`).
    Extern,
    /// An interactive step (`.interactive`).
    Interactive,
    /// A numbered `srun` step (`.0`, `.1`, …).
    Numbered(u32),
}

/// One row of `sacct`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    /// The job id as printed (`16_3` for an array task), without the step.
    pub job_id: String,
    /// The underlying numeric job id, when the `JobIDRaw` column was read.
    pub raw_id: Option<u64>,
    /// Which part of the job this row is.
    pub step: Step,
    /// The job name (`batch`/`extern` on step rows).
    pub name: String,
    /// The state.
    pub state: JobState,
    /// The uid that cancelled it, from `CANCELLED by 1001`.
    pub cancelled_by: Option<u32>,
    /// Exit code and signal from `ExitCode` (`3:0`, `0:15`).
    pub exit: Option<(i32, i32)>,
    /// The partition.
    pub partition: String,
    /// The account.
    pub account: String,
    /// The user.
    pub user: String,
    /// Start time (epoch seconds).
    pub start: Option<i64>,
    /// End time (epoch seconds).
    pub end: Option<i64>,
    /// Elapsed time.
    pub elapsed: Option<Walltime>,
    /// The nodes, expanded; empty for `None assigned`.
    pub nodes: Vec<String>,
    /// GPUs allocated (the `gres/gpu=` count of `AllocTRES`).
    pub gpus: u32,
}

/// Parses `sacct` output with a header: `--parsable2`, or the default fixed-width layout
/// (whose names may be truncated with `+`).
pub fn parse_records(text: &str, clock: &Clock) -> Result<Vec<Record>, ParseError> {
    let table = Table::parse("sacct", text)?;
    let col = |name: &str| table.column(name);
    let id_col = col("JobID").ok_or_else(|| ParseError::new("sacct", text, "no JobID column"))?;
    let state_col =
        col("State").ok_or_else(|| ParseError::new("sacct", text, "no State column"))?;
    let mut out = Vec::new();
    for (line, cells) in &table.rows {
        let at = |e: ParseError| e.at_line(*line);
        let get = |c: Option<usize>| c.and_then(|c| cells.get(c)).copied().unwrap_or_default();
        let (job_id, step) = split_step(get(Some(id_col))).map_err(at)?;
        let state_text = get(Some(state_col));
        let cancelled_by = state_text
            .strip_prefix("CANCELLED by ")
            .and_then(|uid| uid.trim().parse().ok());
        let nodes = match get(col("NodeList")) {
            "" | "None assigned" | "(null)" => Vec::new(),
            list => hostlist::expand(list).map_err(at)?,
        };
        out.push(Record {
            job_id,
            raw_id: match get(col("JobIDRaw")) {
                "" => None,
                raw => Some(
                    raw.split('.')
                        .next()
                        .unwrap_or_default()
                        .parse()
                        .map_err(|_| {
                            at(ParseError::new("sacct", raw, "JobIDRaw is not a number"))
                        })?,
                ),
            },
            step,
            name: get(col("JobName")).to_owned(),
            state: JobState::parse(state_text).map_err(at)?,
            cancelled_by,
            exit: match get(col("ExitCode")) {
                "" => None,
                code => Some(exit_code(code).map_err(at)?),
            },
            partition: get(col("Partition")).to_owned(),
            account: get(col("Account")).to_owned(),
            user: get(col("User")).to_owned(),
            start: clock.timestamp(get(col("Start"))).map_err(at)?,
            end: clock.timestamp(get(col("End"))).map_err(at)?,
            elapsed: match get(col("Elapsed")) {
                "" => None,
                e => Limit::from_slurm(e).map_err(at)?.finite(),
            },
            nodes,
            gpus: gpus_in_tres(get(col("AllocTRES"))),
        });
    }
    Ok(out)
}

/// `16_3.batch` -> (`16_3`, Batch).
fn split_step(id: &str) -> Result<(String, Step), ParseError> {
    let (job, step) = match id.split_once('.') {
        None => (id, Step::Job),
        Some((job, "batch" | "ba+")) => (job, Step::Batch),
        Some((job, "extern" | "ex+")) => (job, Step::Extern),
        Some((job, "interactive" | "in+")) => (job, Step::Interactive),
        Some((job, n)) => (
            job,
            Step::Numbered(
                n.parse()
                    .map_err(|_| ParseError::new("sacct", id, "unknown step"))?,
            ),
        ),
    };
    if !super::is_job_id(job) {
        return Err(ParseError::new(
            "sacct",
            id,
            "the job id is not a Slurm job id",
        ));
    }
    Ok((job.to_owned(), step))
}

fn exit_code(s: &str) -> Result<(i32, i32), ParseError> {
    let err = || ParseError::new("sacct", s, "ExitCode is code:signal");
    let (code, signal) = s.split_once(':').ok_or_else(err)?;
    Ok((
        code.parse().map_err(|_| err())?,
        signal.parse().map_err(|_| err())?,
    ))
}

/// The GPUs of a TRES list such as `billing=2,cpu=2,gres/gpu:a40=8,gres/gpu=8` (0 when it
/// names none, or none rv can read).
pub fn gpus_in_tres(tres: &str) -> u32 {
    parse_gpus(tres).map_or(0, |gpus| total(&gpus))
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
    fn reads_rivannas_default_layout() {
        let rows = parse_records(&fixture("rivanna/sacct-default.txt"), &UTC).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].job_id, "10057749");
        assert_eq!(rows[0].step, Step::Job);
        assert_eq!(rows[0].name, "hello");
        assert_eq!(
            rows[0].partition, "standard-+",
            "truncated columns stay as printed"
        );
        assert_eq!(rows[0].state, JobState::Completed);
        assert_eq!(rows[0].exit, Some((0, 0)));
        assert_eq!(
            rows[1].step,
            Step::Batch,
            "`10057749.ba+` is the batch step"
        );
    }

    #[test]
    fn reads_testbed_steps_arrays_and_timeouts() {
        let rows = parse_records(&sample("sacct.txt", "sacct"), &UTC).unwrap();
        let timeout: Vec<&Record> = rows.iter().filter(|r| r.job_id == "3").collect();
        assert_eq!(timeout[0].state, JobState::Timeout);
        assert_eq!(timeout[1].step, Step::Batch);
        assert_eq!(timeout[1].state, JobState::Cancelled);
        assert_eq!(timeout[1].exit, Some((0, 15)));
        assert_eq!(timeout[2].step, Step::Extern);
        let failed = rows.iter().find(|r| r.job_id == "2").unwrap();
        assert_eq!(
            (failed.state.clone(), failed.exit),
            (JobState::Failed, Some((3, 0)))
        );
        assert!(
            rows.iter()
                .any(|r| r.job_id == "16_3" && r.step == Step::Batch)
        );

        let parsable = sample(
            "sacct.txt",
            "sacct -X --parsable2 -o JobID,JobName,Partition,State,ExitCode,Elapsed,Start,End,NodeList,AllocTRES,ReqTRES",
        );
        let rows = parse_records(&parsable, &UTC).unwrap();
        let three = rows.iter().find(|r| r.job_id == "3").unwrap();
        assert_eq!(three.name, "will-timeout");
        assert_eq!(three.elapsed, Some(Walltime::from_secs(87)));
        assert_eq!(three.start, UTC.timestamp("2026-11-28T16:53:06").unwrap());
        assert_eq!(three.nodes, ["cpu-01"]);
        let multi = rows.iter().find(|r| r.job_id == "4").unwrap();
        assert_eq!(multi.nodes, ["rtx3090-01", "rtx3090-02"]);
        assert_eq!(multi.gpus, 8);
    }

    #[test]
    fn reads_rvs_own_format_with_cancellers_and_raw_ids() {
        let text = "JobID|JobIDRaw|State|ExitCode|Partition|Account|User|Start|End|Elapsed|NodeList|AllocTRES|JobName\n\
                    41|41|CANCELLED by 1001|0:0|gpu-a40|rvlab|rvtest|1795887600|1795887700|00:01:40|a40-01|gres/gpu=2|rv a|b\n\
                    16_3|16|COMPLETED|0:0|standard|rvlab|rvtest|1795887600|1795887602|00:00:02|cpu-02||arr\n\
                    17|17|FAILED|1:0|gpu-a6000|rvlab|rvtest|None|1795887600|00:00:00|None assigned||rejected\n\
                    41.0|41.0|COMPLETED|0:0||rvlab||1795887600|1795887650|00:00:50|a40-01||python\n";
        let rows = parse_records(text, &UTC).unwrap();
        assert_eq!(rows[0].cancelled_by, Some(1001));
        assert_eq!(rows[0].name, "rv a|b");
        assert_eq!(rows[0].gpus, 2);
        assert_eq!(rows[1].raw_id, Some(16));
        assert!(
            rows[2].nodes.is_empty(),
            "rejected submissions have no nodes"
        );
        assert_eq!(rows[2].start, None);
        assert_eq!(rows[3].step, Step::Numbered(0));
    }

    #[test]
    fn names_the_bad_line() {
        let err = parse_records("JobID|State\n1|RUNNING\nx.y|RUNNING\n", &UTC).unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(parse_records("JobName\nx\n", &UTC).is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = parse_records(&s, &UTC);
        }

        #[test]
        fn never_panics_on_tables(rows in proptest::collection::vec("[0-9a-z._|: +-]{0,40}", 0..6)) {
            let text = format!("JobID|JobIDRaw|State|ExitCode|Start|Elapsed|NodeList\n{}", rows.join("\n"));
            let _ = parse_records(&text, &UTC);
            let fixed = format!("JobID  State\n------ ------\n{}", rows.join("\n"));
            let _ = parse_records(&fixed, &UTC);
            let loose = format!("Account JobID State\n{}", rows.join("\n"));
            let _ = parse_records(&loose, &UTC);
        }
    }
}
