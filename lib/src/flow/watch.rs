//! Watching a request's jobs over the connection until one runs (the rest cancelled),
//! none can, or the user stops it: the loop around [`crate::watch`]'s state machine.

use crate::board::{Board, End};
use crate::connect::Connection;
use crate::records::{Allocation, Envelope, Record, Strategy};
use crate::remote::batch::{Batch, Reply, Unit};
use crate::remote::transport::{Stream, Transport, run_batch};
use crate::script::Paths;
use crate::session::Session;
use crate::slurm::parse::job_state::JobState;
use crate::slurm::parse::{sacct, scontrol, squeue};
use crate::util::print_lines;
use crate::watch::{self, Watch};
use std::time::{Duration, Instant};

/// What to watch.
#[derive(Debug)]
pub struct Target {
    /// The request.
    pub request: String,
    /// Where the request's files are on the cluster.
    pub paths: Paths,
    /// The request's strategies.
    pub strategies: Vec<Strategy>,
    /// Its jobs and their strategies.
    pub jobs: Vec<(u64, Option<String>)>,
}

/// How to watch.
#[derive(Debug, Clone, Copy)]
pub struct Follow {
    /// Give up (cancelling everything) after this long.
    pub timeout: Option<Duration>,
    /// On an interrupt after a job has won, leave it running.
    pub keep: bool,
    /// Write events as records to stdout.
    pub records: bool,
    /// Draw the live board on stderr (a terminal) instead of a line per event.
    pub board: bool,
}

/// How a watch ended.
#[derive(Debug)]
pub enum Outcome {
    /// A job runs; every other job of the request was cancelled.
    Won(Allocation),
    /// No job will run; the reason.
    Ended(String),
    /// Ctrl-C, SIGTERM or the timeout: the request's jobs were cancelled.
    Interrupted,
}

/// The watch loop, until a job wins, all end, or we are stopped. The cluster is watched
/// through a stream ([`Ticks`]): a script on the login node runs the tick's commands every
/// second and sends only what changed, so rv sees a start within about a second and makes
/// no round trip per tick. When the stream cannot be opened or drops, each tick is a round
/// trip instead (1 s backing off to 5 s). The request's lease is renewed either way.
/// Events go to stderr for people, and as records to stdout when `records`.
pub async fn follow(
    ctx: &Session,
    first: &Connection,
    target: &Target,
    how: Follow,
    mut interrupt: Interrupt,
) -> Outcome {
    let (timeout, keep) = (how.timeout, how.keep);
    let mut watch = Watch::new(&target.request, target.jobs.iter().cloned());
    let mut say = Say::new(how.board, target);
    let dir = target.paths.request_dir(&target.request);
    let env_file = target.paths.env_file(&target.request);
    let started = Instant::now();
    let mut reopened: Option<Connection> = None;
    let mut failures = 0u32;
    // An interrupt while it opens is caught (see `interrupted`) and seen at the first tick.
    let mut ticks = Ticks::open(first, &dir, &watch, how.board).await;
    for n in 0.. {
        let conn = reopened.as_ref().unwrap_or(first);
        let vanished = watch.vanished_ids();
        let streamed = match ticks.as_mut() {
            Some(t) => tokio::select! {
                r = t.next(&watch) => match r {
                    Ok(reply) => Some(reply),
                    Err(e) => {
                        say.warn(&format!("rv-watch: warning: the watch stream stopped ({e}); asking every few seconds instead"));
                        ticks = None;
                        continue;
                    }
                },
                () = &mut interrupt => return stop(conn, &watch, keep, "interrupted", &env_file, &mut say).await,
            },
            None => None,
        };
        let polled = streamed.is_none();
        let mut batch = Batch::new();
        let at = match &ticks {
            Some(t) if !polled => t.outputs,
            _ => tick_commands(&mut batch, &ids_arg(&watch), Some(&dir), how.board),
        };
        // Jobs gone from the queue: accounting says how they ended.
        let acct = (!vanished.is_empty()).then(|| batch.command(accounting(&vanished)));
        let asked = if batch.is_empty() {
            None
        } else {
            let reply = tokio::select! {
                r = run_batch(conn, &batch) => r,
                () = &mut interrupt => return stop(conn, &watch, keep, "interrupted", &env_file, &mut say).await,
            };
            match reply {
                Ok(r) => {
                    failures = 0;
                    Some(r)
                }
                Err(e) => {
                    failures += 1;
                    say.warn(&format!("rv-watch: warning: {e}; reconnecting"));
                    if failures >= 3 {
                        return lost(&watch, &mut say);
                    }
                    reopened = Connection::open(ctx.target.as_ref(), &ctx.state).await.ok();
                    tokio::time::sleep(watch::tick_interval(n)).await;
                    continue;
                }
            }
        };
        let Some(reply) = streamed.as_ref().or(asked.as_ref()) else {
            continue;
        };
        let rows = queue_rows(reply, at.queue);
        let finished = acct
            .zip(asked.as_ref())
            .map(|(i, r)| sacct::parse_records(&r.outputs[i].stdout, &r.clock).unwrap_or_default())
            .unwrap_or_default();
        let claimed = reply.outputs[at.claim].stdout.trim().parse().ok();
        watch.adopt(&job_ids(&reply.outputs[at.listed].stdout));
        watch.continued_by(&job_ids(&reply.outputs[at.continued].stdout));
        let tick = watch.observe(reply.clock.now, &rows, &finished, claimed);
        let ahead = at.ahead.map(|i| ahead_of(&reply.outputs[i].stdout));
        say.tick(reply.clock.now, &tick.events, &watch, &rows, ahead);
        print_events(&tick.events, how.records);
        if !tick.cancel.is_empty() {
            cancel_saying(conn, &tick.cancel, None, &mut say).await;
        }
        if let Some(winner) = tick.won {
            drop(ticks);
            return won(conn, target, winner, &rows, &mut say, reply.clock.now).await;
        }
        if tick.failed {
            say.finish(End::Failed, Some(reply.clock.now));
            cancel_saying(conn, &[], Some(&env_file), &mut say).await;
            return Outcome::Ended(format!(
                "every job of {} ended without running",
                target.request
            ));
        }
        if timeout.is_some_and(|t| started.elapsed() >= t) {
            return stop(conn, &watch, keep, "timed out", &env_file, &mut say).await;
        }
        if polled {
            tokio::select! {
                () = tokio::time::sleep(watch::tick_interval(n)) => {}
                () = &mut interrupt => return stop(conn, &watch, keep, "interrupted", &env_file, &mut say).await,
            }
        }
    }
    unreachable!("the loop only ends by returning")
}

/// The request's jobs in the queue, from output `q` of `reply` (none when unreadable: the
/// watch then counts them missing, and accounting decides).
fn queue_rows(reply: &Reply, q: usize) -> Vec<squeue::Job> {
    squeue::parse_jobs(
        &reply.outputs[q].stdout,
        squeue::FIELDS,
        squeue::SEPARATOR,
        &reply.clock,
    )
    .unwrap_or_default()
}

/// How a watch ends when the cluster cannot be reached again: what is left, and what to do.
fn lost(watch: &Watch, say: &mut Say) -> Outcome {
    say.finish(End::Lost, None);
    Outcome::Ended(format!(
        "lost the cluster; the claim gate lets at most one of jobs {:?} run, and an \
         interactive one ends by itself when its lease runs out: `rv up --resume {r}` \
         within the lease comes back to it, `rv stop {r}` ends it",
        watch.open_ids(),
        r = watch.request
    ))
}

/// The accounting of `ids`.
fn accounting(ids: &[u64]) -> String {
    let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
    format!("{} -j {}", sacct::COMMAND, ids.join(","))
}

/// Where a tick's outputs are in its reply ([`tick_commands`]).
#[derive(Debug, Clone, Copy)]
struct TickOutputs {
    /// The request's jobs in the queue.
    queue: usize,
    /// The claim file: the winner, once one claimed.
    claim: usize,
    /// The request's job list.
    listed: usize,
    /// The jobs that continue the winner.
    continued: usize,
    /// The pending jobs ahead of each of the request's ([`AHEAD`]), for the board.
    ahead: Option<usize>,
}

/// The commands of a tick, added to `batch`: the request's jobs in the queue (`ids`, a
/// comma-separated list or `"$RV_ARG"`), its claim file (renewing its lease first when
/// `renew` names its directory), its job list and its continuations, and with `board` the
/// jobs ahead of each of them.
fn tick_commands(batch: &mut Batch, ids: &str, renew: Option<&str>, board: bool) -> TickOutputs {
    let dir = renew.map_or_else(|| "\"$RV_DIR\"".to_owned(), crate::util::quote);
    let renew = renew.map_or_else(String::new, |d| format!("{}; ", crate::lease::renew(d)));
    TickOutputs {
        queue: batch.command(format!("{} -t all -j {ids}", squeue::COMMAND)),
        claim: batch.command(format!("{renew}cat {dir}/claim/winner 2>/dev/null; true")),
        listed: batch.command(format!("cat {dir}/jobs 2>/dev/null; true")),
        continued: batch.command(format!("cat {dir}/continued 2>/dev/null; true")),
        ahead: board.then(|| batch.command(ahead_command(ids, &dir))),
    }
}

/// How many pending jobs of higher priority share a partition with each of `ids` (`<job>
/// <count>` lines), worked out on the login node so that only a few bytes come back. The
/// whole queue is read at most every [`AHEAD_EVERY`] seconds: the answer is kept in the
/// request's directory `dir` between. Only ids, priorities and partitions are read, none
/// of the free text other users put in their jobs.
fn ahead_command(ids: &str, dir: &str) -> String {
    format!(
        "f={dir}/ahead; if [ $(( $(date +%s) - $(stat -c %Y \"$f\" 2>/dev/null || echo 0) )) -ge {AHEAD_EVERY} ]; then \
         squeue --all -h -t PD -o '%i %Q %P' 2>/dev/null | awk -v ids={ids} {awk} >\"$f.n\" && mv -f \"$f.n\" \"$f\"; fi; \
         cat \"$f\" 2>/dev/null; true",
        awk = crate::util::quote(AHEAD),
    )
}

/// Seconds between two reads of the whole queue for the board's jobs-ahead counts.
const AHEAD_EVERY: u32 = 10;

/// The awk program of [`ahead_command`]: rows `<id> <priority> <partitions>`; `ids` the
/// request's jobs, comma separated.
const AHEAD: &str = r#"BEGIN { n = split(ids, a, ","); for (i = 1; i <= n; i++) mine[a[i]] = 1 }
{ pr[NR] = $2 + 0; pa[NR] = "," $3 ","; if ($1 in mine) at[$1] = NR }
END {
  for (j in at) {
    k = at[j]; c = 0; np = split(pa[k], ps, ",")
    for (i = 1; i <= NR; i++) {
      if (i == k || pr[i] <= pr[k]) continue
      for (p = 1; p <= np; p++) if (ps[p] != "" && index(pa[i], "," ps[p] ",")) { c++; break }
    }
    print j, c
  }
}"#;

/// The `<job> <count>` lines of [`ahead_command`].
fn ahead_of(text: &str) -> Vec<(u64, u32)> {
    text.lines()
        .filter_map(|l| {
            let (job, n) = l.trim().split_once(' ')?;
            Some((job.parse().ok()?, n.trim().parse().ok()?))
        })
        .collect()
}

/// The jobs a tick asks about, as squeue's `-j` takes them (`0`, no job, when none is open).
fn ids_arg(watch: &Watch) -> String {
    let ids: Vec<String> = watch.open_ids().iter().map(u64::to_string).collect();
    if ids.is_empty() {
        "0".to_owned()
    } else {
        ids.join(",")
    }
}

/// How long a stream may say nothing before it is taken for dropped: its script answers
/// every second, and a slow squeue on a busy controller can take tens of seconds.
const STREAM_SILENCE: Duration = Duration::from_secs(45);

/// How often the stream renews the request's lease: often enough for the shortest lease.
const STREAM_RENEW: Duration = Duration::from_secs(crate::lease::renew_every(60));

/// A watch's ticks as a stream from the cluster ([`Batch::stream_script`]).
struct Ticks<'a> {
    stream: Stream<'a>,
    batch: Batch,
    /// Where the tick's outputs are in a reply ([`tick_commands`]).
    outputs: TickOutputs,
    boundary: String,
    buf: Vec<u8>,
    /// The last whole reply: a `same` answer repeats it with a new clock.
    last: Option<Reply>,
    /// The job ids the stream asks about.
    ids: String,
    renewed: Instant,
}

impl<'a> Ticks<'a> {
    /// Opens the stream, or `None` (then the watch polls).
    async fn open(
        conn: &'a Connection,
        dir: &str,
        watch: &Watch,
        board: bool,
    ) -> Option<Ticks<'a>> {
        let name = format!("rv-watch {}", watch.request);
        let mut batch = Batch::new();
        let outputs = tick_commands(&mut batch, "\"$RV_ARG\"", None, board);
        let boundary = crate::remote::batch::random_boundary().ok()?;
        let ids = ids_arg(watch);
        let script = format!(
            "RV_DIR={}; export RV_DIR\n{}",
            crate::util::quote(dir),
            batch.stream_script(&boundary, &ids, &crate::lease::renew(dir))
        );
        let stream = conn.stream(&name, &script).await.ok()?;
        Some(Ticks {
            stream,
            batch,
            outputs,
            boundary,
            buf: Vec::new(),
            last: None,
            ids,
            renewed: Instant::now(),
        })
    }

    /// The next tick's reply; first renewing the lease when due and telling the stream
    /// which jobs are still open.
    async fn next(&mut self, watch: &Watch) -> Result<Reply, String> {
        let ids = ids_arg(watch);
        if ids != self.ids {
            self.stream
                .send(&format!("arg {ids}"))
                .await
                .map_err(|e| e.to_string())?;
            self.ids = ids;
        }
        if self.last.is_none() || self.renewed.elapsed() >= STREAM_RENEW {
            self.stream.send("renew").await.map_err(|e| e.to_string())?;
            self.renewed = Instant::now();
        }
        loop {
            match self.batch.next_unit(&self.buf, &self.boundary) {
                Ok(Some((unit, used))) => {
                    self.buf.drain(..used);
                    match unit {
                        Unit::Changed(reply) => self.last = Some(reply),
                        Unit::Same(clock) => match self.last.as_mut() {
                            Some(last) => last.clock = clock,
                            None => return Err("it said `same` before anything".into()),
                        },
                    }
                    return Ok(self.last.clone().expect("set above"));
                }
                Ok(None) => {}
                Err(e) => return Err(e.to_string()),
            }
            match tokio::time::timeout(STREAM_SILENCE, self.stream.read(&mut self.buf)).await {
                Ok(Ok(0)) => return Err("it ended".into()),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(e.to_string()),
                Err(_) => {
                    return Err(format!("no word for {} s", STREAM_SILENCE.as_secs()));
                }
            }
        }
    }
}

/// The job ids of a job list, one per line.
pub fn job_ids(text: &str) -> Vec<u64> {
    text.lines().filter_map(|l| l.trim().parse().ok()).collect()
}

/// Ctrl-C or SIGTERM, caught from the moment [`interrupted`] is called (not only once
/// awaited): a future that resolves when one arrives.
#[derive(Debug)]
pub struct Interrupt {
    int: Option<tokio::signal::unix::Signal>,
    term: Option<tokio::signal::unix::Signal>,
}

/// Catches Ctrl-C and SIGTERM from now on: they no longer end the process by themselves,
/// so every later wait must listen for them through the [`Interrupt`]. Call it before the
/// work a Ctrl-C must undo (a submission), so that a signal in between is not lost.
pub fn interrupted() -> Interrupt {
    use tokio::signal::unix::{SignalKind, signal};
    Interrupt {
        int: signal(SignalKind::interrupt()).ok(),
        term: signal(SignalKind::terminate()).ok(),
    }
}

impl Future for Interrupt {
    type Output = ();

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        let this = self.get_mut();
        for signal in [this.int.as_mut(), this.term.as_mut()]
            .into_iter()
            .flatten()
        {
            if signal.poll_recv(cx).is_ready() {
                return std::task::Poll::Ready(());
            }
        }
        std::task::Poll::Pending
    }
}

/// Cancels what is left. Unless a winner is kept, no job of the request will run, so its
/// env file (its secrets) is removed in the same call.
async fn stop(
    conn: &Connection,
    watch: &Watch,
    keep: bool,
    why: &str,
    env_file: &str,
    say: &mut Say,
) -> Outcome {
    let kept = if keep { watch.winner } else { None };
    let ids = watch.cancel_all_but(kept);
    let end = End::Stopped {
        why,
        cancelled: ids.len(),
    };
    say.finish(end, None);
    eprintln!("rv-watch: {why}: cancelling jobs {ids:?}");
    cancel(conn, &ids, kept.is_none().then_some(env_file)).await;
    Outcome::Interrupted
}

/// Cancels `ids` and removes `env_file`, in one call.
pub async fn cancel(conn: &Connection, ids: &[u64], env_file: Option<&str>) {
    cancel_saying(conn, ids, env_file, &mut Say::Lines).await;
}

/// [`cancel`], saying how it went through `say`.
async fn cancel_saying(conn: &Connection, ids: &[u64], env_file: Option<&str>, say: &mut Say) {
    if ids.is_empty() && env_file.is_none() {
        return;
    }
    let mut b = Batch::new();
    let rm = env_file
        .map(|f| format!("rm -f {}; ", crate::util::quote(f)))
        .unwrap_or_default();
    let scancel = if ids.is_empty() {
        "true".to_owned()
    } else {
        format!(
            "scancel {}",
            ids.iter().map(u64::to_string).collect::<Vec<_>>().join(" ")
        )
    };
    let i = b.command(format!("{rm}{scancel}"));
    match run_batch(conn, &b).await {
        Ok(r) if r.outputs[i].ok() => say.routine(&format!("rv-watch: cancelled {ids:?}")),
        Ok(r) => say.warn(&format!(
            "rv-watch: warning: scancel said: {}",
            r.outputs[i].stderr.trim()
        )),
        Err(e) => say.warn(&format!("rv-watch: warning: could not cancel {ids:?}: {e}")),
    }
}

/// A line on stderr per event: what scripts read when stderr is not a terminal.
fn report(events: &[crate::records::Event]) {
    for e in events {
        let why = e
            .reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        eprintln!("rv-watch: job {} {}{why}", e.job_id, e.state);
    }
}

/// The events as records on stdout, when `records`.
fn print_events(events: &[crate::records::Event], records: bool) {
    if !records {
        return;
    }
    let lines: Vec<String> = events
        .iter()
        .map(|e| Envelope::new(Record::Event(e.clone())).to_line())
        .collect();
    let _ = print_lines(lines.iter().map(String::as_str));
}

/// Where the watch's words go: a line each on stderr, or the live board.
enum Say {
    /// Event lines and routine messages, one per line.
    Lines,
    /// The board, redrawn in place; warnings above it, routine messages left to its summary.
    Board(Screen),
}

impl Say {
    /// The board for `target` when `board`, else lines.
    fn new(board: bool, target: &Target) -> Self {
        if board {
            let board = Board::new(&target.request, &target.strategies, &target.jobs);
            Say::Board(Screen::new(board))
        } else {
            Say::Lines
        }
    }

    /// A tick's news at cluster time `now`: the board redrawn from the watch, the queue's
    /// rows and the jobs ahead, or a line per event.
    fn tick(
        &mut self,
        now: i64,
        events: &[crate::records::Event],
        watch: &Watch,
        rows: &[squeue::Job],
        ahead: Option<Vec<(u64, u32)>>,
    ) {
        match self {
            Say::Board(screen) => {
                let ahead = ahead.unwrap_or_default();
                screen.board.observe(now, &watch.jobs, rows, &ahead);
                screen.draw(now);
            }
            Say::Lines => report(events),
        }
    }

    /// A routine message (what was cancelled, who won): the board's summary says it.
    fn routine(&mut self, line: &str) {
        match self {
            Say::Lines => eprintln!("{line}"),
            Say::Board(_) => {}
        }
    }

    /// A warning: on its own line, above the board.
    fn warn(&mut self, line: &str) {
        match self {
            Say::Lines => eprintln!("{line}"),
            Say::Board(screen) => screen.above(line),
        }
    }

    /// The wait is over: the board gives way to its summary (at cluster time `now`, else
    /// the last tick's). After this, everything is said as lines.
    fn finish(&mut self, end: End<'_>, now: Option<i64>) {
        if let Say::Board(screen) = self {
            screen.finish(end, now);
            *self = Say::Lines;
        }
    }
}

/// The board on stderr, a terminal: each frame replaces the last in place.
struct Screen {
    board: Board,
    /// The lines on screen, painted.
    shown: Vec<String>,
    /// Their display widths (to count the rows they take after a resize).
    widths: Vec<usize>,
    /// The cluster time of the last frame.
    now: Option<i64>,
    colour: bool,
}

impl Screen {
    fn new(board: Board) -> Self {
        Screen {
            board,
            shown: Vec::new(),
            widths: Vec::new(),
            now: None,
            colour: crate::style::enabled_on_stderr(),
        }
    }

    /// Redraws the board for cluster time `now`.
    fn draw(&mut self, now: i64) {
        let width = terminal_width();
        let lines = self.board.frame(now, width, self.colour);
        self.now = Some(now);
        let mut out = self.erase(width);
        self.put(lines, &mut out);
        write_stderr(&out);
    }

    /// `line` above the board, which is drawn again under it.
    fn above(&mut self, line: &str) {
        let width = terminal_width();
        let mut out = self.erase(width);
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
        let lines = std::mem::take(&mut self.shown);
        self.put(lines, &mut out);
        write_stderr(&out);
    }

    /// Replaces the board with its one-line summary.
    fn finish(&mut self, end: End<'_>, now: Option<i64>) {
        let mut out = self.erase(terminal_width());
        let now = now.or(self.now).unwrap_or_default();
        let line = self.board.summary(end, now);
        let tone = match end {
            End::Won { .. } => crate::style::Tone::Good,
            End::Failed => crate::style::Tone::Bad,
            End::Stopped { .. } | End::Lost => crate::style::Tone::Warn,
        };
        out.extend_from_slice(crate::style::paint(&line, tone, self.colour).as_bytes());
        out.push(b'\n');
        write_stderr(&out);
    }

    /// Writes `lines` into `out` and remembers them as shown.
    fn put(&mut self, lines: Vec<String>, out: &mut Vec<u8>) {
        self.widths = lines
            .iter()
            .map(|l| crate::style::display_width(l))
            .collect();
        for line in &lines {
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
        self.shown = lines;
    }

    /// The escapes that take the cursor back to the board's first line and clear from
    /// there down. A line wider than the terminal now is (after a resize) takes several
    /// rows: the terminal reflowed it.
    fn erase(&mut self, width: usize) -> Vec<u8> {
        use crossterm::{cursor::MoveToPreviousLine, queue, terminal::Clear, terminal::ClearType};
        let rows: usize = self
            .widths
            .iter()
            .map(|w| w.div_ceil(width.max(1)).max(1))
            .sum();
        let mut out = Vec::new();
        if rows > 0 {
            let up = u16::try_from(rows).unwrap_or(u16::MAX);
            let _ = queue!(
                out,
                MoveToPreviousLine(up),
                Clear(ClearType::FromCursorDown)
            );
        }
        self.widths.clear();
        out
    }
}

/// The terminal's width in columns (80 when it cannot be told).
fn terminal_width() -> usize {
    crossterm::terminal::size().map_or(80, |(w, _)| usize::from(w).max(1))
}

/// Writes `bytes` to stderr at once (a frame is never interleaved with other output).
fn write_stderr(bytes: &[u8]) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(bytes);
    let _ = err.flush();
}

/// Checks the winner's GPUs and reads its allocation; the board, if any, gives way to its
/// summary (at cluster time `now`).
async fn won(
    conn: &Connection,
    target: &Target,
    winner: u64,
    rows: &[squeue::Job],
    say: &mut Say,
    now: i64,
) -> Outcome {
    let (request, strategies) = (&target.request, &target.strategies);
    let mut b = Batch::new();
    let d = b.command(format!("scontrol -d show job {winner}"));
    let q = b.command(format!("{} -j {winner}", squeue::COMMAND));
    let (detail, row) = match run_batch(conn, &b).await {
        Ok(r) => (
            scontrol::parse_jobs(&r.outputs[d].stdout, &r.clock)
                .ok()
                .and_then(|mut j| j.pop()),
            squeue::parse_jobs(
                &r.outputs[q].stdout,
                squeue::FIELDS,
                squeue::SEPARATOR,
                &r.clock,
            )
            .ok()
            .and_then(|mut j| j.pop()),
        ),
        Err(_) => (None, None),
    };
    let row = row.or_else(|| rows.iter().find(|r| r.id == winner.to_string()).cloned());
    let strategy_id = detail
        .as_ref()
        .map(|d| d.name.rsplit('-').next().unwrap_or_default().to_owned());
    let strategy = strategies
        .iter()
        .find(|s| Some(&s.id) == strategy_id.as_ref());
    // An ended job has released its GPUs (`GRES=` is empty then): nothing to check.
    let ended = row.is_none();
    let released = detail
        .as_ref()
        .is_none_or(|d| d.state.is_finished() || d.state == JobState::Completing);
    if let (Some(d), Some(s), false, false) = (&detail, strategy, ended, released) {
        if let Some(warning) = watch::check_gpus(&d.allocated, s) {
            say.warn(&format!("rv-watch: warning: job {winner}: {warning}"));
        }
    }
    let allocation = match &row {
        Some(r) => watch::allocation(request, r, strategy),
        None => detail
            .as_ref()
            .and_then(|d| watch::allocation_of_ended(request, d, strategy)),
    };
    match allocation {
        Some(a) => {
            say.routine(&format!(
                "rv-watch: job {winner} won on {}",
                a.nodes.join(",")
            ));
            let end = End::Won {
                job: winner,
                nodes: &a.nodes,
            };
            say.finish(end, Some(now));
            Outcome::Won(a)
        }
        None => Outcome::Ended(format!(
            "job {winner} won but ended before rv could read it"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the jobs-ahead program over `queue` (squeue's `%i %Q %P` rows) for `ids`.
    fn ahead(queue: &str, ids: &str) -> Vec<(u64, u32)> {
        let out = std::process::Command::new("awk")
            .args(["-v", &format!("ids={ids}"), AHEAD])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child.stdin.take().unwrap().write_all(queue.as_bytes())?;
                child.wait_with_output()
            })
            .unwrap();
        let mut found = ahead_of(&String::from_utf8_lossy(&out.stdout));
        found.sort_unstable();
        found
    }

    #[test]
    fn jobs_ahead_are_pending_jobs_of_higher_priority_sharing_a_partition() {
        let queue = "\
100 5000 gpu
101 9000 gpu,gpu-a6000
102 7000 gpu-a6000
103 8000 standard
104_[1-9%2] 9500 gpu
105 4000 gpu
200 6000 gpu
201 6500 gpu-a6000,gpu
";
        // 200 (gpu, 6000): 101, 102? no (gpu-a6000 only), 104 array, 201 → 3.
        // 201 (gpu-a6000 and gpu, 6500): 101, 102, 104 → 3.
        assert_eq!(ahead(queue, "200,201"), [(200, 3), (201, 3)]);
        // A job not pending any more (not in the rows) has no count.
        assert_eq!(ahead(queue, "200,999"), [(200, 3)]);
        assert_eq!(ahead("", "200"), []);
    }
}
