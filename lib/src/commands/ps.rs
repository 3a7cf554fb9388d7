//! `rv ps`: your jobs, grouped by the request they belong to, in one round trip.

use std::process::ExitCode;

use clap::Parser;

use crate::plan::human;
use crate::slurm::time::Walltime;

use super::{Error, Json, Local, Run, Session, print_lines};

/// List your requests, their strategies and jobs.
///
/// Jobs rv submitted are grouped by request (`r-…`) and show their strategy; other jobs of
/// yours are listed too. Pending jobs show why they wait and when Slurm plans to start them.
/// An interactive request's jobs show its lease: whether its client is there, and when the
/// job ends unless one comes back.
#[derive(Debug, Parser)]
#[command(name = "rv ps", after_help = EXIT_CODES, mut_arg("json", |a| a.help("Print the jobs as a JSON array")))]
pub struct Args {
    /// Also jobs that ended in the last 7 days (from accounting).
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub json: Json,
    #[command(flatten)]
    pub local: Local,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str =
    "Exit codes: 0 listed; 1 the cluster could not be read; 2 bad flags or configuration.";

impl Run for Args {
    const STAGE: &'static str = "rv ps";
    fn run(&self) -> Result<ExitCode, Error> {
        main(self)
    }
}

/// Runs `rv ps`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    let ctx = Session::load("rv ps", args.local.here())?;
    let (rows, now) = crate::flow::jobs::yours(&ctx, args.all)?;
    if args.json.on() {
        let _ = print_lines([serde_json::to_string(&rows)
            .expect("rows serialize")
            .as_str()]);
        return Ok(ExitCode::SUCCESS);
    }
    let mut lines = vec![format!(
        "{:<24} {:<4} {:>8} {:<20} {:<10} {:>4} {:<16} {:>9}  {}",
        "REQUEST", "", "JOB", "NAME", "STATE", "GPUS", "PARTITION", "TIME", "NODE / WAITING"
    )];
    for r in &rows {
        let where_ = if r.nodes.is_empty() {
            let when = r
                .start
                .filter(|&s| s > now)
                .map(|s| format!(", starts in {}", human(u64::try_from(s - now).unwrap_or(0))))
                .unwrap_or_default();
            format!("{}{when}", r.reason.as_deref().unwrap_or("-"))
        } else {
            crate::slurm::hostlist::compress(&r.nodes)
        };
        let where_ = match &r.lease {
            Some(l) => format!("{where_}; {}", l.describe()),
            None => where_,
        };
        lines.push(format!(
            "{:<24} {:<4} {:>8} {:<20} {:<10} {:>4} {:<16} {:>9}  {}",
            r.request.as_deref().unwrap_or("-"),
            r.strategy.as_deref().unwrap_or(""),
            r.job_id,
            r.name.chars().take(20).collect::<String>(),
            r.state,
            r.gpus,
            r.partition,
            r.elapsed
                .map(|e| Walltime::from_secs(e).to_string())
                .unwrap_or_default(),
            where_
        ));
    }
    if rows.is_empty() {
        lines = vec!["no jobs".to_owned()];
    }
    let _ = print_lines(lines.iter().map(String::as_str));
    Ok(ExitCode::SUCCESS)
}
