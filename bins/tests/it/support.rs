//! Helpers shared by the integration tests.

use std::process::Child;

use rv::records::{Allocation, Line, Record, read_line};

/// The records a stage printed; every line must be one.
pub fn records(stdout: &[u8]) -> Vec<Record> {
    String::from_utf8_lossy(stdout)
        .lines()
        .enumerate()
        .map(|(i, l)| match read_line(i + 1, l) {
            Ok(Line::Record(env)) => env.record,
            other => panic!("line {}: {other:?}: {l}", i + 1),
        })
        .collect()
}

/// The last `allocation` record a stage printed.
pub fn allocation(stdout: &[u8]) -> Allocation {
    records(stdout)
        .into_iter()
        .rev()
        .find_map(|r| match r {
            Record::Allocation(a) => Some(a),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no allocation in {}", String::from_utf8_lossy(stdout)))
}

/// The port a server child printed as its first line.
pub fn port(child: &mut Child) -> u16 {
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    line.trim()
        .parse()
        .unwrap_or_else(|_| panic!("no port: {line:?}"))
}

/// Calls `probe` every `every` until `done` holds of its result or `within` has passed;
/// returns the last result either way, for the caller to assert on.
pub fn poll<T>(
    within: std::time::Duration,
    every: std::time::Duration,
    mut probe: impl FnMut() -> T,
    done: impl Fn(&T) -> bool,
) -> T {
    let deadline = std::time::Instant::now() + within;
    loop {
        let value = probe();
        if done(&value) || std::time::Instant::now() > deadline {
            return value;
        }
        std::thread::sleep(every);
    }
}
