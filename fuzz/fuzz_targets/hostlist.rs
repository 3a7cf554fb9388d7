#![no_main]
//! Host lists: expand never panics, and compress/expand agree on whatever expands.
use libfuzzer_sys::fuzz_target;
use rv::slurm::hostlist;

fuzz_target!(|data: &str| {
    if let Ok(hosts) = hostlist::expand(data) {
        let list = hostlist::compress(&hosts);
        let mut again = hostlist::expand(&list).expect("a compressed list expands");
        let mut want = hosts;
        again.sort();
        want.sort();
        want.dedup();
        assert_eq!(again, want);
    }
});
