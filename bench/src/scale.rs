//! The probe at the testbed's scale: how long `rv-probe` takes and how much the cluster
//! sends, under the layout's fullest load (`rivanna` on the Rivanna-scale layout, `busy`
//! on the small one), with the queue and node counts that make it up.

use std::time::Instant;

use anyhow::Context as _;

use crate::{Bench, Table, median};

/// The load each layout is measured under.
fn load_of(layout: &str) -> &'static str {
    match layout {
        "rivanna" => "rivanna",
        "generic" => "idle",
        _ => "busy",
    }
}

/// Bytes the transport reported (`rv-trace: N round trips, B bytes received`).
fn received(stderr: &[u8]) -> Option<u64> {
    String::from_utf8_lossy(stderr).lines().find_map(|l| {
        l.strip_prefix("rv-trace: ")?
            .split(", ")
            .nth(1)?
            .strip_suffix(" bytes received")?
            .parse()
            .ok()
    })
}

/// Runs the section.
pub fn run(b: &Bench) -> anyhow::Result<Vec<Table>> {
    let layout = b.tb.layout.clone();
    let load = load_of(&layout);
    let _load = b.tb.scenario(load);
    let state = b.tb.control_dir("bench-scale");
    let count = |script: &str| -> u64 { b.tb.ssh(script).stdout.trim().parse().unwrap_or(0) };
    let nodes = count("sinfo -h -N -o %N | sort -u | wc -l");
    let jobs = count("squeue --all -h -o %i | wc -l");
    let tasks = count("squeue --all -h -r -t PD -o %i | wc -l");
    let n = if b.quick { 1 } else { 5 };
    let mut ms = Vec::new();
    let mut bytes = 0;
    let mut records = 0;
    for args in std::iter::repeat_n(["--no-test-only"], n) {
        let t = Instant::now();
        let out = b
            .rv("rv-probe", &state)
            .args(args)
            .env("RV_TRACE", "1")
            .output()?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(
            out.status.success(),
            "rv-probe failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        bytes = received(&out.stderr).context("no trace from rv-probe")?;
        records = out.stdout.len();
    }
    let slurm = &b.tb.slurm;
    Ok(vec![Table {
        title: format!("The probe at the {layout} layout's scale (Slurm {slurm})"),
        how: format!(
            "Under `load {load}`: `rv-probe --no-test-only` (one round trip: sinfo, squeue, scontrol, sshare, sacctmgr, scratch), median of {n} warm runs, laptop wall clock; bytes as rv's transport counted them (`RV_TRACE`)."
        ),
        columns: [
            "nodes",
            "queue lines",
            "pending tasks (arrays expanded)",
            "probe",
            "reply",
            "records out",
        ]
        .map(str::to_owned)
        .to_vec(),
        rows: vec![vec![
            nodes.to_string(),
            jobs.to_string(),
            tasks.to_string(),
            format!("{:.0} ms", median(&mut ms)),
            format!("{:.1} KiB", bytes as f64 / 1024.0),
            format!("{:.1} KiB", records as f64 / 1024.0),
        ]],
    }])
}
