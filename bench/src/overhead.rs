//! SSH round trips per command (rv's own counter, `RV_TRACE`), `rv ps` against a raw
//! `squeue` over the same master, and how long `rv --version` takes.

use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::Context as _;

use crate::{Bench, Table, median};

/// The round trips a command reported on stderr (`rv-trace: N round trips`).
fn round_trips(stderr: &[u8]) -> Option<u64> {
    String::from_utf8_lossy(stderr).lines().find_map(|l| {
        l.strip_prefix("rv-trace: ")?
            .split(' ')
            .next()?
            .parse()
            .ok()
    })
}

/// Milliseconds `cmd` takes, median of `n` runs.
fn time_ms(n: usize, mut cmd: impl FnMut() -> Command) -> anyhow::Result<f64> {
    let mut v = Vec::new();
    for _ in 0..n {
        let mut c = cmd();
        let t = Instant::now();
        let status = c.stdout(Stdio::null()).stderr(Stdio::null()).status()?;
        v.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(status.success(), "{c:?} failed");
    }
    Ok(median(&mut v))
}

/// Runs the section.
pub fn run(b: &Bench) -> anyhow::Result<Vec<Table>> {
    let state = b.tb.control_dir("bench-overhead");
    let project = std::env::temp_dir().join(format!("rv-bench-proj-{}", std::process::id()));
    std::fs::create_dir_all(&project)?;
    std::fs::write(project.join("requirements.txt"), "")?;
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("rv status", vec!["status", "--json"]),
        ("rv ps", vec!["ps", "--json"]),
        (
            "rv cost",
            vec!["cost", "--gpu", "2", "--type", "a6000", "--json"],
        ),
        (
            "rv up --dry-run",
            vec!["up", "--gpu", "1", "--dry-run", "--json"],
        ),
        (
            "rv up (plan, submit, watch to a winner)",
            vec![
                "up", "--gpu", "1", "--time", "10m", "--name", "bench-rt", "--json",
            ],
        ),
        (
            "rv run (plus one rsync)",
            vec!["run", "--name", "bench-run", "--json", "true"],
        ),
    ];
    let mut rows = Vec::new();
    for (what, args) in &cases {
        let out = b
            .rv("rv", &state)
            .args(args)
            .env("RV_TRACE", "1")
            .current_dir(&project)
            .output()?;
        let n = round_trips(&out.stderr).with_context(|| {
            format!("{what}: no trace: {}", String::from_utf8_lossy(&out.stderr))
        })?;
        rows.push(vec![(*what).to_owned(), n.to_string()]);
    }
    b.cancel("bench-rt-");
    b.cancel("bench-run-");
    let trips = Table {
        title: "SSH round trips per command".into(),
        how: "Counted by rv's transport (`RV_TRACE=1`) on a warm connection; one round trip is one batched script. `rv run` also moves the code with one rsync over the same master.".into(),
        columns: vec!["command".into(), "round trips".into()],
        rows,
    };

    // rv ps against a raw squeue over the same master.
    let n = if b.quick { 5 } else { 30 };
    let rv_ps = time_ms(n, || {
        let mut c = b.rv("rv", &state);
        c.args(["ps", "--json"]);
        c
    })?;
    let control = std::fs::read_dir(state.join("cm"))?
        .flatten()
        .next()
        .context("no control socket")?
        .path();
    let raw = time_ms(n, || {
        let mut c = Command::new("ssh");
        c.arg("-S")
            .arg(&control)
            .arg("-F")
            .arg(&b.tb.ssh_config)
            .args(["rv-cluster", "squeue -h -u rvtest"]);
        c
    })?;
    let version = time_ms(if b.quick { 5 } else { 50 }, || {
        let mut c = Command::new(b.bin.join("rv"));
        c.arg("--version");
        c
    })?;
    let speed = Table {
        title: "Warm command overhead".into(),
        how: format!(
            "Median of {n} runs over a warm SSH master on loopback (the testbed), laptop wall clock."
        ),
        columns: vec!["what".into(), "median".into()],
        rows: vec![
            vec![
                "`rv ps --json` (squeue, parse, group by request)".into(),
                format!("{rv_ps:.1} ms"),
            ],
            vec![
                "`ssh <master> squeue -u rvtest` (raw)".into(),
                format!("{raw:.1} ms"),
            ],
            vec![
                "ratio rv / raw".into(),
                format!("{:.2}", rv_ps / raw.max(0.001)),
            ],
            vec![
                "`rv --version` (start-up)".into(),
                format!("{version:.1} ms"),
            ],
        ],
    };
    let _ = std::fs::remove_dir_all(&project);
    Ok(vec![trips, speed])
}
