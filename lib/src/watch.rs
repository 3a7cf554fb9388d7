//! `rv-watch`: follow every job of a request until one runs, then cancel the rest.
//!
//! [`Watch`] is the pure state machine: it takes each tick's observations (one `squeue` for
//! all the request's jobs, the claim file, accounting for jobs that left the queue) and
//! returns the events to report and the jobs to cancel. The in-job claim gate is the
//! authority on who won; the watcher agrees with it and cancels the losers at once,
//! running ones too.

use crate::records::{Allocation, Event, Strategy};
use crate::slurm::parse::gres;
use crate::slurm::parse::job_state::JobState;
use crate::slurm::parse::sacct;
use crate::slurm::parse::squeue::Job;

/// Ticks a job may be missing from both `squeue` and accounting before it counts as gone
/// (accounting rows land a few seconds after a job ends).
pub const VANISHED_TICKS: u32 = 5;

/// Ticks to wait for the claim file once a job runs, before the watcher picks the winner
/// itself (the gate lets a better-ranked sibling that started at the same moment claim).
pub const CLAIM_TICKS: u32 = 4;

/// The wait before the `n`th tick (from 0): 1 s, backing off to 5 s.
pub fn tick_interval(n: u32) -> std::time::Duration {
    std::time::Duration::from_secs(match n {
        0..=4 => 1,
        5..=9 => 2,
        10..=19 => 3,
        _ => 5,
    })
}

/// A pending reason in plain words.
pub fn plain_reason(reason: &str) -> String {
    let (head, rest) = reason.split_once(',').unwrap_or((reason, ""));
    let words = match head.trim() {
        "Resources" => "waiting for GPUs to free up",
        "Priority" => "waiting behind higher-priority jobs",
        "ReqNodeNotAvail" if rest.contains("maint") || rest.contains("Reserved") => {
            "its nodes are reserved (maintenance)"
        }
        "ReqNodeNotAvail" => "its nodes are not available",
        "Dependency" => "waiting for another job",
        "JobHeldUser" | "JobHeldAdmin" => "held",
        "BeginTime" => "waiting for its start time",
        "QOSMaxGRESPerUser" | "QOSMaxGRESPerJob" | "AssocGrpGRES" | "AssocMaxGRESPerJob" => {
            "over your GPU limit"
        }
        "AssocGrpBillingMinutes" | "AssocGrpCPUMinutesLimit" => {
            "your allocation is out of service units"
        }
        "PartitionTimeLimit" => "longer than the partition allows",
        "None" | "" => "waiting for the scheduler",
        other => return other.to_owned(),
    };
    words.to_owned()
}

/// One job the watcher follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracked {
    /// The job id.
    pub job_id: u64,
    /// The strategy it runs, when known.
    pub strategy: Option<String>,
    /// The last state seen.
    pub state: Option<JobState>,
    /// The last pending reason seen.
    pub reason: Option<String>,
    /// Ticks in a row it was seen nowhere.
    missing: u32,
    /// Submitted by the winner to continue it (a checkpoint segment, a hardware retry):
    /// never cancelled for losing.
    continuation: bool,
}

/// What a tick decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tick {
    /// State changes to report.
    pub events: Vec<Event>,
    /// Jobs to cancel now.
    pub cancel: Vec<u64>,
    /// The winner, the first time it is known.
    pub won: Option<u64>,
    /// Whether every job has ended without a winner.
    pub failed: bool,
}

/// The watcher's state for one request.
#[derive(Debug, Clone)]
pub struct Watch {
    /// The request.
    pub request: String,
    /// Its jobs.
    pub jobs: Vec<Tracked>,
    /// The winning job, once known.
    pub winner: Option<u64>,
    /// Ticks a job has been running without a claim file.
    unclaimed: u32,
}

impl Watch {
    /// Starts watching `jobs` (job id, strategy) of `request`.
    pub fn new(request: &str, jobs: impl IntoIterator<Item = (u64, Option<String>)>) -> Self {
        Watch {
            request: request.to_owned(),
            jobs: jobs
                .into_iter()
                .map(|(job_id, strategy)| Tracked {
                    job_id,
                    strategy,
                    state: None,
                    reason: None,
                    missing: 0,
                    continuation: false,
                })
                .collect(),
            winner: None,
            unclaimed: 0,
        }
    }

    /// Job ids still worth asking about.
    pub fn open_ids(&self) -> Vec<u64> {
        self.jobs
            .iter()
            .filter(|j| !j.state.as_ref().is_some_and(JobState::is_finished))
            .map(|j| j.job_id)
            .collect()
    }

    /// Job ids that left the queue and whose end accounting should tell.
    pub fn vanished_ids(&self) -> Vec<u64> {
        self.jobs
            .iter()
            .filter(|j| j.missing > 0)
            .map(|j| j.job_id)
            .collect()
    }

    /// Adds jobs found in the request's job list on the cluster (a crash before they were
    /// recorded, or a checkpoint segment).
    pub fn adopt(&mut self, ids: &[u64]) {
        for &id in ids {
            if !self.jobs.iter().any(|j| j.job_id == id) {
                self.jobs.push(Tracked {
                    job_id: id,
                    strategy: None,
                    state: None,
                    reason: None,
                    missing: 0,
                    continuation: false,
                });
            }
        }
    }

    /// Marks jobs that continue the winner (listed in the request's `continued` file on the
    /// cluster), adopting them if new.
    pub fn continued_by(&mut self, ids: &[u64]) {
        self.adopt(ids);
        for j in &mut self.jobs {
            if ids.contains(&j.job_id) {
                j.continuation = true;
            }
        }
    }

    /// Takes one tick's observations: `queue` rows of the request's jobs, `finished`
    /// accounting rows, and the claim file's winner (if written), at cluster time `now`.
    pub fn observe(
        &mut self,
        now: i64,
        queue: &[Job],
        finished: &[sacct::Record],
        claimed: Option<u64>,
    ) -> Tick {
        let mut tick = Tick::default();
        for job in &mut self.jobs {
            let id = job.job_id.to_string();
            let seen = queue
                .iter()
                .find(|q| q.id == id)
                .map(|q| (q.state.clone(), q.reason.as_deref().map(str::to_owned)))
                .or_else(|| {
                    finished
                        .iter()
                        .find(|r| r.job_id == id && r.step == sacct::Step::Job)
                        .map(|r| (Some(r.state.clone()), None))
                });
            let (state, reason) = match seen {
                Some((Some(state), reason)) => (state, reason),
                _ => {
                    job.missing += 1;
                    if job.missing < VANISHED_TICKS
                        || job.state.as_ref().is_some_and(JobState::is_finished)
                    {
                        continue;
                    }
                    // Gone from the queue and from accounting: it ended, we cannot say how.
                    (JobState::Other("GONE".to_owned()), None)
                }
            };
            job.missing = 0;
            let reason = reason.filter(|_| state == JobState::Pending);
            if job.state.as_ref() != Some(&state) || job.reason != reason {
                tick.events.push(Event {
                    request: self.request.clone(),
                    job_id: job.job_id,
                    state: state_name(&state),
                    reason: reason.as_deref().map(plain_reason),
                    at: now,
                });
                job.state = Some(state);
                job.reason = reason;
            }
        }
        if self.winner.is_none() {
            let running = |j: &&Tracked| {
                matches!(
                    j.state,
                    Some(JobState::Running | JobState::Completing | JobState::Completed)
                )
            };
            // The claim file decides; without it for a few ticks, the best-ranked running job.
            let first_running = self.jobs.iter().find(running).map(|j| j.job_id);
            if first_running.is_some() {
                self.unclaimed += 1;
            }
            self.winner = claimed
                .filter(|c| self.jobs.iter().any(|j| j.job_id == *c))
                .or(first_running.filter(|_| self.unclaimed >= CLAIM_TICKS));
            tick.won = self.winner;
        }
        if let Some(w) = self.winner {
            tick.cancel = self
                .jobs
                .iter()
                .filter(|j| {
                    j.job_id != w
                        && !j.continuation
                        && !j.state.as_ref().is_some_and(JobState::is_finished)
                })
                .map(|j| j.job_id)
                .collect();
        } else {
            tick.failed = !self.jobs.is_empty()
                && self.jobs.iter().all(|j| {
                    j.state
                        .as_ref()
                        .is_some_and(|s| s.is_finished() || *s == JobState::Other("GONE".into()))
                });
        }
        tick
    }

    /// Every job not finished, except `keep`: what an interrupt cancels.
    pub fn cancel_all_but(&self, keep: Option<u64>) -> Vec<u64> {
        self.open_ids()
            .into_iter()
            .filter(|id| Some(*id) != keep)
            .collect()
    }
}

/// A job state as Slurm spells it (`RUNNING`, `OUT_OF_MEMORY`, …).
pub fn state_name(state: &JobState) -> String {
    match serde_json::to_value(state) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{state:?}").to_uppercase(),
    }
}

/// The allocation record of the winner, from its `squeue` row and its strategy.
pub fn allocation(request: &str, row: &Job, strategy: Option<&Strategy>) -> Option<Allocation> {
    Some(Allocation {
        request: request.to_owned(),
        job_id: row.id.parse().ok()?,
        partition: row.partition.to_string(),
        nodes: row.nodes.iter().map(ToString::to_string).collect(),
        gpu_type: strategy.and_then(|s| s.gpu_type.clone()),
        gpus_per_node: strategy
            .map_or_else(|| gres::total(&row.gpus_per_node), |s| s.gpus_per_node),
        start: row.start?,
        end: row.end,
    })
}

/// The allocation of a winner that already left the queue (a short command), from
/// `scontrol show job`, which keeps ended jobs for a while.
pub fn allocation_of_ended(
    request: &str,
    detail: &crate::slurm::parse::scontrol::JobDetail,
    strategy: Option<&Strategy>,
) -> Option<Allocation> {
    Some(Allocation {
        request: request.to_owned(),
        job_id: detail.id.parse().ok()?,
        partition: detail.partition.clone(),
        nodes: detail.nodes.clone(),
        gpu_type: strategy.and_then(|s| s.gpu_type.clone()),
        gpus_per_node: strategy
            .map_or_else(|| gres::total(&detail.gpus_per_node), |s| s.gpus_per_node),
        start: detail.start?,
        end: detail.end,
    })
}

/// A warning when the winner's GPUs are not what its strategy asked for, from
/// `scontrol show job -d`'s per-node GRES.
pub fn check_gpus(
    allocated: &[crate::slurm::parse::scontrol::NodeGpus],
    strategy: &Strategy,
) -> Option<String> {
    for group in allocated {
        let count = gres::total(&group.gpus);
        let kinds: Vec<&str> = group
            .gpus
            .iter()
            .filter_map(|g| g.kind.as_deref())
            .collect();
        let right_kind = strategy
            .gres
            .as_deref()
            .is_none_or(|want| kinds.iter().all(|k| *k == want));
        if count != strategy.gpus_per_node || !right_kind {
            return Some(format!(
                "asked for {} x {} per node, got {count} x {} on {}",
                strategy.gpus_per_node,
                strategy.gres.as_deref().unwrap_or("gpu"),
                kinds.join(","),
                group.nodes.join(",")
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: u64, state: JobState, reason: Option<&str>) -> Job {
        Job {
            id: id.to_string().into(),
            state: Some(state),
            reason: reason.map(Into::into),
            partition: "gpu-a6000".into(),
            ..Job::default()
        }
    }

    #[test]
    fn events_on_changes_only_and_the_first_running_wins() {
        let mut w = Watch::new(
            "r",
            [(1, Some("s1".into())), (2, Some("s2".into())), (3, None)],
        );
        let t = w.observe(
            10,
            &[
                row(1, JobState::Pending, Some("Resources")),
                row(2, JobState::Pending, Some("Priority")),
                row(3, JobState::Pending, None),
            ],
            &[],
            None,
        );
        assert_eq!(t.events.len(), 3);
        assert_eq!(
            t.events[0].reason.as_deref(),
            Some("waiting for GPUs to free up")
        );
        assert_eq!((t.won, t.cancel.len()), (None, 0));
        let same = w.observe(
            11,
            &[
                row(1, JobState::Pending, Some("Resources")),
                row(2, JobState::Pending, Some("Priority")),
                row(3, JobState::Pending, None),
            ],
            &[],
            None,
        );
        assert!(same.events.is_empty(), "no change, no event");
        let queue = [
            row(1, JobState::Pending, Some("Resources")),
            row(2, JobState::Running, None),
            row(3, JobState::Running, None),
        ];
        for tick in 1..CLAIM_TICKS {
            let t = w.observe(12, &queue, &[], None);
            assert_eq!(
                t.won, None,
                "tick {tick}: the claim file gets a moment to appear"
            );
        }
        let t = w.observe(13, &queue, &[], None);
        assert_eq!(t.won, Some(2), "then the best-ranked running job");
        assert_eq!(t.cancel, [1, 3], "losers cancelled, running ones too");
    }

    #[test]
    fn a_job_continuing_the_winner_is_never_cancelled() {
        let mut w = Watch::new("r", [(1, None), (2, None)]);
        // The winner failed fast and resubmitted itself (job 3) before rv saw it run.
        w.adopt(&[3]);
        w.continued_by(&[3]);
        let t = w.observe(
            10,
            &[
                row(1, JobState::Completing, None),
                row(2, JobState::Pending, None),
                row(3, JobState::Pending, None),
            ],
            &[],
            Some(1),
        );
        assert_eq!(
            (t.won, t.cancel),
            (Some(1), vec![2]),
            "the sibling goes, the retry stays"
        );
    }

    #[test]
    fn the_claim_file_decides_between_two_starters() {
        let mut w = Watch::new("r", [(1, None), (2, None)]);
        let t = w.observe(
            1,
            &[
                row(1, JobState::Running, None),
                row(2, JobState::Running, None),
            ],
            &[],
            Some(2),
        );
        assert_eq!((t.won, t.cancel.clone()), (Some(2), vec![1]));
    }

    #[test]
    fn vanished_jobs_are_resolved_through_accounting_with_patience() {
        let mut w = Watch::new("r", [(7, None)]);
        w.observe(
            1,
            &[row(7, JobState::Pending, Some("Resources"))],
            &[],
            None,
        );
        for i in 0..VANISHED_TICKS - 1 {
            let t = w.observe(2 + i64::from(i), &[], &[], None);
            assert!(t.events.is_empty() && !t.failed, "accounting lags: wait");
        }
        assert_eq!(w.vanished_ids(), [7]);
        let record = sacct::Record {
            job_id: "7".into(),
            raw_id: Some(7),
            step: sacct::Step::Job,
            name: String::new(),
            state: JobState::Cancelled,
            cancelled_by: Some(0),
            exit: Some((0, 0)),
            partition: String::new(),
            account: String::new(),
            user: String::new(),
            start: None,
            end: None,
            elapsed: None,
            nodes: vec![],
            gpus: 0,
        };
        let t = w.observe(9, &[], &[record], None);
        assert_eq!(t.events[0].state, "CANCELLED");
        assert!(t.failed, "every job ended and none ran");
    }

    #[test]
    fn interrupts_cancel_everything_open_but_a_kept_winner() {
        let mut w = Watch::new("r", [(1, None), (2, None)]);
        w.observe(
            1,
            &[
                row(1, JobState::Running, None),
                row(2, JobState::Pending, None),
            ],
            &[],
            Some(1),
        );
        assert_eq!(w.cancel_all_but(None), [1, 2]);
        assert_eq!(w.cancel_all_but(Some(1)), [2]);
        w.adopt(&[2, 3]);
        assert_eq!(w.jobs.len(), 3);
    }

    #[test]
    fn a_mismatch_between_asked_and_allocated_gpus_is_reported() {
        use crate::slurm::parse::gres::Gpus;
        use crate::slurm::parse::scontrol::NodeGpus;
        let strategy: Strategy = serde_json::from_value(serde_json::json!({
            "request": "r", "id": "s1", "partitions": ["gpu-v100"], "gpu_type": "v100", "gres": "v100",
            "nodes": 1, "gpus_per_node": 2, "cpus": null, "mem_mb": null, "time": 3600, "time_min": null,
            "segments": 1, "constraint": null, "account": null, "exclude": [], "predicted_start": null,
            "service_units": 0.0, "why": ""
        }))
        .unwrap();
        let got = |kind: &str, count| {
            vec![NodeGpus {
                nodes: vec!["n1".into()],
                gpus: vec![Gpus {
                    kind: Some(kind.into()),
                    count,
                }],
                indexes: None,
            }]
        };
        assert_eq!(check_gpus(&got("v100", 2), &strategy), None);
        let warning = check_gpus(&got("a6000", 2), &strategy).unwrap();
        assert_eq!(warning, "asked for 2 x v100 per node, got 2 x a6000 on n1");
        assert!(check_gpus(&got("v100", 1), &strategy).is_some());
    }

    #[test]
    fn reasons_in_plain_words() {
        assert_eq!(
            plain_reason("ReqNodeNotAvail, Reserved for maintenance"),
            "its nodes are reserved (maintenance)"
        );
        assert_eq!(
            plain_reason("Priority"),
            "waiting behind higher-priority jobs"
        );
        assert_eq!(plain_reason("SomethingNew"), "SomethingNew");
        assert_eq!(tick_interval(0).as_secs(), 1);
        assert_eq!(tick_interval(100).as_secs(), 5);
    }
}
