//! The whole pipeline on the loaded testbed: one job wins, the rest are cancelled, and
//! neither a killed client nor Ctrl-C leaves a job behind.

use std::process::Stdio;

use rv::records::Record;
use rv_testbed::{ControlDir, Pipeline, Testbed};

use crate::support::{
    RV, RV_PLAN, RV_PROBE, RV_SUBMIT, RV_WATCH, read_until, request_id, submitted_ids,
};

/// `rv-probe | rv-plan <args> | rv-submit | rv-watch`, with rv-watch's stdout piped.
fn pipeline(tb: &Testbed, state: &ControlDir, plan_args: &[&str]) -> Pipeline {
    tb.pipeline(
        state,
        &[
            (RV_PROBE, &["--no-test-only"]),
            (RV_PLAN, plan_args),
            (RV_SUBMIT, &[]),
            (RV_WATCH, &[]),
        ],
    )
}

/// The states of `ids` still in the queue, polled until `done` holds or 30 s pass.
fn settle(tb: &Testbed, ids: &[String], done: impl Fn(&[String]) -> bool) -> Vec<String> {
    tb.settle("%T", Some(ids), done)
}

#[test]
fn scenario_busy_pipeline_ends_with_one_running_job() {
    let Some(tb) = Testbed::get() else { return };
    let _busy = tb.scenario("busy");
    let state = tb.control_dir("watch-busy");
    let jobs = tb.jobs();
    let mut p = pipeline(&tb, &state, &["--gpu", "2", "--time", "1h"]);
    let records = read_until(&mut p.last, |_| false);
    assert!(p.last.wait().unwrap().success());
    assert!(p.wait_upstream().into_iter().all(|ok| ok));
    let ids = submitted_ids(&records);
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
    let pgrep = format!("pgrep -u rvtest -f {}", stream_of(&a.request));
    let streaming = rv_testbed::poll(
        std::time::Duration::from_secs(10),
        std::time::Duration::from_millis(200),
        || tb.ssh(&pgrep).ok(),
        |&up| !up,
    );
    assert!(
        !streaming,
        "the watch's stream on the login node ends with it"
    );
}

#[test]
fn scenario_busy_killed_watchers_leave_exactly_one_job() {
    let Some(tb) = Testbed::get() else { return };
    let _busy = tb.scenario("busy");
    let jobs = tb.jobs();
    for round in 0..5 {
        let state = tb.control_dir(&format!("watch-kill-{round}"));
        let mut p = pipeline(&tb, &state, &["--gpu", "1", "--time", "1h"]);
        // Right after submission (the first event), kill -9 the watcher.
        let records = read_until(&mut p.last, |r| matches!(r, Record::Event(_)));
        p.last.kill().unwrap();
        p.last.wait().unwrap();
        p.wait_upstream();
        let ids = submitted_ids(&records);
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
    let set = tb.rv_with_input(RV, &state, &["env", "set", "HF_TOKEN"], b"hf-secret\n");
    assert!(set.status.success());
    let mut p = pipeline(
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
    let records = read_until(&mut p.last, |r| matches!(r, Record::Event(_)));
    let ids = submitted_ids(&records);
    for id in &ids {
        jobs.track(id);
    }
    assert!(!ids.is_empty());
    let pid = p.last.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = p.last.wait().unwrap();
    p.wait_upstream();
    assert_eq!(status.code(), Some(130), "interrupted");
    let left = settle(&tb, &ids, <[String]>::is_empty);
    assert!(
        left.is_empty(),
        "Ctrl-C cancelled every job of {ids:?}: {left:?}"
    );
    let request = request_id(&records);
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
    let mut p = pipeline(&tb, &state, &["--gpu", "1", "--time", "1h"]);
    let records = read_until(&mut p.last, |r| matches!(r, Record::Event(_)));
    p.last.kill().unwrap();
    p.last.wait().unwrap();
    p.wait_upstream();
    let ids = submitted_ids(&records);
    for id in &ids {
        jobs.track(id);
    }
    let request = request_id(&records);
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

/// `pgrep -f` patterns for the watch stream of `request` on the login node, and for any
/// (the brackets keep a pattern from matching the shell that runs `pgrep`).
fn stream_of(request: &str) -> String {
    format!("'[r]v-watch {request}'")
}

#[test]
fn scenario_a6000_full_a_dropped_stream_falls_back_to_polling() {
    let Some(tb) = Testbed::get() else { return };
    let _full = tb.scenario("a6000-full");
    let state = tb.control_dir("watch-stream-drop");
    let jobs = tb.jobs();
    let plan = [
        "--gpu",
        "4",
        "--type",
        "a6000",
        "-p",
        "gpu-a6000",
        "--time",
        "1h",
    ];
    let (statuses, out) = tb
        .pipeline(
            &state,
            &[
                (RV_PROBE, &["--no-test-only"]),
                (RV_PLAN, &plan),
                (RV_SUBMIT, &[]),
            ],
        )
        .wait();
    assert!(statuses.iter().all(std::process::ExitStatus::success));
    let records = crate::support::records(&out.stdout);
    let ids = submitted_ids(&records);
    for id in &ids {
        jobs.track(id);
    }
    let request = request_id(&records);
    let watch = tb
        .rv(RV_WATCH, &state)
        .args(["--resume", &request])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pgrep = format!("pgrep -u rvtest -f {}", stream_of(&request));
    let running = rv_testbed::poll(
        std::time::Duration::from_secs(30),
        std::time::Duration::from_millis(200),
        || tb.ssh(&pgrep).ok(),
        |&up| up,
    );
    assert!(
        running,
        "rv-watch watches through a stream on the login node"
    );
    assert!(
        tb.ssh(&format!("pkill -u rvtest -f {}", stream_of(&request)))
            .ok()
    );
    // The a6000s free up only after the stream is gone: the polls must see the winner.
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(tb.ssh_as("rvother", "scancel -u rvother").ok());
    let out = watch.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("the watch stream stopped"),
        "it said it fell back: {stderr}"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"type\":\"allocation\""), "{text}");
    let left = settle(&tb, &ids, |s| s.len() == 1);
    assert_eq!(left, ["RUNNING"], "one job of {ids:?}");
    assert!(
        !tb.ssh(&pgrep).ok(),
        "no stream is left running on the login node"
    );
}
