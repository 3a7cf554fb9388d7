//! `rv up` and `rv-attach` on the testbed.

use std::process::Stdio;
use std::time::Duration;

use crate::support::{RV, RV_ATTACH, allocation};
use rv_testbed::Testbed;
use rv_testbed::poll;

/// The test user's jobs of `request` (their names carry its tail) still in the queue, as
/// `name STATE`, polled until `done` holds or 30 s pass.
fn settle(tb: &Testbed, request: &str, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let tail = request.rsplit('-').next().unwrap();
    let of_request =
        |v: &[String]| -> Vec<String> { v.iter().filter(|l| l.contains(tail)).cloned().collect() };
    of_request(&tb.settle("%j %T", None, |v| done(&of_request(v))))
}

#[test]
fn scenario_busy_up_json_leaves_exactly_one_job() {
    let Some(tb) = Testbed::get() else { return };
    let _busy = tb.scenario("busy");
    let state = tb.control_dir("up-json");
    let jobs = tb.jobs();
    let out = tb
        .rv(RV, &state)
        .args(["up", "--gpu", "2", "--time", "1h", "--json"])
        .output()
        .unwrap();
    crate::support::assert_ok(&out);
    let a = allocation(&out.stdout);
    jobs.track(&a.job_id.to_string());
    let left = settle(&tb, &a.request, |l| l.len() == 1);
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].ends_with(" RUNNING"), "{left:?}");
}

#[test]
fn scenario_a6000_full_up_starts_promptly_on_a_compatible_type_and_explains() {
    let Some(tb) = Testbed::get() else { return };
    let _full = tb.scenario("a6000-full");
    let state = tb.control_dir("up-a6000");
    let jobs = tb.jobs();
    let out = tb
        .rv(RV, &state)
        .args([
            "up",
            "--type",
            "a6000",
            "--gpu",
            "4",
            "--time",
            "2h",
            "--json",
            "--explain",
        ])
        .output()
        .unwrap();
    crate::support::assert_ok(&out);
    let a = allocation(&out.stdout);
    jobs.track(&a.job_id.to_string());
    assert_ne!(a.partition, "gpu-a6000", "the A6000s are full: {a:?}");
    let explained = String::from_utf8_lossy(&out.stderr);
    // Promptly: the winner is a kept strategy the plan said starts now, not one that waits.
    let now_on_winner = explained.lines().any(|l| {
        let cells: Vec<&str> = l.split_whitespace().collect();
        cells.len() > 7
            && cells[1] == "yes"
            && cells[2].split(',').any(|p| p == a.partition)
            && cells[7] == "now"
    });
    assert!(
        now_on_winner,
        "a kept strategy on {} starts now:\n{explained}",
        a.partition
    );
    assert!(
        explained.contains("a6000 starts in"),
        "--explain says when the A6000 would start:\n{explained}"
    );
    assert!(
        explained.contains("GB of VRAM < 48 GB"),
        "and why smaller GPUs were left out:\n{explained}"
    );
}

#[test]
fn scenario_idle_up_attaches_and_cancels_the_job_when_the_shell_exits() {
    let Some(tb) = Testbed::get() else { return };
    let _idle = tb.scenario("idle");
    let state = tb.control_dir("up-attach");
    let jobs = tb.jobs();
    // The remote shell reads these lines once it starts.
    let out = tb.rv_with_input(
        RV,
        &state,
        &[
            "up",
            "--gpu",
            "1",
            "--type",
            "a40",
            "--time",
            "30m",
            "--name",
            "it-attach",
        ],
        b"echo attached-on-$SLURMD_NODENAME; exit 5\n",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The variable is expanded on the job's node (an A40 or a type at least as large); the
    // terminal adds carriage returns and escape sequences around it.
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("attached-on-") && !l.contains('$')),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(5), "the shell's exit code");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let job = stderr
        .split("rv up: job ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .unwrap_or_else(|| panic!("{stderr}"))
        .to_owned();
    jobs.track(&job);
    let state = jobs.wait_for_state(&job, &["CANCELLED"], Duration::from_secs(30));
    assert_eq!(
        state.as_deref(),
        Ok("CANCELLED"),
        "the job ends with the shell"
    );
}

#[test]
fn scenario_idle_attach_takes_an_allocation_record_and_runs_on_its_node() {
    let Some(tb) = Testbed::get() else { return };
    let _idle = tb.scenario("idle");
    let state = tb.control_dir("attach");
    let jobs = tb.jobs();
    let id = jobs.sbatch("-p gpu-mig --gres=gpu:1g.10gb:2 -t 5 -o /dev/null --wrap 'sleep 300'");
    jobs.wait_for_state(&id, &["RUNNING"], Duration::from_secs(60))
        .unwrap();
    let record = format!(
        "{{\"type\":\"allocation\",\"v\":1,\"request\":\"r\",\"job_id\":{id},\"partition\":\"gpu-mig\",\"nodes\":[\"x\"],\"gpu_type\":\"mig\",\"gpus_per_node\":2,\"start\":1,\"end\":null}}\n"
    );
    let out = tb.rv_with_input(
        RV_ATTACH,
        &state,
        &[
            "--",
            "bash",
            "-c",
            "echo node=$SLURMD_NODENAME gpus=$CUDA_VISIBLE_DEVICES; exit 3",
        ],
        record.as_bytes(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Both of the job's slices are visible (which ones depends on other tests' jobs).
    let gpus = stdout
        .split("gpus=")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_default();
    assert!(
        stdout.contains("node=mig-0") && gpus.split(',').count() == 2,
        "{stdout}"
    );
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn scenario_idle_when_all_start_at_once_the_best_ranked_wins() {
    let Some(tb) = Testbed::get() else { return };
    let _idle = tb.scenario("idle");
    let state = tb.control_dir("up-best");
    let jobs = tb.jobs();
    for _ in 0..3 {
        let out = tb
            .rv(RV, &state)
            .args(["up", "--gpu", "1", "--time", "30m", "--json"])
            .output()
            .unwrap();
        crate::support::assert_ok(&out);
        let a = allocation(&out.stdout);
        jobs.track(&a.job_id.to_string());
        let name = tb.ssh(&format!("squeue -h -j {} -o %j", a.job_id)).stdout;
        assert!(
            name.trim().ends_with("-s1"),
            "the cheapest strategy that starts now wins, not a random one: {name}"
        );
        tb.ssh(&format!("scancel {}", a.job_id));
    }
}

#[test]
fn scenario_idle_ps_shows_a_request_and_stop_cancels_it() {
    let Some(tb) = Testbed::get() else { return };
    let _idle = tb.scenario("idle");
    let state = tb.control_dir("ps-stop");
    let jobs = tb.jobs();
    let out = tb
        .rv(RV, &state)
        .args(["up", "--gpu", "1", "--time", "30m", "--json"])
        .output()
        .unwrap();
    crate::support::assert_ok(&out);
    let a = allocation(&out.stdout);
    jobs.track(&a.job_id.to_string());

    let ps = tb.rv(RV, &state).args(["ps", "--json"]).output().unwrap();
    assert!(ps.status.success());
    let rows: serde_json::Value = serde_json::from_slice(&ps.stdout).unwrap();
    // Losers that started at the same moment may still be on their way out (cancelled,
    // COMPLETING) when the watch has already seen the winner.
    let mine: Vec<&serde_json::Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["request"] == a.request.as_str() && r["state"] != "COMPLETING")
        .collect();
    assert_eq!(mine.len(), 1, "only the winner is still queued: {rows:#}");
    assert_eq!(mine[0]["state"], "RUNNING");
    assert_eq!(mine[0]["job_id"], a.job_id.to_string());
    let table = tb.rv(RV, &state).arg("ps").output().unwrap();
    assert!(String::from_utf8_lossy(&table.stdout).contains(&a.request));

    let stop = tb
        .rv(RV, &state)
        .args(["stop", &a.request, "--json"])
        .output()
        .unwrap();
    crate::support::assert_ok(&stop);
    let cancelled: serde_json::Value = serde_json::from_slice(&stop.stdout).unwrap();
    assert_eq!(cancelled["cancelled"], serde_json::json!([a.job_id]));
    let state_now = jobs.wait_for_state(
        &a.job_id.to_string(),
        &["CANCELLED"],
        Duration::from_secs(30),
    );
    assert_eq!(state_now.as_deref(), Ok("CANCELLED"));

    let bad = tb
        .rv(RV, &state)
        .args(["stop", "--all"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        bad.status.code(),
        Some(2),
        "--all needs --yes without a terminal"
    );
}

#[test]
fn cost_prices_a_request_against_the_balance() {
    let Some(tb) = Testbed::get() else { return };
    let state = tb.control_dir("cost");
    let out = tb
        .rv(RV, &state)
        .args([
            "cost", "--gpu", "4", "--type", "a100-80", "--time", "24h", "--json",
        ])
        .output()
        .unwrap();
    crate::support::assert_ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["prices"][0]["service_units"], 48_853.44);
    assert_eq!(v["available"], 874_221, "from the testbed's `allocations`");
    let bad = tb
        .rv(RV, &state)
        .args(["cost", "--time", "soon"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// A tmux server of this test's own, on its own socket, killed when dropped.
struct Tmux<'a> {
    tb: &'a Testbed,
    state: &'a rv_testbed::ControlDir,
    socket: String,
}

impl Tmux<'_> {
    fn run(&self, args: &[&str]) -> std::process::Output {
        self.tb
            .rv("tmux", self.state)
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap()
    }

    /// The pane's text, its wrapped lines joined, trailing blank lines left out.
    fn pane(&self) -> Vec<String> {
        let text =
            String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-J"]).stdout).into_owned();
        let mut lines: Vec<String> = text.lines().map(|l| l.trim_end().to_owned()).collect();
        while lines.last().is_some_and(|l| l.trim().is_empty()) {
            lines.pop();
        }
        lines
    }
}

impl Drop for Tmux<'_> {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

/// The pane's lines after rv up's "submitted" line: the board, or what replaced it.
fn after_submitted(pane: &[String]) -> Vec<String> {
    pane.iter()
        .skip_while(|l| !l.contains("rv up: submitted"))
        .skip(1)
        .cloned()
        .collect()
}

#[test]
fn scenario_a6000_full_up_on_a_terminal_draws_a_board_in_place_and_lines_elsewhere() {
    let Some(tb) = Testbed::get() else { return };
    let _full = tb.scenario("a6000-full");
    let state = tb.control_dir("up-board");
    let _jobs = tb.jobs();
    let up = [
        "up",
        "--gpu",
        "4",
        "--type",
        "a6000",
        "-p",
        "gpu-a6000",
        "--time",
        "1h",
        "--timeout",
        "20s",
    ];
    let tmux = Tmux {
        tb: &tb,
        state: &state,
        socket: format!("rv-board-{}", std::process::id()),
    };
    let command = format!("{RV} {}; echo rv-exit=$?; sleep 600", up.join(" "));
    let started = tmux.run(&["new-session", "-d", "-x", "100", "-y", "50", &command]);
    assert!(started.status.success(), "{started:?}");
    let waited = |board: &[String]| -> Option<String> {
        let header = board.first()?;
        let at = header.find("waited ")?;
        Some(header[at..].split(" · ").next()?.to_owned())
    };
    // The board: a header (the request, the time waited, how to stop) and a line for the
    // strategy, with its state and the time it has waited.
    let first = poll(
        Duration::from_secs(60),
        Duration::from_millis(300),
        || after_submitted(&tmux.pane()),
        |b| b.len() >= 2 && b[0].contains("Ctrl-C cancels all") && b[1].contains("PENDING"),
    );
    assert!(
        first.len() >= 2 && first[0].contains("Ctrl-C cancels all"),
        "no board:\n{}",
        tmux.pane().join("\n")
    );
    assert!(first[0].contains("4 GPUs, 1 h"), "{first:#?}");
    let line = &first[1];
    for want in ["s1", "a6000 ×4", "PENDING", "start ~in", "s"] {
        assert!(line.contains(want), "{want:?} not in {line:?}");
    }
    // Redrawn in place: later, the same number of lines, a longer wait, one header.
    let later = poll(
        Duration::from_secs(20),
        Duration::from_millis(300),
        || after_submitted(&tmux.pane()),
        |b| b.first().is_some_and(|h| h.contains("Ctrl-C")) && waited(b) != waited(&first),
    );
    assert_ne!(
        waited(&later),
        waited(&first),
        "the wait counts up: {later:#?}"
    );
    assert_eq!(
        later.len(),
        first.len(),
        "the board keeps its lines:\n{first:#?}\n{later:#?}"
    );
    let pane = tmux.pane();
    assert_eq!(
        pane.iter()
            .filter(|l| l.contains("Ctrl-C cancels all"))
            .count(),
        1,
        "{}",
        pane.join("\n")
    );
    assert!(
        !pane.iter().any(|l| l.contains("rv-watch: job")),
        "no event lines on a terminal:\n{}",
        pane.join("\n")
    );
    // At the end the board gives way to one summary line.
    let end = poll(
        Duration::from_secs(60),
        Duration::from_millis(500),
        || tmux.pane(),
        |p| p.iter().any(|l| l.starts_with("rv-exit=")),
    );
    let rest = after_submitted(&end);
    assert!(
        rest[0].starts_with("timed out after ") && rest[0].ends_with(": 1 job cancelled"),
        "{rest:#?}"
    );
    assert!(
        !end.iter().any(|l| l.contains("Ctrl-C cancels all")),
        "{}",
        end.join("\n")
    );
    assert!(
        end.contains(&"rv-exit=130".to_owned()),
        "{}",
        end.join("\n")
    );

    event_lines_when_stderr_is_a_file(&tb, &state, &up);
}

/// `rv up` with `up`'s arguments (the last being a timeout, shortened), its stderr in a
/// file: today's event lines, no escape codes.
fn event_lines_when_stderr_is_a_file(tb: &Testbed, state: &rv_testbed::ControlDir, up: &[&str]) {
    let log = state.join("up.log");
    let out = tb
        .rv(RV, state)
        .args(&up[..up.len() - 1])
        .arg("6s")
        .stdin(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(130));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("rv-watch: job ") && l.contains(" PENDING (")),
        "{text}"
    );
    assert!(
        text.contains("rv-watch: timed out: cancelling jobs"),
        "{text}"
    );
    assert!(!text.contains("Ctrl-C cancels all"), "{text}");
}
