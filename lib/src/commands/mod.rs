//! The commands' rims: read flags and configuration, talk to the cluster, print. The logic
//! they call lives in the domain modules.

pub mod probe;

use std::io::Write;

use crate::exit;
use crate::records::{Envelope, ErrorRecord, Record};

/// Writes records as NDJSON lines to stdout. A closed pipe (`rv-probe | head`) is not an
/// error: it returns `false` so the caller stops quietly.
pub fn print_records<'a>(records: impl IntoIterator<Item = &'a Envelope>) -> std::io::Result<bool> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for r in records {
        let written = writeln!(out, "{}", r.to_line());
        if let Err(e) = written {
            return if e.kind() == std::io::ErrorKind::BrokenPipe {
                Ok(false)
            } else {
                Err(e)
            };
        }
    }
    match out.flush() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        other => other.map(|()| true),
    }
}

/// Reports a failure: the message on stderr, and an `error` record on stdout for the
/// stages after this one. Returns the exit code.
pub fn fail(stage: &str, message: &str, code: u8) -> std::process::ExitCode {
    eprintln!("{stage}: error: {message}");
    let record = Envelope::new(Record::Error(ErrorRecord {
        stage: stage.to_owned(),
        message: message.to_owned(),
    }));
    let _ = print_records([&record]);
    std::process::ExitCode::from(code)
}

/// The exit code of a configuration problem.
pub const CONFIG_EXIT: u8 = exit::USAGE;
