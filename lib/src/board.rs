//! The live board `rv up`, `rv run` and `rv-watch` draw on a terminal while a request
//! waits: a header (the request, how long it has waited, how to stop), then one line per
//! live strategy (its shape, partitions, state, why it waits, when the plan expected it to
//! start, how many higher-priority jobs are ahead of it, how long it has waited), and at
//! the end one summary line in its place.
//!
//! Everything here is data in, lines out: [`Board::frame`] fits the lines to a width and
//! paints them; the terminal itself (redrawing in place) is the caller's.

use unicode_width::UnicodeWidthStr;

use crate::records::Strategy;
use crate::slurm::parse::job_state::JobState;
use crate::slurm::parse::squeue;
use crate::style::{Tone, clean, paint, state_tone, truncate};
use crate::watch::{Tracked, plain_reason, state_name};

/// The spinner's frames, one per redraw.
const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// What the board knows of one job of the request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Row {
    job_id: u64,
    /// The strategy's id (`s1`), or the job id when the strategy is not known.
    label: String,
    /// GPU type and shape: `a6000 ×2`, `a100 2×4`.
    shape: String,
    partitions: String,
    /// When the plan expected it to start (cluster epoch seconds).
    predicted: Option<i64>,
    state: Option<JobState>,
    /// Why it waits (Slurm's words; shown in plain ones).
    reason: Option<String>,
    /// When it was submitted (cluster epoch seconds), from the queue.
    submitted: Option<i64>,
    /// Pending jobs of higher priority in its partitions.
    ahead: Option<u32>,
}

/// The board of one request.
#[derive(Debug, Clone)]
pub struct Board {
    request: String,
    /// What was asked, in words (`2 GPUs, 30 min`).
    ask: String,
    /// When the wait began (cluster clock), from the first tick.
    since: Option<i64>,
    rows: Vec<Row>,
    /// Redraws so far (the spinner's frame).
    frames: usize,
}

/// How one request's wait ended, for [`Board::summary`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End<'a> {
    /// `job` won on `nodes`.
    Won {
        /// The winning job.
        job: u64,
        /// Its nodes.
        nodes: &'a [String],
    },
    /// No job will run.
    Failed,
    /// Ctrl-C, SIGTERM or the timeout (`why`): `cancelled` jobs cancelled.
    Stopped {
        /// What stopped the wait.
        why: &'a str,
        /// How many jobs are being cancelled.
        cancelled: usize,
    },
    /// The cluster could not be reached again: nothing was cancelled.
    Lost,
}

impl Board {
    /// A board for `request`'s `jobs` (job id, strategy id) of `strategies`.
    pub fn new(request: &str, strategies: &[Strategy], jobs: &[(u64, Option<String>)]) -> Self {
        let ask = strategies.first().map_or_else(String::new, |s| {
            let gpus = s.nodes * s.gpus_per_node;
            format!(
                "{gpus} GPU{}, {}",
                if gpus == 1 { "" } else { "s" },
                crate::plan::human(s.time * u64::from(s.segments.max(1)))
            )
        });
        let mut board = Board {
            request: request.to_owned(),
            ask,
            since: None,
            rows: Vec::new(),
            frames: 0,
        };
        for (id, strategy) in jobs {
            let strategy = strategy
                .as_ref()
                .and_then(|s| strategies.iter().find(|x| &x.id == s));
            board.rows.push(row_of(*id, strategy));
        }
        board
    }

    /// Takes a tick: the watcher's jobs (states and reasons), the request's rows in the
    /// queue (submit times), the jobs ahead of each (job id, count), at cluster time `now`.
    pub fn observe(
        &mut self,
        now: i64,
        tracked: &[Tracked],
        queue: &[squeue::Job],
        ahead: &[(u64, u32)],
    ) {
        self.since.get_or_insert(now);
        for t in tracked {
            let at = match self.rows.iter().position(|r| r.job_id == t.job_id) {
                Some(at) => at,
                None => {
                    self.rows.push(row_of(t.job_id, None));
                    self.rows.len() - 1
                }
            };
            let row = &mut self.rows[at];
            row.state.clone_from(&t.state);
            row.reason.clone_from(&t.reason);
            let id = t.job_id.to_string();
            if let Some(q) = queue.iter().find(|q| q.id == id) {
                row.submitted = q.submit.or(row.submitted);
            }
            row.ahead = ahead.iter().find(|(j, _)| *j == t.job_id).map(|(_, n)| *n);
        }
    }

    /// The board's lines at cluster time `now`, each at most `width` columns wide, painted
    /// when `colour`. Each call advances the spinner.
    pub fn frame(&mut self, now: i64, width: usize, colour: bool) -> Vec<String> {
        let spin = SPINNER[self.frames % SPINNER.len()];
        self.frames += 1;
        let width = width.max(20);
        let waited = self.since.map_or(0, |s| now - s);
        let header = [
            format!("{spin} {}", self.request),
            self.ask.clone(),
            format!("waited {}", clock(waited)),
            "Ctrl-C cancels all".to_owned(),
        ];
        let mut out = vec![header_line(&header, width, colour)];
        let (live, ended): (Vec<&Row>, Vec<&Row>) = self
            .rows
            .iter()
            .partition(|r| !r.state.as_ref().is_some_and(JobState::is_finished));
        let table: Vec<[String; COLUMNS]> = live.iter().map(|r| cells(r, now)).collect();
        out.extend(table_lines(&table, width, colour));
        if !ended.is_empty() {
            let list: Vec<String> = ended
                .iter()
                .map(|r| {
                    let state = r.state.as_ref().map(state_name).unwrap_or_default();
                    format!("{} {}", r.label, state.to_lowercase())
                })
                .collect();
            let ended_line = truncate(&format!("  ended: {}", list.join(", ")), width - 1);
            out.push(paint(&ended_line, Tone::Dim, colour));
        }
        out
    }

    /// The one line that replaces the board when the wait is over, e.g. `s1 won on
    /// rtx3090-02 after 14 s; 6 cancelled`, at cluster time `now`.
    pub fn summary(&self, end: End<'_>, now: i64) -> String {
        let waited = clock(self.since.map_or(0, |s| now - s));
        match end {
            End::Won { job, nodes } => {
                let label = self
                    .rows
                    .iter()
                    .find(|r| r.job_id == job)
                    .map_or_else(|| format!("job {job}"), |r| r.label.clone());
                let others = self.rows.len().saturating_sub(1);
                format!(
                    "{label} (job {job}) won on {} after {waited}; {others} cancelled",
                    nodes.join(",")
                )
            }
            End::Failed => format!(
                "no strategy started: all {} ended after {waited}",
                self.rows.len()
            ),
            End::Stopped { why, cancelled } => format!(
                "{why} after {waited}: {cancelled} job{} cancelled",
                if cancelled == 1 { "" } else { "s" }
            ),
            End::Lost => format!(
                "lost the cluster after {waited}; the jobs left end by their claim gate and lease"
            ),
        }
    }
}

/// The board's row for job `id` of `strategy`.
fn row_of(id: u64, strategy: Option<&Strategy>) -> Row {
    let Some(s) = strategy else {
        return Row {
            job_id: id,
            label: id.to_string(),
            ..Row::default()
        };
    };
    let kind = s.gpu_type.as_deref().unwrap_or("cpu");
    let shape = if s.nodes > 1 {
        format!("{kind} {}×{}", s.nodes, s.gpus_per_node)
    } else {
        format!("{kind} ×{}", s.gpus_per_node)
    };
    Row {
        job_id: id,
        label: s.id.clone(),
        shape,
        partitions: s.partitions.join(","),
        predicted: s.predicted_start,
        ..Row::default()
    }
}

/// A strategy line's columns, in order.
const COLUMNS: usize = 8;

/// The order in which columns give way when a line does not fit: the partitions first,
/// then the reason, the predicted start, the shape, the jobs ahead; the label, the state
/// and the time waited stay.
const GIVE_WAY: [usize; 5] = [2, 4, 5, 1, 6];

/// A row's columns at cluster time `now`: label, shape, partitions, state, reason, start,
/// ahead, waited.
fn cells(r: &Row, now: i64) -> [String; COLUMNS] {
    let state = r
        .state
        .as_ref()
        .map_or_else(|| "SUBMITTED".to_owned(), state_name);
    let waiting = r.state.as_ref().is_none_or(|s| *s == JobState::Pending);
    let reason = match (&r.reason, waiting) {
        (Some(why), true) => plain_reason(why),
        (None, true) => "waiting for the scheduler".to_owned(),
        (_, false) => String::new(),
    };
    let start = match (r.predicted, waiting) {
        (Some(at), true) if at > now + 30 => format!("start ~in {}", clock(at - now)),
        (Some(at), true) if at >= now - 30 => "start ~now".to_owned(),
        (Some(at), true) => format!("due {} ago", clock(now - at)),
        _ => String::new(),
    };
    let ahead = match (r.ahead, waiting) {
        (Some(0), true) => "next in line".to_owned(),
        (Some(n), true) => format!("{n} ahead"),
        _ => String::new(),
    };
    let waited = r
        .submitted
        .map(|s| clock((now - s).max(0)))
        .unwrap_or_default();
    [
        r.label.clone(),
        r.shape.clone(),
        r.partitions.clone(),
        state,
        reason,
        start,
        ahead,
        waited,
    ]
    .map(|c| clean(&c))
}

/// The strategy lines, their columns aligned, the columns that do not fit in `width`
/// dropped in [`GIVE_WAY`] order, then each line cut to fit.
fn table_lines(table: &[[String; COLUMNS]], width: usize, colour: bool) -> Vec<String> {
    let widths: Vec<usize> = (0..COLUMNS)
        .map(|c| table.iter().map(|r| r[c].width()).max().unwrap_or(0))
        .collect();
    let mut shown: Vec<usize> = (0..COLUMNS).filter(|&c| widths[c] > 0).collect();
    let total = |shown: &[usize]| 2 + shown.iter().map(|&c| widths[c] + 2).sum::<usize>();
    for c in GIVE_WAY {
        if total(&shown) < width {
            break;
        }
        shown.retain(|&x| x != c);
    }
    table
        .iter()
        .map(|row| {
            let mut line = String::from("  ");
            let mut used = 2;
            for (i, &c) in shown.iter().enumerate() {
                let last = i + 1 == shown.len();
                let room = width.saturating_sub(1 + used);
                if room == 0 {
                    break;
                }
                let text = truncate(&row[c], room);
                let pad = if last {
                    0
                } else {
                    widths[c].saturating_sub(text.width())
                };
                let tone = match c {
                    3 => state_tone(&row[3]),
                    0 => Tone::Plain,
                    _ => Tone::Dim,
                };
                used += text.width() + pad + 2;
                line.push_str(&paint(&text, tone, colour));
                line.push_str(&" ".repeat(pad));
                if !last {
                    line.push_str("  ");
                }
            }
            line.trim_end().to_owned()
        })
        .collect()
}

/// The header's `cells` joined by ` · `, the later ones left out when they do not fit in
/// `width - 1` columns, the first cut to fit; all but the first dimmed.
fn header_line(cells: &[String], width: usize, colour: bool) -> String {
    let mut line = String::new();
    let mut used = 0;
    for (i, cell) in cells.iter().filter(|c| !c.is_empty()).enumerate() {
        let cell = clean(cell);
        let sep = if i == 0 { "" } else { " · " };
        if i > 0 && used + sep.width() + cell.width() >= width {
            break;
        }
        let text = truncate(&cell, width.saturating_sub(1 + used + sep.width()));
        used += sep.width() + text.width();
        line.push_str(sep);
        line.push_str(&paint(
            &text,
            if i == 0 { Tone::Plain } else { Tone::Dim },
            colour,
        ));
    }
    line
}

/// A duration as a person reads a wait: `14s`, `3m 05s`, `2h 10m`, `1d 4h`.
pub fn clock(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        3600..86_400 => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strategy(id: &str, kind: &str, nodes: u32, gpus: u32, start: Option<i64>) -> Strategy {
        Strategy {
            request: "r-1".into(),
            id: id.into(),
            partitions: vec!["gpu".into(), "gpu-a6000".into()],
            gpu_type: Some(kind.into()),
            gres: Some(kind.into()),
            nodes,
            gpus_per_node: gpus,
            cpus: None,
            mem_mb: None,
            time: 1800,
            time_min: None,
            segments: 1,
            constraint: None,
            account: None,
            exclude: vec![],
            predicted_start: start,
            service_units: 1.0,
            why: String::new(),
        }
    }

    fn tracked(id: u64, state: JobState, reason: Option<&str>) -> Tracked {
        let mut w = crate::watch::Watch::new("r-1", [(id, None)]);
        let mut t = w.jobs.remove(0);
        t.state = Some(state);
        t.reason = reason.map(Into::into);
        t
    }

    fn queued(id: u64, submit: i64) -> squeue::Job {
        squeue::Job {
            id: id.to_string().into(),
            submit: Some(submit),
            ..squeue::Job::default()
        }
    }

    fn board() -> Board {
        let s = [
            strategy("s1", "a6000", 1, 2, Some(1_000 + 600)),
            strategy("s2", "a100", 2, 4, None),
        ];
        let mut b = Board::new(
            "r-1795891053-01fadc0b",
            &s,
            &[(11, Some("s1".into())), (12, Some("s2".into()))],
        );
        b.observe(
            1_000,
            &[
                tracked(11, JobState::Pending, Some("Priority")),
                tracked(12, JobState::Pending, Some("Resources")),
            ],
            &[queued(11, 990), queued(12, 990)],
            &[(11, 3), (12, 0)],
        );
        b
    }

    #[test]
    fn one_line_per_live_strategy_with_what_a_waiting_user_asks() {
        let mut b = board();
        let lines = b.frame(1_074, 120, false);
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert!(lines[0].contains("r-1795891053-01fadc0b"), "{}", lines[0]);
        assert!(lines[0].contains("2 GPUs, 30 min"), "{}", lines[0]);
        assert!(lines[0].contains("waited 1m 14s"), "{}", lines[0]);
        assert!(lines[0].contains("Ctrl-C"), "{}", lines[0]);
        let s1 = &lines[1];
        for want in [
            "s1",
            "a6000 ×2",
            "gpu,gpu-a6000",
            "PENDING",
            "waiting behind higher-priority jobs",
            "start ~in 8m 46s",
            "3 ahead",
            "1m 24s",
        ] {
            assert!(s1.contains(want), "{want:?} not in {s1:?}");
        }
        assert!(
            lines[2].contains("a100 2×4") && lines[2].contains("next in line"),
            "{}",
            lines[2]
        );
        // Columns line up: the state starts at the same place on both lines.
        assert_eq!(lines[1].find("PENDING"), lines[2].find("PENDING"));
    }

    #[test]
    fn the_spinner_turns_and_the_line_count_holds_across_ticks() {
        let mut b = board();
        let a = b.frame(1_010, 100, false);
        let c = b.frame(1_011, 100, false);
        assert_eq!(a.len(), c.len());
        assert_ne!(a[0].chars().next(), c[0].chars().next());
    }

    #[test]
    fn narrow_terminals_get_shorter_lines_never_wider_ones() {
        let mut b = board();
        for width in [20, 30, 40, 60, 80, 200] {
            for line in b.frame(1_074, width, true) {
                assert!(
                    crate::style::display_width(&line) < width,
                    "{width}: {line:?} is too wide"
                );
            }
        }
        let narrow = b.frame(1_074, 40, false);
        assert!(
            narrow[1].contains("s1") && narrow[1].contains("PENDING"),
            "{narrow:#?}"
        );
        assert!(
            !narrow[1].contains("gpu-a6000"),
            "partitions give way first: {narrow:#?}"
        );
    }

    #[test]
    fn colour_only_paints() {
        let mut b = board();
        let plain = b.frame(1_074, 120, false);
        b.frames -= 1;
        let painted = b.frame(1_074, 120, true);
        assert_ne!(plain, painted);
        assert_eq!(
            plain,
            painted
                .iter()
                .map(|l| crate::style::unpainted(l))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn ended_strategies_collapse_into_one_line_and_the_end_into_a_summary() {
        let mut b = board();
        b.observe(1_020, &[tracked(12, JobState::Cancelled, None)], &[], &[]);
        let lines = b.frame(1_020, 100, false);
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert_eq!(lines[2].trim(), "ended: s2 cancelled");
        let nodes = ["rtx3090-02".to_owned()];
        assert_eq!(
            b.summary(
                End::Won {
                    job: 11,
                    nodes: &nodes
                },
                1_014
            ),
            "s1 (job 11) won on rtx3090-02 after 14s; 1 cancelled"
        );
        assert_eq!(
            b.summary(
                End::Stopped {
                    why: "interrupted",
                    cancelled: 1
                },
                1_065
            ),
            "interrupted after 1m 05s: 1 job cancelled"
        );
    }

    #[test]
    fn text_from_the_cluster_cannot_move_the_cursor() {
        let mut b = board();
        b.observe(
            1_000,
            &[tracked(11, JobState::Pending, Some("Odd\u{1b}[2J\nreason"))],
            &[],
            &[],
        );
        for line in b.frame(1_000, 200, false) {
            assert!(!line.chars().any(char::is_control), "{line:?}");
        }
    }

    #[test]
    fn jobs_without_their_strategies_still_get_a_board() {
        let mut b = Board::new("r-2", &[], &[(7, None)]);
        b.observe(
            100,
            &[tracked(7, JobState::Pending, None)],
            &[queued(7, 90)],
            &[],
        );
        let lines = b.frame(100, 80, false);
        assert!(lines[0].starts_with("⠋ r-2 · waited 0s"), "{lines:#?}");
        assert!(
            lines[1].contains('7') && lines[1].contains("PENDING") && lines[1].contains("10s"),
            "{lines:#?}"
        );
    }

    #[test]
    fn waits_read_as_clocks() {
        assert_eq!(clock(-3), "0s");
        assert_eq!(clock(14), "14s");
        assert_eq!(clock(185), "3m 05s");
        assert_eq!(clock(7_800), "2h 10m");
        assert_eq!(clock(100_800), "1d 4h");
    }
}
