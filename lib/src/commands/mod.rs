//! The commands' rims: read flags and configuration, talk to the cluster, print. The logic
//! they call lives in the domain modules.

pub mod plan;
pub mod probe;

use std::io::{BufRead, Write};

use crate::exit;
use crate::records::{Envelope, ErrorRecord, Line, Record, RecordError, read_line};

/// Writes records as NDJSON lines to stdout. A closed pipe (`rv-probe | head`) is not an
/// error: it returns `false` so the caller stops quietly.
pub fn print_records<'a>(records: impl IntoIterator<Item = &'a Envelope>) -> std::io::Result<bool> {
    let lines: Vec<String> = records.into_iter().map(Envelope::to_line).collect();
    print_lines(lines.iter().map(String::as_str))
}

/// Writes lines to stdout, as [`print_records`] does.
pub fn print_lines<'a>(lines: impl IntoIterator<Item = &'a str>) -> std::io::Result<bool> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for line in lines {
        if let Err(e) = writeln!(out, "{line}") {
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

/// Reads every NDJSON line of stdin (none when stdin is a terminal), each with its text
/// kept for passing through. The first bad line is an error naming it.
pub fn read_input() -> Result<Vec<(String, Line)>, RecordError> {
    use std::io::IsTerminal;
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for (i, line) in stdin.lock().lines().enumerate() {
        let text = line.map_err(|e| RecordError {
            line: i + 1,
            why: format!("cannot read: {e}"),
        })?;
        match read_line(i + 1, &text)? {
            Line::Blank => {}
            parsed => out.push((text, parsed)),
        }
    }
    Ok(out)
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
