#![no_main]
//! The UVA site tools: allocations, hdquota, qlist.
use libfuzzer_sys::fuzz_target;
use rv::site_tools;

fuzz_target!(|data: &str| {
    let _ = site_tools::parse_allocations(data);
    let _ = site_tools::parse_hdquota(data);
    let _ = site_tools::parse_qlist(data);
});
