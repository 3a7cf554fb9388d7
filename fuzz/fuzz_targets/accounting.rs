#![no_main]
//! sacct, sshare, sacctmgr and sbatch output.
use libfuzzer_sys::fuzz_target;
use rv::slurm::parse::{sacct, sacctmgr, sbatch, sshare};
use rv::slurm::time::Clock;

fuzz_target!(|data: &str| {
    let clock = Clock { now: 0, utc_offset: 0 };
    let _ = sacct::parse_records(data, &clock);
    let _ = sshare::parse_shares(data);
    let _ = sacctmgr::parse_qos(data);
    let _ = sacctmgr::parse_assocs(data);
    let _ = sbatch::parse_job_id(data);
    let _ = sbatch::refusal(data);
    let _ = sbatch::parse_test_only(data, &clock);
});
