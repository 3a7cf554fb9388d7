//! `scontrol show job` and `scontrol show partition`: `Key=Value` records, in the multi-line
//! layout or one record per line (`-o`).
//!
//! Keys are matched whole, so `NodeList=` is never confused with `ReqNodeList=`,
//! `ExcNodeList=` or `SchedNodeList=`.

use crate::slurm::ParseError;
use crate::slurm::hostlist;
use crate::slurm::time::{Clock, Limit, Walltime};

use super::gres::{Gpus, parse_gpus};
use super::job_state::JobState;

/// The `Key=Value` pairs of one record, in order (keys may repeat, as the per-node lines of
/// `scontrol show job -d` do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The pairs as printed.
    pub pairs: Vec<(String, String)>,
}

impl Record {
    /// The first value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn nonempty(&self, key: &str) -> Option<&str> {
        self.get(key)
            .filter(|v| !matches!(*v, "" | "(null)" | "N/A" | "None"))
    }
}

/// Splits `scontrol` output into records, each starting at `first_key` (`JobId`,
/// `PartitionName`). A word without `=` continues the previous value (`JobName=my job`).
pub fn parse_records(text: &str, first_key: &str) -> Result<Vec<Record>, ParseError> {
    let mut records: Vec<Record> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        for token in line.split_whitespace() {
            match token.split_once('=').filter(|(k, _)| is_key(k)) {
                Some((key, value)) if key == first_key => records.push(Record {
                    pairs: vec![(key.to_owned(), value.to_owned())],
                }),
                Some((key, value)) => match records.last_mut() {
                    Some(r) => r.pairs.push((key.to_owned(), value.to_owned())),
                    None => {
                        return Err(ParseError::new(
                            "scontrol",
                            line,
                            format!("expected {first_key}= first"),
                        )
                        .at_line(i + 1));
                    }
                },
                None => match records.last_mut().and_then(|r| r.pairs.last_mut()) {
                    Some((_, value)) => {
                        value.push(' ');
                        value.push_str(token);
                    }
                    None => {
                        return Err(
                            ParseError::new("scontrol", line, "expected Key=Value").at_line(i + 1)
                        );
                    }
                },
            }
        }
    }
    Ok(records)
}

fn is_key(k: &str) -> bool {
    k.starts_with(|c: char| c.is_ascii_alphabetic())
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_:/".contains(&b))
}

/// GPUs allocated on a group of a job's nodes (`scontrol show job -d`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NodeGpus {
    /// The nodes of the group, expanded.
    pub nodes: Vec<String>,
    /// GPUs per node.
    pub gpus: Vec<Gpus>,
    /// Their device indexes, as printed (`0-3`).
    pub indexes: Option<String>,
}

/// What rv reads from `scontrol show job`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JobDetail {
    /// The job id.
    pub id: String,
    /// The job name.
    pub name: String,
    /// The state.
    pub state: JobState,
    /// Why it is pending, if it is.
    pub reason: Option<String>,
    /// The partition.
    pub partition: String,
    /// The nodes it runs on (`NodeList=`), expanded.
    pub nodes: Vec<String>,
    /// The nodes it asked for (`ReqNodeList=`).
    pub requested_nodes: Vec<String>,
    /// The nodes it excluded (`ExcNodeList=`).
    pub excluded_nodes: Vec<String>,
    /// Where backfill plans to start it (`SchedNodeList=`).
    pub sched_nodes: Vec<String>,
    /// The node running the batch script.
    pub batch_host: Option<String>,
    /// The time limit.
    pub limit: Option<Walltime>,
    /// Start time (epoch seconds), actual or planned.
    pub start: Option<i64>,
    /// End time (epoch seconds).
    pub end: Option<i64>,
    /// GPUs requested per node (`TresPerNode=`).
    pub gpus_per_node: Vec<Gpus>,
    /// GPUs allocated per node group, with `-d`.
    pub allocated: Vec<NodeGpus>,
}

/// Parses `scontrol show job [-d] [-o]` output.
pub fn parse_jobs(text: &str, clock: &Clock) -> Result<Vec<JobDetail>, ParseError> {
    parse_records(text, "JobId")?
        .iter()
        .map(|r| job(r, clock))
        .collect()
}

fn hosts(r: &Record, key: &str) -> Result<Vec<String>, ParseError> {
    r.nonempty(key).map_or(Ok(Vec::new()), hostlist::expand)
}

fn job(r: &Record, clock: &Clock) -> Result<JobDetail, ParseError> {
    let id = r.get("JobId").unwrap_or_default();
    let state = JobState::parse(r.get("JobState").unwrap_or_default())?;
    let mut allocated = Vec::new();
    // `-d` prints `Nodes=… CPU_IDs=… Mem=… GRES=gpu:x:4(IDX:0-3)` per node group.
    let mut group: Option<Vec<String>> = None;
    for (k, v) in &r.pairs {
        match k.as_str() {
            "Nodes" => group = Some(hostlist::expand(v)?),
            "GRES" => {
                if let Some(nodes) = group.take() {
                    let indexes = v
                        .split_once("(IDX:")
                        .map(|(_, rest)| rest.trim_end_matches(')').to_owned());
                    allocated.push(NodeGpus {
                        nodes,
                        gpus: parse_gpus(v)?,
                        indexes,
                    });
                }
            }
            _ => {}
        }
    }
    Ok(JobDetail {
        id: id.to_owned(),
        name: r.get("JobName").unwrap_or_default().to_owned(),
        state,
        reason: r.nonempty("Reason").map(str::to_owned),
        partition: r.get("Partition").unwrap_or_default().to_owned(),
        nodes: hosts(r, "NodeList")?,
        requested_nodes: hosts(r, "ReqNodeList")?,
        excluded_nodes: hosts(r, "ExcNodeList")?,
        sched_nodes: hosts(r, "SchedNodeList")?,
        batch_host: r.nonempty("BatchHost").map(str::to_owned),
        limit: r
            .nonempty("TimeLimit")
            .map(Limit::from_slurm)
            .transpose()?
            .and_then(Limit::finite),
        start: clock.timestamp(r.get("StartTime").unwrap_or_default())?,
        end: clock.timestamp(r.get("EndTime").unwrap_or_default())?,
        gpus_per_node: parse_gpus(r.get("TresPerNode").unwrap_or_default())?,
        allocated,
    })
}

/// What rv reads from `scontrol show partition`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Partition {
    /// Its name.
    pub name: String,
    /// Whether jobs without `-p` go here.
    pub default: bool,
    /// Whether it accepts and runs jobs (`State=UP`).
    pub up: bool,
    /// The longest walltime (`None`: unlimited).
    pub max_time: Option<Walltime>,
    /// The walltime of jobs that give none.
    pub default_time: Option<Walltime>,
    /// Its nodes, expanded.
    pub nodes: Vec<String>,
    /// Its trackable resources, as printed (`cpu=128,mem=2000000M,…,gres/gpu=16`).
    pub tres: String,
    /// Its billing weights, as printed, when the site sets them.
    pub billing_weights: Option<String>,
    /// The partition's `QoS`, if any.
    pub qos: Option<String>,
}

/// Parses `scontrol show partition [-o]` output.
pub fn parse_partitions(text: &str) -> Result<Vec<Partition>, ParseError> {
    parse_records(text, "PartitionName")?
        .iter()
        .map(|r| {
            let time = |key| {
                r.nonempty(key)
                    .map(Limit::from_slurm)
                    .transpose()
                    .map(|l| l.and_then(Limit::finite))
            };
            Ok(Partition {
                name: r.get("PartitionName").unwrap_or_default().to_owned(),
                default: r.get("Default") == Some("YES"),
                up: r.get("State") == Some("UP"),
                max_time: time("MaxTime")?,
                default_time: time("DefaultTime")?,
                nodes: hosts(r, "Nodes")?,
                tres: r.get("TRES").unwrap_or_default().to_owned(),
                billing_weights: r.nonempty("TRESBillingWeights").map(str::to_owned),
                qos: r.nonempty("QoS").map(str::to_owned),
            })
        })
        .collect()
}

/// What rv reads from `scontrol show reservation`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reservation {
    /// Its name.
    pub name: String,
    /// When it starts (epoch seconds).
    pub start: i64,
    /// When it ends (epoch seconds).
    pub end: i64,
    /// Its nodes, expanded.
    pub nodes: Vec<String>,
    /// Its flags (`MAINT`, `IGNORE_JOBS`, …).
    pub flags: Vec<String>,
    /// The users it is for (empty: decided by accounts).
    pub users: Vec<String>,
    /// The accounts it is for.
    pub accounts: Vec<String>,
}

impl Reservation {
    /// Whether `user` in `account` may run jobs inside it.
    pub fn admits(&self, user: &str, account: Option<&str>) -> bool {
        self.users.iter().any(|u| u == user)
            || account.is_some_and(|a| self.accounts.iter().any(|x| x == a))
    }
}

/// Parses `scontrol show reservation [-o]`; `No reservations in the system` is none.
pub fn parse_reservations(text: &str, clock: &Clock) -> Result<Vec<Reservation>, ParseError> {
    if text.trim_start().starts_with("No reservations") {
        return Ok(Vec::new());
    }
    parse_records(text, "ReservationName")?
        .iter()
        .map(|r| {
            let time = |key: &str| {
                clock
                    .timestamp(r.get(key).unwrap_or_default())?
                    .ok_or_else(|| ParseError::new("scontrol reservation", key, "no time"))
            };
            let list = |key: &str| -> Vec<String> {
                r.nonempty(key)
                    .map(|v| {
                        v.split(',')
                            .filter(|x| !x.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default()
            };
            Ok(Reservation {
                name: r.get("ReservationName").unwrap_or_default().to_owned(),
                start: time("StartTime")?,
                end: time("EndTime")?,
                nodes: hosts(r, "Nodes")?,
                flags: list("Flags"),
                users: list("Users"),
                accounts: list("Accounts"),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slurm::parse::test_support::{sample, sample_in};
    use proptest::prelude::*;

    const UTC: Clock = Clock {
        now: 0,
        utc_offset: 0,
    };

    #[test]
    fn reads_multi_line_detailed_and_one_line_jobs_alike() {
        let plain = parse_jobs(&sample("scontrol_job.txt", "scontrol show job 4"), &UTC).unwrap();
        let one_line =
            parse_jobs(&sample("scontrol_job.txt", "scontrol -o show job 4"), &UTC).unwrap();
        let detailed =
            parse_jobs(&sample("scontrol_job.txt", "scontrol show job -d 4"), &UTC).unwrap();
        assert_eq!(plain, one_line);
        let j = &detailed[0];
        assert_eq!(j.id, "4");
        assert_eq!(j.name, "mn-2x4");
        assert_eq!(j.state, JobState::Running);
        assert_eq!(j.reason, None);
        assert_eq!(
            j.nodes,
            ["rtx3090-01", "rtx3090-02"],
            "NodeList, not ReqNodeList=(null)"
        );
        assert!(j.requested_nodes.is_empty() && j.excluded_nodes.is_empty());
        assert_eq!(j.batch_host.as_deref(), Some("rtx3090-01"));
        assert_eq!(j.limit, Some(Walltime::from_hours(2)));
        assert_eq!(j.end.unwrap() - j.start.unwrap(), 7200);
        assert_eq!(
            j.gpus_per_node,
            vec![Gpus {
                kind: Some("rtx3090".into()),
                count: 4
            }]
        );
        assert_eq!(
            j.allocated,
            vec![NodeGpus {
                nodes: vec!["rtx3090-01".into(), "rtx3090-02".into()],
                gpus: vec![Gpus {
                    kind: Some("rtx3090".into()),
                    count: 4
                }],
                indexes: Some("0-3".into()),
            }]
        );
        assert!(plain[0].allocated.is_empty());
    }

    #[test]
    fn reads_a_pending_jobs_planned_nodes() {
        let text = sample(
            "backfill_cliff.txt",
            "scontrol show job $(squeue -u $USER -h -n bf-long -o %i)",
        );
        let j = &parse_jobs(&text, &UTC).unwrap()[0];
        assert_eq!(j.state, JobState::Pending);
        assert_eq!(j.reason.as_deref(), Some("Priority"));
        assert!(j.nodes.is_empty());
        assert_eq!(j.sched_nodes, ["a6000-01"]);
    }

    #[test]
    fn keys_are_matched_whole() {
        let text = "JobId=7 JobName=my job name JobState=PENDING ReqNodeList=a[1-2] ExcNodeList=b1 SchedNodeList=c[3-4] NodeList=(null) TimeLimit=UNLIMITED\n";
        let j = &parse_jobs(text, &UTC).unwrap()[0];
        assert_eq!(j.name, "my job name");
        assert!(j.nodes.is_empty());
        assert_eq!(j.requested_nodes, ["a1", "a2"]);
        assert_eq!(j.excluded_nodes, ["b1"]);
        assert_eq!(j.sched_nodes, ["c3", "c4"]);
        assert_eq!(j.limit, None);
    }

    #[test]
    fn a_partition_without_a_default_time_has_none() {
        let text = sample_in(
            "generic-24.11",
            "busy_scontrol_partition.txt",
            "scontrol -o show partition",
        );
        let parts = parse_partitions(&text).unwrap();
        let part = |name: &str| parts.iter().find(|p| p.name == name).unwrap();
        assert_eq!(part("cpu").default_time, None, "DefaultTime=NONE");
        assert_eq!(part("cpu").max_time, Some(Walltime::from_hours(48)));
        assert_eq!(part("gpu").default_time, Some(Walltime::from_hours(4)));
        assert_eq!(part("gpu-debug").default_time, None);
        assert_eq!(part("gpu-debug").max_time, Some(Walltime::from_hours(1)));
    }

    #[test]
    fn reads_partitions() {
        let text = sample(
            "sinfo_idle.txt",
            "scontrol show partition interactive-rtx3090",
        ) + &sample("sinfo_idle.txt", "scontrol show partition gpu-a100-80");
        let parts = parse_partitions(&text).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "interactive-rtx3090");
        assert_eq!(parts[0].max_time, Some(Walltime::from_hours(12)));
        assert_eq!(parts[0].default_time, Some(Walltime::from_hours(1)));
        assert_eq!(parts[0].nodes, ["rtx3090-01", "rtx3090-02"]);
        assert!(parts[0].up && !parts[0].default);
        assert_eq!(
            parts[1].tres,
            "cpu=128,mem=2000000M,node=2,billing=128,gres/gpu=16,gres/gpu:a100=16"
        );
        assert_eq!(parts[1].qos, None);
        let one = parse_partitions(
            "PartitionName=gpu Default=YES MaxTime=UNLIMITED Nodes=a[1-2] State=UP QoS=gpu TRESBillingWeights=CPU=1.0,GRES/gpu=2.0 TRES=cpu=2\n",
        )
        .unwrap();
        assert_eq!(one[0].max_time, None);
        assert!(one[0].default);
        assert_eq!(
            one[0].billing_weights.as_deref(),
            Some("CPU=1.0,GRES/gpu=2.0")
        );
        assert_eq!(one[0].qos.as_deref(), Some("gpu"));
    }

    #[test]
    fn reads_reservations() {
        let text = "ReservationName=rv-maintenance StartTime=1795900368 EndTime=1795914768 Duration=04:00:00 Nodes=a40-[01-02],cpu-01 NodeCnt=3 Flags=MAINT,IGNORE_JOBS,SPEC_NODES Users=root Groups=(null) Accounts=(null) State=INACTIVE\n";
        let r = &parse_reservations(text, &UTC).unwrap()[0];
        assert_eq!(r.name, "rv-maintenance");
        assert_eq!((r.start, r.end), (1_795_900_368, 1_795_914_768));
        assert_eq!(r.nodes, ["a40-01", "a40-02", "cpu-01"]);
        assert_eq!(r.flags, ["MAINT", "IGNORE_JOBS", "SPEC_NODES"]);
        assert!(r.admits("root", None) && !r.admits("rvtest", Some("rvlab")));
        assert_eq!(
            parse_reservations("No reservations in the system\n", &UTC),
            Ok(vec![])
        );
        assert!(parse_reservations("ReservationName=x StartTime=N/A\n", &UTC).is_err());
    }

    #[test]
    fn rejects_text_that_is_not_scontrol() {
        assert!(parse_jobs("slurm_load_jobs error: Invalid job id specified\n", &UTC).is_err());
        assert!(parse_jobs("JobId=1 JobState=WHATEVER?\n", &UTC).is_err());
        assert_eq!(parse_jobs("", &UTC), Ok(vec![]));
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = parse_jobs(&s, &UTC);
            let _ = parse_partitions(&s);
            let _ = parse_reservations(&s, &UTC);
        }

        #[test]
        fn never_panics_on_key_soup(kv in proptest::collection::vec(("(JobId|Nodes|GRES|NodeList|TimeLimit|StartTime|JobState)", "[0-9a-z:()\\[\\]=,-]{0,10}"), 0..10)) {
            let text: Vec<String> = kv.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = parse_jobs(&text.join(" "), &UTC);
        }
    }
}
