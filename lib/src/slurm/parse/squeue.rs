//! `squeue`: jobs with their state, times, resources, reason and planned start.

use compact_str::CompactString;

use crate::slurm::ParseError;
use crate::slurm::hostlist;
use crate::slurm::time::{Clock, Limit, Walltime};

use super::gres::{Gpus, parse_gpus};
use super::job_state::JobState;
use super::{Cut, Lenient, Separator, Unread, int, rows};

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
            "L" | "m" | "F" | "K" | "q" | "f" | "E" | "c" | "o" | "TimeLeft" | "tres-alloc"
            | "MinMemory" | "Command" => Field::Other,
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
/// partition (`--all`, which Rivanna needs), the columns of [`FIELDS`], each ended by `|`
/// ([`SEPARATOR`]), the name last, so a name holding `|` or a newline is read whole.
pub const COMMAND: &str =
    "squeue --all -h -o '%i|%P|%u|%a|%T|%M|%l|%D|%C|%b|%S|%e|%V|%Q|%r|%N|%Y|%j|'";

/// [`COMMAND`] for the user's own jobs, with the batch script (`%o`, the 18th column) before
/// the name: the directory of an rv job's script is its request's, where its lease is (see
/// `lease::with_jobs`). Rows have [`OWN_FIELDS`].
pub const OWN_COMMAND: &str =
    "squeue -h -o '%i|%P|%u|%a|%T|%M|%l|%D|%C|%b|%S|%e|%V|%Q|%r|%N|%Y|%o|%j|'";

/// The columns of [`OWN_COMMAND`], in order: [`FIELDS`] with the script before the name.
pub const OWN_FIELDS: &[Field] = &own_fields();

/// [`FIELDS`] with a column rv does not read (the script) before the name, which is last.
const fn own_fields() -> [Field; FIELDS.len() + 1] {
    let mut out = [Field::Other; FIELDS.len() + 1];
    let mut i = 0;
    while i + 1 < FIELDS.len() {
        out[i] = FIELDS[i];
        i += 1;
    }
    out[FIELDS.len()] = FIELDS[FIELDS.len() - 1];
    out
}

/// How the fields of [`COMMAND`] are separated.
pub const SEPARATOR: Separator = Separator::Terminated('|');

/// One job as `squeue` shows it. Columns that were not read stay at their defaults. Its
/// text is held inline when short (ids, users, partitions, node names), so reading a queue
/// of tens of thousands of jobs allocates little.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Job {
    /// The id (`123`, or `123_4` for an array task).
    pub id: CompactString,
    /// The job name.
    pub name: CompactString,
    /// The partition (or partitions, comma separated, while pending in several).
    pub partition: CompactString,
    /// The owner.
    pub user: CompactString,
    /// The account charged.
    pub account: CompactString,
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
    pub reason: Option<CompactString>,
    /// The nodes it runs on, expanded.
    pub nodes: Vec<CompactString>,
    /// The nodes backfill plans to start it on, expanded.
    pub sched_nodes: Vec<CompactString>,
}

/// Parses `squeue` output. With a header line (a default or `-o` layout without `-h`) the
/// columns come from the header and `fields` is ignored; without one, the rows have `fields`.
/// The first row rv cannot read fails the parse: for the user's own jobs, which rv acts on.
pub fn parse_jobs(
    text: &str,
    fields: &[Field],
    sep: Separator,
    clock: &Clock,
) -> Result<Vec<Job>, ParseError> {
    let (jobs, unread) = parse(text, fields, sep, clock)?;
    match unread.into_iter().next() {
        Some((unread, _)) => Err(unread.error),
        None => Ok(jobs),
    }
}

/// Parses `squeue` output of every user's jobs, as [`parse_jobs`], but a row of another
/// user that rv cannot read (an odd value, a name it cannot place) is skipped and returned
/// in [`Lenient::unread`]. A row of `owner`'s, or whose user cannot be told, still fails
/// the parse.
pub fn parse_jobs_lenient(
    text: &str,
    fields: &[Field],
    sep: Separator,
    clock: &Clock,
    owner: &str,
) -> Result<Lenient<Job>, ParseError> {
    let (items, unread) = parse(text, fields, sep, clock)?;
    let mut skipped = Vec::with_capacity(unread.len());
    for (row, user) in unread {
        match user {
            Some(user) if user != owner => skipped.push(row),
            _ => return Err(row.error),
        }
    }
    Ok(Lenient {
        items,
        unread: skipped,
    })
}

/// Reads every row; a row that fails is returned with the user it names, if one can be
/// read from it.
#[allow(clippy::type_complexity)]
fn parse(
    text: &str,
    fields: &[Field],
    sep: Separator,
    clock: &Clock,
) -> Result<(Vec<Job>, Vec<(Unread, Option<String>)>), ParseError> {
    let mut columns: Vec<Field> = fields.to_vec();
    let rows = rows(text, sep, columns.len());
    let (mut jobs, mut unread) = (Vec::with_capacity(rows.len()), Vec::new());
    // One set of cuts for every row.
    let mut cut = Cut::default();
    for (line, row) in &rows {
        let line = *line;
        if row.as_bytes().trim_ascii_start().starts_with(b"JOBID") {
            columns = row
                .split_whitespace()
                .map(|h| {
                    Field::from_header(h)
                        .ok_or_else(|| ParseError::new("squeue header", h, "unknown column"))
                })
                .collect::<Result<_, _>>()
                .map_err(|e| e.at_line(line))?;
            continue;
        }
        // Filled where it stays, not built and then moved: a job is a few hundred bytes.
        let at = jobs.len();
        jobs.push(Job::default());
        match parse_row(&mut jobs[at], &mut cut, row, &columns, sep, clock) {
            Ok(()) => {}
            Err(error) => {
                jobs.pop();
                let user = user_of(row, &columns, sep).map(str::to_owned);
                let row = row.to_string();
                unread.push((
                    Unread {
                        row,
                        error: error.at_line(line),
                    },
                    user,
                ));
            }
        }
    }
    Ok((jobs, unread))
}

/// The user a row names, when its columns up to the user's can be told apart.
fn user_of<'a>(row: &'a str, columns: &[Field], sep: Separator) -> Option<&'a str> {
    let at = columns.iter().position(|f| *f == Field::User)?;
    let c = match sep {
        Separator::Char(c) | Separator::Terminated(c) => c,
        Separator::Whitespace => return row.split_whitespace().nth(at),
    };
    // Every column before the user's is one rv prints without the separator in it.
    columns[..at]
        .iter()
        .all(|f| *f != Field::Name)
        .then(|| row.split(c).nth(at).map(str::trim))
        .flatten()
        .filter(|u| !u.is_empty())
}

/// Reads one row into `job` (a default one), which is left half-filled on an error, cutting
/// it with `values`.
fn parse_row<'a>(
    job: &mut Job,
    values: &mut Cut<'a>,
    line: &'a str,
    fields: &[Field],
    sep: Separator,
    clock: &Clock,
) -> Result<(), ParseError> {
    // A default layout may leave NODELIST(REASON) with spaces at the end: let it run on.
    if !values.split(line, sep, fields.len()) {
        return Err(ParseError::new(
            "squeue",
            line,
            format!("expected {} columns", fields.len()),
        ));
    }
    let reason = |s: &str| {
        let b = s.as_bytes();
        let start = b.iter().position(|&c| c != b'(').unwrap_or(b.len());
        let end = b.iter().rposition(|&c| c != b')').map_or(start, |i| i + 1);
        // `(` and `)` are ASCII: both cuts are character boundaries.
        let r = &s[start..end.max(start)];
        (!matches!(r, "" | "None" | "none")).then(|| r.into())
    };
    let nodes = |s: &str| -> Result<Vec<CompactString>, ParseError> {
        Ok(match s {
            "" | "(null)" | "N/A" | "(none)" | "n/a" => Vec::new(),
            // One plain name, the common case: no expansion to go through.
            one if !one.bytes().any(|b| matches!(b, b',' | b'[' | b']')) => vec![one.into()],
            list => hostlist::expand(list)?
                .into_iter()
                .map(CompactString::from)
                .collect(),
        })
    };
    for (field, &value) in fields.iter().zip(values.fields()) {
        match field {
            Field::Id => {
                if !super::is_job_id(value) {
                    return Err(ParseError::new(
                        "squeue",
                        value,
                        "the job id is not a Slurm job id",
                    ));
                }
                job.id = value.into();
            }
            Field::Name => job.name = value.into(),
            Field::Other => {}
            Field::Partition => job.partition = value.into(),
            Field::User => job.user = value.into(),
            Field::Account => job.account = value.into(),
            Field::State => job.state = Some(JobState::parse(value)?),
            // `INVALID` when Slurm cannot compute it (a start time in the future).
            Field::Elapsed => job.elapsed = Limit::from_slurm(value)?.finite(),
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slurm::parse::test_support::{fixture, sample, sample_in};
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
    fn reads_gpus_in_the_24_11_spelling() {
        let text = sample_in("testbed-24.11", "busy_squeue_rv.txt", COMMAND);
        let jobs = parse_jobs(&text, FIELDS, SEPARATOR, &UTC).unwrap();
        let job = |name: &str| jobs.iter().find(|j| j.name == name).unwrap();
        let a100 = |count| Gpus {
            kind: Some("a100".into()),
            count,
        };
        assert_eq!(job("load-gpu-a100-40").gpus_per_node, [a100(8)]);
        let big = job("load-big-gpu-a100-80");
        assert_eq!(big.gpus_per_node, [a100(8)]);
        assert_eq!(big.node_count, Some(2));
        assert_eq!(big.sched_nodes, ["a100-80g-01", "a100-80g-02"]);
        let mine = job("mine-a40");
        assert_eq!(mine.user, "rvtest");
        assert_eq!(mine.state, Some(JobState::Running));
        assert_eq!(
            mine.gpus_per_node,
            [Gpus {
                kind: Some("a40".into()),
                count: 1
            }]
        );
        assert!(
            jobs.iter()
                .filter(|j| j.partition != "standard")
                .all(|j| !j.gpus_per_node.is_empty()),
            "every GPU job has its GPUs"
        );
        // The generic layout: untyped GRES, and a job held by its user.
        // (captured with rv's earlier format, before the name had a `|` after it)
        let before = "squeue --all -h -o '%i|%P|%u|%a|%T|%M|%l|%D|%C|%b|%S|%e|%V|%Q|%r|%N|%Y|%j'";
        let generic = sample_in("generic-24.11", "busy_squeue_rv.txt", before);
        let jobs = parse_jobs(&generic, FIELDS, Separator::Char('|'), &UTC).unwrap();
        let shared = jobs.iter().find(|j| j.id == "29").unwrap();
        assert_eq!(
            shared.gpus_per_node,
            [Gpus {
                kind: None,
                count: 1
            }]
        );
        let held = jobs.iter().find(|j| j.id == "30").unwrap();
        assert_eq!(held.reason.as_deref(), Some("JobHeldUser"));
        assert_eq!(held.sched_nodes, Vec::<String>::new(), "(null) is no node");
    }

    #[test]
    fn reads_arrays_het_jobs_and_odd_times() {
        let text = "2772_[5-40%4]|gpu-mig|rvother|otherlab|PENDING|0:00|Partition_Limit|1|1|gres:gpu:1g.10gb:1|N/A|N/A|1795887590|100|JobArrayTaskLimit|||tput\n\
                    2772_3|gpu-mig|rvother|otherlab|RUNNING|INVALID|NOT_SET|1|1|gres/gpu:1g.10gb:1|1795887600|N/A|1795887590|100|None|mig-01||tput\n\
                    123+0|gpu-a40|rvother|otherlab|RUNNING|1:00|1:00:00|1|2|gres/gpu:a40:2|1795887600|1795891200|1795887590|100|None|a40-01||het\n\
                    123+1|standard|rvother|otherlab|RUNNING|1:00|1:00:00|1|8|N/A|1795887600|1795891200|1795887590|100|None|cpu-01||het\n\
                    9_[1,3-5]|gpu|rvother|otherlab|PENDING|0:00|1:00:00|1|1|N/A|N/A|N/A|1795887590|1|Dependency|||a|b|\n";
        let jobs = parse_jobs(text, FIELDS, Separator::Char('|'), &UTC).unwrap();
        let ids: Vec<&str> = jobs.iter().map(|j| j.id.as_str()).collect();
        assert_eq!(
            ids,
            ["2772_[5-40%4]", "2772_3", "123+0", "123+1", "9_[1,3-5]"]
        );
        assert_eq!(jobs[0].limit, None, "Partition_Limit");
        assert_eq!(jobs[1].elapsed, None, "INVALID");
        assert_eq!(jobs[1].limit, None, "NOT_SET");
        assert_eq!(jobs[2].gpus_per_node[0].count, 2);
        assert_eq!(jobs[4].reason.as_deref(), Some("Dependency"));
    }

    /// A row of rv's own format for job `id` of `user` named `name`.
    fn row(id: &str, user: &str, state: &str, name: &str) -> String {
        format!(
            "{id}|gpu-a40|{user}|lab|{state}|0:10|1:00:00|1|1|gres/gpu:a40:2|1795887600|1795891200|1795887590|100|None|a40-01||{name}|\n"
        )
    }

    #[test]
    fn names_with_pipes_and_newlines_are_read_whole() {
        let text = [
            row("1", "rvother", "RUNNING", "nl\nname|x|"),
            row("2", "rvtest", "RUNNING", "mine|"),
            row("3", "rvother", "PENDING", "a\n\nb"),
            row("4", "rvtest", "RUNNING", "plain"),
        ]
        .concat();
        let jobs = parse_jobs(&text, FIELDS, SEPARATOR, &UTC).unwrap();
        let names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
        assert_eq!(names, ["nl\nname|x|", "mine|", "a\n\nb", "plain"]);
        assert_eq!(jobs[3].gpus_per_node[0].count, 2);
    }

    #[test]
    fn other_users_unreadable_rows_are_skipped_and_the_users_own_are_not() {
        let text = [
            row("1", "rvother", "RUNNING", "ok"),
            row("2", "rvother", "RUNNING", "odd").replace(":a40:2", ":a40:x"),
            row("3", "rvtest", "RUNNING", "mine"),
            "garbage\n".to_owned(),
        ]
        .concat();
        let err = parse_jobs_lenient(&text, FIELDS, SEPARATOR, &UTC, "rvtest").unwrap_err();
        assert_eq!(
            err.line,
            Some(4),
            "a row whose user cannot be told fails: {err}"
        );
        let text = [
            row("1", "rvother", "RUNNING", "ok"),
            row("2", "rvother", "RUNNING", "odd").replace(":a40:2", ":a40:x"),
            row("2772_[5-40%4]", "carol", "PENDING", "array"),
            row("3", "rvtest", "RUNNING", "mine"),
            row("5", "dave", "RUNNING", "x").replace("0:10", "soon"),
        ]
        .concat();
        let read = parse_jobs_lenient(&text, FIELDS, SEPARATOR, &UTC, "rvtest").unwrap();
        let ids: Vec<&str> = read.items.iter().map(|j| j.id.as_str()).collect();
        assert_eq!(ids, ["1", "2772_[5-40%4]", "3"]);
        assert_eq!(read.unread.len(), 2);
        assert!(
            read.unread[0].row.starts_with("2|gpu-a40|rvother|"),
            "verbatim"
        );
        assert!(read.unread[0].row.ends_with("|odd|"), "verbatim");
        assert_eq!(read.unread[0].error.line, Some(2));
        assert_eq!(read.unread[1].error.line, Some(5));
        assert!(
            parse_jobs(&text, FIELDS, SEPARATOR, &UTC).is_err(),
            "strict"
        );
        let mine = row("3", "rvtest", "RUNNING", "mine").replace(":a40:2", ":a40:x");
        let err = parse_jobs_lenient(&mine, FIELDS, SEPARATOR, &UTC, "rvtest").unwrap_err();
        assert!(err.to_string().contains("a40:x"), "{err}");
    }

    #[test]
    fn rvs_formats_have_the_columns_rv_reads() {
        let format = |command: &str| command.split('\'').nth(1).unwrap().to_owned();
        assert_eq!(Field::from_format(&format(COMMAND)).unwrap(), FIELDS);
        assert_eq!(
            Field::from_format(&format(OWN_COMMAND)).unwrap(),
            OWN_FIELDS
        );
        let row = "7|gpu|rvtest|lab|RUNNING|0:10|1:00:00|1|1|gres/gpu:a40:2|1795887600|1795891200|1795887590|100|None|a40-01||/scratch/rvtest/rv/r-1/s1.sh|mine | odd|\n";
        let jobs = parse_jobs(row, OWN_FIELDS, SEPARATOR, &UTC).unwrap();
        assert_eq!(jobs[0].name, "mine | odd");
        assert_eq!(jobs[0].id, "7");
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
        fn lenient_parses_never_panic_and_keep_every_row(s in "[0-9a-z|_\\[\\]%+\\n -]{0,300}") {
            if let Ok(read) = parse_jobs_lenient(&s, FIELDS, SEPARATOR, &UTC, "me") {
                prop_assert!(read.items.len() + read.unread.len() <= s.lines().count());
            }
        }

        #[test]
        fn never_panics_on_near_valid_rows(
            cols in proptest::collection::vec("[0-9A-Za-z:_/()\\[\\], -]{0,12}", 18)
        ) {
            let _ = parse_jobs(&cols.join("|"), FIELDS, Separator::Char('|'), &UTC);
        }
    }
}
