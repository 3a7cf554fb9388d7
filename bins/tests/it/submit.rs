//! `rv-submit` on the testbed: the claim gate keeps exactly one job, secrets arrive exactly.

use std::process::Stdio;
use std::time::{Duration, Instant};

use rv::records::Record;

use crate::support::records;
use rv_testbed::Testbed;

const RV_PROBE: &str = env!("CARGO_BIN_EXE_rv-probe");
const RV_PLAN: &str = env!("CARGO_BIN_EXE_rv-plan");
const RV_SUBMIT: &str = env!("CARGO_BIN_EXE_rv-submit");

#[test]
fn scenario_idle_the_claim_gate_keeps_one_job_and_secrets_arrive_exactly() {
    let Some(tb) = Testbed::get() else { return };
    let _idle = tb.scenario("idle");
    let state = tb.control_dir("submit");
    let jobs = tb.jobs();
    let secret = "p$ss \"dq\" 'sq' `tick` \\ end\nline two";

    let mut probe = tb
        .rv(RV_PROBE, &state)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut plan = tb
        .rv(RV_PLAN, &state)
        .args(["--gpu", "1", "--time", "20m", "--name", "it-submit"])
        .args([
            "--run",
            r#"printf '%s' "$SECRET" >"$RV_REQUEST_DIR/secret"; sleep 600"#,
        ])
        .stdin(probe.stdout.take().unwrap())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = tb
        .rv(RV_SUBMIT, &state)
        .arg("--env")
        .arg(format!("SECRET={secret}"))
        .stdin(plan.stdout.take().unwrap())
        .output()
        .unwrap();
    assert!(probe.wait().unwrap().success() && plan.wait().unwrap().success());
    crate::support::assert_ok(&out);

    let recs = records(&out.stdout);
    let request = recs
        .iter()
        .find_map(|r| match r {
            Record::Request(r) => Some(r.id.clone()),
            _ => None,
        })
        .unwrap();
    let ids: Vec<u64> = recs
        .iter()
        .filter_map(|r| match r {
            Record::Submission(s) => s.job_id,
            _ => None,
        })
        .collect();
    for id in &ids {
        jobs.track(&id.to_string());
    }
    assert!(ids.len() >= 2, "several strategies were submitted: {ids:?}");

    // Nothing watches these jobs: the gate alone must leave exactly one running.
    let list = ids.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
    let deadline = Instant::now() + Duration::from_secs(60);
    let running = loop {
        let out = tb.ssh(&format!("squeue -h -j {list} -o '%i %T'")).stdout;
        let states: Vec<&str> = out.lines().collect();
        let running: Vec<&str> = states
            .iter()
            .filter(|l| l.ends_with(" RUNNING"))
            .copied()
            .collect();
        if running.len() == 1 && states.len() == 1 {
            break running[0].split(' ').next().unwrap().to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "not exactly one job left: {states:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    let dir = format!("/scratch/rvtest/.rv/requests/{request}");
    let winner = tb
        .ssh(&format!("cat {dir}/claim/winner"))
        .expect_ok("the claim");
    assert_eq!(winner.trim(), running);

    // The secret arrives byte for byte, and its file is gone once the job has read it.
    let deadline = Instant::now() + Duration::from_secs(30);
    let got = loop {
        let got = tb.ssh(&format!("cat {dir}/secret 2>/dev/null"));
        if got.ok() {
            break got.stdout;
        }
        assert!(Instant::now() < deadline, "the job never wrote the secret");
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(got, secret);
    let env_file = tb.ssh(&format!("ls /scratch/rvtest/.rv/env/{request}.env 2>&1"));
    assert!(
        !env_file.ok(),
        "the env file is removed by the job: {}",
        env_file.stdout
    );

    // The request was recorded locally.
    let local = std::fs::read_to_string(state.join(format!("requests/{request}.json"))).unwrap();
    assert!(local.contains(&running), "{local}");
    assert!(!local.contains("p$ss"), "no secret in the local record");
}

#[test]
fn refused_strategies_report_sbatchs_reason() {
    let Some(tb) = Testbed::get() else { return };
    let state = tb.control_dir("submit-refused");
    let mut probe = tb
        .rv(RV_PROBE, &state)
        .arg("--no-test-only")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut plan = tb
        .rv(RV_PLAN, &state)
        .args([
            "--gpu",
            "1",
            "--time",
            "20m",
            "--account",
            "otherlab",
            "--max-strategies",
            "2",
        ])
        .stdin(probe.stdout.take().unwrap())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = tb
        .rv(RV_SUBMIT, &state)
        .stdin(plan.stdout.take().unwrap())
        .output()
        .unwrap();
    assert!(probe.wait().unwrap().success() && plan.wait().unwrap().success());
    assert_eq!(out.status.code(), Some(1), "nothing was submitted");
    let errors: Vec<String> = records(&out.stdout)
        .into_iter()
        .filter_map(|r| match r {
            Record::Submission(s) => s.error,
            _ => None,
        })
        .collect();
    assert!(
        !errors.is_empty() && errors.iter().all(|e| e.contains("Invalid account")),
        "{errors:?}"
    );
}
