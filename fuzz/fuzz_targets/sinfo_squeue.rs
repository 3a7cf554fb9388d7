#![no_main]
//! sinfo and squeue in rv's delimited formats and in header-driven human layouts.
use libfuzzer_sys::fuzz_target;
use rv::slurm::parse::{Separator, sinfo, squeue};
use rv::slurm::time::Clock;

fuzz_target!(|data: &str| {
    let clock = Clock { now: 0, utc_offset: 0 };
    let _ = sinfo::parse_nodes(data, sinfo::FIELDS, Separator::Char('|'));
    let _ = sinfo::parse_nodes(data, &[], Separator::Whitespace);
    let _ = squeue::parse_jobs(data, squeue::FIELDS, Separator::Char('|'), &clock);
    let _ = squeue::parse_jobs(data, &[], Separator::Whitespace, &clock);
    let _ = sinfo::Field::from_format(data);
    let _ = squeue::Field::from_format(data);
});
