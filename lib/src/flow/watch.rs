//! Watching a request's jobs over the connection until one runs (the rest cancelled),
//! none can, or the user stops it: the loop around [`crate::watch`]'s state machine.

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
    let dir = target.paths.request_dir(&target.request);
    let env_file = target.paths.env_file(&target.request);
    let started = Instant::now();
    let mut reopened: Option<Connection> = None;
    let mut failures = 0u32;
    // An interrupt while it opens is caught (see `interrupted`) and seen at the first tick.
    let mut ticks = Ticks::open(first, &dir, &watch).await;
    for n in 0.. {
        let conn = reopened.as_ref().unwrap_or(first);
        let vanished = watch.vanished_ids();
        let streamed = match ticks.as_mut() {
            Some(t) => tokio::select! {
                r = t.next(&watch) => match r {
                    Ok(reply) => Some(reply),
                    Err(e) => {
                        eprintln!("rv-watch: warning: the watch stream stopped ({e}); asking every few seconds instead");
                        ticks = None;
                        continue;
                    }
                },
                () = &mut interrupt => return stop(conn, &watch, keep, "interrupted", &env_file).await,
            },
            None => None,
        };
        let polled = streamed.is_none();
        let mut batch = Batch::new();
        let (q, claim, listed, continued) = match &ticks {
            Some(t) if !polled => t.outputs,
            _ => tick_commands(&mut batch, &ids_arg(&watch), Some(&dir)),
        };
        // Jobs gone from the queue: accounting says how they ended.
        let acct = (!vanished.is_empty()).then(|| batch.command(accounting(&vanished)));
        let asked = if batch.is_empty() {
            None
        } else {
            let reply = tokio::select! {
                r = run_batch(conn, &batch) => r,
                () = &mut interrupt => return stop(conn, &watch, keep, "interrupted", &env_file).await,
            };
            match reply {
                Ok(r) => {
                    failures = 0;
                    Some(r)
                }
                Err(e) => {
                    failures += 1;
                    eprintln!("rv-watch: warning: {e}; reconnecting");
                    if failures >= 3 {
                        return lost(&watch);
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
        let rows = queue_rows(reply, q);
        let finished = acct
            .zip(asked.as_ref())
            .map(|(i, r)| sacct::parse_records(&r.outputs[i].stdout, &r.clock).unwrap_or_default())
            .unwrap_or_default();
        let claimed = reply.outputs[claim].stdout.trim().parse().ok();
        watch.adopt(&job_ids(&reply.outputs[listed].stdout));
        watch.continued_by(&job_ids(&reply.outputs[continued].stdout));
        let tick = watch.observe(reply.clock.now, &rows, &finished, claimed);
        report(&tick.events, how.records);
        if !tick.cancel.is_empty() {
            cancel(conn, &tick.cancel, None).await;
        }
        if let Some(winner) = tick.won {
            drop(ticks);
            return won(conn, &target.request, winner, &rows, &target.strategies).await;
        }
        if tick.failed {
            cancel(conn, &[], Some(&env_file)).await;
            return Outcome::Ended(format!(
                "every job of {} ended without running",
                target.request
            ));
        }
        if timeout.is_some_and(|t| started.elapsed() >= t) {
            return stop(conn, &watch, keep, "timed out", &env_file).await;
        }
        if polled {
            tokio::select! {
                () = tokio::time::sleep(watch::tick_interval(n)) => {}
                () = &mut interrupt => return stop(conn, &watch, keep, "interrupted", &env_file).await,
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
fn lost(watch: &Watch) -> Outcome {
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

/// The commands of a tick, added to `batch`: the request's jobs in the queue (`ids`, a
/// comma-separated list or `"$RV_ARG"`), its claim file (renewing its lease first when
/// `renew` names its directory), its job list and its continuations. Their indices.
fn tick_commands(
    batch: &mut Batch,
    ids: &str,
    renew: Option<&str>,
) -> (usize, usize, usize, usize) {
    let dir = renew.map_or_else(|| "\"$RV_DIR\"".to_owned(), crate::util::quote);
    let renew = renew.map_or_else(String::new, |d| format!("{}; ", crate::lease::renew(d)));
    (
        batch.command(format!("{} -t all -j {ids}", squeue::COMMAND)),
        batch.command(format!("{renew}cat {dir}/claim/winner 2>/dev/null; true")),
        batch.command(format!("cat {dir}/jobs 2>/dev/null; true")),
        batch.command(format!("cat {dir}/continued 2>/dev/null; true")),
    )
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
    outputs: (usize, usize, usize, usize),
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
    async fn open(conn: &'a Connection, dir: &str, watch: &Watch) -> Option<Ticks<'a>> {
        let name = format!("rv-watch {}", watch.request);
        let mut batch = Batch::new();
        let outputs = tick_commands(&mut batch, "\"$RV_ARG\"", None);
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
pub async fn stop(
    conn: &Connection,
    watch: &Watch,
    keep: bool,
    why: &str,
    env_file: &str,
) -> Outcome {
    let kept = if keep { watch.winner } else { None };
    let ids = watch.cancel_all_but(kept);
    eprintln!("rv-watch: {why}: cancelling jobs {ids:?}");
    cancel(conn, &ids, kept.is_none().then_some(env_file)).await;
    Outcome::Interrupted
}

/// Cancels `ids` and removes `env_file`, in one call.
pub async fn cancel(conn: &Connection, ids: &[u64], env_file: Option<&str>) {
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
        Ok(r) if r.outputs[i].ok() => eprintln!("rv-watch: cancelled {ids:?}"),
        Ok(r) => eprintln!(
            "rv-watch: warning: scancel said: {}",
            r.outputs[i].stderr.trim()
        ),
        Err(e) => eprintln!("rv-watch: warning: could not cancel {ids:?}: {e}"),
    }
}

fn report(events: &[crate::records::Event], records: bool) {
    for e in events {
        let why = e
            .reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        eprintln!("rv-watch: job {} {}{why}", e.job_id, e.state);
    }
    if records {
        let lines: Vec<String> = events
            .iter()
            .map(|e| Envelope::new(Record::Event(e.clone())).to_line())
            .collect();
        let _ = print_lines(lines.iter().map(String::as_str));
    }
}

/// Checks the winner's GPUs and reads its allocation.
pub async fn won(
    conn: &Connection,
    request: &str,
    winner: u64,
    rows: &[squeue::Job],
    strategies: &[Strategy],
) -> Outcome {
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
            eprintln!("rv-watch: warning: job {winner}: {warning}");
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
            eprintln!("rv-watch: job {winner} won on {}", a.nodes.join(","));
            Outcome::Won(a)
        }
        None => Outcome::Ended(format!(
            "job {winner} won but ended before rv could read it"
        )),
    }
}
