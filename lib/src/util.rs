//! Helpers with no domain, at the bottom of the module graph: shell quoting, random bytes,
//! hex, the home directory and writing lines to stdout. They depend on nothing else in rv.

use std::io::{Read, Write};
use std::path::PathBuf;

/// Quoting for POSIX shells: every value rv puts into a command line goes through here.
/// Quotes `s` as one word for `sh`, `bash` and `zsh`: bare when it is made only of safe
/// characters, otherwise in single quotes with embedded single quotes as `'\''`.
pub fn quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// `N` random bytes from the OS.
pub fn random<const N: usize>() -> std::io::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes)
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The bytes of lowercase or uppercase hex; `None` for anything else.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The user's home directory.
pub fn home() -> PathBuf {
    std::env::var_os("HOME").map_or_else(|| PathBuf::from("/"), PathBuf::from)
}

/// Writes lines to stdout, as `records::print_records` does.
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(quote("gpu-a6000"), "gpu-a6000");
        assert_eq!(quote("gres=gpu:a100:4"), "gres=gpu:a100:4");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("gpupod&a100_80gb"), "'gpupod&a100_80gb'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("$HOME `x`"), "'$HOME `x`'");
    }

    proptest! {
        #[test]
        fn the_shell_reads_back_exactly_what_was_quoted(s in "\\PC{0,40}") {
            prop_assume!(!s.contains('\0'));
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("printf %s {}", quote(&s)))
                .output()
                .unwrap();
            prop_assert_eq!(String::from_utf8(out.stdout).unwrap(), s);
        }
    }
}
