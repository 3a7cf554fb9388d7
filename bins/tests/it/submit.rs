//! `rv-submit` on the testbed: the claim gate keeps exactly one job, secrets arrive exactly.

use std::time::{Duration, Instant};

use rv::records::Record;

use crate::support::{RV_PLAN, RV_PROBE, RV_SUBMIT, records, request_id, submitted_ids};
use rv_testbed::Testbed;

#[test]
fn scenario_idle_the_claim_gate_keeps_one_job_and_secrets_arrive_exactly() {
    let Some(tb) = Testbed::get() else { return };
    let _idle = tb.scenario("idle");
    let state = tb.control_dir("submit");
    let jobs = tb.jobs();
    let secret = "p$ss \"dq\" 'sq' `tick` \\ end\nline two";

    let env = format!("SECRET={secret}");
    let (upstream, out) = tb
        .pipeline(
            &state,
            &[
                (RV_PROBE, &[]),
                (
                    RV_PLAN,
                    &[
                        "--gpu",
                        "1",
                        "--time",
                        "20m",
                        "--name",
                        "it-submit",
                        "--run",
                        r#"printf '%s' "$SECRET" >"$RV_REQUEST_DIR/secret"; sleep 600"#,
                    ],
                ),
                (RV_SUBMIT, &["--env", &env]),
            ],
        )
        .wait();
    assert!(upstream.iter().all(std::process::ExitStatus::success));
    crate::support::assert_ok(&out);

    let recs = records(&out.stdout);
    let request = request_id(&recs);
    let ids = submitted_ids(&recs);
    for id in &ids {
        jobs.track(id);
    }
    assert!(ids.len() >= 2, "several strategies were submitted: {ids:?}");

    // Nothing watches these jobs: the gate alone must leave exactly one running.
    let one_running = |s: &[String]| s.len() == 1 && s[0].ends_with(" RUNNING");
    let mut states = tb.settle("%i %T", Some(&ids), one_running);
    if !one_running(&states) {
        // The losers cancel themselves once the winner claims; give a busy node longer.
        states = tb.settle("%i %T", Some(&ids), one_running);
    }
    assert!(one_running(&states), "not exactly one job left: {states:?}");
    let running = states[0].split(' ').next().unwrap().to_owned();
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
    let (upstream, out) = tb
        .pipeline(
            &state,
            &[
                (RV_PROBE, &["--no-test-only"]),
                (
                    RV_PLAN,
                    &[
                        "--gpu",
                        "1",
                        "--time",
                        "20m",
                        "--account",
                        "otherlab",
                        "--max-strategies",
                        "2",
                    ],
                ),
                (RV_SUBMIT, &[]),
            ],
        )
        .wait();
    assert!(upstream.iter().all(std::process::ExitStatus::success));
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
