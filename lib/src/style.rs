//! Colours for people: on when the stream is a terminal, `NO_COLOR` is unset or empty
//! (<https://no-color.org>), `TERM` is not `dumb` and `--no-color` was not given, through
//! nu-ansi-term; data (`--json`, NDJSON) never has any.

use std::ffi::OsStr;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use nu_ansi_term::Color;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Set by `--no-color`.
static FORBIDDEN: AtomicBool = AtomicBool::new(false);

/// `--no-color`: no colour anywhere in this process from now on.
pub fn forbid() {
    FORBIDDEN.store(true, Ordering::Relaxed);
}

/// Whether to colour what goes to stdout.
pub fn enabled() -> bool {
    allowed(std::io::stdout().is_terminal())
}

/// Whether to colour what goes to stderr (the live board).
pub fn enabled_on_stderr() -> bool {
    allowed(std::io::stderr().is_terminal())
}

/// Whether stderr can show a board redrawn in place: a terminal that moves its cursor
/// (not `TERM=dumb`). Colour is a separate choice ([`enabled_on_stderr`]).
pub fn live_stderr() -> bool {
    std::io::stderr().is_terminal() && !dumb(std::env::var_os("TERM").as_deref())
}

/// Colour for a stream that is a `terminal` or not, by this process's settings.
fn allowed(terminal: bool) -> bool {
    !FORBIDDEN.load(Ordering::Relaxed)
        && wanted(
            std::env::var_os("NO_COLOR").as_deref(),
            std::env::var_os("TERM").as_deref(),
            terminal,
        )
}

/// The rule: a terminal, no non-empty `NO_COLOR`, and a `TERM` that is not `dumb`.
pub fn wanted(no_color: Option<&OsStr>, term: Option<&OsStr>, terminal: bool) -> bool {
    terminal && no_color.is_none_or(OsStr::is_empty) && !dumb(term)
}

/// Whether `TERM` names a terminal without colours or cursor movement.
fn dumb(term: Option<&OsStr>) -> bool {
    term == Some(OsStr::new("dumb"))
}

/// How a value reads: fine, worth a look, or wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// As it is.
    Plain,
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
        Tone::Plain => return text.to_owned(),
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

/// `s` cut to at most `width` display columns, with `…` where it was cut.
pub fn truncate(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// `s` with control characters (escapes, newlines, tabs) turned into spaces: nothing read
/// from the cluster may move the cursor.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The display width of a painted line: its escapes take no room.
pub fn display_width(line: &str) -> usize {
    unpainted(line).width()
}

/// A painted line without its escapes (each up to its final letter).
pub fn unpainted(line: &str) -> String {
    let mut plain = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(char::is_ascii_alphabetic);
        } else {
            plain.push(c);
        }
    }
    plain
}

/// `s` as one cell of a table: cleaned, cut to `width` display columns and padded to them.
pub fn cell(s: &str, width: usize) -> String {
    let text = truncate(&clean(s), width);
    let pad = width.saturating_sub(text.width());
    format!("{text}{}", " ".repeat(pad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_and_pipes_turn_colour_off() {
        let xterm = Some(OsStr::new("xterm-256color"));
        assert!(wanted(None, xterm, true));
        assert!(wanted(None, None, true));
        assert!(wanted(Some(OsStr::new("")), xterm, true));
        assert!(!wanted(Some(OsStr::new("1")), xterm, true));
        assert!(!wanted(None, xterm, false));
        assert!(!wanted(None, Some(OsStr::new("dumb")), true));
        assert_eq!(paint("x", Tone::Bad, false), "x");
        assert!(paint("x", Tone::Bad, true).contains("\u{1b}["));
    }

    #[test]
    fn no_color_flag_turns_colour_off_even_on_a_terminal() {
        // No test reads colour from the process's settings but this one (tests are not on
        // a terminal), so turning it off for the process is harmless.
        let before = allowed(true);
        forbid();
        assert!(!allowed(true));
        assert!(!allowed(false));
        assert!(
            before
                || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
                || std::env::var_os("TERM").is_some_and(|t| t == "dumb")
        );
    }

    #[test]
    fn cells_hold_their_width_whatever_the_text() {
        assert_eq!(truncate("ñame 名前", 6), "ñame …");
        assert_eq!(cell("名前のジョブ", 7), "名前の…");
        assert_eq!(cell("a\nb\u{1b}[2J", 8), "a b [2J ");
        assert_eq!(display_width(&paint("名前", Tone::Good, true)), 4);
        for s in ["train", "名前のとても長いジョブ名", "tab\there", ""] {
            assert_eq!(cell(s, 10).width(), 10, "{s:?}");
        }
    }
}
