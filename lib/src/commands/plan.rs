//! `rv-plan`: the rim around [`crate::plan`].

use std::process::ExitCode;

use clap::Parser;

use crate::config::Config;
use crate::plan::{self, Probed};
use crate::records::{Envelope, Record};

use super::request::{RequestArgs, ask};
use super::{Error, Input, Run};

/// Turn probe records and a request into ranked submission strategies.
///
/// Reads `rv-probe`'s NDJSON on stdin, passes every line through, and adds one `request`
/// and the kept `strategy` records, best first (see docs/ndjson.md). `--explain` shows on
/// stderr every strategy considered, kept or dropped, and why.
#[derive(Debug, Parser)]
#[command(name = "rv-plan", version, after_help = EXIT_CODES)]
pub struct Args {
    /// What to ask for.
    #[command(flatten)]
    pub request: RequestArgs,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str = "Exit codes: 0 success; 1 nothing can satisfy the request, or an upstream stage failed; \
     2 bad flags, configuration or NDJSON input (nothing is planned).";

impl Run for Args {
    const STAGE: &'static str = "rv-plan";
    fn run(&self) -> Result<ExitCode, Error> {
        main(self)
    }
}

/// Runs `rv-plan`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    let env = |k: &str| std::env::var(k).ok();
    let config = Config::load(&env, &crate::util::home())?;
    let ask = ask(&args.request, &config).map_err(Error::usage)?;
    let input = Input::read()?;
    let probed = Probed::from_records(input.records());
    let now = probed.cluster.as_ref().map_or(0, |c| c.now);
    let id = plan::request_id(now)
        .map_err(|e| Error::internal(format!("cannot make a request id: {e}")))?;
    let (request, considered) = match plan::plan(&ask, &probed, &id) {
        Ok(p) => p,
        Err(e @ plan::PlanError::NoProbe) => return Err(Error::usage(e)),
        Err(e) => return Err(Error::cluster(e)),
    };
    if args.request.explain {
        eprint!("{}", crate::plan::explain(&considered, now));
    }
    let new: Vec<Envelope> = std::iter::once(Envelope::new(Record::Request(request)))
        .chain(
            considered
                .into_iter()
                .filter(|c| c.kept)
                .map(|c| Envelope::new(Record::Strategy(c.strategy))),
        )
        .collect();
    match input.emit(&new) {
        Ok(_) => Ok(ExitCode::SUCCESS),
        Err(e) => Err(Error::internal(format!("cannot write: {e}"))),
    }
}
