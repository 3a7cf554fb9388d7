#![no_main]
//! Durations, limits, timestamps and UTC offsets.
use libfuzzer_sys::fuzz_target;
use rv::slurm::time::{Clock, Limit, Walltime};

fuzz_target!(|data: &str| {
    if let Ok(w) = Walltime::from_user(data) {
        assert_eq!(Walltime::from_slurm(&w.to_string()), Ok(w));
    }
    let _ = Walltime::from_slurm(data);
    let _ = Limit::from_slurm(data);
    let _ = Clock::parse_offset(data);
    let _ = Clock { now: 0, utc_offset: -18_000 }.timestamp(data);
});
