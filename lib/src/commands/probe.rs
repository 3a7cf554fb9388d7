//! `rv-probe`: the rim around [`crate::probe`].

use std::process::ExitCode;

use clap::Parser;

use crate::config::Config;
use crate::connect::{self, Connection};
use crate::exit;
use crate::probe::{self, Options};
use crate::state::StateDir;

use super::{CONFIG_EXIT, fail, print_records};

/// Read the cluster in one round trip and estimate backfill windows.
///
/// Prints NDJSON records on stdout: one `cluster`, then each GPU `partition` followed by its
/// `window`s (see docs/ndjson.md). The windows come from rv's model of every node's GPU
/// timeline (running jobs, the backfill plan, reservations), cross-checked by a bisection of
/// `sbatch --test-only` per partition.
#[derive(Debug, Parser)]
#[command(name = "rv-probe", version, after_help = EXIT_CODES)]
pub struct Args {
    /// GPUs per node of the `--test-only` cross-check probes.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub gpu: u32,
    /// Account to charge the probes to (default: the configured one, else Slurm's default).
    #[arg(long, short = 'A', env = "RV_ACCOUNT")]
    pub account: Option<String>,
    /// Skip the `sbatch --test-only` cross-check; use the model only.
    #[arg(long)]
    pub no_test_only: bool,
    /// Run the Slurm commands on this host (when rv runs on the login node).
    #[arg(long)]
    pub local: bool,
    /// Accepted for uniformity: the output is always NDJSON.
    #[arg(long)]
    pub json: bool,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str =
    "Exit codes: 0 success; 1 the cluster could not be read; 2 bad flags or configuration.";

/// Runs `rv-probe`.
pub fn main(args: Args) -> ExitCode {
    let env = |k: &str| std::env::var(k).ok();
    let home = connect::home();
    let config = match Config::load(&env, &home) {
        Ok(c) => c,
        Err(e) => return fail("rv-probe", &e.to_string(), CONFIG_EXIT),
    };
    let state = match StateDir::open(StateDir::default_root(&env, &home)) {
        Ok(s) => s,
        Err(e) => {
            return fail(
                "rv-probe",
                &format!("cannot use the state directory: {e}"),
                exit::FAILURE,
            );
        }
    };
    let target = if args.local {
        None
    } else {
        match connect::target(&config) {
            Ok(t) => Some(t),
            Err(e) => return fail("rv-probe", &e.to_string(), CONFIG_EXIT),
        }
    };
    let host = target
        .as_ref()
        .map_or_else(|| "localhost".to_owned(), |t| t.host.clone());
    let profile = match connect::profile(&config, &state, &host) {
        Ok(p) => p,
        Err(e) => return fail("rv-probe", &e.to_string(), CONFIG_EXIT),
    };
    let options = Options {
        gpus: args.gpu,
        account: args.account.or(config.defaults.account.clone()),
        test_only: !args.no_test_only,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime builds");
    let snapshot = runtime.block_on(async {
        let connection = Connection::open(target.as_ref(), &state)
            .await
            .map_err(|e| e.to_string())?;
        probe::run(&connection, &host, &options)
            .await
            .map_err(|e| e.to_string())
    });
    match snapshot {
        Ok(snapshot) => match print_records(&snapshot.records(&profile)) {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => fail("rv-probe", &format!("cannot write: {e}"), exit::FAILURE),
        },
        Err(e) => fail("rv-probe", &e, exit::FAILURE),
    }
}
