//! Watching a request's jobs over the connection until one runs (the rest cancelled),
//! none can, or the user stops it: the loop around [`crate::watch`]'s state machine.

use crate::connect::Connection;
use crate::records::{Allocation, Envelope, Record, Strategy};
use crate::remote::batch::Batch;
use crate::remote::transport::run_batch;
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

/// The watch loop: one round trip per tick until a job wins, all end, or we are stopped;
/// each tick renews the request's lease. Events go to stderr for people, and as records to
/// stdout when `records`.
pub async fn follow(
    ctx: &Session,
    first: &Connection,
    target: &Target,
    timeout: Option<Duration>,
    keep: bool,
    records: bool,
) -> Outcome {
    let mut watch = Watch::new(&target.request, target.jobs.iter().cloned());
    let dir = crate::util::quote(&target.paths.request_dir(&target.request));
    // Each tick renews the request's lease (when it has one) in the same round trip.
    let renew = crate::lease::renew(&target.paths.request_dir(&target.request));
    let env_file = target.paths.env_file(&target.request);
    let started = Instant::now();
    let mut reopened: Option<Connection> = None;
    let mut failures = 0u32;
    let mut interrupt = std::pin::pin!(interrupted());
    for n in 0.. {
        let conn = reopened.as_ref().unwrap_or(first);
        let mut batch = Batch::new();
        let ids: Vec<String> = watch.open_ids().iter().map(u64::to_string).collect();
        let q = batch.command(format!(
            "{} -t all -j {}",
            squeue::COMMAND,
            if ids.is_empty() {
                "0".to_owned()
            } else {
                ids.join(",")
            }
        ));
        let claim = batch.command(format!("{renew}; cat {dir}/claim/winner 2>/dev/null; true"));
        let listed = batch.command(format!("cat {dir}/jobs 2>/dev/null; true"));
        let continued = batch.command(format!("cat {dir}/continued 2>/dev/null; true"));
        let vanished: Vec<String> = watch.vanished_ids().iter().map(u64::to_string).collect();
        let acct = (!vanished.is_empty())
            .then(|| batch.command(format!("{} -j {}", sacct::COMMAND, vanished.join(","))));
        let reply = tokio::select! {
            r = run_batch(conn, &batch) => r,
            () = &mut interrupt => return stop(conn, &watch, keep, "interrupted", &env_file).await,
        };
        let reply = match reply {
            Ok(r) => {
                failures = 0;
                r
            }
            Err(e) => {
                failures += 1;
                eprintln!("rv-watch: warning: {e}; reconnecting");
                if failures >= 3 {
                    return Outcome::Ended(format!(
                        "lost the cluster; the claim gate lets at most one of jobs {:?} run, and an \
                         interactive one ends by itself when its lease runs out: `rv up --resume {r}` \
                         within the lease comes back to it, `rv stop {r}` ends it",
                        watch.open_ids(),
                        r = target.request
                    ));
                }
                reopened = Connection::open(ctx.target.as_ref(), &ctx.state).await.ok();
                tokio::time::sleep(watch::tick_interval(n)).await;
                continue;
            }
        };
        let rows = squeue::parse_jobs(
            &reply.outputs[q].stdout,
            squeue::FIELDS,
            squeue::SEPARATOR,
            &reply.clock,
        )
        .unwrap_or_default();
        let finished = acct
            .map(|i| {
                sacct::parse_records(&reply.outputs[i].stdout, &reply.clock).unwrap_or_default()
            })
            .unwrap_or_default();
        let claimed = reply.outputs[claim].stdout.trim().parse().ok();
        watch.adopt(&job_ids(&reply.outputs[listed].stdout));
        watch.continued_by(&job_ids(&reply.outputs[continued].stdout));
        let tick = watch.observe(reply.clock.now, &rows, &finished, claimed);
        report(&tick.events, records);
        if !tick.cancel.is_empty() {
            cancel(conn, &tick.cancel, None).await;
        }
        if let Some(winner) = tick.won {
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
        tokio::select! {
            () = tokio::time::sleep(watch::tick_interval(n)) => {}
            () = &mut interrupt => return stop(conn, &watch, keep, "interrupted", &env_file).await,
        }
    }
    unreachable!("the loop only ends by returning")
}

/// The job ids of a job list, one per line.
pub fn job_ids(text: &str) -> Vec<u64> {
    text.lines().filter_map(|l| l.trim().parse().ok()).collect()
}

/// Resolves on Ctrl-C or SIGTERM. Once called, those signals no longer end the process by
/// themselves: every later wait must listen for them through this.
pub async fn interrupted() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
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
