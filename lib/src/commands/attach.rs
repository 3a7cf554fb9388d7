//! `rv-attach`: the rim around [`crate::attach`].

use std::process::ExitCode;

use clap::Parser;

use crate::attach;
use crate::connect::Connection;
use crate::exit;
use crate::records::Record;

use super::{Context, Input, fail};

/// Open a shell inside an allocation.
///
/// Takes a job id, or reads an `allocation` record on stdin (`rv-watch | rv-attach`), and
/// runs `srun --jobid=J --overlap --pty -N1 -n1 bash -l` on the cluster through the same SSH
/// connection, on a real terminal. With a command after `--`, runs it instead of a shell.
#[derive(Debug, Parser)]
#[command(name = "rv-attach", version, after_help = EXIT_CODES)]
pub struct Args {
    /// The job (default: the `allocation` record on stdin).
    pub job: Option<u64>,
    /// Which node of a multi-node job, by name (default: the first).
    #[arg(long, value_name = "NODE")]
    pub node: Option<String>,
    /// Attach from this host (when rv runs on the login node).
    #[arg(long)]
    pub local: bool,
    /// A command to run instead of a login shell.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str =
    "Exit codes: the shell's (or command's) own; 1 the job could not be reached; 2 no job given.";

/// Runs `rv-attach`.
pub fn main(args: &Args) -> ExitCode {
    let job = match args.job {
        Some(j) => j,
        None => {
            let input = match Input::read("rv-attach") {
                Ok(i) => i,
                Err(code) => return code,
            };
            let found = input.records().find_map(|r| match r {
                Record::Allocation(a) => Some(a.job_id),
                _ => None,
            });
            match found {
                Some(j) => j,
                None => {
                    return fail(
                        "rv-attach",
                        "no job: give a job id or pipe an `allocation` record in",
                        exit::USAGE,
                    );
                }
            }
        }
    };
    let ctx = match Context::load("rv-attach", args.local) {
        Ok(c) => c,
        Err(code) => return code,
    };
    run(&ctx, job, args.node.as_deref(), &args.command)
}

/// Opens the step in `job` and waits for it: the shell's exit code.
pub fn run(ctx: &Context, job: u64, node: Option<&str>, command: &[String]) -> ExitCode {
    let remote = attach::srun(job, node, command);
    let status = match &ctx.target {
        None => std::process::Command::new("sh")
            .arg("-c")
            .arg(&remote)
            .status(),
        Some(target) => {
            // Make sure the master is up; then ssh rides it with a terminal.
            if let Err(e) = ctx.remote(async |_: &Connection| Ok(())) {
                return fail("rv-attach", &e, exit::FAILURE);
            }
            let control = target.control_path(&ctx.state.control_dir());
            std::process::Command::new("ssh")
                .args(attach::ssh_args(&control, target, &remote))
                .status()
        }
    };
    match status {
        Ok(s) => ExitCode::from(u8::try_from(s.code().unwrap_or(1)).unwrap_or(1)),
        Err(e) => fail("rv-attach", &format!("cannot run ssh: {e}"), exit::FAILURE),
    }
}
