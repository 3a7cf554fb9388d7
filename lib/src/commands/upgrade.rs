//! `rv upgrade`: the latest release over this one.

use std::process::ExitCode;

use clap::Parser;

use super::{Error, Json, Run, print_lines};
use crate::upgrade::{SITE, upgrade};

/// Install the latest rv over this one.
///
/// Asks the site (`/api/cli/version`) for the latest release; when it is newer, downloads
/// the binaries for this platform and the release's `SHA256SUMS`, checks every file, and
/// only then moves each one over the installed one (an atomic rename, so a running rv is
/// never half-replaced). An rv installed by a package manager is left to it.
#[derive(Debug, Parser)]
#[command(name = "rv upgrade", after_help = EXIT_CODES, mut_arg("json", |a| a.help("Print `{\"current\",\"latest\",\"upgraded\",\"path\"}` as JSON")))]
pub struct Args {
    /// Only say whether a newer release exists.
    #[arg(long)]
    pub check: bool,
    /// Install this version instead of the latest (also an older one).
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    #[command(flatten)]
    pub json: Json,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str = "Exit codes: 0 up to date, upgraded, or left to the package manager; 1 the site could not \
     be reached, a download failed its checksum (nothing replaced) or the binary could not be replaced; 2 bad flags.";

impl Run for Args {
    const STAGE: &'static str = "rv upgrade";
    fn run(&self) -> Result<ExitCode, Error> {
        main(self)
    }
}

/// Runs `rv upgrade`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    let site = std::env::var("RV_SITE_URL").unwrap_or_else(|_| SITE.to_owned());
    let site = site.trim_end_matches('/');
    let current = env!("CARGO_PKG_VERSION");
    let exe = match std::env::current_exe().and_then(std::fs::canonicalize) {
        Ok(p) => p,
        Err(e) => {
            return Err(Error::cluster(format!("cannot find this binary: {e}")));
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return Err(Error::internal(e)),
    };
    let report = runtime
        .block_on(upgrade(site, current, &exe, args.to.as_deref(), args.check))
        .map_err(Error::cluster)?;
    if args.json.on() {
        let _ = print_lines([report.to_string().as_str()]);
    }
    Ok(ExitCode::SUCCESS)
}
