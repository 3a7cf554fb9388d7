//! Benchmarks of the core library, reported as numbers, never asserted in tests.
//!
//! `cargo bench -p rv-lib --bench core` prints:
//! - the time to parse a 50 000-line `squeue` reply (target: under 10 ms); with the
//!   argument `squeue`, only that, 50 times (for a profiler);
//! - with the testbed up, the mean round trip of 20 warm batches over one SSH master
//!   (target: under 60 ms each).

// Synthetic ids, counts and timings: the casts lose nothing that matters here.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_precision_loss
)]

use std::time::{Duration, Instant};

/// The allocator `rv` runs with (skim installs it there).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use rv::remote::batch::Batch;
use rv::remote::transport::{Ssh, SshTarget, Transport, run_batch};
use rv::slurm::parse::{sacct, scontrol, sinfo, squeue};
use rv::slurm::time::Clock;

/// GPU kinds of the synthetic cluster: (GRES type, GPUs per node), one partition each.
const KINDS: &[(&str, u32)] = &[
    ("a6000", 8),
    ("a100", 8),
    ("a40", 8),
    ("v100", 4),
    ("rtx3090", 4),
];

const NOW: i64 = 1_795_887_680;

fn node_name(i: usize) -> String {
    format!("{}-{:03}", KINDS[i % KINDS.len()].0, i / KINDS.len() + 1)
}

/// `lines` squeue rows in rv's format over `nodes` GPU nodes: every fifth job running on a
/// node, the rest pending, half of them with a planned start and nodes.
fn squeue_reply(lines: usize, nodes: usize) -> String {
    use std::fmt::Write;
    (0..lines).fold(String::new(), |mut text, i| {
        let n = i % nodes.max(1);
        let (kind, per) = KINDS[n % KINDS.len()];
        let running = i % 5 == 0;
        let planned = !running && i % 2 == 0;
        let node = node_name(n);
        let _ = writeln!(
            text,
            "{i}|gpu-{kind}|user{u}|lab{u}|{state}|{elapsed}|1-00:00:00|1|8|gres/gpu:{kind}:{g}|{start}|{end}|{submit}|{p}|{reason}|{nodelist}|{sched}|job name {i}|",
            u = i % 97,
            state = if running { "RUNNING" } else { "PENDING" },
            elapsed = if running { "1:02:03" } else { "0:00" },
            g = 1 + i as u32 % per,
            start = if running || planned { (NOW + (i as i64 % 86_400)).to_string() } else { "N/A".into() },
            end = NOW + 86_400 + i as i64 % 3600,
            submit = NOW - 3600,
            p = 10_000 + i % 5000,
            reason = if running { "None" } else { "Resources" },
            nodelist = if running { node.as_str() } else { "" },
            sched = if planned { node.as_str() } else { "(null)" },
        );
        text
    })
}

/// `lines` sacct rows (`--parsable2`, rv's columns) under their header.
fn sacct_reply(lines: usize) -> String {
    use std::fmt::Write;
    let head = "JobID|JobIDRaw|State|ExitCode|Partition|Account|User|Start|End|Elapsed|NodeList|AllocTRES|JobName\n";
    (0..lines).fold(head.to_owned(), |mut text, i| {
        let _ = writeln!(
            text,
            "{i}|{i}|COMPLETED|0:0|gpu-a6000|lab{u}|user{u}|{start}|{end}|01:00:00|{node}|billing=8,cpu=8,gres/gpu=1,mem=64G,node=1|job name {i}",
            u = i % 97,
            start = NOW - 7200,
            end = NOW - 3600,
            node = node_name(i % 70),
        );
        text
    })
}

/// sinfo rows in rv's format for `nodes` GPU nodes.
fn sinfo_reply(nodes: usize) -> String {
    use std::fmt::Write;
    (0..nodes).fold(String::new(), |mut text, i| {
        let (kind, per) = KINDS[i % KINDS.len()];
        let _ = writeln!(
            text,
            "{}|gpu-{kind}|mixed|gpu:{kind}:{per}(S:0-1)|gpu:{kind}:{used}(IDX:0-{last})|40/24/0/64|256000|128000|{kind},gpu|",
            node_name(i),
            used = per / 2,
            last = per / 2 - 1,
        );
        text
    })
}

/// `scontrol show partition` for the partitions of `nodes` GPU nodes.
fn partitions_reply(nodes: usize) -> String {
    use std::fmt::Write;
    KINDS
        .iter()
        .enumerate()
        .fold(String::new(), |mut text, (k, (kind, _))| {
            let members: Vec<String> = (k..nodes).step_by(KINDS.len()).map(node_name).collect();
            let _ = write!(
                text,
                "PartitionName=gpu-{kind} Default=NO DefaultTime=NONE MaxTime=3-00:00:00 State=UP Nodes={} TRES=cpu=64\n\n",
                members.join(",")
            );
            text
        })
}

/// Parses a synthetic probe of `nodes` nodes and `jobs` jobs and plans 4 GPUs for 24 h on
/// it: the probe's and planner's CPU work, the round trip left out.
fn probe_and_plan(
    sinfo: &str,
    squeue: &str,
    partitions: &str,
    profile: &rv::profile::Profile,
) -> usize {
    let clock = Clock {
        now: NOW,
        utc_offset: 0,
    };
    let snapshot = rv::probe::Snapshot {
        host: "rivanna".into(),
        clock,
        user: "rvtest".into(),
        slurm: None,
        nodes: sinfo::parse_nodes(sinfo, sinfo::FIELDS, sinfo::SEPARATOR).unwrap(),
        partitions: scontrol::parse_partitions(partitions).unwrap(),
        jobs: squeue::parse_jobs(squeue, squeue::FIELDS, squeue::SEPARATOR, &clock).unwrap(),
        shares: vec![],
        reservations: vec![],
        qos: vec![],
        assocs: vec![],
        scratch: None,
        bisections: vec![],
        unread: vec![],
    };
    let probed = snapshot.probed(profile, rv::probe::shortest_window(Some(86_400)));
    let ask = rv::plan::Ask {
        request: rv::records::Request {
            id: String::new(),
            name: "bench".into(),
            gpus: 4,
            gpu_type: None,
            vram_gb: None,
            time: 86_400,
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
        max_strategies: rv::plan::DEFAULT_MAX_STRATEGIES,
        default_time: false,
    };
    let (_, considered) = rv::plan::plan(&ask, &probed, "r-1795887680-0000bench").unwrap();
    considered.len()
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let clock = Clock {
        now: NOW,
        utc_offset: 0,
    };
    // `cargo bench -p rv-lib --bench core -- squeue`: only the 50 000-line squeue parse,
    // repeated, for a profiler.
    if std::env::args().any(|a| a == "squeue") {
        let text = squeue_reply(50_000, 70);
        let parse = best_of(50, || {
            squeue::parse_jobs(&text, squeue::FIELDS, squeue::SEPARATOR, &clock).unwrap()
        });
        eprintln!(
            "squeue parse, 50000 lines: {:.1} ms (best of 50)",
            parse.as_secs_f64() * 1e3
        );
        return;
    }
    eprintln!("parse throughput (best of 5):");
    for lines in [1_000, 10_000, 100_000] {
        let q = squeue_reply(lines, 70);
        let t = best_of(5, || {
            squeue::parse_jobs(&q, squeue::FIELDS, squeue::SEPARATOR, &clock).unwrap()
        });
        let n = sinfo_reply(lines);
        let u = best_of(5, || {
            sinfo::parse_nodes(&n, sinfo::FIELDS, sinfo::SEPARATOR).unwrap()
        });
        let a = sacct_reply(lines);
        let v = best_of(5, || sacct::parse_records(&a, &clock).unwrap());
        let mb = |text: &str, d: Duration| text.len() as f64 / 1e6 / d.as_secs_f64();
        eprintln!(
            "  {lines:>6} lines: squeue {:.1} ms ({:.0} MB/s), sinfo {:.1} ms ({:.0} MB/s), sacct {:.1} ms ({:.0} MB/s)",
            t.as_secs_f64() * 1e3,
            mb(&q, t),
            u.as_secs_f64() * 1e3,
            mb(&n, u),
            v.as_secs_f64() * 1e3,
            mb(&a, v),
        );
    }
    let text = squeue_reply(50_000, 70);
    let parse = best_of(5, || {
        squeue::parse_jobs(&text, squeue::FIELDS, squeue::SEPARATOR, &clock).unwrap()
    });
    eprintln!(
        "squeue parse, 50000 lines: {:.1} ms (best of 5)",
        parse.as_secs_f64() * 1e3
    );
    let profiles = rv::profile::Profile::load_all(None).unwrap();
    let rivanna = profiles.iter().find(|p| p.name == "rivanna").unwrap();
    eprintln!("probe + plan on one thread (parse, model, plan; best of 5):");
    for nodes in [20, 70, 500] {
        let cells: Vec<String> = [1_000, 10_000, 50_000]
            .iter()
            .map(|&jobs| {
                let (i, q, p) = (
                    sinfo_reply(nodes),
                    squeue_reply(jobs, nodes),
                    partitions_reply(nodes),
                );
                let t = best_of(5, || probe_and_plan(&i, &q, &p, rivanna));
                format!("{jobs} jobs {:.1} ms", t.as_secs_f64() * 1e3)
            })
            .collect();
        eprintln!("  {nodes:>3} nodes: {}", cells.join(", "));
    }

    warm_round_trips();
}

/// With the testbed up, the mean of 20 warm batches over one master.
fn warm_round_trips() {
    let Ok(testbed) = rv_testbed::Testbed::load() else {
        eprintln!("warm round trips: skipped (testbed not up)");
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let target = SshTarget {
            host: rv_testbed::SSH_ALIAS.into(),
            config_file: Some(testbed.ssh_config.clone()),
            ..SshTarget::default()
        };
        let dir = std::env::temp_dir().join(format!("rv-bench-{}", std::process::id()));
        let ssh = Ssh::connect(&target, &dir, Duration::from_secs(30))
            .await
            .unwrap();
        let mut batch = Batch::new();
        batch.command("squeue -h -u \"$USER\" | wc -l");
        run_batch(&ssh, &batch).await.unwrap(); // warm up
        let start = Instant::now();
        for _ in 0..20 {
            run_batch(&ssh, &batch).await.unwrap();
        }
        let mean = start.elapsed() / 20;
        eprintln!(
            "warm round trip over one master: {:.1} ms mean of 20 ({} round trips)",
            mean.as_secs_f64() * 1e3,
            ssh.round_trips()
        );
        let _ = std::process::Command::new("ssh")
            .arg("-S")
            .arg(target.control_path(&dir))
            .args(["-O", "exit", "x"])
            .output();
        let _ = std::fs::remove_dir_all(&dir);
    });
}
