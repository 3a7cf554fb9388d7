#![no_main]
//! scontrol show job / partition.
use libfuzzer_sys::fuzz_target;
use rv::slurm::parse::scontrol;
use rv::slurm::time::Clock;

fuzz_target!(|data: &str| {
    let _ = scontrol::parse_jobs(data, &Clock { now: 0, utc_offset: 3600 });
    let _ = scontrol::parse_partitions(data);
});
