//! The planner on real probe output captured from the testbed under load.

use super::*;
use crate::records::{Line, Record, read_line};

fn probed(file: &str) -> Probed {
    let path = format!(
        "{}/tests/fixtures/testbed/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let records: Vec<Record> = text
        .lines()
        .enumerate()
        .map(|(i, line)| match read_line(i + 1, line) {
            Ok(Line::Record(env)) => env.record,
            other => panic!("{path}:{}: {other:?}", i + 1),
        })
        .collect();
    Probed::from_records(&records)
}

fn ask(gpus: u32, time_h: u64) -> Ask {
    Ask {
        request: Request {
            id: String::new(),
            name: "t".into(),
            gpus,
            gpu_type: None,
            vram_gb: None,
            time: time_h * 3600,
            nodes: None,
            cpus: None,
            mem_mb: None,
            partitions: vec![],
            account: None,
            constraint: None,
            exclude: vec![],
            command: None,
            ray: false,
        },
        mig: false,
        single_node: false,
        default_time: false,
        max_strategies: DEFAULT_MAX_STRATEGIES,
    }
}

fn kept(c: &[Considered]) -> Vec<&Strategy> {
    c.iter().filter(|c| c.kept).map(|c| &c.strategy).collect()
}

#[test]
fn busy_two_gpus_for_a_day_start_now_in_backfill_segments() {
    let p = probed("probe_busy.ndjson");
    let now = p.cluster.as_ref().unwrap().now;
    let (request, strategies) = super::plan(&ask(2, 24), &p, "r-1").unwrap();
    assert_eq!((request.gpus, request.time), (2, 86_400));
    let kept = kept(&strategies);
    assert!(
        !kept.is_empty() && kept.len() <= DEFAULT_MAX_STRATEGIES,
        "{kept:#?}"
    );
    assert_eq!(
        kept[0].predicted_start,
        Some(now),
        "the best starts now: {:#?}",
        kept[0]
    );
    let ids: Vec<&str> = kept.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids[0], "s1");
    // gpu-a6000's 3 h window becomes 2 h 50 min segments.
    let a6000 = kept
        .iter()
        .find(|s| s.gpu_type.as_deref() == Some("a6000") && s.time_min.is_none())
        .expect("an a6000 strategy");
    assert_eq!(
        (a6000.nodes, a6000.gpus_per_node, a6000.time, a6000.segments),
        (1, 2, 10_200, 9),
        "{a6000:#?}"
    );
    assert_eq!(a6000.predicted_start, Some(now));
    assert!((a6000.service_units - 2.0 * 142.73 * 24.0).abs() < 0.01);
    // Every kept strategy asks for exactly 2 GPUs and no two are the same spec.
    for s in &kept {
        assert_eq!(s.nodes * s.gpus_per_node, 2, "{s:#?}");
        assert!(s.segments >= 1 && s.time >= MIN_SEGMENT_SECS);
    }
    // MIG is not for 2 GPUs.
    assert!(
        strategies
            .iter()
            .any(|c| c.strategy.gpu_type.as_deref() == Some("mig")
                && c.reason.contains("MIG slices serve one GPU"))
    );
}

#[test]
fn a_full_a6000_partition_falls_back_to_compatible_types() {
    let p = probed("probe_a6000_full.ndjson");
    let now = p.cluster.as_ref().unwrap().now;
    let mut a = ask(4, 2);
    a.request.gpu_type = Some("a6000".into());
    let (_, strategies) = super::plan(&a, &p, "r-2").unwrap();
    let kept = kept(&strategies);
    let first = kept[0];
    assert_eq!(first.predicted_start, Some(now), "{first:#?}");
    assert_ne!(
        first.gpu_type.as_deref(),
        Some("a6000"),
        "the A6000s are all taken"
    );
    // Alternatives have at least the A6000's 48 GB; smaller ones are explained away.
    for s in &kept {
        assert!(
            matches!(
                s.gpu_type.as_deref(),
                Some("a6000" | "a40" | "a100-80" | "h200")
            ),
            "{s:#?}"
        );
    }
    let explained: Vec<&str> = strategies
        .iter()
        .filter(|c| !c.kept)
        .map(|c| c.reason.as_str())
        .collect();
    assert!(
        explained
            .iter()
            .any(|r| r.contains("24 GB of VRAM < 48 GB")),
        "{explained:#?}"
    );
    // The A6000 itself is still planned, for later.
    assert!(
        strategies
            .iter()
            .any(|c| c.strategy.gpu_type.as_deref() == Some("a6000")
                && c.strategy.predicted_start.is_none_or(|s| s > now))
    );
}

#[test]
fn mig_only_for_one_small_gpu() {
    let p = probed("probe_busy.ndjson");
    let mut a = ask(1, 2);
    a.request.vram_gb = Some(10);
    let (_, strategies) = super::plan(&a, &p, "r").unwrap();
    let kept = kept(&strategies);
    assert!(
        kept.iter()
            .any(|s| s.gpu_type.as_deref() == Some("mig") && s.service_units == 0.0),
        "{kept:#?}"
    );
    let (_, strategies) = super::plan(&ask(1, 2), &p, "r").unwrap();
    assert!(!kept_types(&strategies).contains(&"mig"));
    let mut a = ask(1, 2);
    a.mig = true;
    let (_, strategies) = super::plan(&a, &p, "r").unwrap();
    assert_eq!(kept_types(&strategies), ["mig"]);
}

fn kept_types(strategies: &[Considered]) -> Vec<&str> {
    let mut t: Vec<&str> = strategies
        .iter()
        .filter(|c| c.kept)
        .filter_map(|c| c.strategy.gpu_type.as_deref())
        .collect();
    t.sort_unstable();
    t.dedup();
    t
}

#[test]
fn topologies_never_over_allocate() {
    let p = probed("probe_busy.ndjson");
    let mut a = ask(6, 1);
    a.max_strategies = 100;
    let (_, strategies) = super::plan(&a, &p, "r").unwrap();
    for c in &strategies {
        let s = &c.strategy;
        if c.reason.starts_with("not considered") {
            continue;
        }
        assert_eq!(s.nodes * s.gpus_per_node, 6, "{s:#?}");
        assert!(
            matches!((s.nodes, s.gpus_per_node), (1, 6) | (2, 3)),
            "{s:#?}"
        );
    }
    a.single_node = true;
    let (_, strategies) = super::plan(&a, &p, "r").unwrap();
    assert!(kept(&strategies).iter().all(|s| s.nodes == 1));
    assert!(matches!(
        super::plan(&ask(64, 1), &p, "r"),
        Err(PlanError::Nothing { .. })
    ));
}

#[test]
fn per_user_limits_count_what_the_user_already_runs() {
    let mut p = probed("probe_busy.ndjson");
    p.cluster.as_mut().unwrap().running = vec![records::Usage {
        partition: "gpu-h200".into(),
        gpu_type: "h200".into(),
        gpus: 3,
    }];
    let mut a = ask(2, 1);
    a.request.gpu_type = Some("h200".into());
    a.max_strategies = 100;
    let err = super::plan(&a, &p, "r").unwrap_err().to_string();
    assert!(err.starts_with("no partition can run 2 x h200 for 1 h: h200 in gpu-h200: you run 3 h200; 2 more exceeds the limit of 4"), "{err}");
    a.request.gpus = 1;
    assert!(
        super::plan(&a, &p, "r").is_ok(),
        "one more fits under the limit"
    );
    // The interactive partition allows 2 GPUs per user.
    let (_, strategies) = super::plan(&ask(4, 1), &p, "r").unwrap();
    assert!(
        strategies
            .iter()
            .any(|c| c.strategy.partitions == ["interactive-rtx3090"]
                && c.reason.contains("allows 2 GPUs per user"))
    );
}

#[test]
fn identical_specs_merge_into_one_multi_partition_job() {
    let p = probed("probe_busy.ndjson");
    let mut a = ask(1, 1);
    a.request.gpu_type = Some("a100".into());
    a.max_strategies = 100;
    let (_, strategies) = super::plan(&a, &p, "r").unwrap();
    let a80: Vec<&Strategy> = strategies
        .iter()
        .filter(|c| c.kept)
        .map(|c| &c.strategy)
        .filter(|s| s.gpu_type.as_deref() == Some("a100-80"))
        .collect();
    assert!(
        a80.iter().any(|s| s.partitions == ["gpu-a100-80", "gpu"]),
        "{a80:#?}"
    );
    assert!(
        a80.iter()
            .all(|s| s.constraint.as_deref() == Some("a100_80gb"))
    );
    // An A100 40 GB cannot be pinned in the umbrella partition, which also has 80 GB ones.
    assert!(strategies.iter().any(|c| c.strategy.partitions == ["gpu"]
        && c.strategy.gpu_type.as_deref() == Some("a100-40")
        && c.reason.contains("cannot be told apart")));
}

#[test]
fn cpu_only_and_no_probe() {
    let p = probed("probe_busy.ndjson");
    let (_, strategies) = super::plan(&ask(0, 5), &p, "r").unwrap();
    let kept = kept(&strategies);
    assert_eq!(kept.len(), 1);
    assert_eq!(
        (kept[0].partitions.as_slice(), kept[0].gpu_type.as_deref()),
        (["standard".to_owned()].as_slice(), None)
    );
    assert_eq!(
        super::plan(&ask(1, 1), &Probed::default(), "r"),
        Err(PlanError::NoProbe)
    );
}

#[test]
fn human_durations() {
    assert_eq!(human(10_200), "2 h 50 min");
    assert_eq!(human(86_400), "1 d");
    assert_eq!(human(59), "0 min");
}

#[test]
fn the_explain_table_lines_up_however_long_a_cell() {
    let strategy = |id: &str, start: Option<i64>, su: f64| Strategy {
        request: "r".into(),
        id: id.into(),
        partitions: vec!["gpu-a6000".into(), "gpu".into()],
        gpu_type: Some("a6000".into()),
        gres: Some("a6000".into()),
        nodes: 1,
        gpus_per_node: 2,
        cpus: None,
        mem_mb: None,
        time: 3600,
        time_min: None,
        segments: 1,
        constraint: None,
        account: None,
        exclude: Vec::new(),
        predicted_start: start,
        service_units: su,
        why: String::new(),
    };
    let considered = [
        Considered {
            strategy: strategy("s1", Some(0), 285.0),
            kept: true,
            reason: "starts now".into(),
        },
        Considered {
            strategy: strategy("s12", Some(10 * 3600 + 59 * 60), 42.0),
            kept: false,
            reason: "later".into(),
        },
    ];
    let table = explain(&considered, 0);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3);
    let at = |l: &str, what: &str| l.find(what).unwrap();
    assert_eq!(at(lines[1], "starts now"), at(lines[0], "why"));
    assert_eq!(at(lines[2], "later"), at(lines[0], "why"));
    assert!(lines[2].contains("+10 h 59 min"), "{table}");
    // SU is right-aligned under its heading.
    assert_eq!(at(lines[1], "285") + 3, at(lines[0], "SU") + 2);
    assert_eq!(at(lines[2], "42") + 2, at(lines[0], "SU") + 2);
    assert!(lines[0].starts_with("  id   kept  partitions"), "{table}");
}

#[test]
fn accountings_per_job_and_per_user_caps_drop_what_would_pend_on_them() {
    let mut p = probed("probe_busy.ndjson");
    p.cluster.as_mut().unwrap().max_gpus_per_job = Some(4);
    let err = super::plan(&ask(8, 1), &p, "r").unwrap_err().to_string();
    assert!(
        err.contains("8 GPUs is more than the 4 one job may have here"),
        "{err}"
    );
    assert!(super::plan(&ask(4, 1), &p, "r").is_ok());
    let c = p.cluster.as_mut().unwrap();
    c.max_gpus_per_job = None;
    c.max_gpus_per_user = Some(8);
    c.running = vec![records::Usage {
        partition: "gpu-a40".into(),
        gpu_type: "a40".into(),
        gpus: 6,
    }];
    let err = super::plan(&ask(4, 1), &p, "r").unwrap_err().to_string();
    assert!(
        err.contains("you run 6 GPUs; 4 more exceeds your limit of 8"),
        "{err}"
    );
}

#[test]
fn without_a_time_each_partition_gives_its_own_default() {
    let mut p = probed("probe_busy.ndjson");
    for part in &mut p.partitions {
        part.default_time = (part.name == "gpu-a6000").then(|| Walltime::from_hours(1));
    }
    let mut a = ask(1, 3);
    a.max_strategies = 100;
    // The longest single-job walltime asked for in a partition, over every strategy.
    let time_on = |c: &[Considered], name: &str| {
        c.iter()
            .filter(|c| c.strategy.partitions.iter().any(|p| p == name) && c.strategy.segments == 1)
            .map(|c| c.strategy.time)
            .max()
    };
    let (_, asked) = super::plan(&a, &p, "r").unwrap();
    assert_eq!(
        time_on(&asked, "gpu-a6000"),
        Some(3 * 3600),
        "an asked-for time stays"
    );
    a.default_time = true;
    let (_, defaulted) = super::plan(&a, &p, "r").unwrap();
    assert_eq!(time_on(&defaulted, "gpu-a6000"), Some(3600));
    let a40 = time_on(&defaulted, "gpu-a40");
    assert!(
        a40.is_none() || a40 == Some(3 * 3600),
        "{a40:?}: rv's default elsewhere"
    );
}
