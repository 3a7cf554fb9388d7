//! `rv-attach`: the rim around [`crate::attach`].

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use crate::attach;
use crate::connect::Connection;
use crate::records::Record;
use crate::remote::batch::Batch;
use crate::remote::transport::run_batch;

use super::{Error, Input, Local, Run, Session};

/// Open a shell inside an allocation.
///
/// Takes a job id, or reads an `allocation` record on stdin (`rv-watch | rv-attach`), and
/// runs `srun --jobid=J --overlap --pty -N1 -n1 bash -l` on the cluster through the same SSH
/// connection, on a real terminal. With a command after `--`, runs it instead of a shell.
/// While attached it renews the lease of the job's request, if it has one.
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

/// Opens the step in `job` and waits for it: the shell's exit code. While it is open, the
/// lease of the job's request (if it has one) is renewed through the same connection: at
/// once, then every [`crate::lease::renew_every`] seconds.
pub fn run(
    ctx: &Session,
    job: u64,
    node: Option<&str>,
    command: &[String],
) -> Result<ExitCode, Error> {
    let remote = attach::remote(job, node, command);
    let status = ctx.remote(async |conn: &Connection| {
        let mut step = match &ctx.target {
            None => tokio::process::Command::new("sh")
                .arg("-c")
                .arg(&remote)
                .spawn(),
            Some(target) => {
                // The connection is up; ssh rides its master with a terminal.
                let control = target.control_path(&ctx.state.control_dir());
                tokio::process::Command::new("ssh")
                    .args(attach::ssh_args(&control, target, &remote))
                    .spawn()
            }
        }
        .map_err(|e| Error::internal(format!("cannot run ssh: {e}")))?;
        let mut next = Duration::ZERO;
        loop {
            tokio::select! {
                status = step.wait() => {
                    return status.map_err(|e| Error::internal(format!("cannot wait for ssh: {e}")));
                }
                () = tokio::time::sleep(next) => next = renew(conn, job).await,
            }
        }
    })?;
    Ok(ExitCode::from(
        u8::try_from(status.code().unwrap_or(1)).unwrap_or(1),
    ))
}

/// Renews `job`'s lease; how long until the next renewal (an hour when it has none, 15 s
/// after a failure).
async fn renew(conn: &Connection, job: u64) -> Duration {
    let mut batch = Batch::new();
    let i = batch.command(crate::lease::renew_job(job));
    match run_batch(conn, &batch).await {
        Ok(reply) => match crate::lease::parse_renewed(&reply.outputs[i].stdout) {
            Some(length) => Duration::from_secs(crate::lease::renew_every(length)),
            None => Duration::from_secs(3600),
        },
        Err(_) => Duration::from_secs(15),
    }
}
