//! The commands' rims: each turns its flags into calls (to [`crate::flow`] and the domain
//! modules) and their results into output; [`main`] reports a failure and picks the exit
//! code, through [`Kind::exit_code`], for all of them.

pub mod attach;
pub mod cost;
pub mod env;
pub mod exec;
pub mod forward;
pub mod gpu;
pub mod init;
pub mod logs;
pub mod notify;
pub mod plan;
pub mod probe;
pub mod ps;
pub mod request;
pub mod run;
pub mod ssh;
pub mod status;
pub mod stop;
pub mod submit;
pub mod sync;
pub mod up;
pub mod upgrade;
pub mod watch;

use std::io::BufRead;
use std::process::ExitCode;

use crate::records::{Envelope, Line, Record, RecordError, read_line};

pub use crate::error::{Error, Kind};
pub use crate::flow::jobs::{choose_job, set_picker};
pub use crate::records::print_records;
pub use crate::session::{Session, warn_unread};
pub use crate::util::print_lines;

/// A command's rim: its flags (the type implementing this), its name in messages, and how
/// it runs. Its failures are reported in one place, [`main`].
pub trait Run {
    /// The name in messages and `error` records: `rv up`, `rv-probe`.
    const STAGE: &'static str;

    /// Runs the command: its exit code (a shell's or remote command's own, or success), or
    /// why it failed.
    fn run(&self) -> Result<ExitCode, Error>;
}

/// `--json`: the command's stdout becomes JSON (its shapes are in docs/json.md). Declared
/// once; each command words its help for its own output (`mut_arg("json", …)`).
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct Json {
    /// Print JSON on stdout.
    #[arg(id = "json", long = "json")]
    on: bool,
}

impl Json {
    /// Whether `--json` was given.
    pub fn on(self) -> bool {
        self.on
    }
}

/// `--local`: rv runs on the login node itself, so the cluster's commands run on this host
/// instead of over SSH. Declared once; a command may word its help (`mut_arg("local", …)`).
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct Local {
    /// Run on this host (when rv runs on the login node).
    #[arg(id = "local", long = "local")]
    here: bool,
}

impl Local {
    /// Whether `--local` was given.
    pub fn here(self) -> bool {
        self.here
    }
}

/// `--no-color`: no colours on stdout or stderr, as `NO_COLOR=1` does (`TERM=dumb` too).
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct NoColor {
    #[arg(
        id = "no_color",
        long = "no-color",
        help = "No colours (as NO_COLOR=1 does)"
    )]
    off: bool,
}

impl NoColor {
    /// Turns colour off for the rest of the process when `--no-color` was given.
    pub fn apply(self) {
        if self.off {
            crate::style::forbid();
        }
    }
}

/// Runs a command and reports its failure: what a binary's `main` returns.
pub fn main<C: Run>(command: &C) -> ExitCode {
    command.run().unwrap_or_else(|e| report(&e, C::STAGE))
}

/// Says what is left to say of the failure of `stage` (stderr, and an `error` record on
/// stdout for the stages after it) and returns its exit code.
pub fn report(error: &Error, stage: &str) -> ExitCode {
    if error.unsaid() {
        eprintln!("{stage}: error: {error}");
    }
    if error.unrecorded() {
        let record = Envelope::new(Record::Error(crate::records::ErrorRecord {
            stage: stage.to_owned(),
            message: error.to_string(),
        }));
        let _ = print_records([&record]);
    }
    ExitCode::from(error.kind().exit_code())
}

/// A command given after rv's flags that starts with `-` is a mistyped flag, not a
/// program: refused (exit 2) before anything runs.
pub fn refuse_flag_as_command(stage: &str, command: &[String]) -> Result<(), Error> {
    match command.first().filter(|w| w.starts_with('-')) {
        Some(flag) => Err(Error::usage(format!(
            "{flag:?} is not a flag of `{stage}` (see `{stage} --help`); the command comes after rv's flags"
        ))),
        None => Ok(()),
    }
}

/// Reads every NDJSON line of stdin (none when stdin is a terminal), each with its text
/// kept for passing through. The first bad line is an error naming it.
fn read_input() -> Result<Vec<(String, Line)>, RecordError> {
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

/// A stage's NDJSON input.
#[derive(Debug)]
pub struct Input {
    lines: Vec<(String, Line)>,
}

impl Input {
    /// Reads stdin. A bad line ends the stage (exit 2); an upstream `error` record is passed
    /// on and ends it too (exit 1).
    pub fn read() -> Result<Self, Error> {
        let input = Input {
            lines: read_input()?,
        };
        if let Some(e) = input.records().find_map(|r| match r {
            Record::Error(e) => Some(e),
            _ => None,
        }) {
            let _ = print_lines(input.raw());
            return Err(Error::upstream(format!(
                "{} failed: {}",
                e.stage, e.message
            )));
        }
        Ok(input)
    }

    /// The records of known types.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.lines.iter().filter_map(|(_, l)| match l {
            Line::Record(env) => Some(&env.record),
            _ => None,
        })
    }

    /// Every line as it came, for passing through.
    pub fn raw(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().map(|(raw, _)| raw.as_str())
    }

    /// Passes the input through and appends `records`.
    pub fn emit(&self, records: &[Envelope]) -> std::io::Result<bool> {
        let new: Vec<String> = records.iter().map(Envelope::to_line).collect();
        print_lines(self.raw().chain(new.iter().map(String::as_str)))
    }
}
