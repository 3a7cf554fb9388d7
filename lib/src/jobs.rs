//! Your jobs: one [`Row`] per job from the queue and accounting, matched back to the
//! requests rv recorded; and naming one: an id, a unique prefix or suffix of one, a request
//! id or a request name; or, with nothing named, a pick from a list (on a terminal) or the
//! most recent running job.

use crate::slurm::parse::{gres, sacct, squeue};
use crate::slurm::time::Walltime;

/// One of your jobs: a line of `rv ps`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Row {
    /// The request, for jobs rv submitted.
    pub request: Option<String>,
    /// The strategy, for jobs rv submitted.
    pub strategy: Option<String>,
    /// The job id.
    pub job_id: String,
    /// The job name.
    pub name: String,
    /// The state.
    pub state: String,
    /// The partition.
    pub partition: String,
    /// GPUs in all.
    pub gpus: u32,
    /// Its nodes.
    pub nodes: Vec<String>,
    /// Why it waits, in plain words.
    pub reason: Option<String>,
    /// Seconds it has run.
    pub elapsed: Option<u64>,
    /// Its time limit in seconds.
    pub limit: Option<u64>,
    /// Start (epoch seconds), actual or planned.
    pub start: Option<i64>,
    /// The lease of its request, for an interactive request that has one.
    pub lease: Option<crate::lease::Lease>,
}

/// The request and strategy encoded in an rv job name (`<name>-<tail>-s<N>`), matched
/// against the known request ids.
fn owner(name: &str, requests: &[String]) -> (Option<String>, Option<String>) {
    let mut parts = name.rsplitn(3, '-');
    let (Some(strategy), Some(tail)) = (parts.next(), parts.next()) else {
        return (None, None);
    };
    if !strategy.starts_with('s') {
        return (None, None);
    }
    match requests.iter().find(|r| r.ends_with(&format!("-{tail}"))) {
        Some(r) => (Some(r.clone()), Some(strategy.to_owned())),
        None => (None, None),
    }
}

/// Rows from the queue and accounting.
pub fn rows(queue: &[squeue::Job], history: &[sacct::Record], requests: &[String]) -> Vec<Row> {
    let mut out: Vec<Row> = queue
        .iter()
        .map(|j| {
            let (request, strategy) = owner(&j.name, requests);
            Row {
                request,
                strategy,
                job_id: j.id.to_string(),
                name: j.name.to_string(),
                state: j
                    .state
                    .as_ref()
                    .map(crate::watch::state_name)
                    .unwrap_or_default(),
                partition: j.partition.to_string(),
                gpus: gres::total(&j.gpus_per_node) * j.node_count.unwrap_or(1),
                nodes: j.nodes.iter().map(ToString::to_string).collect(),
                reason: j.reason.as_deref().map(crate::watch::plain_reason),
                elapsed: j.elapsed.map(Walltime::as_secs),
                limit: j.limit.map(Walltime::as_secs),
                start: j.start,
                lease: None,
            }
        })
        .collect();
    let queued: Vec<String> = out.iter().map(|o| o.job_id.clone()).collect();
    for r in history
        .iter()
        .filter(|r| r.step == sacct::Step::Job && !queued.contains(&r.job_id))
    {
        let (request, strategy) = owner(&r.name, requests);
        out.push(Row {
            request,
            strategy,
            job_id: r.job_id.clone(),
            name: r.name.clone(),
            state: crate::watch::state_name(&r.state),
            partition: r.partition.clone(),
            gpus: r.gpus,
            nodes: r.nodes.clone(),
            reason: None,
            elapsed: r.elapsed.map(Walltime::as_secs),
            limit: None,
            start: r.start,
            lease: None,
        });
    }
    let key = |r: &Row| {
        (
            r.request.clone(),
            r.job_id
                .split('_')
                .next()
                .and_then(|j| j.parse::<u64>().ok()),
            r.job_id.clone(),
        )
    };
    out.sort_by_key(key);
    out
}

/// Gives the rows that wait or run the lease their request has on the cluster, as of `now`.
pub fn with_leases(rows: &mut [Row], leases: &[crate::lease::Seen], now: i64) {
    let live = |r: &&mut Row| {
        matches!(
            r.state.as_str(),
            "PENDING" | "RUNNING" | "CONFIGURING" | "SUSPENDED"
        )
    };
    for row in rows.iter_mut().filter(live) {
        row.lease = leases
            .iter()
            .find(|l| row.request.as_deref() == Some(l.request.as_str()))
            .map(|l| crate::lease::Lease::at(l, now));
    }
}

/// The ids of the requests recorded locally.
pub fn known_requests(state: &crate::state::StateDir) -> Vec<String> {
    std::fs::read_dir(state.root().join("requests"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".json")
                .map(str::to_owned)
        })
        .collect()
}

/// Why no single job was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// Nothing matched.
    #[error("no job of yours matches {0:?} (see `rv ps`)")]
    NoMatch(String),
    /// Several matched.
    #[error("{what:?} matches several jobs: {}; name one", candidates.join(", "))]
    Ambiguous {
        /// What was asked.
        what: String,
        /// The matching job ids.
        candidates: Vec<String>,
    },
    /// Nothing named, no terminal to pick on, and nothing running.
    #[error("none of your jobs is running; pass a job id")]
    NothingRunning,
}

/// The job `what` names among `jobs`. An exact id wins; then the jobs whose id starts or
/// ends with `what`, or whose request is `what`, or whose name is `what` or starts with
/// `what-` (a request name). Among several jobs of one request or name, a single running
/// one wins (the request's winner); otherwise it is ambiguous.
pub fn resolve<'a>(what: &str, jobs: &'a [Row]) -> Result<&'a Row, ResolveError> {
    if let Some(j) = jobs.iter().find(|j| j.job_id == what) {
        return Ok(j);
    }
    let matches: Vec<&Row> = jobs
        .iter()
        .filter(|j| {
            (what.bytes().all(|b| b.is_ascii_digit())
                && (j.job_id.starts_with(what) || j.job_id.ends_with(what)))
                || j.request.as_deref() == Some(what)
                || j.name == what
                || j.name.starts_with(&format!("{what}-"))
        })
        .collect();
    match matches.as_slice() {
        [] => Err(ResolveError::NoMatch(what.to_owned())),
        [one] => Ok(one),
        many => {
            // A request (named by id or name) whose winner runs: that job. Id fragments
            // matching several jobs are ambiguous, running or not.
            let one_request = many
                .iter()
                .all(|j| j.request.is_some() && j.request == many[0].request);
            let by_name = !what.bytes().all(|b| b.is_ascii_digit());
            let running: Vec<&&Row> = many.iter().filter(|j| j.state == "RUNNING").collect();
            match running.as_slice() {
                [one] if one_request || by_name => Ok(one),
                _ => Err(ResolveError::Ambiguous {
                    what: what.to_owned(),
                    candidates: many.iter().map(|j| j.job_id.clone()).collect(),
                }),
            }
        }
    }
}

/// Without a name and without a terminal: the most recently started running job.
pub fn most_recent_running(jobs: &[Row]) -> Result<&Row, ResolveError> {
    jobs.iter()
        .filter(|j| j.state == "RUNNING")
        .max_by_key(|j| (j.start, j.job_id.parse::<u64>().unwrap_or(0)))
        .ok_or(ResolveError::NothingRunning)
}

/// One line per job for the picker: id, state, GPUs, node, name.
pub fn picker_line(j: &Row) -> String {
    let place = if j.nodes.is_empty() {
        "(pending)".to_owned()
    } else {
        crate::slurm::hostlist::compress(&j.nodes)
    };
    format!(
        "{:<9} {:<10} {:>2} GPU  {:<18} {}",
        j.job_id, j.state, j.gpus, place, j.name
    )
}

/// Completions for job arguments, from the requests recorded on this machine (no network):
/// the newest first, each request's jobs, its id and its name.
pub fn candidates() -> Vec<clap_complete::CompletionCandidate> {
    let env = |k: &str| std::env::var(k).ok();
    let root = crate::state::StateDir::default_root(&env, &crate::util::home());
    let mut files: Vec<(std::time::SystemTime, std::path::PathBuf)> =
        std::fs::read_dir(root.join("requests"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
            .collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    let recorded = files.iter().take(20).filter_map(|(_, path)| {
        let text = std::fs::read_to_string(path).ok()?;
        serde_json::from_str::<crate::submit::Recorded>(&text).ok()
    });
    completion_values(recorded)
}

/// Completions for arguments that take only a job id.
pub fn id_candidates() -> Vec<clap_complete::CompletionCandidate> {
    candidates()
        .into_iter()
        .filter(|c| {
            c.get_value()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .collect()
}

/// Completions for arguments that take only a request id.
pub fn request_candidates() -> Vec<clap_complete::CompletionCandidate> {
    candidates()
        .into_iter()
        .filter(|c| c.get_value().to_string_lossy().starts_with("r-"))
        .collect()
}

/// The completion values of recorded requests, in order, without repeats.
fn completion_values(
    recorded: impl Iterator<Item = crate::submit::Recorded>,
) -> Vec<clap_complete::CompletionCandidate> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut push = |value: String, help: String| {
        if seen.insert(value.clone()) {
            out.push(clap_complete::CompletionCandidate::new(value).help(Some(help.into())));
        }
    };
    for r in recorded {
        for s in &r.submissions {
            if let Some(id) = s.job_id {
                push(id.to_string(), format!("{} {}", r.request.name, s.strategy));
            }
        }
        push(r.request.id.clone(), format!("request {}", r.request.name));
        push(r.request.name.clone(), "request name".to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_map_back_to_their_request() {
        let requests = vec!["r-1795892947-e873ec83".to_owned()];
        assert_eq!(
            owner("train-e873ec83-s5", &requests),
            (Some(requests[0].clone()), Some("s5".into()))
        );
        assert_eq!(owner("my-own-job", &requests), (None, None));
        assert_eq!(owner("x", &requests), (None, None));
    }

    fn row(id: &str, name: &str, state: &str, request: Option<&str>) -> Row {
        Row {
            request: request.map(str::to_owned),
            strategy: None,
            job_id: id.into(),
            name: name.into(),
            state: state.into(),
            partition: "gpu-a6000".into(),
            gpus: 1,
            nodes: vec![],
            reason: None,
            elapsed: None,
            limit: None,
            start: None,
            lease: None,
        }
    }

    #[test]
    fn only_live_jobs_of_a_leased_request_show_its_lease() {
        let mut jobs = vec![
            row("1", "rv-7f3a-s1", "RUNNING", Some("r-1-7f3a")),
            row("2", "rv-7f3a-s2", "CANCELLED", Some("r-1-7f3a")),
            row("3", "mine", "RUNNING", None),
        ];
        let seen = crate::lease::Seen {
            request: "r-1-7f3a".into(),
            renewed: 100,
            length: 600,
        };
        with_leases(&mut jobs, &[seen], 280);
        let lease = jobs[0].lease.as_ref().expect("the running job has it");
        assert_eq!((lease.age, lease.ends_in), (180, Some(420)));
        assert_eq!(jobs[1].lease, None);
        assert_eq!(jobs[2].lease, None);
    }

    #[test]
    fn ids_prefixes_suffixes_and_names_resolve() {
        let jobs = vec![
            row("9531337", "train-7f3a-s1", "RUNNING", Some("r-1-7f3a")),
            row("9531338", "train-7f3a-s2", "CANCELLED", Some("r-1-7f3a")),
            row("9531350", "eval", "PENDING", None),
        ];
        assert_eq!(resolve("9531337", &jobs).unwrap().job_id, "9531337");
        assert_eq!(resolve("350", &jobs).unwrap().job_id, "9531350", "a suffix");
        assert_eq!(resolve("eval", &jobs).unwrap().job_id, "9531350");
        assert_eq!(
            resolve("train", &jobs).unwrap().job_id,
            "9531337",
            "a request name: its running job"
        );
        assert_eq!(resolve("r-1-7f3a", &jobs).unwrap().job_id, "9531337");
        assert_eq!(
            resolve("95313", &jobs).unwrap_err().to_string(),
            "\"95313\" matches several jobs: 9531337, 9531338, 9531350; name one"
        );
        assert!(matches!(
            resolve("nope", &jobs),
            Err(ResolveError::NoMatch(_))
        ));
    }

    #[test]
    fn without_a_name_the_latest_running_job() {
        let mut a = row("10", "a", "RUNNING", None);
        a.start = Some(100);
        let mut b = row("11", "b", "RUNNING", None);
        b.start = Some(200);
        let c = row("12", "c", "PENDING", None);
        assert_eq!(
            most_recent_running(&[a.clone(), b, c.clone()])
                .unwrap()
                .job_id,
            "11"
        );
        assert_eq!(most_recent_running(&[c]), Err(ResolveError::NothingRunning));
        assert!(picker_line(&a).starts_with("10        RUNNING"));
    }
}
