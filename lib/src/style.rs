//! Colours for people: on when stdout is a terminal and `NO_COLOR` is unset or empty
//! (<https://no-color.org>), through nu-ansi-term; data (`--json`, NDJSON) never has any.

use std::io::IsTerminal;

use nu_ansi_term::Color;

/// Whether to colour what goes to stdout.
pub fn enabled() -> bool {
    wanted(
        std::env::var_os("NO_COLOR").as_deref(),
        std::io::stdout().is_terminal(),
    )
}

/// The rule: a terminal, and no non-empty `NO_COLOR`.
pub fn wanted(no_color: Option<&std::ffi::OsStr>, terminal: bool) -> bool {
    terminal && no_color.is_none_or(std::ffi::OsStr::is_empty)
}

/// How a value reads: fine, worth a look, or wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Fine.
    Good,
    /// Worth a look (a disk over 80 %, a long wait).
    Warn,
    /// Wrong.
    Bad,
    /// Secondary.
    Dim,
}

/// `text` in `tone` when `on`.
pub fn paint(text: &str, tone: Tone, on: bool) -> String {
    if !on {
        return text.to_owned();
    }
    let style = match tone {
        Tone::Good => Color::Green.normal(),
        Tone::Warn => Color::Yellow.bold(),
        Tone::Bad => Color::Red.bold(),
        Tone::Dim => Color::DarkGray.normal(),
    };
    style.paint(text).to_string()
}

/// How a job state reads: running or done is fine, waiting is worth a look, an end other
/// than success is wrong, a cancellation is secondary.
pub fn state_tone(state: &str) -> Tone {
    match state.split_whitespace().next().unwrap_or_default() {
        "RUNNING" | "COMPLETED" => Tone::Good,
        "CANCELLED" => Tone::Dim,
        "FAILED" | "TIMEOUT" | "NODE_FAIL" | "OUT_OF_MEMORY" | "BOOT_FAIL" | "DEADLINE"
        | "PREEMPTED" => Tone::Bad,
        _ => Tone::Warn,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_and_pipes_turn_colour_off() {
        use std::ffi::OsStr;
        assert!(wanted(None, true));
        assert!(wanted(Some(OsStr::new("")), true));
        assert!(!wanted(Some(OsStr::new("1")), true));
        assert!(!wanted(None, false));
        assert_eq!(paint("x", Tone::Bad, false), "x");
        assert!(paint("x", Tone::Bad, true).contains("\u{1b}["));
    }
}
