//! `rv status`: connection, balance, storage, your jobs and GPU availability, in one round
//! trip.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use crate::probe::{self, Options};

use super::{Error, Json, Local, NoColor, Run, Session, print_lines};
use crate::status::{assemble, render};

/// Connection, balance, storage, jobs and GPU availability at a glance.
///
/// Everything comes from one round trip: the site's `allocations` and `hdquota`, the queue,
/// and `sinfo`'s real GPU usage (each node counted once, even when several partitions hold
/// it). Storage over 80 % is flagged. The wait per GPU type is the backfill model's
/// estimate for one GPU.
#[derive(Debug, Parser)]
#[command(name = "rv status", after_help = EXIT_CODES, mut_arg("json", |a| a.help("Print everything as one JSON object")))]
pub struct Args {
    #[command(flatten)]
    pub json: Json,
    #[command(flatten)]
    pub local: Local,
    #[command(flatten)]
    pub no_color: NoColor,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str = "Exit codes: 0 shown; 1 the cluster could not be reached or read; 2 bad flags or configuration.";

impl Run for Args {
    const STAGE: &'static str = "rv status";
    fn run(&self) -> Result<ExitCode, Error> {
        self.no_color.apply();
        main(self)
    }
}

/// Runs `rv status`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    let ctx = Session::load("rv status", args.local.here())?;
    let host = ctx.host();
    let profile = ctx.profile(&host)?;
    let read = ctx.remote(async |conn| {
        let started = Instant::now();
        let options = Options {
            test_only: false,
            scratch: ctx.config.paths.scratch.clone(),
            ..Options::default()
        };
        let extra = crate::status::SITE_TOOLS.map(str::to_owned);
        let (snapshot, site) = probe::run_with(conn, &host, &options, &extra).await?;
        Ok((snapshot, site, started.elapsed()))
    });
    let (snapshot, site, took) = read?;
    crate::session::warn_unread("rv status", &snapshot);
    let status = assemble(&ctx, &snapshot, &site, &profile, took);
    if args.json.on() {
        let _ = print_lines([serde_json::to_string(&status)
            .expect("status serializes")
            .as_str()]);
        return Ok(ExitCode::SUCCESS);
    }
    let _ = print_lines(render(&status, crate::style::enabled()).lines());
    Ok(ExitCode::SUCCESS)
}
