//! Slurm: what its commands print, and the values they print.
//!
//! Everything here is pure: text in, data out. Parsers never panic; on input they do not
//! understand they return a [`ParseError`] naming the command, the line and the reason.

pub mod hostlist;
pub mod parse;
pub mod time;

use std::fmt;

/// Output that a parser could not make sense of.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// What was being parsed, e.g. `squeue` or `duration`.
    pub what: &'static str,
    /// The 1-based line of the output, when the input has lines.
    pub line: Option<usize>,
    /// The offending input (shortened).
    pub input: String,
    /// Why it was rejected.
    pub why: String,
}

impl ParseError {
    /// An error about `input`, which is kept (shortened to 120 characters) for the message.
    pub fn new(what: &'static str, input: &str, why: impl Into<String>) -> Self {
        let mut shown: String = input.chars().take(120).collect();
        if shown.len() < input.len() {
            shown.push('…');
        }
        ParseError {
            what,
            line: None,
            input: shown,
            why: why.into(),
        }
    }

    /// The same error, located on 1-based line `line`.
    #[must_use]
    pub fn at_line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot parse {}", self.what)?;
        if let Some(line) = self.line {
            write!(f, " line {line}")?;
        }
        write!(f, ": {} (in {:?})", self.why, self.input)
    }
}
