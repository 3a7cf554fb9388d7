//! The testbed itself: shaped like Rivanna, reachable over ssh, answering every Slurm and
//! site command rv relies on in the formats the real cluster prints.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use rv_testbed::Testbed;

/// Partition name -> the GPU types its nodes carry, from `sinfo -h -o '%R|%G'`.
fn gpu_types_by_partition(sinfo: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in sinfo.lines() {
        let (partition, gres) = line.split_once('|').expect("a '|' in every sinfo line");
        let types = map.entry(partition.to_owned()).or_default();
        // `gpu:a6000:8(S:0-1)` -> `a6000`; `(null)` on CPU nodes.
        if let Some(rest) = gres.strip_prefix("gpu:") {
            types.insert(rest.split(':').next().unwrap().to_owned());
        }
    }
    map
}

#[test]
fn sinfo_over_ssh_shows_rivanna_partitions_and_gpu_types() {
    let Some(tb) = Testbed::get() else { return };
    let out = tb.ssh("sinfo -h -o '%R|%G'").expect_ok("sinfo");
    let got = gpu_types_by_partition(&out);

    let single = |t: &str| BTreeSet::from([t.to_owned()]);
    let mut want: BTreeMap<String, BTreeSet<String>> = BTreeMap::from([
        ("standard".into(), BTreeSet::new()),
        ("gpu-mig".into(), single("1g.10gb")),
        ("interactive-rtx3090".into(), single("rtx3090")),
        ("gpu-a6000".into(), single("a6000")),
        ("gpu-a40".into(), single("a40")),
        ("gpu-a100-40".into(), single("a100")),
        ("gpu-a100-80".into(), single("a100")),
        ("gpu-v100".into(), single("v100")),
        ("gpu-h200".into(), single("h200")),
    ]);
    let every_type = want.values().flatten().cloned().collect();
    want.insert("gpu".into(), every_type);
    assert_eq!(got, want, "sinfo printed:\n{out}");
}

#[test]
fn partitions_carry_rivanna_limits_and_features() {
    let Some(tb) = Testbed::get() else { return };
    let out = tb
        .ssh("sinfo -h -o '%R|%l|%f' | sort -u")
        .expect_ok("sinfo limits");
    let rows: BTreeSet<&str> = out.lines().collect();
    assert!(
        rows.contains("interactive-rtx3090|12:00:00|(null)"),
        "{out}"
    );
    assert!(rows.contains("gpu-a100-80|3-00:00:00|a100_80gb"), "{out}");
    assert!(
        rows.contains("gpu|3-00:00:00|a100_80gb"),
        "umbrella partition holds the A100-80 nodes:\n{out}"
    );
    assert!(rows.contains("gpu-a100-40|3-00:00:00|(null)"), "{out}");
}

#[test]
fn scenario_idle_jobs_run_are_accounted_and_cleaned_up() {
    let Some(tb) = Testbed::get() else { return };
    let _idle = tb.scenario("idle");
    let jobs = tb.jobs();
    let done = jobs.sbatch(
        "-p gpu-mig --gres=gpu:1g.10gb:1 -t 5 -o /dev/null --wrap 'echo \"$SLURMD_NODENAME\"'",
    );
    let state = jobs.wait_for_state(&done, &["COMPLETED"], Duration::from_secs(60));
    assert_eq!(state.as_deref(), Ok("COMPLETED"));
    // Accounting has the job with its steps (rows land a few seconds after the end).
    let sacct = tb
        .ssh(&format!("sacct -n -P -j {done} -o JobID,State,AllocTRES"))
        .expect_ok("sacct");
    assert!(
        sacct
            .lines()
            .any(|l| l.starts_with(&format!("{done}|COMPLETED|")) && l.contains("gres/gpu=1")),
        "{sacct}"
    );
    assert!(
        sacct
            .lines()
            .any(|l| l.starts_with(&format!("{done}.batch|"))),
        "{sacct}"
    );

    // A long job is cancelled when its `Jobs` goes out of scope.
    let long = {
        let scoped = tb.jobs();
        let id = scoped.sbatch("-p standard -t 10 -o /dev/null --wrap 'sleep 600'");
        scoped
            .wait_for_state(&id, &["RUNNING"], Duration::from_secs(60))
            .expect("the sleeper starts");
        id
    };
    let state = jobs.wait_for_state(&long, &["CANCELLED"], Duration::from_secs(60));
    assert_eq!(state.as_deref(), Ok("CANCELLED"));
}

#[test]
fn fairshare_and_user_jobs_answer() {
    let Some(tb) = Testbed::get() else { return };
    let sshare = tb.ssh("sshare -U -P").expect_ok("sshare");
    let mut lines = sshare.lines();
    assert_eq!(
        lines.next(),
        Some("Account|User|RawShares|NormShares|RawUsage|EffectvUsage|FairShare")
    );
    assert!(lines.any(|l| l.starts_with("rvlab|rvtest|")), "{sshare}");

    let squeue = tb
        .ssh("squeue -u \"$USER\" -h -o '%i|%T'")
        .expect_ok("squeue");
    assert!(squeue.lines().all(|l| l.contains('|')), "{squeue}");
}

/// Byte offsets where each whitespace-separated token of `line` ends.
fn token_ends(line: &str) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut in_token = false;
    for (i, c) in line.char_indices() {
        if c.is_whitespace() && in_token {
            ends.push(i);
        }
        in_token = !c.is_whitespace();
    }
    if in_token {
        ends.push(line.len());
    }
    ends
}

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/rivanna/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn allocations_prints_the_rivanna_format() {
    let Some(tb) = Testbed::get() else { return };
    let out = tb.ssh("allocations").expect_ok("allocations");
    let real = fixture("allocations.txt");
    let (got, want): (Vec<&str>, Vec<&str>) = (out.lines().collect(), real.lines().collect());
    assert_eq!(got[..2], want[..2], "header:\n{out}");
    assert_eq!(got.len(), 3, "one row for the user's one account:\n{out}");
    assert!(got[2].starts_with("rvlab "), "{out}");
    assert_eq!(
        token_ends(got[2])[1..],
        token_ends(want[2])[1..],
        "right-aligned columns:\n{out}\n{real}"
    );
}

#[test]
fn hdquota_prints_the_rivanna_format_with_real_usage() {
    let Some(tb) = Testbed::get() else { return };
    let out = tb.ssh("hdquota").expect_ok("hdquota");
    let real = fixture("hdquota.txt");
    let (got, want): (Vec<&str>, Vec<&str>) = (out.lines().collect(), real.lines().collect());
    assert_eq!(got[..2], want[..2], "header:\n{out}");
    assert_eq!(got.len(), 5, "{out}");
    for (g, w) in got[2..].iter().zip(&want[2..]) {
        assert_eq!(g[..19], w[..19], "storage type column:\n{out}");
        assert_eq!(
            token_ends(g)[token_ends(g).len() - 7..],
            token_ends(w)[token_ends(w).len() - 7..],
            "columns:\n{g}\n{w}"
        );
    }
    assert!(
        got[3].starts_with("Scratch            /scratch/rvtest "),
        "{out}"
    );
    assert!(
        got[4].starts_with("Research Standard  /standard/rvlab "),
        "{out}"
    );

    // Used is real: a 3 MiB file in scratch adds 3 MiB (other tests may write there too,
    // but not 3 MiB within this second).
    let out = tb
        .ssh("f=/scratch/$USER/hdquota-probe-$$; hdquota; head -c 3145728 /dev/zero >$f; hdquota; rm -f $f")
        .expect_ok("hdquota around a write");
    let quotas = rv::site_tools::parse_hdquota(&out).unwrap();
    let scratch: Vec<u64> = quotas
        .iter()
        .filter(|q| q.kind == "Scratch")
        .map(|q| q.used)
        .collect();
    let grew = scratch[1].saturating_sub(scratch[0]);
    assert!(
        (3 << 20) - (200 << 10) < grew && grew < (3 << 20) + (200 << 10),
        "{out}"
    );
}
