//! Benchmarks of the core library, reported as numbers, never asserted in tests.
//!
//! `cargo bench -p rv-lib --bench core` prints:
//! - the time to parse a 50 000-line `squeue` reply (target: under 50 ms);
//! - with the testbed up, the mean round trip of 20 warm batches over one SSH master
//!   (target: under 60 ms each).

use std::time::{Duration, Instant};

use rv::remote::batch::Batch;
use rv::remote::transport::{Ssh, SshTarget, Transport, run_batch};
use rv::slurm::parse::{Separator, squeue};
use rv::slurm::time::Clock;

fn squeue_reply(lines: usize) -> String {
    use std::fmt::Write;
    (0..lines).fold(String::new(), |mut text, i| {
            let _ = writeln!(text,
                "{i}|gpu-a6000|user{u}|lab{u}|{state}|1:02:03|1-00:00:00|2|16|gres:gpu:a6000:4|1795887600|1795974000|1795887500|{p}|{reason}|a6000-[{a:02}-{b:02}]||job name {i}",
                u = i % 97,
                state = if i % 3 == 0 { "PENDING" } else { "RUNNING" },
                p = 10_000 + i % 5000,
                reason = if i % 3 == 0 { "Resources" } else { "None" },
                a = i % 50,
                b = i % 50 + 1,
            );
            text
    })
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
    let text = squeue_reply(50_000);
    let clock = Clock {
        now: 1_795_887_680,
        utc_offset: 0,
    };
    let parse = best_of(5, || {
        squeue::parse_jobs(&text, squeue::FIELDS, Separator::Char('|'), &clock).unwrap()
    });
    eprintln!(
        "squeue parse, 50000 lines: {:.1} ms (best of 5)",
        parse.as_secs_f64() * 1e3
    );

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
