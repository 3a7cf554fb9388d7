#![no_main]
//! NDJSON record lines.
use libfuzzer_sys::fuzz_target;
use rv::records;

fuzz_target!(|data: &str| {
    for (i, line) in data.lines().enumerate() {
        if let Ok(records::Line::Record(env)) = records::read_line(i + 1, line) {
            // What was read writes back as a record that reads again.
            let again = records::read_line(1, &env.to_line());
            assert!(matches!(again, Ok(records::Line::Record(_))), "{line}");
        }
    }
});
