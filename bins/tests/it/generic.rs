//! rv on a site unlike Rivanna: the testbed's `generic` layout (`RV_TESTBED_LAYOUT=generic
//! testbed/cluster up`): partitions without `DefaultTime` but `gpu`, `gpu-debug` a subset of
//! `gpu`, untyped GRES on `shared`, a QOS capping a user at 8 GPUs, no `/scratch` and none of
//! Rivanna's site tools. These tests skip on another layout; CI runs them in a pass of their
//! own on both Slurm versions.

use rv::records::{Record, Strategy};
use rv_testbed::Testbed;

use crate::run::{job_of, project, rv_run};
use crate::support::{
    RV, allocation, assert_documented, assert_ok, init_sandbox, records, rv_init,
};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn generic() -> Option<Testbed> {
    Testbed::get_layout("generic")
}

/// The test user's home on the cluster.
fn home(tb: &Testbed) -> String {
    tb.ssh("echo \"$HOME\"").stdout.trim().to_owned()
}

#[test]
fn scenario_idle_status_names_the_missing_site_tools_and_counts_each_gpu_once() {
    let Some(tb) = generic() else { return };
    let _idle = tb.scenario("idle");
    let state = tb.control_dir("generic-status");
    let out = tb
        .rv(RV, &state)
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert_ok(&out);
    let v = assert_documented("rv status --json", &out.stdout);
    assert_eq!(
        v["missing_tools"],
        serde_json::json!(["allocations", "hdquota"])
    );
    assert_eq!(v["scratch"]["from"], "home");
    assert_eq!(v["scratch"]["usable"], true);
    assert_eq!(v["scratch"]["dir"], home(&tb));
    // Two nodes of each kind: 4 A100s and 4 L40S each, 2 untyped GPUs each. The L40S nodes
    // are in both `gpu` and `gpu-debug`, and count once.
    let total = |kind: &str| {
        v["gpus"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["gpu_type"] == kind)
            .map(|g| g["total"].as_u64().unwrap())
    };
    assert_eq!(
        (total("a100"), total("l40s"), total("gpu")),
        (Some(8), Some(8), Some(4)),
        "{v}"
    );
    let human = tb.rv(RV, &state).arg("status").output().unwrap();
    assert_ok(&human);
    let said = text(&human.stdout) + &text(&human.stderr);
    assert!(
        said.contains(
            "Site tools  allocations, hdquota not on this cluster: no balance or storage shown"
        ),
        "{said}"
    );
    let ps = tb.rv(RV, &state).args(["ps", "--json"]).output().unwrap();
    assert_ok(&ps);
}

#[test]
fn scenario_idle_without_a_time_each_partition_gets_its_own_default() {
    let Some(tb) = generic() else { return };
    let _idle = tb.scenario("idle");
    let state = tb.control_dir("generic-defaults");
    let out = tb
        .rv(RV, &state)
        .args([
            "up",
            "--gpu",
            "1",
            "--dry-run",
            "--json",
            "--max-strategies",
            "20",
        ])
        .output()
        .unwrap();
    assert_ok(&out);
    let strategies: Vec<Strategy> = records(&out.stdout)
        .into_iter()
        .filter_map(|r| match r {
            Record::Strategy(s) => Some(s),
            _ => None,
        })
        .collect();
    let time_in = |p: &str| {
        strategies
            .iter()
            .filter(|s| s.partitions == [p] && s.segments == 1)
            .map(|s| s.time)
            .max()
    };
    // `gpu` has DefaultTime=04:00:00; `gpu-debug` none and a 1 h limit; `shared` none.
    assert_eq!(time_in("gpu"), Some(4 * 3600), "{strategies:#?}");
    assert_eq!(
        time_in("shared"),
        Some(2 * 3600 + 59 * 60),
        "{strategies:#?}"
    );
    if let Some(t) = time_in("gpu-debug") {
        assert_eq!(t, 3600, "capped at the partition's limit");
    }
}

#[test]
fn scenario_idle_up_and_run_keep_their_files_in_home_and_a_missing_scratch_is_named() {
    let Some(tb) = generic() else { return };
    let _idle = tb.scenario("idle");
    let state = tb.control_dir("generic-up");
    let jobs = tb.jobs();

    // A configured scratch that does not exist: one line naming `paths.scratch`, exit 2,
    // nothing submitted.
    let missing = tb
        .rv(RV, &state)
        .args(["up", "--gpu", "1", "--time", "20m", "--json"])
        .env("RV_SCRATCH", "/scratch/nobody-here")
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing.stderr));
    assert!(
        text(&missing.stderr)
            .contains("`paths.scratch`: /scratch/nobody-here is not a directory you can write"),
        "{}",
        text(&missing.stderr)
    );
    assert!(tb.queue("%i", None).is_empty(), "nothing submitted");

    let out = tb
        .rv(RV, &state)
        .args(["up", "--gpu", "2", "--time", "20m", "--json"])
        .output()
        .unwrap();
    assert_ok(&out);
    let a = allocation(&out.stdout);
    jobs.track(&a.job_id.to_string());
    let left = tb.settle("%i %T", None, |l| l.len() == 1);
    assert_eq!(
        left,
        [format!("{} RUNNING", a.job_id)],
        "exactly one job runs"
    );
    let listed = tb.ssh(&format!("cat ~/.rv/requests/{}/jobs", a.request));
    assert!(
        listed.stdout.contains(&a.job_id.to_string()),
        "rv's files are under home: {listed:?}"
    );
    let stop = tb
        .rv(RV, &state)
        .args(["stop", &a.request])
        .output()
        .unwrap();
    assert_ok(&stop);

    // rv run: the code is pushed to a workspace under home and runs there.
    let root = project("generic");
    let ran = rv_run(&tb, &state, &root, &["-f", "python3", "train.py"]);
    jobs.track(&job_of(&ran).to_string());
    assert_eq!(ran.status.code(), Some(0), "{}", text(&ran.stderr));
    assert_eq!(text(&ran.stdout), "rvdemo 42\nepoch 1/1\n");
    assert!(
        text(&ran.stderr).contains(&format!("from {}/rv-workspaces/", home(&tb))),
        "{}",
        text(&ran.stderr)
    );
    // No warning about GPUs of a job that already ended.
    assert!(
        !text(&ran.stderr).contains("asked for"),
        "{}",
        text(&ran.stderr)
    );
}

#[test]
fn scenario_idle_a_plan_never_counts_on_a_job_the_qos_cap_keeps_pending() {
    let Some(tb) = generic() else { return };
    let _idle = tb.scenario("idle");
    let state = tb.control_dir("generic-qos");
    let jobs = tb.jobs();
    // The user holds the QOS's 8 GPUs.
    for _ in 0..2 {
        let id = jobs.sbatch("-p gpu --gres=gpu:a100:4 -t 30 --wrap 'sleep 600'");
        jobs.wait_for_state(&id, &["RUNNING"], std::time::Duration::from_secs(60))
            .unwrap();
    }
    // Slurm keeps one more GPU pending on the cap...
    let more = jobs.sbatch("-p gpu --gres=gpu:l40s:1 -t 30 --wrap 'sleep 600'");
    let reason = rv_testbed::poll(
        std::time::Duration::from_secs(30),
        std::time::Duration::from_millis(500),
        || tb.ssh(&format!("squeue -h -j {more} -o %r")).stdout,
        |r| r.contains("QOS"),
    );
    assert!(reason.contains("QOSMaxGRESPerUser"), "{reason}");
    tb.ssh(&format!("scancel {more}"));
    // ...and rv's plan says so instead of "starts now".
    let plan = tb
        .rv(RV, &state)
        .args(["up", "--gpu", "1", "--time", "20m", "--dry-run", "--json"])
        .output()
        .unwrap();
    assert_eq!(plan.status.code(), Some(1), "{}", text(&plan.stdout));
    assert!(
        text(&plan.stderr).contains("you run 8 GPUs; 1 more exceeds your limit of 8"),
        "{}",
        text(&plan.stderr)
    );
}

#[test]
fn init_finds_the_account_through_sacctmgr_and_scratch_in_home() {
    let Some(tb) = generic() else { return };
    let (dir, ssh_config, _) = init_sandbox(&tb, "generic");
    let out = rv_init(&tb, &dir, &ssh_config);
    assert_ok(&out);
    let v = assert_documented("rv init --json", &out.stdout);
    let home = home(&tb);
    assert_eq!(v["account"], "physics");
    assert_eq!(v["scratch"], home.as_str());
    assert!(
        text(&out.stderr).contains(&format!("caches on {home};")),
        "{}",
        text(&out.stderr)
    );
    assert!(
        tb.ssh("cat ~/.bashrc")
            .stdout
            .contains(&format!("export HF_HOME=\"{home}/.cache/huggingface\""))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn scenario_idle_cost_without_rates_lists_the_clusters_gpu_types() {
    let Some(tb) = generic() else { return };
    let _idle = tb.scenario("idle");
    let state = tb.control_dir("generic-cost");
    let out = tb
        .rv(RV, &state)
        .args(["cost", "--gpu", "2"])
        .output()
        .unwrap();
    assert_ok(&out);
    let said = text(&out.stdout);
    assert!(
        said.contains("no service-unit rates (profile generic)")
            && said.contains("~/.rv/profiles/<site>.toml"),
        "{said}"
    );
    assert!(!said.contains("known: "), "{said}");
    for (kind, total) in [("a100", 8), ("l40s", 8), ("gpu", 4)] {
        assert!(
            said.lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>()[..2]
                    == [kind, &total.to_string()[..]]),
            "{kind}: {said}"
        );
    }
    let json = tb
        .rv(RV, &state)
        .args(["cost", "--gpu", "2", "--type", "a100", "--json"])
        .output()
        .unwrap();
    assert_ok(&json);
    let v = assert_documented("rv cost --json (a site without rates)", &json.stdout);
    assert_eq!(v["prices"], serde_json::json!([]));
    assert_eq!(v["profile"], "generic");
    let kinds: Vec<&str> = v["gpu_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["gpu_type"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"a100") && kinds.contains(&"l40s"), "{v}");
    let offline = tb
        .rv(RV, &state)
        .args(["cost", "--gpu", "2", "--offline"])
        .output()
        .unwrap();
    assert_eq!(offline.status.code(), Some(2));
    let err = text(&offline.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("no service-unit rates"), "{err}");
}
