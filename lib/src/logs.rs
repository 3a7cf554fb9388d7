//! `rv logs`: a job's output as people want to read it.
//!
//! rv's jobs write `<scratch>/.rv/logs/<job name>-<job id>.{out,err}`. Following reads
//! every file from the byte it got to, all in one round trip per tick. Progress bars (lines
//! redrawn with `\r`) are collapsed to their last state unless asked for raw output;
//! multi-node jobs label each line with its task (`srun --label`), which becomes the node's
//! name.

/// Which stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output (`.out`).
    Out,
    /// Standard error (`.err`).
    Err,
}

impl Stream {
    /// The file extension.
    pub fn ext(self) -> &'static str {
        match self {
            Stream::Out => "out",
            Stream::Err => "err",
        }
    }
}

/// The log file of job `id` named `name` in `logs`.
pub fn path(logs: &str, name: &str, id: u64, stream: Stream) -> String {
    format!("{logs}/{name}-{id}.{}", stream.ext())
}

/// The job id in a log file's name (`train-7f3a-s1-1234.out` → 1234).
pub fn job_of(file: &str) -> Option<u64> {
    let base = file.rsplit('/').next()?;
    let stem = base
        .strip_suffix(".out")
        .or_else(|| base.strip_suffix(".err"))?;
    stem.rsplit('-').next()?.parse().ok()
}

/// The job name in a log file's name (what precedes `-<id>.<ext>`).
pub fn name_of(file: &str) -> Option<String> {
    let base = file.rsplit('/').next()?;
    let (stem, _) = base.rsplit_once('.')?;
    let (name, id) = stem.rsplit_once('-')?;
    id.parse::<u64>().ok().map(|_| name.to_owned())
}

/// Assembles complete lines from chunks read at arbitrary byte positions, and shapes them
/// for display.
#[derive(Debug, Clone, Default)]
pub struct Lines {
    partial: String,
    /// Keep `\r` redraws as they are.
    pub raw: bool,
    /// The nodes of a multi-node job, by task (= node) index, for labels.
    pub nodes: Vec<String>,
    /// Only this node's lines (its index).
    pub node: Option<usize>,
}

impl Lines {
    /// A shaper: `raw` keeps redraws; `nodes` (of a multi-node job) label lines; `node`
    /// keeps only that node's.
    pub fn new(raw: bool, nodes: Vec<String>, node: Option<usize>) -> Self {
        Lines {
            partial: String::new(),
            raw,
            nodes,
            node,
        }
    }

    /// Feeds a chunk; returns the complete lines it finished, shaped.
    pub fn feed(&mut self, chunk: &str) -> Vec<String> {
        self.partial.push_str(chunk);
        let Some(end) = self.partial.rfind('\n') else {
            return Vec::new();
        };
        let done: String = self.partial.drain(..=end).collect();
        done.lines().filter_map(|l| self.shape(l)).collect()
    }

    /// What is left without a final newline (at the end of a job).
    pub fn finish(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.partial);
        if rest.is_empty() {
            None
        } else {
            self.shape(&rest)
        }
    }

    fn shape(&self, line: &str) -> Option<String> {
        let line = if self.raw {
            line.to_owned()
        } else {
            collapse(line).to_owned()
        };
        match label(&line) {
            Some((task, text)) if !self.nodes.is_empty() => {
                if self.node.is_some_and(|n| n != task) {
                    return None;
                }
                let node = self.nodes.get(task).map_or("?", String::as_str);
                Some(format!("[{node}] {text}"))
            }
            _ => Some(line),
        }
    }
}

/// A line redrawn with `\r` (a progress bar), as it was last drawn.
pub fn collapse(line: &str) -> &str {
    let trimmed = line.trim_end_matches('\r');
    trimmed.rsplit('\r').next().unwrap_or(trimmed)
}

/// `srun --label`'s `N: text` prefix (the task index may be padded with spaces).
fn label(line: &str) -> Option<(usize, &str)> {
    let (n, text) = line.split_once(": ")?;
    let task = n.trim_start().parse().ok()?;
    Some((task, text))
}

/// The last `n` lines of `text`.
pub fn last_lines(text: &str, n: usize) -> &str {
    if n == 0 {
        return "";
    }
    let body = text.strip_suffix('\n').unwrap_or(text);
    match body.rmatch_indices('\n').nth(n - 1) {
        Some((i, _)) => &text[i + 1..],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn file_names_carry_the_job() {
        let p = path("/scratch/u/.rv/logs", "train-7f3a-s1", 1234, Stream::Err);
        assert_eq!(p, "/scratch/u/.rv/logs/train-7f3a-s1-1234.err");
        assert_eq!(job_of(&p), Some(1234));
        assert_eq!(name_of(&p).as_deref(), Some("train-7f3a-s1"));
        assert_eq!(job_of("/x/notes.txt"), None);
        assert_eq!(job_of("/x/a-b.out"), None);
    }

    #[test]
    fn progress_bars_collapse_unless_raw() {
        let mut l = Lines::default();
        assert_eq!(l.feed("epoch 1\n 10%|#\r 50%|##"), ["epoch 1"]);
        let got = l.feed("###\r100%|####|\nnext");
        assert_eq!(got, ["100%|####|"]);
        assert_eq!(l.finish().as_deref(), Some("next"));
        let mut raw = Lines {
            raw: true,
            ..Lines::default()
        };
        assert_eq!(raw.feed("a\rb\n"), ["a\rb"]);
        assert_eq!(collapse("x\r"), "x");
    }

    #[test]
    fn labels_become_node_names_and_filter() {
        let nodes = vec!["a100-01".to_owned(), "a100-02".to_owned()];
        let mut l = Lines {
            nodes: nodes.clone(),
            ..Lines::default()
        };
        assert_eq!(
            l.feed("0: rank 0 up\n1: rank 1 up\nplain\n"),
            ["[a100-01] rank 0 up", "[a100-02] rank 1 up", "plain"]
        );
        let mut one = Lines {
            nodes,
            node: Some(1),
            ..Lines::default()
        };
        assert_eq!(one.feed("0: a\n1: b\n"), ["[a100-02] b"]);
    }

    #[test]
    fn tails_take_the_last_lines() {
        assert_eq!(last_lines("a\nb\nc\n", 2), "b\nc\n");
        assert_eq!(last_lines("a\nb\nc", 2), "b\nc");
        assert_eq!(last_lines("a\n", 5), "a\n");
        assert_eq!(last_lines("a\nb\n", 0), "");
    }

    proptest! {
        #[test]
        fn shaping_never_panics(chunks in proptest::collection::vec("\\PC{0,40}", 0..6), n in 0usize..5) {
            let mut l = Lines { nodes: vec!["n0".into()], node: Some(0), ..Lines::default() };
            for c in &chunks {
                let _ = l.feed(c);
                let _ = last_lines(c, n);
                let _ = job_of(c);
                let _ = name_of(c);
            }
            let _ = l.finish();
        }
    }
}
