//! `rv ssh` and `rv attach`: a shell on a job's node, or an SSH entry for editors.

use std::process::ExitCode;

use clap::Parser;

use super::{Error, Json, Local, Run, Session, choose_job, print_lines};

/// Shell on a job's node, or print an SSH config entry for editors.
///
/// Opens a login shell inside the job (`srun --overlap --pty`, sharing its GPUs) through
/// rv's SSH connection. `--config` prints a `Host` entry with `ProxyJump` through the login
/// node, for VS Code or Cursor Remote-SSH (compute nodes accept your key when home is shared).
#[derive(Debug, Parser)]
#[command(name = "rv ssh", after_help = EXIT_CODES, mut_arg("json", |a| a.help("With --config, print it as JSON")))]
pub struct Args {
    /// The job: an id, a unique part of one, or a request (default: pick, or the latest running).
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::jobs::candidates))]
    pub job: Option<String>,
    /// Print an SSH config entry instead of connecting.
    #[arg(long)]
    pub config: bool,
    /// Which node of a multi-node job (default: the first).
    #[arg(long, value_name = "NODE")]
    pub node: Option<String>,
    #[command(flatten)]
    pub json: Json,
    #[command(flatten)]
    pub local: Local,
}

/// Open a shell inside a running job.
///
/// Like `rv ssh`, with an optional command after `--` instead of the shell.
#[derive(Debug, Parser)]
#[command(name = "rv attach", after_help = EXIT_CODES)]
pub struct AttachArgs {
    /// The job: an id, a unique part of one, or a request (default: pick, or the latest running).
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::jobs::candidates))]
    pub job: Option<String>,
    /// Which node of a multi-node job (default: the first).
    #[arg(long, value_name = "NODE")]
    pub node: Option<String>,
    #[command(flatten)]
    pub local: Local,
    /// A command to run instead of a login shell.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str = "Exit codes: the shell's (or command's) own; 1 no such running job, or the cluster \
     could not be reached; 2 bad flags or configuration.";

/// An SSH config entry reaching `node` through `jump`.
pub fn config_entry(alias: &str, node: &str, jump: &str, user: Option<&str>) -> String {
    let mut s = format!("Host {alias}\n    HostName {node}\n    ProxyJump {jump}\n");
    if let Some(u) = user {
        s.push_str(&format!("    User {u}\n"));
    }
    s
}

impl Run for Args {
    const STAGE: &'static str = "rv ssh";
    fn run(&self) -> Result<ExitCode, Error> {
        main(self)
    }
}

/// Runs `rv ssh`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    let ctx = Session::load("rv ssh", args.local.here())?;
    let job = running(&ctx, args.job.as_deref())?;
    let node = args
        .node
        .clone()
        .or_else(|| job.nodes.first().cloned())
        .unwrap_or_default();
    if args.config {
        let host = ctx.host();
        let user = ctx.config.connection.user.clone();
        let alias = format!("rv-{}", job.job_id);
        if args.json.on() {
            let v = serde_json::json!({"host": alias, "hostname": node, "proxy_jump": host, "user": user});
            let _ = print_lines([v.to_string().as_str()]);
        } else {
            let entry = config_entry(&alias, &node, &host, user.as_deref());
            let _ = print_lines(entry.lines());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let id = job.job_id.parse().unwrap_or_default();
    super::attach::run(&ctx, id, Some(&node), &[])
}

impl Run for AttachArgs {
    const STAGE: &'static str = "rv attach";
    fn run(&self) -> Result<ExitCode, Error> {
        let ctx = Session::load(Self::STAGE, self.local.here())?;
        let job = running(&ctx, self.job.as_deref())?;
        let id = job.job_id.parse().unwrap_or_default();
        super::attach::run(&ctx, id, self.node.as_deref(), &self.command)
    }
}

fn running(ctx: &Session, what: Option<&str>) -> Result<crate::jobs::Row, Error> {
    let job = choose_job(ctx, what)?;
    if job.state == "RUNNING" {
        Ok(job)
    } else {
        Err(Error::job(format!(
            "job {} is {}, not running",
            job.job_id, job.state
        )))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_entry_jumps_through_the_login_node() {
        assert_eq!(
            super::config_entry("rv-42", "udc-an38-9", "rv-hpc", Some("abs6bd")),
            "Host rv-42\n    HostName udc-an38-9\n    ProxyJump rv-hpc\n    User abs6bd\n"
        );
    }
}
