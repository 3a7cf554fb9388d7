//! `rv-attach`: the rim around [`crate::attach`].

use std::process::ExitCode;

use clap::Parser;

use crate::attach;
use crate::connect::Connection;
use crate::records::Record;

use super::{Error, Input, Local, Run, Session};

/// Open a shell inside an allocation.
///
/// Takes a job id, or reads an `allocation` record on stdin (`rv-watch | rv-attach`), and
/// runs `srun --jobid=J --overlap --pty -N1 -n1 bash -l` on the cluster through the same SSH
/// connection, on a real terminal. With a command after `--`, runs it instead of a shell.
#[derive(Debug, Parser)]
#[command(name = "rv-attach", version, after_help = EXIT_CODES, mut_arg("local", |a| a.help("Attach from this host (when rv runs on the login node)")))]
pub struct Args {
    /// The job (default: the `allocation` record on stdin).
    pub job: Option<u64>,
    /// Which node of a multi-node job, by name (default: the first).
    #[arg(long, value_name = "NODE")]
    pub node: Option<String>,
    #[command(flatten)]
    pub local: Local,
    /// A command to run instead of a login shell.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str =
    "Exit codes: the shell's (or command's) own; 1 the job could not be reached; 2 no job given.";

impl Run for Args {
    const STAGE: &'static str = "rv-attach";
    fn run(&self) -> Result<ExitCode, Error> {
        main(self)
    }
}

/// Runs `rv-attach`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    let job = match args.job {
        Some(j) => j,
        None => {
            let input = Input::read()?;
            let found = input.records().find_map(|r| match r {
                Record::Allocation(a) => Some(a.job_id),
                _ => None,
            });
            found.ok_or_else(|| {
                Error::usage("no job: give a job id or pipe an `allocation` record in")
            })?
        }
    };
    let ctx = Session::load("rv-attach", args.local.here())?;
    run(&ctx, job, args.node.as_deref(), &args.command)
}

/// Opens the step in `job` and waits for it: the shell's exit code.
pub fn run(
    ctx: &Session,
    job: u64,
    node: Option<&str>,
    command: &[String],
) -> Result<ExitCode, Error> {
    let remote = attach::srun(job, node, command);
    let status = match &ctx.target {
        None => std::process::Command::new("sh")
            .arg("-c")
            .arg(&remote)
            .status(),
        Some(target) => {
            // Make sure the master is up; then ssh rides it with a terminal.
            ctx.remote(async |_: &Connection| Ok(()))?;
            let control = target.control_path(&ctx.state.control_dir());
            std::process::Command::new("ssh")
                .args(attach::ssh_args(&control, target, &remote))
                .status()
        }
    };
    match status {
        Ok(s) => Ok(ExitCode::from(
            u8::try_from(s.code().unwrap_or(1)).unwrap_or(1),
        )),
        Err(e) => Err(Error::internal(format!("cannot run ssh: {e}"))),
    }
}
