//! `rv gpu`: `nvidia-smi` on every node of a job, with all its GPUs visible.

use std::process::ExitCode;

use clap::Parser;

use super::{Error, Json, Local, Run, Session, choose_job, print_lines};

/// Show nvidia-smi for every node of a job.
///
/// Runs one step per node inside the job (`srun --overlap`, so it shares the job's GPUs),
/// with `CUDA_VISIBLE_DEVICES` unset so every GPU of the job shows, each line labelled with
/// its node.
#[derive(Debug, Parser)]
#[command(name = "rv gpu", after_help = EXIT_CODES, mut_arg("json", |a| a.help("Print `{\"job\",\"nodes\":[{\"node\",\"output\"}]}` instead")))]
pub struct Args {
    /// The job: an id, a unique part of one, or a request (default: pick, or the latest running).
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::jobs::candidates))]
    pub job: Option<String>,
    /// Extra `nvidia-smi` arguments, after `--`.
    #[arg(last = true)]
    pub args: Vec<String>,
    #[command(flatten)]
    pub json: Json,
    #[command(flatten)]
    pub local: Local,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str = "Exit codes: 0 shown; 1 no such running job, or the cluster could not be reached; \
     2 bad flags or configuration.";

/// The step that runs `nvidia-smi` on each node of job `id` (of `nodes` nodes).
pub fn command(id: &str, nodes: usize, args: &[String]) -> String {
    let extra: Vec<String> = args.iter().map(|a| crate::util::quote(a)).collect();
    format!(
        "srun --jobid={id} --overlap --nodes={n} --ntasks={n} --ntasks-per-node=1 --label env -u CUDA_VISIBLE_DEVICES nvidia-smi {}",
        extra.join(" "),
        n = nodes.max(1)
    )
    .trim_end()
    .to_owned()
}

impl Run for Args {
    const STAGE: &'static str = "rv gpu";
    fn run(&self) -> Result<ExitCode, Error> {
        main(self)
    }
}

/// Runs `rv gpu`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    let ctx = Session::load("rv gpu", args.local.here())?;
    let job = choose_job(&ctx, args.job.as_deref())?;
    if job.state != "RUNNING" {
        return Err(Error::job(format!(
            "job {} is {}, not running",
            job.job_id, job.state
        )));
    }
    let out = &ctx.run_one(command(&job.job_id, job.nodes.len(), &args.args))?;
    if !out.ok() {
        return Err(Error::job(format!(
            "nvidia-smi failed: {}",
            out.stderr.trim()
        )));
    }
    let mut lines = crate::logs::Lines::new(true, job.nodes.clone(), None);
    let mut shown = lines.feed(&out.stdout);
    shown.extend(lines.finish());
    if args.json.on() {
        let nodes: Vec<serde_json::Value> = job
            .nodes
            .iter()
            .map(|n| {
                let prefix = format!("[{n}] ");
                let text: Vec<&str> = shown
                    .iter()
                    .filter_map(|l| l.strip_prefix(&prefix))
                    .collect();
                serde_json::json!({"node": n, "output": text.join("\n")})
            })
            .collect();
        let v = serde_json::json!({"job": job.job_id, "nodes": nodes});
        let _ = print_lines([v.to_string().as_str()]);
    } else {
        let _ = print_lines(shown.iter().map(String::as_str));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_labelled_step_per_node_with_every_gpu() {
        assert_eq!(
            super::command("42", 2, &["-q".into()]),
            "srun --jobid=42 --overlap --nodes=2 --ntasks=2 --ntasks-per-node=1 --label env -u CUDA_VISIBLE_DEVICES nvidia-smi -q"
        );
    }
}
