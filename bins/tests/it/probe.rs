//! `rv-probe` against the testbed.

use rv::records::{Record, WindowSource};

use crate::support::{RV_PROBE, records};
use rv_testbed::Testbed;

#[test]
fn scenario_busy_probe_finds_the_a6000_backfill_cliff() {
    let Some(tb) = Testbed::get() else { return };
    let _busy = tb.scenario("busy");
    let state = tb.control_dir("probe-busy");
    let out = tb.rv(RV_PROBE, &state).output().unwrap();
    crate::support::assert_ok(&out);
    let records = records(&out.stdout);

    let Record::Cluster(cluster) = &records[0] else {
        panic!("first comes the cluster: {:?}", records[0])
    };
    assert_eq!(
        (cluster.user.as_str(), cluster.profile.as_str()),
        ("rvtest", "rivanna")
    );
    let now = cluster.now;

    let a6000 = records
        .iter()
        .find_map(|r| match r {
            Record::Partition(p) if p.name == "gpu-a6000" => Some(p),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        (a6000.gpus[0].total, a6000.gpus[0].free),
        (16, 2),
        "16 A6000s, 14 busy"
    );
    assert_eq!(a6000.gpus[0].su_per_gpu_hour, Some(142.73));

    let window = |nodes, gpus, source| {
        records.iter().find_map(|r| match r {
            Record::Window(w)
                if w.partition == "gpu-a6000"
                    && w.nodes == nodes
                    && w.gpus_per_node == gpus
                    && w.source == source =>
            {
                Some(w.clone())
            }
            _ => None,
        })
    };
    // Two free GPUs on a6000-02 until the top-priority 2 x 8 job starts in 3 h.
    let two = window(1, 2, WindowSource::Model).expect("a 1x2 window");
    assert_eq!(two.start, now);
    let cliff = two.max_walltime.unwrap();
    assert!(
        (2 * 3600 + 3000..=3 * 3600).contains(&cliff),
        "the cliff is ~3 h: {cliff}"
    );
    // Four GPUs on one node only when a6000-01's first job ends (in 1.5 h).
    let four = window(1, 4, WindowSource::Model).expect("a 1x4 window");
    assert!(four.start > now + 3600, "{four:?}");
    // The --test-only cross-check is there, marked as such.
    assert!(window(1, 1, WindowSource::TestOnly).is_some());

    // The busy v100s: both nodes full, so nothing starts now.
    let v100 = records.iter().filter_map(|r| match r {
        Record::Window(w) if w.partition == "gpu-v100" && w.source == WindowSource::Model => {
            Some(w)
        }
        _ => None,
    });
    assert!(v100.clone().count() > 0 && v100.into_iter().all(|w| w.start > now));
}

/// The model's `gpu-a6000` window for one node with two GPUs.
fn a6000_pair(stdout: &[u8]) -> (i64, rv::records::Window) {
    let records = records(stdout);
    let Record::Cluster(cluster) = &records[0] else {
        panic!("first comes the cluster: {:?}", records[0])
    };
    let window = records
        .iter()
        .find_map(|r| match r {
            Record::Window(w)
                if w.partition == "gpu-a6000"
                    && (w.nodes, w.gpus_per_node) == (1, 2)
                    && w.source == WindowSource::Model =>
            {
                Some(w.clone())
            }
            _ => None,
        })
        .expect("a 1x2 a6000 window");
    (cluster.now, window)
}

#[test]
fn scenario_backfill_a_short_job_is_shown_a_short_hole() {
    let Some(tb) = Testbed::get() else { return };
    // On a clock 60x faster: free A6000s until the top-priority job starts in 3 minutes.
    let _backfill = tb.scenario_scaled("backfill", 60);
    let state = tb.control_dir("probe-hole");
    let plain = tb
        .rv(RV_PROBE, &state)
        .arg("--no-test-only")
        .output()
        .unwrap();
    crate::support::assert_ok(&plain);
    let (now, w) = a6000_pair(&plain.stdout);
    assert!(
        w.start > now + 180,
        "a 3-minute hole is below the 30 minutes shown by default: {w:?}"
    );
    let short = tb
        .rv(RV_PROBE, &state)
        .args(["--no-test-only", "--time", "2m"])
        .output()
        .unwrap();
    crate::support::assert_ok(&short);
    let (now, w) = a6000_pair(&short.stdout);
    assert_eq!(w.start, now, "a 2-minute job fits the hole: {w:?}");
    assert!(
        w.max_walltime.is_some_and(|m| (120..=180).contains(&m)),
        "the hole ends where the big job starts: {w:?}"
    );

    let bad = tb
        .rv(RV_PROBE, &state)
        .args(["--time", "soon"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("--time") && err.lines().count() == 1, "{err}");
}

#[test]
fn probe_without_a_cluster_fails_with_exit_2_and_an_error_record() {
    let state = std::env::temp_dir().join(format!("rv-probe-nohost-{}", std::process::id()));
    let out = std::process::Command::new(RV_PROBE)
        .env("RV_CONFIG", "/dev/null")
        .env_remove("RV_SSH_HOST")
        .env("RV_STATE_DIR", &state)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&state);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no cluster configured") && stderr.contains("rv init"),
        "{stderr}"
    );
    let records = records(&out.stdout);
    assert!(
        matches!(&records[..], [Record::Error(e)] if e.stage == "rv-probe"),
        "{records:?}"
    );
}
