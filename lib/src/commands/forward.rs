//! `rv forward`: local ports to a job's node, through rv's SSH master.
//!
//! Forwards are added to the running master (`ssh -O forward`) and removed from it
//! (`ssh -O cancel`); the master itself is never killed. `rv forward` stays in the
//! foreground while the job runs and removes its forwards when the job ends or on Ctrl-C;
//! each forward is also recorded (`~/.rv/forwards/<job>.json`) so `--list`, `--stop` and
//! `rv stop` find it from another terminal.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use crate::remote::batch::Batch;
use crate::remote::transport::{SshTarget, run_batch};

use super::{Error, Json, Run, Session, choose_job, print_lines};

/// Ports rv looks for with `--auto`: the Ray dashboard, Jupyter, `TensorBoard`, vLLM, Gradio.
pub const AUTO_PORTS: &[(u16, &str)] = &[
    (8265, "Ray"),
    (8888, "Jupyter"),
    (6006, "TensorBoard"),
    (8000, "vLLM"),
    (7860, "Gradio"),
];

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

/// One forward.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Forward {
    /// The job.
    pub job: String,
    /// The local port (on 127.0.0.1).
    pub local: u16,
    /// The node.
    pub node: String,
    /// The address the login node reaches the node at.
    pub address: String,
    /// The port on the node.
    pub remote: u16,
}

impl Forward {
    /// The `-L` specification.
    pub fn spec(&self) -> String {
        format!("127.0.0.1:{}:{}:{}", self.local, self.address, self.remote)
    }
}

/// `8888` or `18888:8888`.
pub fn parse_port(s: &str) -> Result<(u16, u16), String> {
    let port = |p: &str| {
        p.parse::<u16>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("{s:?} is not a port (1-65535, or LOCAL:REMOTE)"))
    };
    match s.split_once(':') {
        Some((l, r)) => Ok((port(l)?, port(r)?)),
        None => port(s).map(|p| (p, p)),
    }
}

/// Ports listening, from `/proc/net/tcp` and `tcp6` (state `0A`).
pub fn listening(proc_net_tcp: &str) -> Vec<u16> {
    let mut ports: Vec<u16> = proc_net_tcp
        .lines()
        .filter_map(|l| {
            let mut cols = l.split_whitespace();
            let local = cols.nth(1)?;
            let state = cols.nth(1)?;
            (state == "0A").then_some(())?;
            u16::from_str_radix(local.rsplit(':').next()?, 16).ok()
        })
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// `NodeAddr=` of `scontrol -o show node`.
pub fn node_addr(scontrol_line: &str) -> Option<String> {
    scontrol_line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("NodeAddr="))
        .map(str::to_owned)
}

fn records_dir(ctx: &Session) -> PathBuf {
    ctx.state.root().join("forwards")
}

/// The recorded forwards (all jobs).
pub fn recorded(ctx: &Session) -> Vec<Forward> {
    std::fs::read_dir(records_dir(ctx))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read(e.path()).ok())
        .filter_map(|b| serde_json::from_slice::<Vec<Forward>>(&b).ok())
        .flatten()
        .collect()
}

fn record(ctx: &Session, job: &str, forwards: &[Forward]) {
    let text = serde_json::to_vec(forwards).expect("forwards serialize");
    let _ = ctx
        .state
        .write_private(&format!("forwards/{job}.json"), &text);
}

/// Runs `ssh -O <op> -L <spec>` against the master (forward or cancel).
fn control(
    target: &SshTarget,
    control: &std::path::Path,
    op: &str,
    f: &Forward,
) -> Result<(), String> {
    let mut cmd = std::process::Command::new("ssh");
    cmd.arg("-S").arg(control).args(["-O", op, "-L", &f.spec()]);
    if let Some(c) = &target.config_file {
        cmd.arg("-F").arg(c);
    }
    let out = cmd
        .arg(&target.host)
        .output()
        .map_err(|e| format!("cannot run ssh: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ssh -O {op} {}: {}",
            f.spec(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Removes the recorded forwards of `jobs` (all when `None`) from the master, and their
/// records. What was removed.
pub fn stop(ctx: &Session, jobs: Option<&[String]>) -> Vec<Forward> {
    let Some(target) = &ctx.target else {
        return Vec::new();
    };
    let socket = target.control_path(&ctx.state.control_dir());
    let mut removed = Vec::new();
    for f in recorded(ctx) {
        if jobs.is_some_and(|j| !j.contains(&f.job)) {
            continue;
        }
        // A master that is gone took its forwards with it; the record goes either way.
        let _ = control(target, &socket, "cancel", &f);
        let _ = std::fs::remove_file(records_dir(ctx).join(format!("{}.json", f.job)));
        removed.push(f);
    }
    removed
}

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
    mut ports: Vec<(u16, u16)>,
    args: &Args,
) -> Result<ExitCode, Error> {
    let mut batch = Batch::new();
    let addr = batch.command(format!(
        "scontrol -o show node {}",
        crate::util::quote(node)
    ));
    let open = args.auto.then(|| {
        batch.command(format!(
            "srun --jobid={job} --overlap -w {} -N1 -n1 cat /proc/net/tcp /proc/net/tcp6 2>/dev/null",
            crate::util::quote(node)
        ))
    });
    let reply = ctx.remote(async |c| Ok(run_batch(c, &batch).await?))?;
    let address = node_addr(&reply.outputs[addr].stdout).unwrap_or_else(|| node.to_owned());
    if let Some(i) = open {
        let live = listening(&reply.outputs[i].stdout);
        for (port, what) in AUTO_PORTS {
            if live.contains(port) && !ports.iter().any(|(_, r)| r == port) {
                eprintln!("rv forward: found {what} on {node}:{port}");
                ports.push((*port, *port));
            }
        }
        if ports.is_empty() {
            return Err(Error::job(format!(
                "none of the usual ports ({}) listens on {node}",
                AUTO_PORTS
                    .iter()
                    .map(|(p, _)| p.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let target = ctx
        .target
        .as_ref()
        .ok_or_else(|| Error::usage("forwarding needs an SSH connection"))?;
    let socket = target.control_path(&ctx.state.control_dir());
    let forwards: Vec<Forward> = ports
        .iter()
        .map(|&(local, remote)| Forward {
            job: job.to_owned(),
            local,
            node: node.to_owned(),
            address: address.clone(),
            remote,
        })
        .collect();
    let mut added = Vec::new();
    for f in &forwards {
        if let Err(e) = control(target, &socket, "forward", f) {
            for a in &added {
                let _ = control(target, &socket, "cancel", a);
            }
            return Err(Error::cluster(e));
        }
        added.push(f.clone());
        record(ctx, job, &added);
    }
    if args.json.on() {
        let _ = print_lines([serde_json::to_string(&added).expect("serializes").as_str()]);
    }
    for f in &added {
        eprintln!(
            "rv forward: http://localhost:{} -> {node}:{} (job {job}; Ctrl-C stops)",
            f.local, f.remote
        );
    }
    let ended = wait_for_end(ctx, job);
    let jobs = [job.to_owned()];
    stop(ctx, Some(&jobs));
    eprintln!("rv forward: forwards of job {job} removed");
    ended.map(|()| ExitCode::SUCCESS)
}

/// Waits until the job leaves the running state (one round trip every 10 s) or Ctrl-C.
fn wait_for_end(ctx: &Session, job: &str) -> Result<(), Error> {
    ctx.remote(async |c| {
        let mut interrupt = std::pin::pin!(crate::flow::watch::interrupted());
        loop {
            let mut b = Batch::new();
            let i = b.command(format!("squeue -h -j {job} -o %T 2>/dev/null; true"));
            if let Ok(r) = run_batch(c, &b).await {
                if !r.outputs[i].stdout.trim().starts_with("RUNNING") {
                    eprintln!("rv forward: job {job} ended");
                    return Ok(());
                }
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(10)) => {}
                () = &mut interrupt => return Err(Error::interrupted()),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_parse_or_say_why() {
        assert_eq!(parse_port("8888"), Ok((8888, 8888)));
        assert_eq!(parse_port("18888:8888"), Ok((18888, 8888)));
        assert!(parse_port("0").is_err());
        assert!(parse_port("70000").unwrap_err().contains("not a port"));
        assert!(parse_port("a:1").is_err());
    }

    #[test]
    fn listening_ports_come_from_proc_net_tcp() {
        let text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000:22B8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1\n   1: 0100007F:1F40 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 2\n   2: 00000000000000000000000000000000:1A0B 00000000000000000000000000000000:0000 0A 0 0 0 0 0 3\n";
        assert_eq!(listening(text), [6667, 8888]);
    }

    #[test]
    fn node_addresses_come_from_scontrol() {
        assert_eq!(
            node_addr("NodeName=a6000-01 Arch=x86_64 NodeAddr=127.0.0.1 NodeHostName=a6000-01")
                .as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(node_addr("garbage"), None);
    }
}
