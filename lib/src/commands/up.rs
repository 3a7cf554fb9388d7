//! `rv up`: probe, plan, submit, watch and attach in one process, over one connection.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use crate::commands::plan::{RequestArgs, ask, explain, request_id};
use crate::commands::watch::{self, Outcome, Target};
use crate::commands::{Context, Error, Run, print_lines, print_records};
use crate::plan::{self, Probed};
use crate::probe::{self, Options};
use crate::records::{Allocation, Envelope, Record};
use crate::remote::transport::run_batch;
use crate::slurm::time::Walltime;
use crate::submit::{self, Recorded};

/// Get GPUs: plan strategies, submit them all, keep the first to start, attach.
///
/// Reads the queue, plans every way to get what you asked for (GPU types, topologies,
/// backfill windows), submits them all at once, keeps the first job that starts and cancels
/// the rest, then opens a shell in it. When the shell exits the job is cancelled, unless
/// `--keep`. Ctrl-C while waiting cancels every job of the request.
#[derive(Debug, Parser)]
#[command(name = "rv up", version, after_help = EXIT_CODES)]
pub struct Args {
    /// What to ask for.
    #[command(flatten)]
    pub request: RequestArgs,
    /// Show the plan and submit nothing (a table; NDJSON with --json).
    #[arg(long)]
    pub dry_run: bool,
    /// Print the allocation as JSON and do not attach (the job keeps running).
    #[arg(long)]
    pub json: bool,
    /// Keep the job when the shell exits (or on Ctrl-C after it started).
    #[arg(long)]
    pub keep: bool,
    /// Give up waiting after this long: 30m, 2h.
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Run on this host (when rv runs on the login node).
    #[arg(long)]
    pub local: bool,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str = "Exit codes: 0 success (the shell's own code after attaching); 1 no job could start, \
     or the cluster could not be reached; 2 bad flags or configuration (nothing submitted); 130 interrupted \
     (every job of the request cancelled).";

impl Run for Args {
    const STAGE: &'static str = "rv up";
    fn run(&self) -> Result<ExitCode, Error> {
        main(self)
    }
}

/// Runs `rv up`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    let ctx = Context::load("rv up", args.local)?;
    let ask = ask(&args.request, &ctx.config).map_err(Error::usage)?;
    let timeout = match args.timeout.as_deref().map(Walltime::from_user).transpose() {
        Ok(t) => t.map(|t| Duration::from_secs(t.as_secs())),
        Err(e) => return Err(Error::usage(format!("--timeout: {e}"))),
    };
    let vars = super::env::job_vars(&ctx)?;
    let host = ctx.host();
    let profile = ctx.profile(&host)?;
    let outcome = ctx.remote(async |conn| {
        let planned = plan_now(conn, &host, &profile, &ask, "rv up").await?;
        let shown: Vec<_> = if args.request.explain {
            planned.considered.clone()
        } else {
            planned
                .considered
                .iter()
                .filter(|c| c.kept)
                .cloned()
                .collect()
        };
        if args.dry_run {
            if args.json {
                let out: Vec<Envelope> = std::iter::once(Record::Request(planned.request.clone()))
                    .chain(planned.kept().into_iter().map(Record::Strategy))
                    .map(Envelope::new)
                    .collect();
                let _ = print_records(&out);
            } else {
                let table = explain(&shown, planned.now);
                let _ = print_lines(table.lines());
            }
            return Ok(Step::DryRun);
        }
        eprint!("{}", explain(&shown, planned.now));
        let runs_command = planned.request.command.is_some();
        let submit = Submit {
            modules: &profile.modules,
            vars: &vars,
            workdir: None,
            timeout,
            keep: args.keep,
        };
        Ok(Step::Watched(
            submit_and_follow(&ctx, conn, &host, &planned, &submit, "rv up").await?,
            runs_command,
        ))
    });
    match outcome? {
        Step::DryRun => Ok(ExitCode::SUCCESS),
        Step::Watched(Outcome::Won(a), runs_command) => after_win(&ctx, args, &a, runs_command),
        Step::Watched(Outcome::Ended(why), _) => Err(Error::job(why)),
        Step::Watched(Outcome::Interrupted, _) => Err(Error::interrupted()),
    }
}

/// A request planned against the queue as it is now.
#[derive(Debug)]
pub struct Planned {
    /// The request.
    pub request: crate::records::Request,
    /// Every strategy considered, kept or not.
    pub considered: Vec<plan::Considered>,
    /// The cluster's clock.
    pub now: i64,
    /// The cluster user.
    pub user: String,
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
}

/// Probes the cluster (one round trip, `--test-only` included) and plans `ask`.
pub async fn plan_now(
    conn: &crate::connect::Connection,
    host: &str,
    profile: &crate::profile::Profile,
    ask: &plan::Ask,
    stage: &str,
) -> Result<Planned, Error> {
    eprintln!("{stage}: reading the queue on {host}…");
    let options = Options {
        gpus: ask.gpus.clamp(1, 8),
        account: ask.account.clone(),
        test_only: true,
    };
    let snapshot = probe::run(conn, host, &options).await?;
    super::warn_unread(stage, &snapshot);
    let records = snapshot.records(profile, probe::shortest_window(Some(ask.time)));
    let probed = Probed::from_records(records.iter().map(|e| &e.record));
    let cluster =
        (probed.cluster.clone()).ok_or_else(|| Error::cluster("the probe found no cluster"))?;
    let id = request_id(cluster.now).map_err(Error::internal)?;
    let (request, considered) = plan::plan(ask, &probed, &id).map_err(Error::cluster)?;
    Ok(Planned {
        request,
        considered,
        now: cluster.now,
        user: cluster.user,
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
}

/// Records the request locally, submits every kept strategy in one round trip, and
/// watches until one job wins (the others cancelled), all end, or the user stops it.
pub async fn submit_and_follow(
    ctx: &Context,
    conn: &crate::connect::Connection,
    host: &str,
    planned: &Planned,
    how: &Submit<'_>,
    stage: &str,
) -> Result<Outcome, Error> {
    let kept = planned.kept();
    let request = &planned.request;
    let paths = ctx.paths(&planned.user);
    let prepared = submit::prepare(request, &kept, &paths, how.modules, how.vars, how.workdir)
        .map_err(Error::cluster)?;
    let mut record = Recorded {
        host: host.to_owned(),
        request: request.clone(),
        strategies: kept.clone(),
        scratch: paths.scratch.clone(),
        submissions: Vec::new(),
    };
    record.save(&ctx.state).map_err(|e| {
        Error::internal(format!(
            "cannot record the request locally (nothing submitted): {e}"
        ))
    })?;
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
        paths,
        strategies: kept,
        jobs,
    };
    Ok(watch::follow(ctx, conn, &target, how.timeout, how.keep, false).await)
}

/// How far `rv up` got inside the connection.
enum Step {
    DryRun,
    Watched(Outcome, bool),
}

/// The job runs: print it, or attach and cancel it when the shell exits.
fn after_win(
    ctx: &Context,
    args: &Args,
    a: &Allocation,
    runs_command: bool,
) -> Result<ExitCode, Error> {
    if args.json || runs_command {
        let _ = print_records(&[Envelope::new(Record::Allocation(a.clone()))]);
        if runs_command && !args.json {
            eprintln!(
                "rv up: job {} runs your command on {}",
                a.job_id,
                a.nodes.join(",")
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "rv up: job {} on {}: opening a shell (exit it to end the job{})",
        a.job_id,
        a.nodes.join(","),
        if args.keep {
            "; --keep leaves it running"
        } else {
            ""
        }
    );
    let code = crate::commands::attach::run(ctx, a.job_id, None, &[]);
    if !args.keep {
        let cancelled = ctx.remote(async |conn| {
            watch::cancel(conn, &[a.job_id], None).await;
            Ok(())
        });
        if let Err(e) = cancelled {
            eprintln!(
                "rv up: warning: could not cancel job {}: {e}; run `rv stop {}`",
                a.job_id, a.job_id
            );
        }
    }
    code
}
