//! `rv forward`: local ports to a job's node, through rv's SSH master.
//!
//! Forwards are added to the running master (`ssh -O forward`) and removed from it
//! (`ssh -O cancel`); the master itself is never killed. `rv forward` stays in the
//! foreground while the job runs and removes its forwards when the job ends or on Ctrl-C;
//! each forward is also recorded (`~/.rv/forwards/<job>.json`) so `--list`, `--stop` and
//! `rv stop` find it from another terminal.

use std::process::ExitCode;

use clap::Parser;

use super::{Error, Json, Run, Session, choose_job, print_lines};
use crate::forward::{parse_port, recorded, stop};

/// Forward local ports to a job's node.
///
/// `PORT` forwards localhost:PORT to the same port on the job's (first) node;
/// `LOCAL:REMOTE` picks another local port. `--auto` forwards whichever of Ray 8265,
/// Jupyter 8888, `TensorBoard` 6006, vLLM 8000 and Gradio 7860 listen on the node. Stays in
/// the foreground until the job ends (then the forwards go) or Ctrl-C.
#[derive(Debug, Parser)]
#[command(name = "rv forward", after_help = EXIT_CODES, mut_arg("json", |a| a.help("JSON on stdout")))]
pub struct Args {
    /// Ports: `8888`, or `18888:8888` (local:remote).
    #[arg(value_name = "PORT")]
    pub ports: Vec<String>,
    /// The job: an id, a unique part of one, or a request (default: pick, or the latest running).
    #[arg(long, short = 'j', add = clap_complete::ArgValueCandidates::new(crate::jobs::candidates))]
    pub job: Option<String>,
    /// Which node of a multi-node job (default: the first).
    #[arg(long, value_name = "NODE")]
    pub node: Option<String>,
    /// Forward the well-known ports that are listening on the node.
    #[arg(long)]
    pub auto: bool,
    /// List the recorded forwards.
    #[arg(long, conflicts_with_all = ["ports", "auto", "stop"])]
    pub list: bool,
    /// Remove the recorded forwards (of --job, else all).
    #[arg(long, conflicts_with_all = ["ports", "auto"])]
    pub stop: bool,
    #[command(flatten)]
    pub json: Json,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str = "Exit codes: 0 the job ended (its forwards removed) or listed/stopped; 1 no running job, \
     nothing to forward, or ssh refused the forward; 2 bad ports or flags; 130 interrupted (forwards removed).";

impl Run for Args {
    const STAGE: &'static str = "rv forward";
    fn run(&self) -> Result<ExitCode, Error> {
        main(self)
    }
}

/// Runs `rv forward`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    let ctx = Session::load("rv forward", false)?;
    if args.list || args.stop {
        let shown = if args.stop {
            stop(&ctx, args.job.as_ref().map(std::slice::from_ref))
        } else {
            recorded(&ctx)
        };
        if args.json.on() {
            let _ = print_lines([serde_json::to_string(&shown).expect("serializes").as_str()]);
        } else {
            let verb = if args.stop { "stopped " } else { "" };
            for f in &shown {
                eprintln!(
                    "{verb}localhost:{} -> {}:{} (job {})",
                    f.local, f.node, f.remote, f.job
                );
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut ports = Vec::new();
    for p in &args.ports {
        ports.push(parse_port(p).map_err(Error::usage)?);
    }
    if ports.is_empty() && !args.auto {
        return Err(Error::usage("give ports (8888, 18888:8888) or --auto"));
    }
    let job = choose_job(&ctx, args.job.as_deref())?;
    if job.state != "RUNNING" {
        return Err(Error::job(format!(
            "job {} is {}, not running",
            job.job_id, job.state
        )));
    }
    let node = args
        .node
        .clone()
        .or_else(|| job.nodes.first().cloned())
        .unwrap_or_default();
    forward(&ctx, &job.job_id, &node, ports, args)
}

fn forward(
    ctx: &Session,
    job: &str,
    node: &str,
    ports: Vec<(u16, u16)>,
    args: &Args,
) -> Result<ExitCode, Error> {
    let added = crate::flow::forward::open(ctx, job, node, ports, args.auto)?;
    if args.json.on() {
        let _ = print_lines([serde_json::to_string(&added).expect("serializes").as_str()]);
    }
    for f in &added {
        eprintln!(
            "rv forward: http://localhost:{} -> {node}:{} (job {job}; Ctrl-C stops)",
            f.local, f.remote
        );
    }
    let ended = crate::flow::jobs::wait_while_running(ctx, job);
    if ended.is_ok() {
        eprintln!("rv forward: job {job} ended");
    }
    let jobs = [job.to_owned()];
    stop(ctx, Some(&jobs));
    eprintln!("rv forward: forwards of job {job} removed");
    ended.map(|()| ExitCode::SUCCESS)
}
