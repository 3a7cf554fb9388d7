#![no_main]
//! sinfo and squeue in rv's terminated formats (strict and lenient, names spanning lines),
//! in `|`-delimited and header-driven human layouts; GRES/TRES lists; Slurm versions.
use libfuzzer_sys::fuzz_target;
use rv::slurm::parse::gres::parse_gpus;
use rv::slurm::parse::version::SlurmVersion;
use rv::slurm::parse::{Separator, sinfo, squeue};
use rv::slurm::time::Clock;

fuzz_target!(|data: &str| {
    let clock = Clock { now: 0, utc_offset: 0 };
    let _ = sinfo::parse_nodes(data, sinfo::FIELDS, sinfo::SEPARATOR);
    let _ = sinfo::parse_nodes_lenient(data, sinfo::FIELDS, sinfo::SEPARATOR);
    let _ = sinfo::parse_nodes(data, sinfo::FIELDS, Separator::Char('|'));
    let _ = sinfo::parse_nodes(data, &[], Separator::Whitespace);
    let _ = squeue::parse_jobs(data, squeue::FIELDS, squeue::SEPARATOR, &clock);
    let _ = squeue::parse_jobs_lenient(data, squeue::FIELDS, squeue::SEPARATOR, &clock, "me");
    let _ = squeue::parse_jobs(data, squeue::FIELDS, Separator::Char('|'), &clock);
    let _ = squeue::parse_jobs(data, &[], Separator::Whitespace, &clock);
    let _ = sinfo::Field::from_format(data);
    let _ = squeue::Field::from_format(data);
    let _ = parse_gpus(data);
    let _ = SlurmVersion::parse(data);
});
