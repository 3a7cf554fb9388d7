//! Parsers for the output of Slurm commands and of the UVA site tools.
//!
//! rv asks Slurm for delimited formats it defines itself (see each module's `COMMAND`), and
//! the parsers also read the default human layouts, so captured real output stays testable.

pub mod gres;
pub mod job_state;
pub mod sacct;
pub mod sbatch;
pub mod scontrol;
pub mod sinfo;
pub mod squeue;
pub mod sshare;

/// How the columns of a row are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separator {
    /// A character such as `|`; fields are trimmed (`-O` pads them with spaces).
    Char(char),
    /// Runs of whitespace, as in `-o "%N %T %G"` or a default table.
    Whitespace,
}

/// Splits `line` into exactly `n` fields; the last field takes the rest of the line, so a
/// free-text column (a job name, a reason) placed last may contain the separator. With
/// whitespace, a field in parentheses may contain spaces.
pub(crate) fn split_fields(line: &str, sep: Separator, n: usize) -> Option<Vec<&str>> {
    let fields: Vec<&str> = match sep {
        Separator::Char(c) => {
            let mut v: Vec<&str> = line.splitn(n, c).map(str::trim).collect();
            // `-O` output ends every field, the last one too, with the separator.
            if let Some(last) = v.last_mut() {
                *last = last.strip_suffix(c).unwrap_or(last).trim();
            }
            v
        }
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
    };
    (fields.len() == n).then_some(fields)
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

/// Parses a non-negative integer field, naming the field on failure.
pub(crate) fn int<T: std::str::FromStr>(
    what: &'static str,
    field: &str,
    s: &str,
) -> Result<T, super::ParseError> {
    s.trim()
        .parse()
        .map_err(|_| super::ParseError::new(what, s, format!("{field} is not a number")))
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Reading the captured outputs under `lib/tests/fixtures/`.

    /// The contents of `lib/tests/fixtures/<path>`.
    pub fn fixture(path: &str) -> String {
        let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
    }

    /// The output of the first `user$ <command>` block of a testbed sample file, up to its
    /// `[exit N]` line.
    pub fn sample(file: &str, command: &str) -> String {
        let text = fixture(&format!("testbed/{file}"));
        let mut lines = text.lines();
        lines
            .by_ref()
            .find(|l| l.split_once("$ ").is_some_and(|(_, c)| c == command))
            .unwrap_or_else(|| panic!("no `{command}` in {file}"));
        let out: Vec<&str> = lines.take_while(|l| !l.starts_with("[exit ")).collect();
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
                let cells =
                    split_fields(line, Separator::Char('|'), headers.len()).ok_or_else(|| {
                        super::ParseError::new(
                            what,
                            line,
                            format!("expected {} columns", headers.len()),
                        )
                        .at_line(i + 1)
                    })?;
                rows.push((i + 1, cells));
            }
            return Ok(Table { headers, rows });
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
            return Ok(Table { headers, rows });
        }
        let headers = header.split_whitespace().collect();
        for &(i, line) in &lines {
            rows.push((i + 1, line.split_whitespace().collect()));
        }
        Ok(Table { headers, rows })
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
