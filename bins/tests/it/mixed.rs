//! rv under `load mixed`: a queue of what other users really submit (several users and
//! accounts, throttled and plain arrays, a het job, held and requeued jobs, names with `|`,
//! quotes, unicode, invalid UTF-8 and a newline), on whichever Slurm the testbed runs.

use std::time::Duration;

use crate::support::{RV, RV_PLAN, RV_PROBE, allocation, assert_ok, poll, records};
use rv::records::Record;
use rv_testbed::Testbed;

/// The `warning:` lines a command printed on stderr.
fn warnings(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| l.contains("warning:"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn scenario_mixed_up_json_ends_with_exactly_one_running_job() {
    let Some(tb) = Testbed::get() else { return };
    let _mixed = tb.scenario("mixed");
    let state = tb.control_dir("mixed-up");
    let jobs = tb.jobs();
    let out = tb
        .rv(RV, &state)
        .args(["up", "--gpu", "4", "--time", "2h", "--json"])
        .output()
        .unwrap();
    assert_ok(&out);
    assert!(warnings(&out.stderr).len() <= 1, "one warning at most");
    let a = allocation(&out.stdout);
    jobs.track(&a.job_id.to_string());
    assert_eq!(a.gpus_per_node * u32::try_from(a.nodes.len()).unwrap(), 4);
    let tail = a.request.rsplit('-').next().unwrap().to_owned();
    let left = poll(
        Duration::from_secs(30),
        Duration::from_millis(500),
        || {
            tb.ssh("squeue -h -u \"$USER\" -t PD,R,CG,CF -o '%i %j %T'")
                .stdout
                .lines()
                .filter(|l| l.contains(&tail))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        },
        |l| l.len() == 1,
    );
    assert_eq!(
        left.len(),
        1,
        "exactly one job of the request is left: {left:?}"
    );
    assert!(left[0].starts_with(&format!("{} ", a.job_id)), "{left:?}");
    assert!(left[0].ends_with(" RUNNING"), "{left:?}");
}

#[test]
fn scenario_mixed_probe_plan_status_and_ps_read_the_queue() {
    let Some(tb) = Testbed::get() else { return };
    let _mixed = tb.scenario("mixed");
    let state = tb.control_dir("mixed-read");
    let jobs = tb.jobs();
    let mine = jobs.sbatch(
        "-J 'mine | two' -p gpu-a40 --gres=gpu:a40:2 -t 30 -o /dev/null --wrap 'sleep 600'",
    );
    jobs.wait_for_state(&mine, &["RUNNING"], Duration::from_secs(30))
        .unwrap();

    // rv-probe | rv-plan --gpu 2
    let probe = tb
        .rv(RV_PROBE, &state)
        .args(["--no-test-only"])
        .output()
        .unwrap();
    assert_ok(&probe);
    let probed = records(&probe.stdout);
    let Some(Record::Cluster(cluster)) = probed.first() else {
        panic!("no cluster record first: {probed:?}");
    };
    let version = tb.ssh("sinfo --version").expect_ok("sinfo --version");
    assert_eq!(
        cluster.slurm_version.map(|v| v.to_string()),
        version.split_whitespace().last().map(str::to_owned),
        "the version is read, not assumed"
    );
    assert_eq!(cluster.running.iter().map(|u| u.gpus).sum::<u32>(), 2);
    let warned = probed
        .iter()
        .filter(|r| matches!(r, Record::Warning(_)))
        .count();
    assert!(warned <= 1, "one warning record at most");
    assert_eq!(warnings(&probe.stderr).len(), warned);
    let planned = tb.rv_with_input(
        RV_PLAN,
        &state,
        &["--gpu", "2", "--time", "1h"],
        &probe.stdout,
    );
    assert_ok(&planned);
    let planned = records(&planned.stdout);
    assert!(planned.iter().any(|r| matches!(r, Record::Request(_))));
    assert!(planned.iter().any(|r| matches!(r, Record::Strategy(_))));

    // rv status and rv ps show the user's job with its GPUs.
    for args in [&["status", "--json"][..], &["ps", "--json"]] {
        let out = tb.rv(RV, &state).args(args).output().unwrap();
        assert_ok(&out);
        let text = String::from_utf8_lossy(&out.stdout);
        let value: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        let rows = if args[0] == "status" {
            value["jobs"].clone()
        } else {
            value
        };
        let row = rows
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["job_id"] == mine.as_str())
            .unwrap_or_else(|| panic!("rv {}: no job {mine} in {text}", args[0]));
        assert_eq!(row["name"], "mine | two", "rv {}", args[0]);
        assert_eq!(row["gpus"], 2, "rv {}", args[0]);
        assert_eq!(row["state"], "RUNNING", "rv {}", args[0]);
    }
}
