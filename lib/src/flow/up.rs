//! Getting GPUs: plan a request against the queue as it is, record it, submit every kept
//! strategy at once and follow them until one wins (`rv up`, `rv run`).

use crate::error::Error;
use crate::flow::watch::{self, Outcome, Target};
use crate::plan::{self, request_id};
use crate::probe::{self, Options};
use crate::records::{Request, Strategy};
use crate::remote::transport::run_batch;
use crate::script::Paths;
use crate::session::Session;
use crate::submit::{self, Recorded};
use std::time::Duration;

/// A request planned against the queue as it is now.
#[derive(Debug)]
pub struct Planned {
    /// The request.
    pub request: crate::records::Request,
    /// Every strategy considered, kept or not.
    pub considered: Vec<plan::Considered>,
    /// The cluster's clock.
    pub now: i64,
    /// Where rv's files go on the cluster.
    pub paths: crate::script::Paths,
}

impl Planned {
    /// The strategies kept for submission.
    pub fn kept(&self) -> Vec<crate::records::Strategy> {
        self.considered
            .iter()
            .filter(|c| c.kept)
            .map(|c| c.strategy.clone())
            .collect()
    }

    /// What the plan table shows: every strategy considered with `all`, else the kept ones.
    pub fn shown(&self, all: bool) -> Vec<plan::Considered> {
        self.considered
            .iter()
            .filter(|c| all || c.kept)
            .cloned()
            .collect()
    }
}

/// Probes the cluster (one round trip, `--test-only` included) and plans `ask`; fails
/// before planning when there is no usable scratch.
pub async fn plan_now(
    ctx: &Session,
    conn: &crate::connect::Connection,
    host: &str,
    profile: &crate::profile::Profile,
    ask: &plan::Ask,
    stage: &str,
) -> Result<Planned, Error> {
    eprintln!("{stage}: reading the queue on {host}…");
    let options = Options {
        gpus: ask.request.gpus.clamp(1, 8),
        account: ask.request.account.clone(),
        test_only: true,
        scratch: ctx.config.paths.scratch.clone(),
    };
    let snapshot = probe::run(conn, host, &options).await?;
    crate::session::warn_unread(stage, &snapshot);
    let probed = snapshot.probed(profile, probe::shortest_window(Some(ask.request.time)));
    let cluster =
        (probed.cluster.clone()).ok_or_else(|| Error::cluster("the probe found no cluster"))?;
    let paths = ctx.paths_of(&cluster)?;
    if let Some(s) = &cluster.scratch {
        ctx.remember_scratch(s);
    }
    let id = request_id(cluster.now).map_err(Error::internal)?;
    let (request, considered) = plan::plan(ask, &probed, &id).map_err(Error::cluster)?;
    Ok(Planned {
        request,
        considered,
        now: cluster.now,
        paths,
    })
}

/// How to submit a planned request.
#[derive(Debug)]
pub struct Submit<'a> {
    /// Modules the jobs load.
    pub modules: &'a [String],
    /// The env file's variables.
    pub vars: &'a [(String, String)],
    /// Where the command runs.
    pub workdir: Option<&'a str>,
    /// Give up waiting after this long.
    pub timeout: Option<Duration>,
    /// Keep a winner when interrupted.
    pub keep: bool,
    /// A holder's lease in seconds (`None`: kept until its walltime).
    pub lease: Option<u64>,
}

/// Records `request` and its `strategies` locally before anything is submitted, so a crash
/// cannot lose track of the jobs: the record, its submissions to be filled in.
pub fn record_before_submitting(
    ctx: &Session,
    host: &str,
    request: &Request,
    strategies: &[Strategy],
    paths: &Paths,
    lease: Option<u64>,
) -> Result<Recorded, Error> {
    let record = Recorded {
        host: host.to_owned(),
        request: request.clone(),
        strategies: strategies.to_vec(),
        scratch: paths.scratch.clone(),
        submissions: Vec::new(),
        lease: crate::lease::of(request, lease),
    };
    record.save(&ctx.state).map_err(|e| {
        Error::internal(format!(
            "cannot record the request locally (nothing submitted): {e}"
        ))
    })?;
    Ok(record)
}

/// Records the request locally, submits every kept strategy in one round trip, and
/// watches until one job wins (the others cancelled), all end, or the user stops it.
pub async fn submit_and_follow(
    ctx: &Session,
    conn: &crate::connect::Connection,
    host: &str,
    planned: &Planned,
    how: &Submit<'_>,
    stage: &str,
) -> Result<Outcome, Error> {
    // A Ctrl-C from here on cancels what was submitted, even one before the watch starts.
    let interrupt = watch::interrupted();
    let kept = planned.kept();
    let request = &planned.request;
    let paths = &planned.paths;
    let prepared = submit::prepare(
        request,
        &kept,
        paths,
        how.modules,
        how.vars,
        how.workdir,
        how.lease,
    )
    .map_err(Error::cluster)?;
    let mut record = record_before_submitting(ctx, host, request, &kept, paths, how.lease)?;
    let reply = run_batch(conn, &prepared.batch).await?;
    let submissions = prepared.submissions(&reply);
    record.submissions.clone_from(&submissions);
    let _ = record.save(&ctx.state);
    let jobs = record.jobs();
    for s in submissions.iter().filter(|s| s.job_id.is_none()) {
        eprintln!(
            "{stage}: {} not submitted: {}",
            s.strategy,
            s.error.as_deref().unwrap_or("?")
        );
    }
    if jobs.is_empty() {
        return Err(Error::cluster("no strategy could be submitted"));
    }
    eprintln!(
        "{stage}: submitted {} jobs for request {}; waiting for the first to start (Ctrl-C cancels them all)",
        jobs.len(),
        request.id
    );
    let target = Target {
        request: request.id.clone(),
        paths: paths.clone(),
        strategies: kept,
        jobs,
    };
    let follow = watch::Follow {
        timeout: how.timeout,
        keep: how.keep,
        records: false,
        board: crate::style::live_stderr(),
    };
    Ok(watch::follow(ctx, conn, &target, follow, interrupt).await)
}
