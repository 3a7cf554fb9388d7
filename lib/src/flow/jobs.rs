//! Your jobs, as the cluster has them now, and the one a command acts on (named, picked
//! on a terminal, or the latest running), waiting on one, cancelling them.

use crate::cancel::{self, Asked, Target};
use crate::error::Error;
use crate::jobs::{Row, known_requests, rows, with_leases};
use crate::remote::batch::Batch;
use crate::remote::transport::run_batch;
use crate::session::Session;
use crate::slurm::parse::{sacct, squeue};
use crate::submit::Recorded;

/// Your jobs in the queue (and, with `history`, those that ended in the last 7 days), as
/// rows with their requests' leases, with the cluster's clock: one round trip.
pub fn yours(ctx: &Session, history: bool) -> Result<(Vec<Row>, i64), Error> {
    // The column before the name (1-based: the name's is the last) is the batch script,
    // where leases are found.
    let mine = crate::lease::with_jobs(
        &format!("{} -u \"$USER\" -t PD,CF,R,CG,S", squeue::OWN_COMMAND),
        squeue::OWN_FIELDS.len() - 1,
    );
    let (batch, h) = if history {
        let mut batch = Batch::new();
        batch.command(mine);
        let h = batch.command(format!("{} -X -S now-7days -u \"$USER\"", sacct::COMMAND));
        (batch, Some(h))
    } else {
        // Nothing else to ask: the queue comes straight back, with no file on the cluster.
        (Batch::direct(mine), None)
    };
    let reply = ctx.remote(async |c| Ok(run_batch(c, &batch).await?))?;
    // Requests with a lease are known by it too (submitted from another computer).
    let (leases, rows_text) = crate::lease::split_with_jobs(&reply.outputs[0].stdout);
    let queue = squeue::parse_jobs(
        rows_text,
        squeue::OWN_FIELDS,
        squeue::SEPARATOR,
        &reply.clock,
    )?;
    let ended = h
        .map(|i| sacct::parse_records(&reply.outputs[i].stdout, &reply.clock).unwrap_or_default())
        .unwrap_or_default();
    let mut requests = known_requests(&ctx.state);
    requests.extend(leases.iter().map(|l| l.request.clone()));
    let mut rows = rows(&queue, &ended, &requests);
    with_leases(&mut rows, &leases, reply.clock.now);
    Ok((rows, reply.clock.now))
}

/// A picker: shows `lines` under `prompt` on the terminal; the index chosen, `None` when
/// the user gave up. The `rv` binary installs one (skim); the library never draws one.
pub type Picker = fn(&[String], &str) -> Option<usize>;

static PICKER: std::sync::OnceLock<Picker> = std::sync::OnceLock::new();

/// Installs the job picker (once, at start-up).
pub fn set_picker(picker: Picker) {
    let _ = PICKER.set(picker);
}

/// The job a command acts on: `what` resolved among the user's jobs (an id, a unique prefix
/// or suffix, a request id or name); with nothing named, a pick on a terminal, else the
/// most recent running job. One round trip.
pub fn choose_job(ctx: &Session, what: Option<&str>) -> Result<crate::jobs::Row, Error> {
    use std::io::IsTerminal;
    let (jobs, _) = yours(ctx, false)?;
    if let Some(what) = what {
        return Ok(crate::jobs::resolve(what, &jobs).cloned()?);
    }
    let terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    match (PICKER.get(), terminal, jobs.len()) {
        (_, _, 0) => Err(Error::job("you have no jobs (see `rv up`, `rv run`)")),
        (Some(pick), true, _) => {
            let lines: Vec<String> = jobs.iter().map(crate::jobs::picker_line).collect();
            pick(&lines, "job> ")
                .and_then(|i| jobs.get(i).cloned())
                .ok_or_else(|| Error::job("no job chosen"))
        }
        _ => Ok(crate::jobs::most_recent_running(&jobs).cloned()?),
    }
}

/// Waits until `job` leaves the running state (one round trip every 10 s); Ctrl-C or
/// SIGTERM end the wait as [`Error::interrupted`].
pub fn wait_while_running(ctx: &Session, job: &str) -> Result<(), Error> {
    ctx.remote(async |c| {
        let mut interrupt = std::pin::pin!(crate::flow::watch::interrupted());
        loop {
            let mut b = Batch::new();
            let i = b.command(format!("squeue -h -j {job} -o %T 2>/dev/null; true"));
            if let Ok(r) = run_batch(c, &b).await {
                if !r.outputs[i].stdout.trim().starts_with("RUNNING") {
                    return Ok(());
                }
            }
            tokio::select! {
                () = tokio::time::sleep(std::time::Duration::from_secs(10)) => {}
                () = &mut interrupt => return Err(Error::interrupted()),
            }
        }
    })
}

/// What `rv stop` did: the jobs it found and cancelled, and the port forwards to them it
/// removed.
#[derive(Debug)]
pub struct Stopped {
    /// The jobs cancelled.
    pub jobs: Vec<u64>,
    /// The forwards removed.
    pub forwards: Vec<crate::forward::Forward>,
}

/// Cancels what was asked in one round trip (a name is first resolved among your jobs: a
/// job of a request stands for the whole request), then removes forwards to what ended.
pub fn stop(ctx: &Session, asked: Asked) -> Result<Stopped, Error> {
    let target = match asked {
        Asked::Name(name) => {
            let row = choose_job(ctx, Some(&name))?;
            match (row.request, row.job_id.parse()) {
                (Some(r), _) => Target::Request(r),
                (None, Ok(id)) => Target::Job(id),
                (None, Err(_)) => return Err(Error::usage(format!("{name:?}: not a job"))),
            }
        }
        Asked::Exact(t) => t,
    };
    let recorded = match &target {
        Target::Request(id) => Recorded::load(&ctx.state, id).ok(),
        _ => None,
    };
    let out = ctx.run_one(cancel::script(&target, recorded.as_ref()))?;
    if !out.ok() {
        return Err(Error::cluster(out.stderr.trim()));
    }
    let jobs = cancel::cancelled(&out.stdout);
    let ids: Vec<String> = jobs.iter().map(u64::to_string).collect();
    Ok(Stopped {
        forwards: crate::forward::stop(ctx, Some(&ids)),
        jobs,
    })
}
