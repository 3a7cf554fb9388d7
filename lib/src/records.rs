//! The NDJSON records the pipeline passes: `rv-probe | rv-plan | rv-submit | rv-watch`.
//!
//! One JSON object per line, each with a `type` and a schema version `v`. Times are epoch
//! seconds on the cluster's clock; durations are seconds. A stage reads every line with
//! [`read_line`], acts on the types it consumes, and writes the rest through unchanged, also
//! types it does not know (from a newer rv or another tool). `docs/ndjson.md` shows one
//! example of each type; a test parses them.

use serde::{Deserialize, Serialize};

use crate::slurm::parse::version::SlurmVersion;
use crate::slurm::time::Walltime;

/// The schema version this rv writes and the newest it reads.
pub const SCHEMA_VERSION: u32 = 1;

/// One record: its version and its typed content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// The schema version of the record.
    pub v: u32,
    /// The content, tagged by `type`.
    #[serde(flatten)]
    pub record: Record,
}

impl Envelope {
    /// Wraps `record` at the current schema version.
    pub fn new(record: Record) -> Self {
        Envelope {
            v: SCHEMA_VERSION,
            record,
        }
    }

    /// The record as one line of JSON, without the newline.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("records always serialize")
    }
}

/// Every record type of the pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    /// The cluster as probed: whose clock, and the user's standing.
    Cluster(Cluster),
    /// A partition and its GPUs.
    Partition(Partition),
    /// How long a job of one shape could run if it started now without delaying anyone.
    Window(Window),
    /// What the user asked for.
    Request(Request),
    /// One way to satisfy a request.
    Strategy(Strategy),
    /// A job submitted for a strategy, or why it was refused.
    Submission(Submission),
    /// A change of state of a submitted job.
    Event(Event),
    /// The job that won: where the user's GPUs are.
    Allocation(Allocation),
    /// Files pushed to or pulled from the cluster (`rv-sync`).
    Sync(SyncRecord),
    /// A stage's failure, for the stages after it.
    Error(ErrorRecord),
    /// Something a stage could not read and skipped, said once.
    Warning(Warning),
}

/// `cluster`: whose clock the other records use, and the user's standing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    /// The host rv connected to.
    pub host: String,
    /// The site profile in use (`generic` when none matched).
    pub profile: String,
    /// The cluster user.
    pub user: String,
    /// The cluster's clock when probed (epoch seconds).
    pub now: i64,
    /// The cluster's UTC offset in seconds.
    pub utc_offset: i32,
    /// The user's fair-share factor (0..=1), if the site reports one.
    pub fairshare: Option<f64>,
    /// GPUs the user's jobs hold now, by partition and kind (for per-user limits).
    pub running: Vec<Usage>,
    /// The user's GPUs allowed at once over all partitions, if the site caps it (the
    /// profile's cap, or accounting's: the QOS `MaxTRESPerUser` or the association's
    /// `GrpTRES`, the tightest).
    pub max_gpus_per_user: Option<u32>,
    /// GPUs one job may have, if accounting caps it (QOS or association `MaxTRES`); `null`
    /// from an older rv.
    #[serde(default)]
    pub max_gpus_per_job: Option<u32>,
    /// The cluster's Slurm release (`24.11.5`), as its clients report it; `null` when it
    /// could not be read (or from an older rv).
    #[serde(default)]
    pub slurm_version: Option<SlurmVersion>,
    /// Where rv keeps its files on the cluster, as the probe found it; `null` from an
    /// older rv (then the configured scratch, else `/scratch/<user>`).
    #[serde(default)]
    pub scratch: Option<Scratch>,
}

/// Scratch on the cluster: rv's files, caches, logs and code go there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scratch {
    /// The directory.
    pub dir: String,
    /// How it was chosen.
    pub from: ScratchSource,
    /// Whether it exists and the user can write to it.
    pub usable: bool,
}

/// How rv chose the scratch directory, first that applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScratchSource {
    /// `paths.scratch` in the config (or `RV_SCRATCH`).
    Config,
    /// `$SCRATCH` on the cluster.
    Env,
    /// `/scratch/<user>`, which exists.
    Site,
    /// The home directory: the site has neither.
    Home,
}

/// GPUs of one kind that the user's running jobs hold in one partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// The partition.
    pub partition: String,
    /// The GPU kind.
    pub gpu_type: String,
    /// GPUs held.
    pub gpus: u32,
}

/// GPUs of one kind in a partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GpuPool {
    /// rv's name for the kind (`a100-80`), or Slurm's GRES type when the site profile does
    /// not know it.
    pub gpu_type: String,
    /// The GRES type to request (`a100`); `null` for untyped GPUs.
    pub gres: Option<String>,
    /// The node feature that selects this kind where kinds share a GRES type.
    pub feature: Option<String>,
    /// GPUs per node.
    pub per_node: u32,
    /// Nodes with this kind.
    pub nodes: u32,
    /// GPUs in total.
    pub total: u32,
    /// GPUs idle on nodes that accept jobs.
    pub free: u32,
    /// Memory per GPU in GB, if the profile knows it.
    pub vram_gb: Option<u32>,
    /// Service units per GPU-hour, if the profile knows it.
    pub su_per_gpu_hour: Option<f64>,
    /// GPUs of this kind one user may run at once, if capped.
    pub max_per_user: Option<u32>,
}

/// `partition`: a partition and its GPUs; the cluster model is made of these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Partition {
    /// Its name.
    pub name: String,
    /// Its longest walltime, in seconds in JSON (`null`: unlimited).
    pub max_time: Option<Walltime>,
    /// The walltime rv asks for here when the request names none: the site profile's
    /// `recommended_walltime`, else the partition's own `DefaultTime` (`null`: neither, or
    /// from an older rv; rv's default then).
    #[serde(default)]
    pub default_time: Option<Walltime>,
    /// GPUs one user may run here at once, if capped.
    pub max_gpus_per_user: Option<u32>,
    /// Its GPUs by kind.
    pub gpus: Vec<GpuPool>,
    /// Its nodes. Known to the process that probed; not carried in the record (a stage
    /// after `rv-probe` sees none).
    #[serde(skip)]
    pub nodes: Vec<String>,
}

/// Where a window estimate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WindowSource {
    /// rv's model of each node's GPU timeline.
    Model,
    /// `sbatch --test-only` probes.
    TestOnly,
}

/// `window`: a backfill window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// The partition.
    pub partition: String,
    /// The GPU kind.
    pub gpu_type: String,
    /// Nodes.
    pub nodes: u32,
    /// GPUs per node.
    pub gpus_per_node: u32,
    /// When a job of this shape can start (epoch seconds): the probe's clock when now.
    pub start: i64,
    /// The longest walltime, in seconds, that a job starting at `start` can have without
    /// delaying a planned job or running into a reservation, capped at the partition's
    /// limit (`null`: no limit at all).
    pub max_walltime: Option<u64>,
    /// Which estimate this is.
    pub source: WindowSource,
}

/// `request`: what the user asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The request's id (also the claim directory's name on the cluster).
    pub id: String,
    /// A name for its jobs.
    pub name: String,
    /// GPUs in total (0: a CPU-only job).
    pub gpus: u32,
    /// A GPU type, if one was asked for.
    pub gpu_type: Option<String>,
    /// Minimum VRAM per GPU in GB.
    pub vram_gb: Option<u32>,
    /// Total time needed, in seconds.
    pub time: u64,
    /// Nodes, if fixed.
    pub nodes: Option<u32>,
    /// CPUs per node, if given.
    pub cpus: Option<u32>,
    /// Memory per node in MB, if given.
    pub mem_mb: Option<u64>,
    /// Partitions to stay within (empty: any).
    pub partitions: Vec<String>,
    /// The account to charge.
    pub account: Option<String>,
    /// A feature constraint.
    pub constraint: Option<String>,
    /// Nodes to avoid.
    pub exclude: Vec<String>,
    /// The command to run; `null` holds the allocation for an interactive shell.
    pub command: Option<String>,
    /// Start a Ray cluster over the job's nodes first (head on the first node).
    #[serde(default)]
    pub ray: bool,
}

/// `strategy`: one way to satisfy a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Strategy {
    /// The request it serves.
    pub request: String,
    /// Its id within the request.
    pub id: String,
    /// Partitions (several when identical specs were merged into one `-p a,b` job).
    pub partitions: Vec<String>,
    /// The GPU kind (`null` for a CPU-only job).
    pub gpu_type: Option<String>,
    /// The GRES type to request (`null`: untyped GPUs or none).
    pub gres: Option<String>,
    /// Nodes.
    pub nodes: u32,
    /// GPUs per node.
    pub gpus_per_node: u32,
    /// CPUs per node, if asked for.
    pub cpus: Option<u32>,
    /// Memory per node in MB, if asked for.
    pub mem_mb: Option<u64>,
    /// Walltime of one job (or segment), in seconds.
    pub time: u64,
    /// The shortest walltime Slurm may shrink the job to (`--time-min`), if flexible.
    pub time_min: Option<u64>,
    /// Segments chained with checkpoint-restart (1: one job).
    pub segments: u32,
    /// A feature constraint.
    pub constraint: Option<String>,
    /// The account to charge.
    pub account: Option<String>,
    /// Nodes to avoid.
    pub exclude: Vec<String>,
    /// Predicted start (epoch seconds), if known.
    pub predicted_start: Option<i64>,
    /// Service units for the whole request.
    pub service_units: f64,
    /// Why it was kept, in words.
    pub why: String,
}

/// `submission`: a job submitted for a strategy, or the refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submission {
    /// The request.
    pub request: String,
    /// The strategy.
    pub strategy: String,
    /// The job id; `null` when sbatch refused.
    pub job_id: Option<u64>,
    /// sbatch's reason for a refusal.
    pub error: Option<String>,
}

/// `event`: a job's state changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The request.
    pub request: String,
    /// The job.
    pub job_id: u64,
    /// The new state (`PENDING`, `RUNNING`, `CANCELLED`, …).
    pub state: String,
    /// The pending reason, in plain words.
    pub reason: Option<String>,
    /// When (epoch seconds, cluster clock).
    pub at: i64,
}

/// `allocation`: the winning job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    /// The request.
    pub request: String,
    /// The job.
    pub job_id: u64,
    /// Its partition.
    pub partition: String,
    /// Its nodes.
    pub nodes: Vec<String>,
    /// The GPU type.
    pub gpu_type: Option<String>,
    /// GPUs per node.
    pub gpus_per_node: u32,
    /// Start (epoch seconds).
    pub start: i64,
    /// Expected end (epoch seconds).
    pub end: Option<i64>,
}

/// `sync`: what a push or pull moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRecord {
    /// `push` or `pull`.
    pub direction: String,
    /// The local directory.
    pub local: String,
    /// The remote directory, `host:path`.
    pub remote: String,
    /// Files rv listed for a push (after ignore rules); 0 for a pull.
    pub files: u64,
    /// Files sent or received (or that would be, with `dry_run`).
    pub transferred: Vec<String>,
    /// Files deleted on the receiving side.
    pub deleted: Vec<String>,
    /// Bytes of file data moved.
    pub bytes: u64,
    /// Nothing was changed: the lists say what would move.
    pub dry_run: bool,
}

/// `error`: what went wrong in a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorRecord {
    /// The stage (`rv-probe`, …).
    pub stage: String,
    /// The message.
    pub message: String,
}

/// `warning`: rows of the cluster's output a stage could not read and skipped (other users'
/// jobs, nodes), counted, with the first one verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// The stage (`rv-probe`, …).
    pub stage: String,
    /// What was skipped, for people.
    pub message: String,
    /// How many rows were skipped.
    pub skipped: u32,
    /// The parsers that skipped them (`squeue`, `sinfo`).
    pub parsers: Vec<String>,
    /// The first skipped row, verbatim.
    pub first: String,
    /// Why the first could not be read.
    pub why: String,
}

/// One line of input, read.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// A record of a known type.
    Record(Box<Envelope>),
    /// A record of a type this rv does not know: to be passed through as it was.
    Foreign(String),
    /// A blank line.
    Blank,
}

/// A line that is not a valid record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {why}")]
pub struct RecordError {
    /// The 1-based line number.
    pub line: usize,
    /// What is wrong, naming the field where there is one.
    pub why: String,
}

const KNOWN: &[&str] = &[
    "cluster",
    "partition",
    "window",
    "request",
    "strategy",
    "submission",
    "event",
    "allocation",
    "sync",
    "error",
    "warning",
];

/// Reads line `line` (1-based) of an NDJSON stream.
pub fn read_line(line: usize, text: &str) -> Result<Line, RecordError> {
    let err = |why: String| RecordError { line, why };
    if text.trim().is_empty() {
        return Ok(Line::Blank);
    }
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| err(format!("not JSON ({e})")))?;
    let object = value
        .as_object()
        .ok_or_else(|| err("a record must be a JSON object".into()))?;
    let kind = object
        .get("type")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| err("missing field `type`".into()))?
        .to_owned();
    if !KNOWN.contains(&kind.as_str()) {
        return Ok(Line::Foreign(
            text.trim_end_matches(['\r', '\n']).to_owned(),
        ));
    }
    let v = object
        .get("v")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| {
            err(format!(
                "`{kind}` record: missing field `v` (the schema version)"
            ))
        })?;
    if v > u64::from(SCHEMA_VERSION) {
        return Err(err(format!(
            "`{kind}` record has schema version {v}; this rv reads up to {SCHEMA_VERSION}: upgrade rv"
        )));
    }
    serde_json::from_value(value)
        .map(|e| Line::Record(Box::new(e)))
        .map_err(|e| err(format!("`{kind}` record: {e}")))
}

/// Writes records as NDJSON lines to stdout. A closed pipe (`rv-probe | head`) is not an
/// error: it returns `false` so the caller stops quietly.
pub fn print_records<'a>(records: impl IntoIterator<Item = &'a Envelope>) -> std::io::Result<bool> {
    let lines: Vec<String> = records.into_iter().map(Envelope::to_line).collect();
    crate::util::print_lines(lines.iter().map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn docs() -> String {
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/ndjson.md")).unwrap()
    }

    /// The JSON lines of the `json` code blocks of `docs/ndjson.md`.
    fn documented_examples() -> Vec<String> {
        let mut out = Vec::new();
        let mut inside = false;
        for line in docs().lines() {
            match line.trim() {
                "```json" => inside = true,
                "```" => inside = false,
                l if inside && !l.is_empty() => out.push(l.to_owned()),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn every_type_is_documented_and_the_examples_round_trip() {
        let examples = documented_examples();
        let mut seen = Vec::new();
        for (i, text) in examples.iter().enumerate() {
            let Ok(Line::Record(env)) = read_line(i + 1, text) else {
                panic!(
                    "example {text} does not parse: {:?}",
                    read_line(i + 1, text)
                )
            };
            let kind = serde_json::from_str::<serde_json::Value>(text).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned();
            seen.push(kind);
            // Writing it back gives the same JSON value.
            let again: serde_json::Value = serde_json::from_str(&env.to_line()).unwrap();
            let original: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(again, original, "{text}");
        }
        seen.sort();
        let mut known = KNOWN.to_vec();
        known.sort_unstable();
        assert_eq!(seen, known, "one example per type");
    }

    #[test]
    fn unknown_types_pass_through_unchanged() {
        let line = r#"{"type":"future_thing","v":9,"x":[1,2]}"#;
        assert_eq!(read_line(1, line), Ok(Line::Foreign(line.to_owned())));
        assert_eq!(read_line(2, "   "), Ok(Line::Blank));
    }

    #[test]
    fn bad_lines_name_the_line_and_the_field() {
        let cases = [
            ("not json", "line 3: not JSON"),
            ("[1,2]", "line 3: a record must be a JSON object"),
            (r#"{"v":1}"#, "line 3: missing field `type`"),
            (
                r#"{"type":"window"}"#,
                "line 3: `window` record: missing field `v`",
            ),
            (r#"{"type":"window","v":2}"#, "schema version 2"),
            (
                r#"{"type":"submission","v":1,"strategy":"s","job_id":1}"#,
                "`submission` record: missing field `request`",
            ),
            (
                r#"{"type":"event","v":1,"request":"r","job_id":"twelve","state":"R","reason":null,"at":1}"#,
                "`event` record: invalid type",
            ),
        ];
        for (text, want) in cases {
            let err = read_line(3, text).unwrap_err().to_string();
            assert!(
                err.starts_with("line 3: ") && err.contains(want),
                "{text}: {err}"
            );
        }
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,120}") {
            let _ = read_line(1, &s);
        }

        #[test]
        fn never_panics_on_typed_objects(kind in "(cluster|window|request|strategy|event|x)", body in "[a-z0-9\":,{}\\[\\] ]{0,60}") {
            let _ = read_line(1, &format!("{{\"type\":\"{kind}\",\"v\":1,{body}}}"));
        }
    }
}
