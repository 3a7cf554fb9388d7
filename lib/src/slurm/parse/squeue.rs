//! `squeue`: jobs with their state, times, resources, reason and planned start.

use crate::slurm::ParseError;
use crate::slurm::hostlist;
use crate::slurm::time::{Clock, Limit, Walltime};

use super::gres::{Gpus, parse_gpus};
use super::job_state::JobState;
use super::{Separator, int, split_fields};

/// A column rv can read from `squeue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `%i` `JOBID` (`123`, `123_4`).
    Id,
    /// `%P` `PARTITION`.
    Partition,
    /// `%u` `USER`.
    User,
    /// `%a` `ACCOUNT`.
    Account,
    /// `%T` `STATE` or `%t` ST.
    State,
    /// `%M` `TIME`: elapsed.
    Elapsed,
    /// `%l` `TIME_LIMIT`.
    Limit,
    /// `%D` `NODES`.
    NodeCount,
    /// `%C` `CPUS`.
    Cpus,
    /// `%b` `TRES_PER_NODE` (`gres:gpu:a6000:4`).
    TresPerNode,
    /// `%S` `START_TIME`: actual, or planned by backfill for pending jobs.
    Start,
    /// `%e` `END_TIME`.
    End,
    /// `%V` `SUBMIT_TIME`.
    Submit,
    /// `%Q` `PRIORITY`.
    Priority,
    /// `%r` `REASON`.
    Reason,
    /// `%N` `NODELIST`.
    Nodes,
    /// `%Y` `SCHEDNODES`: where backfill plans to start a pending job.
    SchedNodes,
    /// `%R` `NODELIST(REASON)`: nodes, or the reason in parentheses.
    NodesOrReason,
    /// `%j` `NAME`: free text, so rv's format puts it last.
    Name,
    /// A column rv does not read.
    Other,
}

impl Field {
    /// The column of a default `squeue` header, e.g. `NODELIST(REASON)`.
    fn from_header(h: &str) -> Option<Field> {
        Some(match h {
            "JOBID" => Field::Id,
            "PARTITION" => Field::Partition,
            "NAME" => Field::Name,
            "USER" => Field::User,
            "ACCOUNT" => Field::Account,
            "ST" | "STATE" => Field::State,
            "TIME" => Field::Elapsed,
            "TIME_LIMIT" => Field::Limit,
            "NODES" | "NODE" => Field::NodeCount,
            "CPUS" => Field::Cpus,
            "TRES_PER_NODE" => Field::TresPerNode,
            "START_TIME" => Field::Start,
            "END_TIME" => Field::End,
            "SUBMIT_TIME" => Field::Submit,
            "PRIORITY" => Field::Priority,
            "REASON" => Field::Reason,
            "NODELIST" => Field::Nodes,
            "SCHEDNODES" => Field::SchedNodes,
            "NODELIST(REASON)" => Field::NodesOrReason,
            "TIME_LEFT" | "MIN_MEMORY" | "QOS" | "CPUS_PER_TASK" | "FEATURES" | "DEPENDENCY" => {
                Field::Other
            }
            _ => return None,
        })
    }

    /// The column of a `-o` letter (`i`) or an `-O` name (`JobID`).
    fn from_spec(spec: &str) -> Option<Field> {
        Some(match spec {
            "i" | "A" | "JobID" => Field::Id,
            "j" | "Name" => Field::Name,
            "P" | "Partition" => Field::Partition,
            "u" | "UserName" => Field::User,
            "a" | "Account" => Field::Account,
            "T" | "t" | "State" | "StateCompact" => Field::State,
            "M" | "TimeUsed" => Field::Elapsed,
            "l" | "TimeLimit" => Field::Limit,
            "D" | "NumNodes" => Field::NodeCount,
            "C" | "NumCPUs" => Field::Cpus,
            "b" | "tres-per-node" => Field::TresPerNode,
            "S" | "StartTime" => Field::Start,
            "e" | "EndTime" => Field::End,
            "V" | "SubmitTime" => Field::Submit,
            "Q" | "Priority" => Field::Priority,
            "r" | "Reason" => Field::Reason,
            "N" | "NodeList" => Field::Nodes,
            "Y" | "SchedNodes" => Field::SchedNodes,
            "R" | "ReasonList" => Field::NodesOrReason,
            "L" | "m" | "F" | "K" | "q" | "f" | "E" | "c" | "TimeLeft" | "tres-alloc"
            | "MinMemory" => Field::Other,
            _ => return None,
        })
    }

    /// The columns of a `squeue -o` or `-O` format, or `None` if one is not understood.
    pub fn from_format(format: &str) -> Option<Vec<Field>> {
        super::columns_of_format(format, Field::from_spec)
    }
}

/// The columns of [`COMMAND`], in order.
pub const FIELDS: &[Field] = &[
    Field::Id,
    Field::Partition,
    Field::User,
    Field::Account,
    Field::State,
    Field::Elapsed,
    Field::Limit,
    Field::NodeCount,
    Field::Cpus,
    Field::TresPerNode,
    Field::Start,
    Field::End,
    Field::Submit,
    Field::Priority,
    Field::Reason,
    Field::Nodes,
    Field::SchedNodes,
    Field::Name,
];

/// The `squeue` rv runs (with `SLURM_TIME_FORMAT=%s`), before any filter options: every
/// partition (`--all`, which Rivanna needs), the columns of [`FIELDS`], the name last.
pub const COMMAND: &str =
    "squeue --all -h -o '%i|%P|%u|%a|%T|%M|%l|%D|%C|%b|%S|%e|%V|%Q|%r|%N|%Y|%j'";

/// One job as `squeue` shows it. Columns that were not read stay at their defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Job {
    /// The id (`123`, or `123_4` for an array task).
    pub id: String,
    /// The job name.
    pub name: String,
    /// The partition (or partitions, comma separated, while pending in several).
    pub partition: String,
    /// The owner.
    pub user: String,
    /// The account charged.
    pub account: String,
    /// The state.
    pub state: Option<JobState>,
    /// Time used so far.
    pub elapsed: Option<Walltime>,
    /// The time limit (`None`: unlimited or not read).
    pub limit: Option<Walltime>,
    /// The number of nodes.
    pub node_count: Option<u32>,
    /// The number of CPUs.
    pub cpus: Option<u32>,
    /// GPUs per node.
    pub gpus_per_node: Vec<Gpus>,
    /// Start time (epoch seconds): actual, or the backfill plan's for pending jobs.
    pub start: Option<i64>,
    /// End time (epoch seconds), actual or expected.
    pub end: Option<i64>,
    /// Submit time (epoch seconds).
    pub submit: Option<i64>,
    /// The scheduling priority.
    pub priority: Option<u64>,
    /// Why it is pending (`Resources`, `Priority`, …); `None` when running.
    pub reason: Option<String>,
    /// The nodes it runs on, expanded.
    pub nodes: Vec<String>,
    /// The nodes backfill plans to start it on, expanded.
    pub sched_nodes: Vec<String>,
}

/// Parses `squeue` output. With a header line (a default or `-o` layout without `-h`) the
/// columns come from the header and `fields` is ignored; without one, the rows have `fields`.
pub fn parse_jobs(
    text: &str,
    fields: &[Field],
    sep: Separator,
    clock: &Clock,
) -> Result<Vec<Job>, ParseError> {
    let mut columns: Vec<Field> = fields.to_vec();
    let mut jobs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if line.trim_start().starts_with("JOBID") {
            columns = line
                .split_whitespace()
                .map(|h| {
                    Field::from_header(h)
                        .ok_or_else(|| ParseError::new("squeue header", h, "unknown column"))
                })
                .collect::<Result<_, _>>()
                .map_err(|e| e.at_line(i + 1))?;
            continue;
        }
        jobs.push(parse_row(line, &columns, sep, clock).map_err(|e| e.at_line(i + 1))?);
    }
    Ok(jobs)
}

fn parse_row(
    line: &str,
    fields: &[Field],
    sep: Separator,
    clock: &Clock,
) -> Result<Job, ParseError> {
    // A default layout may leave NODELIST(REASON) with spaces at the end: let it run on.
    let values = split_fields(line, sep, fields.len()).ok_or_else(|| {
        ParseError::new("squeue", line, format!("expected {} columns", fields.len()))
    })?;
    let mut job = Job::default();
    let reason = |s: &str| {
        let r = s.trim_start_matches('(').trim_end_matches(')');
        (!matches!(r, "" | "None" | "none")).then(|| r.to_owned())
    };
    let nodes = |s: &str| -> Result<Vec<String>, ParseError> {
        if matches!(s, "" | "(null)" | "N/A" | "(none)" | "n/a") {
            Ok(Vec::new())
        } else {
            hostlist::expand(s)
        }
    };
    for (field, value) in fields.iter().zip(values) {
        match field {
            Field::Id => {
                if value.is_empty()
                    || !value
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b"_[]-,".contains(&b))
                {
                    return Err(ParseError::new(
                        "squeue",
                        value,
                        "the job id is not a Slurm job id",
                    ));
                }
                job.id = value.to_owned();
            }
            Field::Name => job.name = value.to_owned(),
            Field::Other => {}
            Field::Partition => job.partition = value.to_owned(),
            Field::User => job.user = value.to_owned(),
            Field::Account => job.account = value.to_owned(),
            Field::State => job.state = Some(JobState::parse(value)?),
            Field::Elapsed => job.elapsed = Some(Walltime::from_slurm(value)?),
            Field::Limit => job.limit = Limit::from_slurm(value)?.finite(),
            Field::NodeCount => job.node_count = Some(int("squeue", "node count", value)?),
            Field::Cpus => job.cpus = Some(int("squeue", "CPU count", value)?),
            Field::TresPerNode => job.gpus_per_node = parse_gpus(value)?,
            Field::Start => job.start = clock.timestamp(value)?,
            Field::End => job.end = clock.timestamp(value)?,
            Field::Submit => job.submit = clock.timestamp(value)?,
            Field::Priority => job.priority = Some(int("squeue", "priority", value)?),
            Field::Reason => job.reason = reason(value),
            Field::Nodes => job.nodes = nodes(value)?,
            Field::SchedNodes => job.sched_nodes = nodes(value)?,
            Field::NodesOrReason => {
                if value.starts_with('(') {
                    job.reason = reason(value);
                } else {
                    job.nodes = nodes(value)?;
                }
            }
        }
    }
    Ok(job)
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

    fn ts(s: &str) -> Option<i64> {
        UTC.timestamp(s).unwrap()
    }

    #[test]
    fn reads_rivanna_default_layout() {
        let jobs = parse_jobs(
            &fixture("rivanna/squeue-default.txt"),
            &[],
            Separator::Whitespace,
            &UTC,
        )
        .unwrap();
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[0].id, "10058413");
        assert_eq!(jobs[0].partition, "standard-+");
        assert_eq!(jobs[0].state, Some(JobState::Pending));
        assert_eq!(jobs[0].reason, None, "`(none)` is no reason");
        assert_eq!(jobs[1].state, Some(JobState::Running));
        assert_eq!(jobs[1].nodes, ["udc-an38-5"]);
        assert_eq!(jobs[1].elapsed, Some(Walltime::from_secs(185)));
    }

    #[test]
    fn reads_a_delimited_layout_with_reasons_and_planned_starts() {
        let text = sample(
            "squeue.txt",
            "squeue -u $USER -h -o \"%i|%j|%P|%T|%M|%L|%D|%R|%b|%S|%e|%l|%C|%m\"",
        );
        let fields = Field::from_format("%i|%j|%P|%T|%M|%L|%D|%R|%b|%S|%e|%l|%C|%m").unwrap();
        let jobs = parse_jobs(&text, &fields, Separator::Char('|'), &UTC).unwrap();
        assert_eq!(jobs.len(), 13);
        let maint = jobs.iter().find(|j| j.id == "38").unwrap();
        assert_eq!(maint.state, Some(JobState::Pending));
        assert_eq!(
            maint.reason.as_deref(),
            Some("ReqNodeNotAvail, Reserved for maintenance")
        );
        assert_eq!(maint.start, ts("2026-11-29T02:53:34"));
        assert_eq!(
            maint.gpus_per_node,
            vec![Gpus {
                kind: Some("a40".into()),
                count: 4
            }]
        );
        let multi = jobs.iter().find(|j| j.id == "4").unwrap();
        assert_eq!(multi.nodes, ["rtx3090-01", "rtx3090-02"]);
        assert_eq!(multi.node_count, Some(2));
        assert_eq!(multi.limit, Some(Walltime::from_hours(2)));
        let cpu = jobs.iter().find(|j| j.id == "3").unwrap();
        assert!(cpu.gpus_per_node.is_empty());
        assert_eq!(cpu.limit, Some(Walltime::from_minutes(1)));
    }

    #[test]
    fn reads_start_layout_with_sched_nodes() {
        let text = sample("backfill_cliff.txt", "squeue -u $USER --start");
        let jobs = parse_jobs(&text, &[], Separator::Whitespace, &UTC).unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].id, "33");
        assert_eq!(jobs[0].start, ts("2026-11-29T17:53:00"));
        assert_eq!(jobs[0].sched_nodes, ["a6000-01"]);
        assert_eq!(jobs[0].reason.as_deref(), Some("Priority"));
    }

    #[test]
    fn reads_rvs_own_format() {
        let text = "23|gpu-a6000|rvother|otherlab|PENDING|0:00|1:00:00|2|2|gres:gpu:a6000:8|1795898480|1795902080|1795887680|1000000|Resources||a6000-[01-02]|load big | with a pipe\n\
                    8|gpu-a6000|rvother|otherlab|RUNNING|1:02|1:30:00|1|1|gres:gpu:a6000:4|1795887600|1795893000|1795887590|11000|None|a6000-01||x\n\
                    9_3|gpu|rvtest|rvlab|COMPLETING|0:10|UNLIMITED|1|1|N/A|1795887600|N/A|1795887590|1|None|a40-01||array\n";
        let jobs = parse_jobs(text, FIELDS, Separator::Char('|'), &UTC).unwrap();
        assert_eq!(jobs[0].name, "load big | with a pipe");
        assert_eq!(jobs[0].sched_nodes, ["a6000-01", "a6000-02"]);
        assert_eq!(jobs[0].start, Some(1_795_898_480));
        assert_eq!(jobs[0].priority, Some(1_000_000));
        assert_eq!(jobs[0].reason.as_deref(), Some("Resources"));
        assert_eq!(jobs[1].reason, None);
        assert_eq!(jobs[1].nodes, ["a6000-01"]);
        assert_eq!(jobs[2].id, "9_3");
        assert_eq!(jobs[2].limit, None);
        assert_eq!(jobs[2].end, None);
    }

    #[test]
    fn names_line_and_reason() {
        let err = parse_jobs(
            "1|p\nx|p\n",
            &[Field::Id, Field::Partition],
            Separator::Char('|'),
            &UTC,
        )
        .unwrap_err();
        assert_eq!(err.line, Some(2));
        let err = parse_jobs("JOBID WHAT\n", &[], Separator::Whitespace, &UTC).unwrap_err();
        assert!(err.to_string().contains("unknown column"), "{err}");
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = parse_jobs(&s, FIELDS, Separator::Char('|'), &UTC);
            let _ = parse_jobs(&s, &[], Separator::Whitespace, &UTC);
        }

        #[test]
        fn never_panics_on_near_valid_rows(
            cols in proptest::collection::vec("[0-9A-Za-z:_/()\\[\\], -]{0,12}", 18)
        ) {
            let _ = parse_jobs(&cols.join("|"), FIELDS, Separator::Char('|'), &UTC);
        }
    }
}
