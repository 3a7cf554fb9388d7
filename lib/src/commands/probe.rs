//! `rv-probe`: the rim around [`crate::probe`].

use std::process::ExitCode;

use clap::Parser;

use crate::probe::{self, Options};
use crate::slurm::time::Walltime;

use super::{Error, Local, Run, Session, print_records, warn_unread};

/// Read the cluster in one round trip and estimate backfill windows.
///
/// Prints NDJSON records on stdout: one `cluster`, then each GPU `partition` followed by its
/// `window`s (see docs/ndjson.md). The windows come from rv's model of every node's GPU
/// timeline (running jobs, the backfill plan, reservations), cross-checked by a bisection of
/// `sbatch --test-only` per partition.
#[derive(Debug, Parser)]
#[command(name = "rv-probe", version, after_help = EXIT_CODES, mut_arg("local", |a| a.help("Run the Slurm commands on this host (when rv runs on the login node)")))]
pub struct Args {
    /// GPUs per node of the `--test-only` cross-check probes.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub gpu: u32,
    /// Account to charge the probes to (default: the configured one, else Slurm's default).
    #[arg(long, short = 'A', env = "RV_ACCOUNT")]
    pub account: Option<String>,
    /// The job's walltime (2h, 20m, 1:30:00), when it is known: a job shorter than 30
    /// minutes is shown holes as short as itself (default: holes of 30 minutes or more).
    #[arg(long, value_name = "DURATION")]
    pub time: Option<String>,
    /// Skip the `sbatch --test-only` cross-check; use the model only.
    #[arg(long)]
    pub no_test_only: bool,
    #[command(flatten)]
    pub local: Local,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str =
    "Exit codes: 0 success; 1 the cluster could not be read; 2 bad flags or configuration.";

impl Run for Args {
    const STAGE: &'static str = "rv-probe";
    fn run(&self) -> Result<ExitCode, Error> {
        main(self)
    }
}

/// Runs `rv-probe`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    let shortest = match args.time.as_deref().map(Walltime::from_user).transpose() {
        Ok(t) => probe::shortest_window(t.map(Walltime::as_secs)),
        Err(e) => return Err(Error::usage(format!("--time: {e}"))),
    };
    let ctx = Session::load("rv-probe", args.local.here())?;
    let host = ctx.host();
    let profile = ctx.profile(&host)?;
    let options = Options {
        gpus: args.gpu,
        account: args.account.clone().or(ctx.config.defaults.account.clone()),
        test_only: !args.no_test_only,
        scratch: ctx.config.paths.scratch.clone(),
    };
    let snapshot = ctx.remote(async |c| Ok(probe::run(c, &host, &options).await?))?;
    warn_unread("rv-probe", &snapshot);
    match print_records(&snapshot.records(&profile, shortest)) {
        Ok(_) => Ok(ExitCode::SUCCESS),
        Err(e) => Err(Error::internal(format!("cannot write: {e}"))),
    }
}
