//! Leases on the testbed: an interactive job whose client is gone (killed, its SSH master
//! killed, frozen) ends itself within its lease and a check, unless `--keep`; coming back
//! within the lease keeps it; batch work and a pending strategy's start are as documented.
//! Leases are shrunk to a minute.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::{RV, RV_SUBMIT};
use rv_testbed::{ControlDir, Jobs, Testbed};

/// The lease the tests ask for, and how long after it a job may take to notice (a check
/// every 10 s, a guard's check, a watch tick).
const LEASE: Duration = Duration::from_secs(60);
const GRACE: Duration = Duration::from_secs(60);

/// `rv up` holding a shell, in a process group of its own, its stdin held open.
struct Client {
    child: Child,
    job: String,
    request: String,
    state: ControlDir,
    /// What it said on stderr until the shell opened.
    said: String,
    _stdin: std::process::ChildStdin,
}

impl Client {
    /// Starts `rv up --gpu 1 --time 30m` with `extra`, and waits until its shell opened.
    fn up(tb: &Testbed, jobs: &Jobs, tag: &str, extra: &[&str]) -> Client {
        let state = tb.control_dir(tag);
        let mut child = tb
            .rv(RV, &state)
            .args(["up", "--gpu", "1", "--time", "30m", "--name", tag])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let (mut job, mut request, mut said) = (None, None, String::new());
        while job.is_none() {
            let line = rx
                .recv_timeout(Duration::from_secs(120))
                .unwrap_or_else(|_| panic!("{tag}: no shell opened:\n{said}"));
            said.push_str(&line);
            said.push('\n');
            if let Some(r) = line.split("for request ").nth(1) {
                request = r.split(';').next().map(str::to_owned);
            }
            if let Some(rest) = line.strip_prefix("rv up: job ") {
                if rest.contains("opening a shell") {
                    job = rest.split(' ').next().map(str::to_owned);
                }
            }
        }
        let job = job.unwrap();
        jobs.track(&job);
        Client {
            child,
            job,
            request: request.unwrap_or_else(|| panic!("{tag}: no request in:\n{said}")),
            state,
            said,
            _stdin: stdin,
        }
    }

    /// Sends `signal` to the whole client: rv and the ssh it runs the shell through.
    fn signal_all(&self, signal: &str) {
        let pgid = format!("-{}", self.child.id());
        let _ = std::process::Command::new("kill")
            .args([signal, "--", &pgid])
            .status();
    }

    /// Kills the SSH master of this client's state directory, as a dropped network does.
    fn kill_master(&self, tb: &Testbed) {
        let sockets = std::fs::read_dir(self.state.join("cm")).unwrap();
        for socket in sockets.flatten() {
            let out = std::process::Command::new("ssh")
                .arg("-F")
                .arg(&tb.ssh_config)
                .args(["-S"])
                .arg(socket.path())
                .args(["-O", "check", "rv-cluster"])
                .output()
                .unwrap();
            let said = String::from_utf8_lossy(&out.stderr);
            let pid = said
                .split("pid=")
                .nth(1)
                .and_then(|p| p.split(')').next())
                .unwrap_or_else(|| panic!("no master: {said}"));
            let killed = std::process::Command::new("kill")
                .args(["-9", pid])
                .status()
                .unwrap();
            assert!(killed.success());
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.signal_all("-CONT");
        self.signal_all("-KILL");
        let _ = self.child.wait();
    }
}

/// The job's state now: the queue's, else accounting's first word.
fn state_of(tb: &Testbed, job: &str) -> String {
    let seen = tb
        .ssh(&format!(
            "s=$(squeue -h -j {job} -o %T 2>/dev/null); [ -n \"$s\" ] && echo \"$s\" || sacct -n -X -P -j {job} -o State 2>/dev/null | head -1"
        ))
        .stdout;
    seen.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn live(state: &str) -> bool {
    matches!(
        state,
        "RUNNING" | "PENDING" | "CONFIGURING" | "COMPLETING" | ""
    )
}

/// Waits until every job in `ids` has ended, or `deadline` passed: the ones still alive.
fn wait_ended<'a>(tb: &Testbed, ids: &[&'a str], deadline: Instant) -> Vec<&'a str> {
    loop {
        let alive: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|j| live(&state_of(tb, j)))
            .collect();
        if alive.is_empty() || Instant::now() > deadline {
            return alive;
        }
        std::thread::sleep(Duration::from_secs(2));
    }
}

/// What the job's log says.
fn log_of(tb: &Testbed, job: &str) -> String {
    tb.ssh(&format!(
        "cat /scratch/$USER/.rv/logs/*-{job}.err 2>/dev/null"
    ))
    .stdout
}

#[test]
fn a_bad_lease_is_refused_before_anything_is_submitted() {
    let dir = std::env::temp_dir().join(format!("rv-lease-bad-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for bad in ["0", "-5m", "soon"] {
        for (program, args) in [
            (RV, &["up", "--gpu", "1", "--lease", bad][..]),
            (RV_SUBMIT, &["--lease", bad][..]),
        ] {
            let out = std::process::Command::new(program)
                .args(args)
                .env("RV_STATE_DIR", &dir)
                .env("RV_CONFIG", "/dev/null")
                .env("RV_SSH_HOST", "nowhere.invalid")
                .stdin(Stdio::null())
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{program} {args:?}: {err}");
            assert_eq!(err.lines().count(), 1, "one line: {err}");
            assert!(err.contains("--lease"), "names the flag: {err}");
        }
    }
    assert!(
        !dir.join("requests").exists(),
        "nothing was recorded, so nothing was submitted"
    );
}

#[test]
fn scenario_idle_an_abandoned_shell_ends_within_its_lease_and_a_kept_one_stays() {
    let Some(tb) = Testbed::get() else { return };
    let _idle = tb.scenario("idle");
    let jobs = tb.jobs();
    let leased = ["--lease", "1m"];
    let kept = ["--keep"];
    let clients: Vec<(&str, Client)> = [
        ("killed", &leased[..]),
        ("master", &leased[..]),
        ("frozen", &leased[..]),
        ("killed-kept", &kept[..]),
        ("master-kept", &kept[..]),
        ("frozen-kept", &kept[..]),
    ]
    .into_iter()
    .map(|(fault, extra)| {
        (
            fault,
            Client::up(&tb, &jobs, &format!("lease-{fault}"), extra),
        )
    })
    .collect();
    for (fault, client) in &clients {
        let notice = if fault.ends_with("-kept") {
            "--keep: no lease"
        } else {
            "lease 1 min: the job ends 1 min after this client is gone"
        };
        assert!(client.said.contains(notice), "{fault}: {}", client.said);
    }
    let faulted = Instant::now();
    for (fault, client) in &clients {
        match fault.split('-').next().unwrap() {
            // A closed laptop's rv, its terminal (and the ssh under it) left behind.
            "killed" => {
                let _ = std::process::Command::new("kill")
                    .args(["-9", &client.child.id().to_string()])
                    .status();
            }
            "master" => client.kill_master(&tb),
            _ => client.signal_all("-STOP"),
        }
    }
    let abandoned: Vec<&str> = clients[..3].iter().map(|(_, c)| c.job.as_str()).collect();
    let alive = wait_ended(&tb, &abandoned, faulted + LEASE + GRACE);
    assert!(
        alive.is_empty(),
        "jobs {alive:?} outlived their lease + {GRACE:?} with their client gone"
    );
    for (fault, client) in &clients[..3] {
        let log = log_of(&tb, &client.job);
        // With its master gone rv up lost its shell and cancelled the job itself; otherwise
        // the job ended by its lease.
        if *fault != "master" {
            assert!(log.contains("rv: lease expired"), "{fault}: {log}");
        }
    }
    while faulted.elapsed() < LEASE + Duration::from_secs(120) {
        std::thread::sleep(Duration::from_secs(5));
    }
    for (fault, client) in &clients[3..] {
        assert_eq!(
            state_of(&tb, &client.job),
            "RUNNING",
            "{fault}: --keep keeps the job past the lease"
        );
    }
}

#[test]
fn scenario_idle_reattaching_within_the_lease_keeps_the_job() {
    let Some(tb) = Testbed::get() else { return };
    let _idle = tb.scenario("idle");
    let jobs = tb.jobs();
    let client = Client::up(&tb, &jobs, "lease-back", &["--lease", "1m"]);
    // The whole client dies: rv and its ssh, so the shell's step ends at once.
    client.signal_all("-KILL");
    let gone = Instant::now();
    std::thread::sleep(Duration::from_secs(40));
    let ps = tb
        .rv(RV, &client.state)
        .args(["ps", "--json"])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&ps.stdout).unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["job_id"] == client.job.as_str())
        .unwrap_or_else(|| panic!("{rows}"));
    assert_eq!(row["lease"]["client"], false, "{row}");
    assert!(
        row["lease"]["ends_in"].as_u64().is_some_and(|s| s <= 20),
        "{row}"
    );
    let mut back = tb
        .rv(RV, &client.state)
        .args(["attach", &client.request])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let _stdin = back.stdin.take();
    // Two more lease periods: attached, the job stays.
    while gone.elapsed() < Duration::from_secs(40) + 2 * LEASE + Duration::from_secs(15) {
        std::thread::sleep(Duration::from_secs(5));
    }
    assert_eq!(state_of(&tb, &client.job), "RUNNING");
    let ps = tb.rv(RV, &client.state).args(["ps"]).output().unwrap();
    let table = String::from_utf8_lossy(&ps.stdout);
    assert!(table.contains("client here (lease 1 min)"), "{table}");
    let _ = std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", back.id())])
        .status();
    let _ = back.wait();
    // Gone again; `rv up --resume` within the lease finds the running job and attaches.
    std::thread::sleep(Duration::from_secs(20));
    let resumed = tb.rv_with_input(
        RV,
        &client.state,
        &["up", "--resume", &client.request],
        b"echo resumed-in-$SLURM_JOB_ID; exit 0\n",
    );
    let stdout = String::from_utf8_lossy(&resumed.stdout);
    assert!(
        stdout.contains(&format!("resumed-in-{}", client.job)),
        "{stdout}\n{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert_eq!(resumed.status.code(), Some(0));
    // Its shell exited: the job ends with it, as after `rv up`.
    let ended = jobs.wait_for_state(&client.job, &["CANCELLED"], Duration::from_secs(30));
    assert_eq!(ended.as_deref(), Ok("CANCELLED"));
}

#[test]
fn scenario_idle_batch_work_runs_to_its_end_without_its_client() {
    let Some(tb) = Testbed::get() else { return };
    let _idle = tb.scenario("idle");
    let jobs = tb.jobs();
    let state = tb.control_dir("lease-batch");
    let root = crate::run::project("lease-batch");
    std::fs::write(
        root.join("long.py"),
        "import sys, time\ntime.sleep(90)\nprint('done', flush=True)\nsys.exit(7)\n",
    )
    .unwrap();
    let mut run = tb
        .rv(RV, &state)
        .args(["run", "-f", "python3", "long.py"])
        .current_dir(&root)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = run.stderr.take().unwrap();
    let mut job = None;
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if let Some(rest) = line.strip_prefix("rv run: job ") {
            job = rest.split(' ').next().map(str::to_owned);
            break;
        }
    }
    let job = job.expect("rv run said which job runs");
    jobs.track(&job);
    run.kill().unwrap();
    let _ = run.wait();
    let ended = jobs.wait_for_state(&job, &["FAILED"], Duration::from_secs(240));
    assert_eq!(ended.as_deref(), Ok("FAILED"), "the program ran to its end");
    let exit = tb
        .ssh(&format!("sacct -n -X -P -j {job} -o ExitCode,ElapsedRaw"))
        .stdout;
    let mut fields = exit.trim().split('|');
    assert_eq!(fields.next(), Some("7:0"), "{exit}");
    assert!(
        fields
            .next()
            .and_then(|e| e.parse::<u64>().ok())
            .is_some_and(|e| e >= 90),
        "{exit}"
    );
}

#[test]
fn scenario_idle_a_pending_strategy_whose_client_died_never_holds_gpus() {
    let Some(tb) = Testbed::get() else { return };
    let _idle = tb.scenario("idle");
    let jobs = tb.jobs();
    // Every H200 is someone else's for a little longer than the lease.
    for node in ["h200-01", "h200-02"] {
        let out = tb.ssh_as(
            "rvother",
            &format!("sbatch --parsable -p gpu-h200 -w {node} --gres=gpu:h200:8 -t 5 -o /dev/null --wrap 'sleep 100'"),
        );
        jobs.track(out.stdout.trim());
    }
    let state = tb.control_dir("lease-pending");
    let mut up = tb
        .rv(RV, &state)
        .args([
            "up",
            "--gpu",
            "1",
            "--type",
            "h200",
            "--time",
            "30m",
            "--lease",
            "1m",
            "--name",
            "lease-pending",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    let stderr = up.stderr.take().unwrap();
    let mut request = None;
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if let Some(r) = line.split("for request ").nth(1) {
            request = r.split(';').next().map(str::to_owned);
            break;
        }
    }
    let request = request.expect("rv up submitted");
    let _ = std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", up.id())])
        .status();
    let _ = up.wait();
    let listed = tb
        .ssh(&format!("cat /scratch/$USER/.rv/requests/{request}/jobs"))
        .stdout;
    let ours: Vec<&str> = listed.lines().collect();
    assert!(!ours.is_empty());
    for j in &ours {
        jobs.track(j);
    }
    let alive = wait_ended(&tb, &ours, Instant::now() + Duration::from_secs(240));
    assert!(alive.is_empty(), "jobs {alive:?} still alive");
    // The one that started found its lease expired and ended at once; the rest never ran.
    let acct = tb
        .ssh(&format!(
            "sacct -n -X -P -j {} -o JobID,State,ElapsedRaw",
            ours.join(",")
        ))
        .stdout;
    let rows: Vec<Vec<&str>> = acct.lines().map(|l| l.split('|').collect()).collect();
    let started: Vec<&Vec<&str>> = rows.iter().filter(|f| f[1] == "COMPLETED").collect();
    assert_eq!(
        started.len(),
        1,
        "one strategy started, and ended itself:\n{acct}"
    );
    assert!(
        rows.iter()
            .all(|f| f[1] == "COMPLETED" || f[1].starts_with("CANCELLED")),
        "the others were cancelled:\n{acct}"
    );
    let (job, elapsed) = (
        started[0][0],
        started[0][2].parse::<u64>().unwrap_or(u64::MAX),
    );
    assert!(
        elapsed <= 20,
        "job {job} held its GPUs for {elapsed} s:\n{acct}"
    );
    let log = log_of(&tb, job);
    assert!(log.contains("rv: lease expired"), "{log}");
}
