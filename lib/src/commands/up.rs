//! `rv up`: probe, plan, submit, watch and attach in one process, over one connection.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use crate::commands::request::{LeaseArgs, RequestArgs, ask};
use crate::commands::{Error, Json, Local, NoColor, Run, Session, print_lines, print_records};
use crate::flow::up::{Submit, plan_now, submit_and_follow};
use crate::flow::watch::{self, Outcome, Target};
use crate::plan::explain;
use crate::records::{Allocation, Envelope, Record};
use crate::slurm::time::Walltime;
use crate::submit::Recorded;

/// Get GPUs: plan strategies, submit them all, keep the first to start, attach.
///
/// Reads the queue, plans every way to get what you asked for (GPU types, topologies,
/// backfill windows), submits them all at once, keeps the first job that starts and cancels
/// the rest, then opens a shell in it. When the shell exits the job is cancelled, unless
/// `--keep`. Ctrl-C while waiting cancels every job of the request. The job has a lease
/// (`--lease`, default 10m): once this client is gone (a closed laptop, a lost connection)
/// and no shell is attached for that long, the job ends itself; `rv attach` or
/// `rv up --resume` within the lease comes back to it. `--keep` means no lease.
#[derive(Debug, Parser)]
#[command(name = "rv up", version, after_help = EXIT_CODES, mut_arg("json", |a| a.help("Print the allocation as JSON and do not attach (the job keeps running: for its lease, or until its walltime with --keep)")))]
pub struct Args {
    /// What to ask for.
    #[command(flatten)]
    pub request: RequestArgs,
    /// Show the plan and submit nothing (a table; NDJSON with --json).
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub json: Json,
    /// Keep the job when the shell exits (or on Ctrl-C after it started), and give it no
    /// lease: it stays until its walltime, client or not.
    #[arg(long)]
    pub keep: bool,
    #[command(flatten)]
    pub lease: LeaseArgs,
    /// Come back to a recorded request (its lease renewed): wait for it, then attach.
    /// The request's flags are its own; the ones given here are ignored.
    #[arg(long, value_name = "REQUEST", add = clap_complete::ArgValueCandidates::new(crate::jobs::request_candidates))]
    pub resume: Option<String>,
    /// Give up waiting after this long: 30m, 2h.
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    #[command(flatten)]
    pub local: Local,
    #[command(flatten)]
    pub no_color: NoColor,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str = "Exit codes: 0 success (the shell's own code after attaching); 1 no job could start, \
     or the cluster could not be reached; 2 bad flags or configuration (nothing submitted); 130 interrupted \
     (every job of the request cancelled).";

impl Run for Args {
    const STAGE: &'static str = "rv up";
    fn run(&self) -> Result<ExitCode, Error> {
        self.no_color.apply();
        main(self)
    }
}

/// Runs `rv up`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    let ctx = Session::load("rv up", args.local.here())?;
    let timeout = match args.timeout.as_deref().map(Walltime::from_user).transpose() {
        Ok(t) => t.map(|t| Duration::from_secs(t.as_secs())),
        Err(e) => return Err(Error::usage(format!("--timeout: {e}"))),
    };
    let lease = args
        .lease
        .seconds(args.keep, &ctx.config)
        .map_err(Error::usage)?;
    if let Some(id) = &args.resume {
        return resume(&ctx, args, id, timeout);
    }
    let ask = ask(&args.request, &ctx.config).map_err(Error::usage)?;
    let vars = crate::secrets::job_vars(&ctx)?;
    let host = ctx.host();
    let profile = ctx.profile(&host)?;
    let outcome = ctx.remote(async |conn| {
        let planned = plan_now(&ctx, conn, &host, &profile, &ask, "rv up").await?;
        let shown = planned.shown(args.request.explain);
        if args.dry_run {
            if args.json.on() {
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
        if !runs_command {
            eprintln!("rv up: {}", lease_notice(lease));
        }
        let submit = Submit {
            modules: &profile.modules,
            vars: &vars,
            workdir: None,
            timeout,
            keep: args.keep,
            lease,
        };
        Ok(Step::Watched(
            submit_and_follow(&ctx, conn, &host, &planned, &submit, "rv up").await?,
            runs_command,
        ))
    });
    match outcome? {
        Step::DryRun => Ok(ExitCode::SUCCESS),
        Step::Watched(Outcome::Won(a), runs_command) => {
            after_win(&ctx, args, &a, runs_command, lease)
        }
        Step::Watched(Outcome::Ended(why), _) => Err(Error::job(why)),
        Step::Watched(Outcome::Interrupted, _) => Err(Error::interrupted()),
    }
}

/// What `rv up` says of the lease when it starts.
fn lease_notice(lease: Option<u64>) -> String {
    match lease {
        Some(secs) => format!(
            "lease {}: the job ends {} after this client is gone with no shell attached \
             (`rv attach` or `rv up --resume` within it comes back; --keep keeps it)",
            crate::plan::human(secs),
            crate::plan::human(secs)
        ),
        None => {
            "--keep: no lease; the job stays until its walltime, client or not (`rv stop` ends it)"
                .to_owned()
        }
    }
}

/// `rv up --resume`: follow a recorded request again (each tick renews its lease), then
/// attach to its winner as `rv up` does.
fn resume(
    ctx: &Session,
    args: &Args,
    id: &str,
    timeout: Option<Duration>,
) -> Result<ExitCode, Error> {
    let recorded =
        Recorded::load(&ctx.state, id).map_err(|e| Error::usage(format!("--resume: {e}")))?;
    let runs_command = recorded.request.command.is_some();
    let recorded_lease = recorded.lease;
    let target = Target {
        request: recorded.request.id.clone(),
        paths: recorded.paths(),
        jobs: recorded.jobs(),
        strategies: recorded.strategies,
    };
    eprintln!(
        "rv up: resuming request {} ({} jobs)",
        target.request,
        target.jobs.len()
    );
    let outcome = ctx.remote(async |conn| {
        let how = watch::Follow {
            timeout,
            keep: args.keep,
            records: false,
            board: crate::style::live_stderr(),
        };
        Ok(watch::follow(ctx, conn, &target, how, watch::interrupted()).await)
    })?;
    match outcome {
        Outcome::Won(a) => after_win(ctx, args, &a, runs_command, recorded_lease),
        Outcome::Ended(why) => Err(Error::job(why)),
        Outcome::Interrupted => Err(Error::interrupted()),
    }
}

/// How far `rv up` got inside the connection.
enum Step {
    DryRun,
    Watched(Outcome, bool),
}

/// The job runs: print it, or attach and cancel it when the shell exits.
fn after_win(
    ctx: &Session,
    args: &Args,
    a: &Allocation,
    runs_command: bool,
    lease: Option<u64>,
) -> Result<ExitCode, Error> {
    if args.json.on() || runs_command {
        let _ = print_records(&[Envelope::new(Record::Allocation(a.clone()))]);
        if runs_command && !args.json.on() {
            eprintln!(
                "rv up: job {} runs your command on {}",
                a.job_id,
                a.nodes.join(",")
            );
        }
        if let (Some(secs), false) = (lease, runs_command) {
            eprintln!(
                "rv up: job {} ends {} from now unless renewed: `rv attach {}` (or --keep next time)",
                a.job_id,
                crate::plan::human(secs),
                a.job_id
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
