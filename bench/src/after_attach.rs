//! Fault trials after the shell opened: `rv up --lease 1m` attached, then the client killed
//! (`kill -9`, its ssh and terminal left behind), its SSH master killed, or the whole client
//! frozen (SIGSTOP). The job must end within the lease and a minute; what it burnt past the
//! lease is priced from the strategy's service units. All trials run at once.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rv_testbed::ControlDir;

use crate::{Bench, Table};

/// The lease every trial asks for, in seconds.
const LEASE: u64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Kill9,
    KillMaster,
    Frozen,
}

impl Fault {
    fn name(self) -> &'static str {
        match self {
            Fault::Kill9 => "kill -9 of `rv up` with its shell open",
            Fault::KillMaster => "the SSH master killed with the shell open",
            Fault::Frozen => "the whole client frozen (SIGSTOP) with the shell open",
        }
    }
}

/// One client and what became of it.
struct Trial {
    fault: Fault,
    child: Child,
    _stdin: ChildStdin,
    state: ControlDir,
    opened: mpsc::Receiver<(String, String)>,
    job: Option<(String, String)>,
}

impl Trial {
    fn start(b: &Bench, fault: Fault, n: usize) -> anyhow::Result<Trial> {
        let state = b.tb.control_dir(&format!("bench-attach-{n}"));
        let mut child = b
            .rv("rv", &state)
            .args(["up", "--gpu", "1", "--time", "30m", "--lease", "1m"])
            .args(["--name", &format!("bench-attach-{n}")])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()?;
        let stdin = child.stdin.take().expect("piped");
        let err = child.stderr.take().expect("piped");
        let (tx, opened) = mpsc::channel();
        std::thread::spawn(move || {
            let mut request = String::new();
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if let Some(r) = line.split("for request ").nth(1) {
                    request = r.split(';').next().unwrap_or_default().to_owned();
                }
                if let Some(rest) = line.strip_prefix("rv up: job ") {
                    if rest.contains("opening a shell") {
                        let job = rest.split(' ').next().unwrap_or_default().to_owned();
                        let _ = tx.send((job, request.clone()));
                    }
                }
            }
        });
        Ok(Trial {
            fault,
            child,
            _stdin: stdin,
            state,
            opened,
            job: None,
        })
    }

    fn signal_all(&self, signal: &str) {
        let _ = std::process::Command::new("kill")
            .args([signal, "--", &format!("-{}", self.child.id())])
            .status();
    }

    fn inject(&self, b: &Bench) {
        match self.fault {
            Fault::Kill9 => {
                let _ = std::process::Command::new("kill")
                    .args(["-9", &self.child.id().to_string()])
                    .status();
            }
            Fault::Frozen => self.signal_all("-STOP"),
            Fault::KillMaster => {
                for socket in std::fs::read_dir(self.state.join("cm"))
                    .into_iter()
                    .flatten()
                    .flatten()
                {
                    let out = std::process::Command::new("ssh")
                        .arg("-F")
                        .arg(&b.tb.ssh_config)
                        .arg("-S")
                        .arg(socket.path())
                        .args(["-O", "check", "rv-cluster"])
                        .output();
                    let said = out
                        .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                        .unwrap_or_default();
                    if let Some(pid) = said.split("pid=").nth(1).and_then(|p| p.split(')').next()) {
                        let _ = std::process::Command::new("kill")
                            .args(["-9", pid])
                            .status();
                    }
                }
            }
        }
    }

    /// SUs per second of the winning strategy, from the request rv recorded.
    fn su_per_sec(&self) -> f64 {
        let Some((job, request)) = &self.job else {
            return 0.0;
        };
        let Ok(state) = rv::state::StateDir::open(self.state.to_path_buf()) else {
            return 0.0;
        };
        let Ok(recorded) = rv::submit::Recorded::load(&state, request) else {
            return 0.0;
        };
        let strategy = recorded
            .submissions
            .iter()
            .find(|s| s.job_id.is_some_and(|j| j.to_string() == *job))
            .and_then(|s| recorded.strategies.iter().find(|t| t.id == s.strategy));
        strategy.map_or(0.0, |s| s.service_units / s.time.max(1) as f64)
    }
}

impl Drop for Trial {
    fn drop(&mut self) {
        self.signal_all("-CONT");
        self.signal_all("-KILL");
        let _ = self.child.wait();
    }
}

/// Waits for the lease and a minute, or until every one of `jobs` ended: the ones still in
/// the queue, the cluster's clock then, and accounting's `JobID|End` lines.
fn wait_out(b: &Bench, jobs: &[String]) -> anyhow::Result<(Vec<String>, i64, String)> {
    let deadline = Instant::now() + Duration::from_secs(LEASE + 60);
    let alive = || -> Vec<String> {
        let out =
            b.tb.ssh(&format!(
                "squeue -h -j {} -o %i 2>/dev/null; true",
                jobs.join(",")
            ))
            .stdout;
        out.split_whitespace().map(str::to_owned).collect()
    };
    let mut left = alive();
    while !left.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_secs(3));
        left = alive();
    }
    let now: i64 = b.tb.ssh("date +%s").stdout.trim().parse()?;
    // Accounting's rows land a few seconds after a job ended.
    std::thread::sleep(Duration::from_secs(5));
    let acct =
        b.tb.ssh(&format!(
            "SLURM_TIME_FORMAT=%s sacct -n -X -P -j {} -o JobID,End",
            jobs.join(",")
        ))
        .stdout;
    Ok((left, now, acct))
}

/// Runs the section; failures are jobs that outlived their lease by more than a minute.
pub fn run(b: &Bench) -> anyhow::Result<(Table, Vec<String>)> {
    let per_kind = b.trials(5);
    let _idle = b.tb.scenario("idle");
    let mut trials = Vec::new();
    for fault in [Fault::Kill9, Fault::KillMaster, Fault::Frozen] {
        for _ in 0..per_kind {
            trials.push(Trial::start(b, fault, trials.len())?);
        }
    }
    let opening = Instant::now() + Duration::from_secs(240);
    for t in &mut trials {
        let left = opening.saturating_duration_since(Instant::now());
        t.job = t.opened.recv_timeout(left).ok();
    }
    for t in trials.iter().filter(|t| t.job.is_some()) {
        t.inject(b);
    }
    let faulted: i64 = b.tb.ssh("date +%s").stdout.trim().parse()?;
    let jobs: Vec<String> = trials
        .iter()
        .filter_map(|t| t.job.as_ref().map(|j| j.0.clone()))
        .collect();
    let (left, now, acct) = wait_out(b, &jobs)?;
    let end_of = |job: &str| -> i64 {
        if left.iter().any(|l| l == job) {
            return now;
        }
        acct.lines()
            .filter_map(|l| l.split_once('|'))
            .find(|(j, _)| *j == job)
            .and_then(|(_, e)| e.trim().parse().ok())
            .unwrap_or(now)
    };
    let lease_end = faulted + i64::try_from(LEASE)?;
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for fault in [Fault::Kill9, Fault::KillMaster, Fault::Frozen] {
        let (mut lefts, mut pasts, mut sus, mut right) = (Vec::new(), Vec::new(), 0.0, 0);
        for (n, t) in trials.iter().enumerate().filter(|(_, t)| t.fault == fault) {
            let Some((job, _)) = &t.job else {
                failures.push(format!("{} (trial {n}): no shell opened", fault.name()));
                lefts.push(1);
                continue;
            };
            let still = usize::from(left.contains(job));
            let past = (end_of(job) - lease_end).max(0);
            lefts.push(still);
            pasts.push(past);
            sus += past as f64 * t.su_per_sec();
            if still == 0 {
                right += 1;
            } else {
                failures.push(format!(
                    "{} (trial {n}): job {job} still alive {} s after the lease",
                    fault.name(),
                    now - lease_end
                ));
            }
        }
        rows.push(vec![
            fault.name().to_owned(),
            lefts.len().to_string(),
            format!("{lefts:?}"),
            format!("{pasts:?}"),
            format!("{sus:.2}"),
            format!("{right}/{}", lefts.len()),
        ]);
    }
    for t in &trials {
        if let Some((job, _)) = &t.job {
            b.tb.ssh(&format!("scancel {job}"));
        }
    }
    Ok((
        Table {
            title: "Fault trials after the shell opened".into(),
            how: format!(
                "`rv up --gpu 1 --lease 1m` on the idle testbed, attached, then the fault; all trials at once. Jobs left are counted {LEASE} s + 1 min after the fault; seconds past the lease from accounting's end; SUs are those seconds at the winning strategy's rate."
            ),
            columns: vec![
                "fault".into(),
                "trials".into(),
                "jobs left per trial".into(),
                "seconds past the lease per trial".into(),
                "SUs past the lease".into(),
                "right".into(),
            ],
            rows,
        },
        failures,
    ))
}
