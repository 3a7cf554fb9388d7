//! rv at Rivanna's scale: the testbed's `rivanna` layout (`RV_TESTBED_LAYOUT=rivanna
//! testbed/cluster up`: Rivanna's GPU node counts, 75 slurmd) under `load rivanna` (seven
//! users, arrays, het, held and requeued jobs, odd names, a reservation, a drained and a down
//! node, about a thousand pending jobs and two thousand pending array tasks). Skipped on
//! another layout; CI runs it in a pass of its own on both Slurm versions.

use rv_testbed::Testbed;

use crate::support::{RV, allocation, assert_documented, assert_ok};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn scenario_rivanna_status_ps_and_up_hold_under_a_real_clusters_queue() {
    let Some(tb) = Testbed::get_layout("rivanna") else {
        return;
    };
    let _load = tb.scenario("rivanna");
    let state = tb.control_dir("rivanna");
    let jobs = tb.jobs();

    let status = tb
        .rv(RV, &state)
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert_ok(&status);
    let v = assert_documented("rv status --json", &status.stdout);
    let a6000 = v["gpus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["gpu_type"] == "a6000")
        .unwrap_or_else(|| panic!("no a6000 in {v}"));
    assert_eq!(a6000["total"], 112, "14 nodes of 8, each once: {v}");
    // Other users' odd rows (a name with a newline) are skipped with one warning.
    let warnings = text(&status.stderr).matches("warning: skipped").count();
    assert!(warnings <= 1, "{}", text(&status.stderr));

    let ps = tb.rv(RV, &state).args(["ps", "--json"]).output().unwrap();
    assert_ok(&ps);

    let out = tb
        .rv(RV, &state)
        .args(["up", "--gpu", "4", "--time", "2h", "--json"])
        .output()
        .unwrap();
    assert_ok(&out);
    let a = allocation(&out.stdout);
    jobs.track(&a.job_id.to_string());
    // The request's jobs carry its tail in their names; the test user has no other jobs.
    let tail = a.request.rsplit('-').next().unwrap().to_owned();
    let left = tb.settle("%i %T %j", None, |l| l.len() == 1);
    assert_eq!(left.len(), 1, "exactly one job of the request: {left:?}");
    assert!(
        left[0].starts_with(&format!("{} RUNNING ", a.job_id)) && left[0].contains(&tail),
        "{left:?}"
    );
}
