//! `rv-plan` as a pipeline stage.

use std::process::{Command, Output};

use rv::records::Record;

use crate::support::{RV_PLAN, RV_PROBE, records};
use rv_testbed::{Testbed, output_with_input};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../lib/tests/fixtures/testbed/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn plan(args: &[&str], input: &str) -> Output {
    output_with_input(
        Command::new(RV_PLAN)
            .args(args)
            .env("RV_CONFIG", "/dev/null")
            .env_remove("RV_GPU_TYPE")
            .env_remove("RV_ACCOUNT"),
        input.as_bytes(),
    )
}

#[test]
fn passes_the_probe_through_and_adds_the_plan() {
    let input = fixture("probe_busy.ndjson");
    let out = plan(&["--gpu", "2", "--time", "24h", "--explain"], &input);
    crate::support::assert_ok(&out);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    let n = input.lines().count();
    assert_eq!(
        lines[..n],
        input.lines().collect::<Vec<_>>()[..],
        "input passes through unchanged, first"
    );
    let added = records(&stdout.as_bytes()[input.len()..]);
    let Record::Request(request) = &added[0] else {
        panic!("{added:?}")
    };
    assert_eq!((request.gpus, request.time), (2, 86_400));
    let strategies: Vec<_> = added[1..]
        .iter()
        .filter(|r| matches!(r, Record::Strategy(_)))
        .collect();
    assert!((1..=8).contains(&strategies.len()), "{strategies:?}");
    let explain = String::from_utf8_lossy(&out.stderr);
    assert!(
        explain.contains("not considered: MIG slices serve one GPU"),
        "{explain}"
    );
    assert!(explain.lines().any(|l| l.contains(" yes ")), "{explain}");
}

#[test]
fn unknown_records_pass_through() {
    let mut input = fixture("probe_busy.ndjson");
    input.push_str("{\"type\":\"from_the_future\",\"v\":7,\"x\":1}\n");
    let out = plan(&["--gpu", "1"], &input);
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("{\"type\":\"from_the_future\",\"v\":7,\"x\":1}\n")
    );
}

#[test]
fn malformed_input_names_the_line_exits_2_and_plans_nothing() {
    let mut input = fixture("probe_busy.ndjson");
    let bad_line = input.lines().count() + 1;
    input.push_str("{\"type\":\"window\",\"v\":1,\"partition\":\"gpu\"\n");
    let out = plan(&["--gpu", "1"], &input);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("line {bad_line}: not JSON")), "{err}");
    let recs = records(&out.stdout);
    assert!(
        recs.iter().all(|r| matches!(r, Record::Error(_))),
        "nothing but the error: {recs:?}"
    );
}

#[test]
fn bad_flags_name_the_flag() {
    let input = fixture("probe_busy.ndjson");
    for (args, want) in [
        (&["--time", "24"][..], "--time: cannot parse duration"),
        (&["--mem", "lots"][..], "--mem: \"lots\""),
        (&["--name", "a b; rm -rf"][..], "--name: "),
        (
            &["--exclude", "a[1-"][..],
            "--exclude: cannot parse hostlist",
        ),
        (
            &["--mig", "--gpu", "2"][..],
            "--mig: a MIG slice is one GPU",
        ),
    ] {
        let out = plan(args, &input);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(want),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = plan(&["--gpu", "x"], &input);
    assert_eq!(out.status.code(), Some(2), "clap refuses non-numbers");
}

#[test]
fn upstream_errors_stop_the_stage() {
    let input = "{\"type\":\"error\",\"v\":1,\"stage\":\"rv-probe\",\"message\":\"cannot reach rivanna\"}\n";
    let out = plan(&["--gpu", "1"], input);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        input,
        "the error passes on"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("rv-probe failed: cannot reach rivanna"));
    let out = plan(&["--gpu", "1"], "");
    assert_eq!(out.status.code(), Some(2), "no probe input");
    assert!(String::from_utf8_lossy(&out.stderr).contains("pipe rv-probe into rv-plan"));
}

#[test]
fn probe_pipes_into_plan_on_the_testbed() {
    let Some(tb) = Testbed::get() else { return };
    let state = tb.control_dir("probe-plan");
    let (upstream, out) = tb
        .pipeline(
            &state,
            &[(RV_PROBE, &[]), (RV_PLAN, &["--gpu", "2", "--time", "2h"])],
        )
        .wait();
    assert!(upstream.iter().all(std::process::ExitStatus::success));
    crate::support::assert_ok(&out);
    let recs = records(&out.stdout);
    assert!(matches!(recs[0], Record::Cluster(_)));
    assert!(recs.iter().any(|r| matches!(r, Record::Request(_))));
    assert!(
        recs.iter()
            .any(|r| matches!(r, Record::Strategy(s) if s.predicted_start.is_some()))
    );
}

#[test]
fn every_stage_refuses_malformed_input_with_the_line_and_exit_2() {
    for stage in [
        env!("CARGO_BIN_EXE_rv-plan"),
        env!("CARGO_BIN_EXE_rv-submit"),
        env!("CARGO_BIN_EXE_rv-watch"),
        env!("CARGO_BIN_EXE_rv-attach"),
    ] {
        let out = output_with_input(
            Command::new(stage)
                .env("RV_CONFIG", "/dev/null")
                .env("RV_SSH_HOST", "unreachable.invalid")
                .env(
                    "RV_STATE_DIR",
                    std::env::temp_dir().join(format!("rv-malformed-{}", std::process::id())),
                ),
            b"{\"type\":\"cluster\",\"v\":1,\"host\":\"h\"}\n{not json\n",
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stage}: {err}");
        assert!(
            err.contains("line 1: `cluster` record: missing field"),
            "{stage}: {err}"
        );
        assert!(
            records(&out.stdout)
                .iter()
                .all(|r| matches!(r, Record::Error(_))),
            "{stage}: nothing but the error"
        );
    }
    let _ = std::fs::remove_dir_all(
        std::env::temp_dir().join(format!("rv-malformed-{}", std::process::id())),
    );
}
