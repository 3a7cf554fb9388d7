//! Checkpointed segments and multi-node ranks, run for real on the testbed.

use std::time::{Duration, Instant};

use rv::records::{Cluster, Envelope, Record, Request, Strategy};
use rv_testbed::{ControlDir, Testbed};

use crate::support::{RV_PLAN, RV_PROBE, RV_SUBMIT, records};

/// Submits one CPU-only strategy of `segment` seconds, `segments` of them for `total`
/// seconds, running `command`; returns the first job id.
fn submit_chain(
    tb: &Testbed,
    state: &ControlDir,
    id: &str,
    command: &str,
    segment: u64,
    total: u64,
) -> u64 {
    submit_with_env(tb, state, id, Some(command), segment, total, &[])
}

/// As [`submit_chain`], with variables for the env file; `command` `None` submits a holder.
pub(crate) fn submit_with_env(
    tb: &Testbed,
    state: &ControlDir,
    id: &str,
    command: Option<&str>,
    segment: u64,
    total: u64,
    env: &[String],
) -> u64 {
    let cluster = Cluster {
        host: "rv-cluster".into(),
        profile: "rivanna".into(),
        user: "rvtest".into(),
        now: 0,
        utc_offset: 0,
        fairshare: None,
        running: vec![],
        max_gpus_per_user: None,
        max_gpus_per_job: None,
        slurm_version: None,
        scratch: None,
    };
    let request = Request {
        id: id.into(),
        name: "it-chain".into(),
        gpus: 0,
        gpu_type: None,
        vram_gb: None,
        time: total,
        nodes: None,
        cpus: None,
        mem_mb: None,
        partitions: vec![],
        account: None,
        constraint: None,
        exclude: vec![],
        command: command.map(str::to_owned),
        ray: false,
    };
    let strategy = Strategy {
        request: id.into(),
        id: "s1".into(),
        partitions: vec!["standard".into()],
        gpu_type: None,
        gres: None,
        nodes: 1,
        gpus_per_node: 0,
        cpus: None,
        mem_mb: None,
        time: segment,
        time_min: None,
        segments: u32::try_from(total.div_ceil(segment)).unwrap(),
        constraint: None,
        account: None,
        exclude: vec![],
        predicted_start: None,
        service_units: 0.0,
        why: String::new(),
    };
    let input: String = [
        Record::Cluster(cluster),
        Record::Request(request),
        Record::Strategy(strategy),
    ]
    .into_iter()
    .map(|r| Envelope::new(r).to_line() + "\n")
    .collect();
    let args: Vec<&str> = env.iter().flat_map(|e| ["--env", e.as_str()]).collect();
    let out = tb.rv_with_input(RV_SUBMIT, state, &args, input.as_bytes());
    crate::support::assert_ok(&out);
    records(&out.stdout)
        .into_iter()
        .find_map(|r| match r {
            Record::Submission(s) => s.job_id,
            _ => None,
        })
        .unwrap()
}

/// Lines of the request's `segments` log once the chain has ended (no job of it queued,
/// configuring — a next segment that starts at once is CONFIGURING first — running or
/// completing).
fn finished_segments(tb: &Testbed, id: &str, within: Duration) -> Vec<String> {
    let dir = format!("/scratch/rvtest/.rv/requests/{id}");
    let deadline = Instant::now() + within;
    loop {
        let out = tb.ssh(&format!("squeue -h -n it-chain-{}-s1 -t PD,CF,R,CG -o %i; echo ---; cat {dir}/segments 2>/dev/null", id.rsplit('-').next().unwrap())).stdout;
        let (queued, log) = out.split_once("---\n").unwrap();
        if queued.trim().is_empty() && !log.trim().is_empty() {
            return log.lines().map(str::to_owned).collect();
        }
        assert!(
            Instant::now() < deadline,
            "the chain did not end in {within:?}: {out}"
        );
        std::thread::sleep(Duration::from_secs(2));
    }
}

pub(crate) fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("r-{tag}-{nanos:08x}")
}

#[test]
fn scenario_idle_a_three_segment_chain_runs_to_the_end() {
    let Some(tb) = Testbed::get() else { return };
    let _idle = tb.scenario("idle");
    let state = tb.control_dir("chain");
    let jobs = tb.jobs();
    let id = unique("chain");
    // 60 s segments for 150 s in all: the program gets SIGUSR1 near each segment's end.
    let program = r#"echo "start $RV_SEGMENT" >>"$RV_REQUEST_DIR/ran"; trap 'echo "usr1 $RV_SEGMENT" >>"$RV_REQUEST_DIR/ran"; exit 0' USR1; sleep 1000 & wait"#;
    let first = submit_chain(&tb, &state, &id, program, 60, 150);
    jobs.track(&first.to_string());
    let log = finished_segments(&tb, &id, Duration::from_secs(300));
    let rows: Vec<Vec<&str>> = log.iter().map(|l| l.split(' ').collect()).collect();
    let numbers: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    assert_eq!(numbers, ["1", "2", "3"], "{log:?}");
    let codes: Vec<&str> = rows.iter().map(|r| r[4]).collect();
    assert_eq!(
        codes,
        ["124", "124", "124"],
        "each segment ended by its timeout: {log:?}"
    );
    let ran = tb
        .ssh(&format!("cat /scratch/rvtest/.rv/requests/{id}/ran"))
        .expect_ok("ran");
    assert_eq!(
        ran.matches("usr1").count(),
        3,
        "SIGUSR1 before every segment's end: {ran}"
    );
    let total: i64 = rows
        .iter()
        .map(|r| r[3].parse::<i64>().unwrap() - r[2].parse::<i64>().unwrap())
        .sum();
    assert!(
        (140..=170).contains(&total),
        "the chain ran the total asked for: {total} s"
    );
}

#[test]
fn scenario_idle_a_crashing_segment_is_not_resubmitted() {
    let Some(tb) = Testbed::get() else { return };
    let _idle = tb.scenario("idle");
    let state = tb.control_dir("chain-crash");
    let jobs = tb.jobs();
    let id = unique("crash");
    let first = submit_chain(&tb, &state, &id, "echo boom >&2; exit 3", 60, 180);
    jobs.track(&first.to_string());
    let log = finished_segments(&tb, &id, Duration::from_secs(60));
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(
        log[0].starts_with("1 ") && log[0].ends_with(" 3"),
        "{log:?}"
    );
    let listed = tb
        .ssh(&format!("cat /scratch/rvtest/.rv/requests/{id}/jobs"))
        .expect_ok("jobs");
    assert_eq!(listed.lines().count(), 1, "no second segment: {listed}");
}

#[test]
fn scenario_idle_two_nodes_of_four_gpus_get_distinct_ranks() {
    let Some(tb) = Testbed::get() else { return };
    let _idle = tb.scenario("idle");
    let state = tb.control_dir("ranks");
    let jobs = tb.jobs();
    let (upstream, out) = tb
        .pipeline(
            &state,
            &[
                (RV_PROBE, &["--no-test-only"]),
                (
                    RV_PLAN,
                    &[
                        "--gpu",
                        "8",
                        "--nodes",
                        "2",
                        "-p",
                        "gpu-a6000",
                        "--time",
                        "30m",
                        "--max-strategies",
                        "1",
                        "--run",
                        r#"echo "$RANK $NODE_RANK $SLURMD_NODENAME $CUDA_VISIBLE_DEVICES $MASTER_ADDR" >>"$RV_REQUEST_DIR/ranks""#,
                    ],
                ),
                (RV_SUBMIT, &[]),
            ],
        )
        .wait();
    assert!(upstream.iter().all(std::process::ExitStatus::success));
    crate::support::assert_ok(&out);
    let (mut request, mut job) = (String::new(), 0);
    for record in records(&out.stdout) {
        match record {
            Record::Request(r) => request = r.id,
            Record::Submission(s) => job = s.job_id.unwrap(),
            _ => {}
        }
    }
    jobs.track(&job.to_string());
    jobs.wait_for_state(&job.to_string(), &["COMPLETED"], Duration::from_secs(60))
        .unwrap();
    let ranks = tb
        .ssh(&format!(
            "sort /scratch/rvtest/.rv/requests/{request}/ranks"
        ))
        .expect_ok("ranks");
    let lines: Vec<Vec<&str>> = ranks.lines().map(|l| l.split(' ').collect()).collect();
    assert_eq!(lines.len(), 2, "one task per node: {ranks}");
    assert_eq!(
        (lines[0][0], lines[1][0]),
        ("0", "1"),
        "distinct ranks: {ranks}"
    );
    assert_ne!(lines[0][2], lines[1][2], "on distinct nodes: {ranks}");
    assert!(
        lines
            .iter()
            .all(|l| l[3] == "0,1,2,3" && l[4] == "a6000-01"),
        "4 GPUs each, one master: {ranks}"
    );
}
