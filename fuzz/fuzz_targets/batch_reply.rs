#![no_main]
//! The framing of a batched round trip's reply.
use libfuzzer_sys::fuzz_target;
use rv::remote::batch::Batch;

fuzz_target!(|data: &[u8]| {
    let mut batch = Batch::new();
    batch.command("true");
    batch.command("false");
    let _ = batch.parse_reply(data, "rv-fuzz");
});
