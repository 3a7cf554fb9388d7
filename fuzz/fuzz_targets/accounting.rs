#![no_main]
//! sacct, sshare and sbatch output.
use libfuzzer_sys::fuzz_target;
use rv::slurm::parse::{sacct, sbatch, sshare};
use rv::slurm::time::Clock;

fuzz_target!(|data: &str| {
    let clock = Clock { now: 0, utc_offset: 0 };
    let _ = sacct::parse_records(data, &clock);
    let _ = sshare::parse_shares(data);
    let _ = sbatch::parse_job_id(data);
    let _ = sbatch::refusal(data);
    let _ = sbatch::parse_test_only(data, &clock);
});
