//! `rv-watch`: the rim around [`crate::watch`].

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use crate::records::{Envelope, Record};
use crate::slurm::time::Walltime;
use crate::submit::Recorded;

use super::{Error, Input, Local, NoColor, Run, Session, print_lines};
use crate::flow::watch::{Follow, Outcome, Target, follow, interrupted};

/// Keep the first job of a request that starts; cancel every other one.
///
/// Reads `rv-submit`'s NDJSON on stdin (or a recorded request with `--resume`), passes it
/// through, then writes an `event` record on every state change and, when a job runs, an
/// `allocation` record. The moment one job runs, every other job of the request is
/// cancelled, running ones too. Ctrl-C, SIGTERM or `--timeout` cancel every job not yet
/// won, and the winner too unless `--keep`.
///
/// It watches through one channel of the SSH connection: a small script on the login node
/// asks squeue every second and sends only what changed, so a start is seen within about a
/// second. If that channel drops, rv-watch asks round trip by round trip instead.
#[derive(Debug, Parser)]
#[command(name = "rv-watch", version, after_help = EXIT_CODES, mut_arg("local", |a| a.help("Watch from this host (when rv runs on the login node)")))]
pub struct Args {
    /// Give up (and cancel everything) after this long: 30m, 2h, 1d.
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// On Ctrl-C or SIGTERM after a job has won, leave it running.
    #[arg(long)]
    pub keep: bool,
    /// Pick up a request recorded in ~/.rv/requests/ (after a crash) instead of reading stdin.
    #[arg(long, value_name = "REQUEST")]
    pub resume: Option<String>,
    #[command(flatten)]
    pub local: Local,
    #[command(flatten)]
    pub no_color: NoColor,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str = "Exit codes: 0 a job of the request is running (its `allocation` is printed); \
     1 none started (all ended, timed out, or the cluster was lost); 2 bad flags or input; \
     130 interrupted (the request's jobs were cancelled).";

impl Run for Args {
    const STAGE: &'static str = "rv-watch";
    fn run(&self) -> Result<ExitCode, Error> {
        self.no_color.apply();
        main(self)
    }
}

/// Runs `rv-watch`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    let timeout = match args.timeout.as_deref().map(Walltime::from_user).transpose() {
        Ok(t) => t.map(|t| Duration::from_secs(t.as_secs())),
        Err(e) => return Err(Error::usage(format!("--timeout: {e}"))),
    };
    let ctx = Session::load("rv-watch", args.local.here())?;
    let (input, target) = match &args.resume {
        Some(id) => match resumed(&ctx, id) {
            Ok(t) => (None, t),
            Err(e) => return Err(Error::usage(e)),
        },
        None => {
            let input = Input::read()?;
            match from_input(&ctx, &input) {
                Ok(t) => (Some(input), t),
                Err(e) => return Err(Error::usage(e)),
            }
        }
    };
    if let Some(input) = &input {
        let _ = input.emit(&[]);
    }
    let outcome = ctx.remote(async |c| {
        let how = Follow {
            timeout,
            keep: args.keep,
            records: true,
            // Its records go to stdout: on the same terminal they would break the board.
            board: crate::style::live_stderr() && !std::io::stdout().is_terminal(),
        };
        Ok(follow(&ctx, c, &target, how, interrupted()).await)
    });
    match outcome? {
        Outcome::Won(a) => {
            let _ = print_lines([Envelope::new(Record::Allocation(a)).to_line().as_str()]);
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Ended(why) => Err(Error::job(why)),
        Outcome::Interrupted => Err(Error::interrupted()),
    }
}

/// The jobs of the request in the input.
fn from_input(ctx: &Session, input: &Input) -> Result<Target, String> {
    let mut request = None;
    let mut cluster = None;
    let mut strategies = Vec::new();
    let mut jobs = Vec::new();
    for record in input.records() {
        match record {
            Record::Cluster(c) => cluster = Some(c.clone()),
            Record::Request(r) => request = Some(r.id.clone()),
            Record::Strategy(s) => strategies.push(s.clone()),
            Record::Submission(s) => {
                if let Some(id) = s.job_id {
                    jobs.push((id, Some(s.strategy.clone())));
                }
            }
            _ => {}
        }
    }
    let request =
        request.ok_or("no `request` record in the input: pipe rv-submit into rv-watch")?;
    if jobs.is_empty() {
        return Err(format!("no job of request {request} was submitted"));
    }
    let cluster = cluster.ok_or(
        "no `cluster` record in the input: pipe rv-probe's output through rv-plan and rv-submit",
    )?;
    Ok(Target {
        request,
        paths: ctx.paths_of(&cluster).map_err(|e| e.to_string())?,
        strategies,
        jobs,
    })
}

/// The jobs of a request recorded by `rv-submit`.
fn resumed(ctx: &Session, id: &str) -> Result<Target, String> {
    let recorded = Recorded::load(&ctx.state, id).map_err(|e| format!("--resume: {e}"))?;
    Ok(Target {
        request: recorded.request.id.clone(),
        paths: recorded.paths(),
        jobs: recorded.jobs(),
        strategies: recorded.strategies,
    })
}
