//! Parsers for the output of Slurm commands and of the UVA site tools.
//!
//! rv asks Slurm for delimited formats it defines itself (see each module's `COMMAND`), and
//! the parsers also read the default human layouts, so captured real output stays testable.

pub mod gres;
pub mod job_state;
pub mod sacct;
pub mod sacctmgr;
pub mod sbatch;
pub mod scontrol;
pub mod sinfo;
pub mod squeue;
pub mod sshare;
pub mod version;

use std::borrow::Cow;

/// How the columns of a row are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separator {
    /// A character such as `|`; fields are trimmed (`-O` pads them with spaces). A trailing
    /// separator is taken off the last field, for `-O` output read without knowing it ends
    /// every field.
    Char(char),
    /// A character that ends every field, the last one too: rv's own formats (`-O 'A|,B|'`,
    /// `-o '%i|…|%j|'`). Exactly one is taken off the end of a row, so a job name ending in
    /// the separator is read whole, and a row whose last field holds a newline continues on
    /// the next line until its end.
    Terminated(char),
    /// Runs of whitespace, as in `-o "%N %T %G"` or a default table.
    Whitespace,
}

/// The fields of one row, cut into exactly `n`: the last field takes the rest of the line,
/// so a free-text column (a job name, a reason) placed last may contain the separator. With
/// whitespace, a field in parentheses may contain spaces. It lives on the parser's stack,
/// one per row, so a row costs no allocation and no copy of its cuts.
#[derive(Debug, Default)]
pub(crate) struct Cut<'a> {
    /// The fields of a row cut at an ASCII separator.
    inline: [&'a str; MAX_CUT],
    /// How many fields.
    len: usize,
    /// The fields of a row cut otherwise (whitespace, a separator that is not ASCII, more
    /// than [`MAX_CUT`] columns).
    spilled: Vec<&'a str>,
}

impl<'a> Cut<'a> {
    /// Cuts `line` into `n` fields; `false` (and no fields) when it does not have `n`.
    pub(crate) fn split(&mut self, line: &'a str, sep: Separator, n: usize) -> bool {
        self.len = 0;
        self.spilled.clear();
        match sep {
            Separator::Char(c) | Separator::Terminated(c)
                if c.is_ascii() && (1..=MAX_CUT).contains(&n) =>
            {
                let terminated = matches!(sep, Separator::Terminated(_));
                let line = match (terminated, line.strip_suffix(c)) {
                    (false, _) => line,
                    (true, Some(line)) => line,
                    (true, None) => return false,
                };
                // One pass: the fields before the first `n - 1` separators (more stay in
                // the last field).
                let (found, rest) = cut_at(line, c as u8, &mut self.inline[..n - 1]);
                if found + 1 != n {
                    return false;
                }
                self.inline[n - 1] = line.get(rest..).unwrap_or_default();
                let fields = &mut self.inline[..n];
                if terminated {
                    for field in fields {
                        *field = trim_spaces(field);
                    }
                } else {
                    for field in &mut *fields {
                        *field = field.trim();
                    }
                    // A trailing separator is taken off the last field (`-O` output).
                    let last = &mut fields[n - 1];
                    *last = last.strip_suffix(c).unwrap_or(last).trim();
                }
                self.len = n;
                true
            }
            _ => {
                self.spilled = split_slowly(line, sep, n);
                if self.spilled.len() != n {
                    self.spilled.clear();
                    return false;
                }
                self.len = n;
                true
            }
        }
    }

    /// The fields, in order.
    pub(crate) fn fields(&self) -> &[&'a str] {
        if self.spilled.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.spilled
        }
    }
}

/// Cuts the first `out.len()` fields of `line` (each ended by `sep`) into `out`, and says
/// how many it found and where the rest of the line starts. Eight bytes are compared at a
/// time (SWAR): a row of rv's formats is a hundred-odd bytes with a separator every eight or
/// so, and this runs once per row of a queue of tens of thousands of jobs. `sep` is ASCII,
/// so every cut is a character boundary.
fn cut_at<'a>(line: &'a str, sep: u8, out: &mut [&'a str]) -> (usize, usize) {
    const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let want = out.len();
    let (mut found, mut start) = (0, 0);
    if want == 0 {
        return (0, 0);
    }
    let mut hit = |at: usize, found: &mut usize, start: &mut usize| {
        out[*found] = line.get(*start..at).unwrap_or_default();
        *found += 1;
        *start = at + 1;
        *found == want
    };
    let pattern = u64::from_ne_bytes([sep; 8]);
    let mut chunks = line.as_bytes().chunks_exact(8);
    let mut base = 0usize;
    for chunk in chunks.by_ref() {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default()) ^ pattern;
        // The high bit of each byte that was `sep` (now zero), exactly: no borrow between bytes.
        let mut hits = !(((word & LOW) + LOW) | word | LOW);
        while hits != 0 {
            if hit(
                base + (hits.trailing_zeros() / 8) as usize,
                &mut found,
                &mut start,
            ) {
                return (found, start);
            }
            hits &= hits - 1;
        }
        base += 8;
    }
    for (i, &b) in chunks.remainder().iter().enumerate() {
        if b == sep && hit(base + i, &mut found, &mut start) {
            break;
        }
    }
    (found, start)
}

/// The most fields a row is cut into in one pass; rows of more go through a `Vec`.
const MAX_CUT: usize = 32;

/// `s` without the spaces (only spaces: `-O` pads with them) at either end.
fn trim_spaces(s: &str) -> &str {
    let b = s.as_bytes();
    if b.first() != Some(&b' ') && b.last() != Some(&b' ') {
        return s;
    }
    let start = b.iter().position(|&c| c != b' ').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c != b' ').map_or(start, |i| i + 1);
    // Spaces are ASCII, so both ends are character boundaries.
    &s[start..end.max(start)]
}

/// [`Cut::split`] for whitespace and for a separator that is not ASCII, into a `Vec`.
fn split_slowly(line: &str, sep: Separator, n: usize) -> Vec<&str> {
    match sep {
        Separator::Char(c) => {
            let mut v: Vec<&str> = line.splitn(n, c).map(str::trim).collect();
            if let Some(last) = v.last_mut() {
                *last = last.strip_suffix(c).unwrap_or(last).trim();
            }
            v
        }
        Separator::Terminated(c) => line
            .strip_suffix(c)
            .map(|l| l.splitn(n, c).map(|f| f.trim_matches(' ')).collect())
            .unwrap_or_default(),
        Separator::Whitespace => {
            let mut v = Vec::with_capacity(n);
            let mut rest = line.trim_start();
            while v.len() + 1 < n && !rest.is_empty() {
                // A parenthesised group is one field: `(ReqNodeNotAvail, Reserved for x)`.
                let end = if rest.starts_with('(') {
                    rest.find(')').map_or(rest.len(), |i| i + 1)
                } else {
                    rest.find(char::is_whitespace).unwrap_or(rest.len())
                };
                v.push(&rest[..end]);
                rest = rest[end..].trim_start();
            }
            if !rest.is_empty() {
                v.push(rest.trim_end());
            }
            v
        }
    }
}

/// The lines of `text` (without `\n` or `\r\n`, as [`str::lines`] cuts them), found with
/// `memchr`.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let line = match memchr::memchr(b'\n', rest.as_bytes()) {
            // `\n` is ASCII: both sides are character boundaries.
            Some(at) => {
                let line = &rest[..at];
                rest = &rest[at + 1..];
                line.strip_suffix('\r').unwrap_or(line)
            }
            None => std::mem::take(&mut rest),
        };
        Some(line)
    })
}

/// Whether `line` is only whitespace, told from its first byte when that is plain ASCII.
fn is_blank(line: &str) -> bool {
    match line.as_bytes().first() {
        Some(b) if b.is_ascii() && !b.is_ascii_whitespace() => false,
        _ => line.trim().is_empty(),
    }
}

/// The rows of `text` with the 1-based line each starts on, blank lines left out. With a
/// [`Separator::Terminated`] separator a row whose first `n - 1` fields are complete but
/// which does not end with the separator (a job name holding a newline) takes the next
/// lines until it does.
pub(crate) fn rows(text: &str, sep: Separator, n: usize) -> Vec<(usize, Cow<'_, str>)> {
    // About one row per hundred bytes: rv's formats print that much per job or node.
    let mut out: Vec<(usize, Cow<'_, str>)> = Vec::with_capacity(text.len() / 100);
    let mut open = false;
    for (i, line) in lines(text).enumerate() {
        if open && let Some((_, row)) = out.last_mut() {
            let row = row.to_mut();
            row.push('\n');
            row.push_str(line);
        } else if is_blank(line) {
            continue;
        } else {
            out.push((i + 1, Cow::Borrowed(line)));
        }
        open = match sep {
            Separator::Terminated(c) => out
                .last()
                .is_some_and(|(_, row)| !row.ends_with(c) && row.matches(c).count() + 1 >= n),
            Separator::Char(_) | Separator::Whitespace => false,
        };
    }
    out
}

/// A row a lenient parser could not read, about something that is not the user's (another
/// user's job, a node): skipped, counted, and named in one warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unread {
    /// The row, verbatim.
    pub row: String,
    /// Why it could not be read (its line set).
    pub error: super::ParseError,
}

/// What a lenient parser read, and the rows it skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct Lenient<T> {
    /// The rows read.
    pub items: Vec<T>,
    /// The rows skipped, in order.
    pub unread: Vec<Unread>,
}

/// Reads a `-o` format such as `%N %P %.9T %G` (widths and justification ignored) or an
/// `-O` list such as `NodeList:20,GresUsed:40` into columns, with `column` mapping a `%`
/// letter or an `-O` name to a column. `None` when a specifier is not understood.
pub(crate) fn columns_of_format<F>(
    format: &str,
    column: impl Fn(&str) -> Option<F>,
) -> Option<Vec<F>> {
    if format.contains('%') {
        format
            .split('%')
            .skip(1)
            .map(|spec| {
                let letter = spec.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
                column(letter.get(..1)?)
            })
            .collect()
    } else {
        format
            .split(',')
            .map(|item| column(item.split(':').next().unwrap_or_default().trim()))
            .collect()
    }
}

/// Whether `s` looks like a job id as squeue and sacct print it: `123`, an array task
/// `123_4`, an array's pending part `123_[5-40%4]` or `123_[1,3-5]`, a het job component
/// `123+0` (and the same cut short by a fixed-width column: `123_[1-5+`).
pub(crate) fn is_job_id(s: &str) -> bool {
    s.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && s.bytes().all(|b| {
            b.is_ascii_digit() || matches!(b, b'_' | b'[' | b']' | b'-' | b',' | b'%' | b'+')
        })
}

/// Parses a non-negative integer field, naming the field on failure.
pub(crate) fn int<T: std::str::FromStr>(
    what: &'static str,
    field: &str,
    s: &str,
) -> Result<T, super::ParseError> {
    s.trim_ascii()
        .parse()
        .map_err(|_| super::ParseError::new(what, s, format!("{field} is not a number")))
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Reading the captured outputs under `lib/tests/fixtures/`.

    /// The contents of `lib/tests/fixtures/<path>`, read lossily as rv's transport reads
    /// the cluster's output.
    pub fn fixture(path: &str) -> String {
        let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The output of the first `user$ <command>` block of a 22.05 testbed sample file, up
    /// to its `[exit N]` line.
    pub fn sample(file: &str, command: &str) -> String {
        sample_in("testbed", file, command)
    }

    /// As [`sample`], from the transcripts in `lib/tests/fixtures/<dir>` (stdout and stderr
    /// together; the `--- stderr` line between them is left out).
    pub fn sample_in(dir: &str, file: &str, command: &str) -> String {
        let text = fixture(&format!("{dir}/{file}"));
        let mut lines = text.lines();
        lines
            .by_ref()
            .find(|l| l.split_once("$ ").is_some_and(|(_, c)| c == command))
            .unwrap_or_else(|| panic!("no `{command}` in {dir}/{file}"));
        let out: Vec<&str> = lines
            .take_while(|l| !l.starts_with("[exit "))
            .filter(|l| *l != "--- stderr")
            .collect();
        out.join("\n") + "\n"
    }
}

/// A table with a header line: `|`-delimited (`--parsable2`, `-P`), fixed-width under a line
/// of dashes (Slurm's default layouts, where the dashes give each column's width), or plain
/// whitespace-separated.
#[derive(Debug)]
pub(crate) struct Table<'a> {
    /// The column names, as printed.
    pub headers: Vec<&'a str>,
    /// Each data row with its 1-based line number; as many cells as headers, the last
    /// column taking the rest of a delimited line. Whitespace rows may have fewer cells.
    pub rows: Vec<(usize, Vec<&'a str>)>,
    /// Whether cells are separated by runs of whitespace only, so an empty cell is not
    /// seen and the cells after it move left.
    pub whitespace: bool,
}

impl<'a> Table<'a> {
    /// Reads a table whose first non-blank line is the header.
    pub fn parse(what: &'static str, text: &'a str) -> Result<Self, super::ParseError> {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((_, header)) = lines.next() else {
            return Ok(Table {
                headers: Vec::new(),
                rows: Vec::new(),
                whitespace: false,
            });
        };
        let lines: Vec<(usize, &str)> = lines.collect();
        let dashes = lines.first().filter(|(_, l)| {
            l.trim().starts_with("--") && l.bytes().all(|b| b == b'-' || b == b' ')
        });
        let mut rows = Vec::new();
        if header.contains('|') {
            let headers: Vec<&str> = header.split('|').map(str::trim).collect();
            for &(i, line) in &lines {
                let mut cells = Cut::default();
                if !cells.split(line, Separator::Char('|'), headers.len()) {
                    return Err(super::ParseError::new(
                        what,
                        line,
                        format!("expected {} columns", headers.len()),
                    )
                    .at_line(i + 1));
                }
                rows.push((i + 1, cells.fields().to_vec()));
            }
            return Ok(Table {
                headers,
                rows,
                whitespace: false,
            });
        }
        if let Some(&(_, dash_line)) = dashes {
            let spans = column_spans(dash_line);
            let cell = |line: &'a str, k: usize, (start, end): (usize, usize)| {
                let end = if k + 1 == spans.len() {
                    line.len()
                } else {
                    end.min(line.len())
                };
                line.get(start.min(end)..end).unwrap_or_default().trim()
            };
            let headers = spans
                .iter()
                .enumerate()
                .map(|(k, &s)| cell(header, k, s))
                .collect();
            for &(i, line) in &lines[1..] {
                rows.push((
                    i + 1,
                    spans
                        .iter()
                        .enumerate()
                        .map(|(k, &s)| cell(line, k, s))
                        .collect(),
                ));
            }
            return Ok(Table {
                headers,
                rows,
                whitespace: false,
            });
        }
        let headers = header.split_whitespace().collect();
        for &(i, line) in &lines {
            rows.push((i + 1, line.split_whitespace().collect()));
        }
        Ok(Table {
            headers,
            rows,
            whitespace: true,
        })
    }

    /// The index of column `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
    }
}

/// Byte ranges of the runs of dashes in a separator line.
fn column_spans(dashes: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, b) in dashes.bytes().enumerate() {
        match (b, start) {
            (b'-', None) => start = Some(i),
            (b' ', Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((s, dashes.len()));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The fields `Cut` cuts `line` into, if it has `n`.
    fn cut(line: &str, sep: Separator, n: usize) -> Option<Vec<&str>> {
        let mut cut = Cut::default();
        cut.split(line, sep, n).then(|| cut.fields().to_vec())
    }

    #[test]
    fn cuts_rows_at_their_separator() {
        let t = Separator::Terminated('|');
        assert_eq!(cut("1| a |x|y|", t, 3), Some(vec!["1", "a", "x|y"]));
        assert_eq!(cut("1|a|", t, 3), None, "too few fields");
        assert_eq!(cut("1|a|b", t, 3), None, "not terminated");
        let c = Separator::Char('|');
        assert_eq!(cut(" 1 | b |", c, 2), Some(vec!["1", "b"]));
        assert_eq!(cut("1|b|c", c, 2), Some(vec!["1", "b|c"]));
        assert_eq!(cut("é|ü", Separator::Char('ü'), 2), Some(vec!["é|", ""]));
    }

    proptest! {
        /// The one-pass cut reads every row as the plain `splitn` reading does.
        #[test]
        fn one_pass_cuts_match_splitn(
            line in "[a-c |,\u{e9}\u{3000}\t]{0,80}",
            n in 1usize..12,
            terminated: bool,
        ) {
            let sep = if terminated { Separator::Terminated('|') } else { Separator::Char('|') };
            let fast = cut(&line, sep, n);
            let plain = Some(split_slowly(&line, sep, n)).filter(|v| v.len() == n);
            prop_assert_eq!(fast, plain);
        }

        /// Eight bytes at a time finds the separators a byte at a time finds, whatever the
        /// bytes around them (high bits set, the separator's neighbours).
        #[test]
        fn swar_cuts_find_each_separator(
            line in "[|}\u{7c}\u{fc}\u{17c}\u{7fc}\0a-z\u{ff}]{0,70}",
            want in 0usize..20,
        ) {
            let mut out = vec![""; want];
            let (found, rest) = cut_at(&line, b'|', &mut out);
            let plain: Vec<&str> = line.split('|').collect();
            let plain = &plain[..plain.len() - 1];
            prop_assert_eq!(&out[..found], &plain[..want.min(plain.len())]);
            let before: usize = plain[..found].iter().map(|p| p.len() + 1).sum();
            prop_assert_eq!(rest, before);
        }

        #[test]
        fn lines_are_cut_as_str_lines_cuts_them(text in "[a\r\n]{0,30}") {
            prop_assert_eq!(lines(&text).collect::<Vec<_>>(), text.lines().collect::<Vec<_>>());
        }
    }
}
