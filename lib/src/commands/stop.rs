//! `rv stop`: cancel a job, a whole request, or all your jobs, in one round trip.

use std::process::ExitCode;

use clap::Parser;

use crate::cancel::{Asked, Target};

use super::{Error, Json, Local, Run, Session, print_lines};

/// Cancel a job or a whole request (every strategy and segment of it).
///
/// TARGET is a job id, a request id (`r-…`, as `rv up` and `rv-plan` print it) or a job or
/// request name (a job of a request stands for the whole request). A request's jobs are
/// taken from the local record and from the request's job list on the cluster;
/// the request's env file is removed too, so secrets of jobs that never started do not stay
/// on disk.
#[derive(Debug, Parser)]
#[command(name = "rv stop", after_help = EXIT_CODES, mut_arg("json", |a| a.help("Print what was cancelled as JSON")))]
pub struct Args {
    /// A job id, a request id, or a job or request name.
    #[arg(required_unless_present = "all", add = clap_complete::ArgValueCandidates::new(crate::jobs::candidates))]
    pub target: Option<String>,
    /// Cancel every job of yours.
    #[arg(long, conflicts_with = "target")]
    pub all: bool,
    /// Do not ask before `--all`.
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub json: Json,
    #[command(flatten)]
    pub local: Local,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str = "Exit codes: 0 cancelled (or nothing was left to cancel); 1 the cluster refused or could not be reached; \
     2 bad arguments, or --all without --yes and no terminal to ask.";

/// Asks before `--all` on a terminal; without one, `--yes` is required.
fn confirm_all() -> Result<bool, Error> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return Err(Error::usage("--all cancels every job of yours: add --yes"));
    }
    eprint!("Cancel every job of yours? [y/N] ");
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    let yes = answer.trim().eq_ignore_ascii_case("y");
    if !yes {
        eprintln!("rv stop: nothing cancelled");
    }
    Ok(yes)
}

impl Run for Args {
    const STAGE: &'static str = "rv stop";
    fn run(&self) -> Result<ExitCode, Error> {
        main(self)
    }
}

/// Runs `rv stop`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    let asked = Asked::parse(args.target.as_deref(), args.all).map_err(Error::usage)?;
    if asked == Asked::Exact(Target::All) && !args.yes && !confirm_all()? {
        return Ok(ExitCode::SUCCESS);
    }
    let ctx = Session::load("rv stop", args.local.here())?;
    let stopped = crate::flow::jobs::stop(&ctx, asked)?;
    for f in &stopped.forwards {
        eprintln!(
            "rv stop: removed the forward of localhost:{} to job {}",
            f.local, f.job
        );
    }
    let ids: Vec<String> = stopped.jobs.iter().map(u64::to_string).collect();
    if args.json.on() {
        let _ = print_lines([serde_json::json!({ "cancelled": stopped.jobs })
            .to_string()
            .as_str()]);
    } else if ids.is_empty() {
        eprintln!("rv stop: nothing was running or waiting");
    } else {
        eprintln!("rv stop: cancelled {}", ids.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}
