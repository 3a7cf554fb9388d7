//! The whole pipeline on the loaded testbed: one job wins, the rest are cancelled, and
//! neither a killed client nor Ctrl-C leaves a job behind.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::Duration;

use rv::records::{Line, Record, read_line};
use rv_testbed::{ControlDir, Testbed};

use crate::support::poll;

const RV_PROBE: &str = env!("CARGO_BIN_EXE_rv-probe");
const RV_PLAN: &str = env!("CARGO_BIN_EXE_rv-plan");
const RV_SUBMIT: &str = env!("CARGO_BIN_EXE_rv-submit");
const RV_WATCH: &str = env!("CARGO_BIN_EXE_rv-watch");
const RV: &str = env!("CARGO_BIN_EXE_rv");

/// `rv-probe | rv-plan <args> | rv-submit | rv-watch`, with rv-watch's stdout piped.
fn pipeline(tb: &Testbed, state: &ControlDir, plan_args: &[&str]) -> (Vec<Child>, Child) {
    let mut probe = tb
        .rv(RV_PROBE, state)
        .arg("--no-test-only")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut plan = tb
        .rv(RV_PLAN, state)
        .args(plan_args)
        .stdin(probe.stdout.take().unwrap())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut submit = tb
        .rv(RV_SUBMIT, state)
        .stdin(plan.stdout.take().unwrap())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let watch = tb
        .rv(RV_WATCH, state)
        .stdin(submit.stdout.take().unwrap())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    (vec![probe, plan, submit], watch)
}

/// Reads rv-watch's records until `stop` says so; returns them.
fn read_until(watch: &mut Child, stop: impl Fn(&Record) -> bool) -> Vec<Record> {
    let mut out = Vec::new();
    let reader = BufReader::new(watch.stdout.take().unwrap());
    for (i, line) in reader.lines().enumerate() {
        let line = line.unwrap();
        if let Ok(Line::Record(env)) = read_line(i + 1, &line) {
            let done = stop(&env.record);
            out.push(env.record);
            if done {
                break;
            }
        }
    }
    out
}

fn job_ids(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Submission(s) => s.job_id.map(|j| j.to_string()),
            _ => None,
        })
        .collect()
}

/// The states of `ids` still in the queue, polled until `done` holds or 30 s pass.
fn settle(tb: &Testbed, ids: &[String], done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let states = || {
        let out = tb
            .ssh(&format!(
                "squeue -h -j {} -t PD,R,CG,CF -o %T",
                ids.join(",")
            ))
            .stdout;
        out.lines().map(str::to_owned).collect::<Vec<_>>()
    };
    poll(
        Duration::from_secs(30),
        Duration::from_millis(500),
        states,
        |v| done(v),
    )
}

#[test]
fn scenario_busy_pipeline_ends_with_one_running_job() {
    let Some(tb) = Testbed::get() else { return };
    let _busy = tb.scenario("busy");
    let state = tb.control_dir("watch-busy");
    let jobs = tb.jobs();
    let (mut stages, mut watch) = pipeline(&tb, &state, &["--gpu", "2", "--time", "1h"]);
    let records = read_until(&mut watch, |_| false);
    assert!(watch.wait().unwrap().success());
    for s in &mut stages {
        assert!(s.wait().unwrap().success());
    }
    let ids = job_ids(&records);
    for id in &ids {
        jobs.track(id);
    }
    let Some(Record::Allocation(a)) = records.last() else {
        panic!("ends with the allocation: {records:?}")
    };
    assert_eq!(a.gpus_per_node * u32::try_from(a.nodes.len()).unwrap(), 2);
    let left = settle(&tb, &ids, |s| s.len() == 1);
    assert_eq!(left, ["RUNNING"], "exactly one job of {ids:?} left");
    let winner = tb
        .ssh(&format!("squeue -h -j {} -t R -o %i", ids.join(",")))
        .stdout;
    assert_eq!(winner.trim(), a.job_id.to_string());
}

#[test]
fn scenario_busy_killed_watchers_leave_exactly_one_job() {
    let Some(tb) = Testbed::get() else { return };
    let _busy = tb.scenario("busy");
    let jobs = tb.jobs();
    for round in 0..5 {
        let state = tb.control_dir(&format!("watch-kill-{round}"));
        let (mut stages, mut watch) = pipeline(&tb, &state, &["--gpu", "1", "--time", "1h"]);
        // Right after submission (the first event), kill -9 the watcher.
        let records = read_until(&mut watch, |r| matches!(r, Record::Event(_)));
        watch.kill().unwrap();
        watch.wait().unwrap();
        for s in &mut stages {
            s.wait().unwrap();
        }
        let ids = job_ids(&records);
        for id in &ids {
            jobs.track(id);
        }
        assert!(ids.len() > 1, "round {round}: {records:?}");
        let left = settle(&tb, &ids, |s| s.len() == 1 && s[0] == "RUNNING");
        assert_eq!(
            left,
            ["RUNNING"],
            "round {round}: the claim gate keeps exactly one of {ids:?}"
        );
        tb.ssh(&format!("scancel {}", ids.join(" ")));
    }
}

#[test]
fn scenario_a6000_full_ctrl_c_while_pending_leaves_no_job() {
    let Some(tb) = Testbed::get() else { return };
    let _full = tb.scenario("a6000-full");
    let state = tb.control_dir("watch-ctrl-c");
    let jobs = tb.jobs();
    let mut set = tb
        .rv(RV, &state)
        .args(["env", "set", "HF_TOKEN"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut set.stdin.take().unwrap(), b"hf-secret\n").unwrap();
    assert!(set.wait().unwrap().success());
    let (mut stages, mut watch) = pipeline(
        &tb,
        &state,
        &[
            "--gpu",
            "4",
            "--type",
            "a6000",
            "-p",
            "gpu-a6000",
            "--time",
            "1h",
        ],
    );
    let records = read_until(&mut watch, |r| matches!(r, Record::Event(_)));
    let ids = job_ids(&records);
    for id in &ids {
        jobs.track(id);
    }
    assert!(!ids.is_empty());
    let pid = watch.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = watch.wait().unwrap();
    for s in &mut stages {
        s.wait().unwrap();
    }
    assert_eq!(status.code(), Some(130), "interrupted");
    let left = settle(&tb, &ids, <[String]>::is_empty);
    assert!(
        left.is_empty(),
        "Ctrl-C cancelled every job of {ids:?}: {left:?}"
    );
    let request = records
        .iter()
        .find_map(|r| match r {
            Record::Request(r) => Some(r.id.clone()),
            _ => None,
        })
        .expect("the request passed through");
    let env_file = format!("/scratch/rvtest/.rv/env/{request}.env");
    assert!(
        !tb.ssh(&format!("test -e {env_file}")).ok(),
        "no job will run, so the secrets' env file is gone"
    );
}

#[test]
fn scenario_busy_resume_picks_a_request_up_after_a_crash() {
    let Some(tb) = Testbed::get() else { return };
    let _busy = tb.scenario("busy");
    let state = tb.control_dir("watch-resume");
    let jobs = tb.jobs();
    let (mut stages, mut watch) = pipeline(&tb, &state, &["--gpu", "1", "--time", "1h"]);
    let records = read_until(&mut watch, |r| matches!(r, Record::Event(_)));
    watch.kill().unwrap();
    watch.wait().unwrap();
    for s in &mut stages {
        s.wait().unwrap();
    }
    let ids = job_ids(&records);
    for id in &ids {
        jobs.track(id);
    }
    let request = records
        .iter()
        .find_map(|r| match r {
            Record::Request(r) => Some(r.id.clone()),
            _ => None,
        })
        .unwrap();
    let out = tb
        .rv(RV_WATCH, &state)
        .args(["--resume", &request])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    crate::support::assert_ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"type\":\"allocation\""), "{text}");
    let left = settle(&tb, &ids, |s| s.len() == 1);
    assert_eq!(left, ["RUNNING"], "one job of {ids:?}");
    let bad = tb
        .rv(RV_WATCH, &state)
        .args(["--resume", "r-nope"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--resume: "));
}
