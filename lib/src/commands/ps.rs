//! `rv ps`: your jobs, grouped by the request they belong to, in one round trip.

use std::process::ExitCode;

use clap::Parser;

use crate::plan::human;
use crate::remote::batch::Batch;
use crate::remote::transport::run_batch;
use crate::slurm::parse::{gres, sacct, squeue};
use crate::slurm::time::Walltime;

use super::{Context, Error, Run, print_lines};

/// List your requests, their strategies and jobs.
///
/// Jobs rv submitted are grouped by request (`r-…`) and show their strategy; other jobs of
/// yours are listed too. Pending jobs show why they wait and when Slurm plans to start them.
#[derive(Debug, Parser)]
#[command(name = "rv ps", after_help = EXIT_CODES)]
pub struct Args {
    /// Also jobs that ended in the last 7 days (from accounting).
    #[arg(long)]
    pub all: bool,
    /// Print the jobs as a JSON array.
    #[arg(long)]
    pub json: bool,
    /// Run on this host (when rv runs on the login node).
    #[arg(long)]
    pub local: bool,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str =
    "Exit codes: 0 listed; 1 the cluster could not be read; 2 bad flags or configuration.";

/// One line of `rv ps`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Row {
    /// The request, for jobs rv submitted.
    pub request: Option<String>,
    /// The strategy, for jobs rv submitted.
    pub strategy: Option<String>,
    /// The job id.
    pub job_id: String,
    /// The job name.
    pub name: String,
    /// The state.
    pub state: String,
    /// The partition.
    pub partition: String,
    /// GPUs in all.
    pub gpus: u32,
    /// Its nodes.
    pub nodes: Vec<String>,
    /// Why it waits, in plain words.
    pub reason: Option<String>,
    /// Seconds it has run.
    pub elapsed: Option<u64>,
    /// Its time limit in seconds.
    pub limit: Option<u64>,
    /// Start (epoch seconds), actual or planned.
    pub start: Option<i64>,
}

/// The request and strategy encoded in an rv job name (`<name>-<tail>-s<N>`), matched
/// against the known request ids.
fn owner(name: &str, requests: &[String]) -> (Option<String>, Option<String>) {
    let mut parts = name.rsplitn(3, '-');
    let (Some(strategy), Some(tail)) = (parts.next(), parts.next()) else {
        return (None, None);
    };
    if !strategy.starts_with('s') {
        return (None, None);
    }
    match requests.iter().find(|r| r.ends_with(&format!("-{tail}"))) {
        Some(r) => (Some(r.clone()), Some(strategy.to_owned())),
        None => (None, None),
    }
}

/// Rows from the queue and accounting.
pub fn rows(queue: &[squeue::Job], history: &[sacct::Record], requests: &[String]) -> Vec<Row> {
    let mut out: Vec<Row> = queue
        .iter()
        .map(|j| {
            let (request, strategy) = owner(&j.name, requests);
            Row {
                request,
                strategy,
                job_id: j.id.clone(),
                name: j.name.clone(),
                state: j
                    .state
                    .as_ref()
                    .map(crate::watch::state_name)
                    .unwrap_or_default(),
                partition: j.partition.clone(),
                gpus: gres::total(&j.gpus_per_node) * j.node_count.unwrap_or(1),
                nodes: j.nodes.clone(),
                reason: j.reason.as_deref().map(crate::watch::plain_reason),
                elapsed: j.elapsed.map(Walltime::as_secs),
                limit: j.limit.map(Walltime::as_secs),
                start: j.start,
            }
        })
        .collect();
    let queued: Vec<String> = out.iter().map(|o| o.job_id.clone()).collect();
    for r in history
        .iter()
        .filter(|r| r.step == sacct::Step::Job && !queued.contains(&r.job_id))
    {
        let (request, strategy) = owner(&r.name, requests);
        out.push(Row {
            request,
            strategy,
            job_id: r.job_id.clone(),
            name: r.name.clone(),
            state: crate::watch::state_name(&r.state),
            partition: r.partition.clone(),
            gpus: r.gpus,
            nodes: r.nodes.clone(),
            reason: None,
            elapsed: r.elapsed.map(Walltime::as_secs),
            limit: None,
            start: r.start,
        });
    }
    let key = |r: &Row| {
        (
            r.request.clone(),
            r.job_id
                .split('_')
                .next()
                .and_then(|j| j.parse::<u64>().ok()),
            r.job_id.clone(),
        )
    };
    out.sort_by_key(key);
    out
}

/// The ids of the requests recorded locally.
pub fn known_requests(state: &crate::state::StateDir) -> Vec<String> {
    std::fs::read_dir(state.root().join("requests"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".json")
                .map(str::to_owned)
        })
        .collect()
}

/// Your jobs in the queue (and, with `history`, those that ended in the last 7 days), as
/// rows, with the cluster's clock: one round trip.
pub fn your_jobs(ctx: &Context, history: bool) -> Result<(Vec<Row>, i64), Error> {
    let mut batch = Batch::new();
    let q = batch.command(format!("{} -u \"$USER\" -t PD,CF,R,CG,S", squeue::COMMAND));
    let h =
        history.then(|| batch.command(format!("{} -X -S now-7days -u \"$USER\"", sacct::COMMAND)));
    let reply = ctx.remote(async |c| Ok(run_batch(c, &batch).await?))?;
    let queue = squeue::parse_jobs(
        &reply.outputs[q].stdout,
        squeue::FIELDS,
        squeue::SEPARATOR,
        &reply.clock,
    )?;
    let ended = h
        .map(|i| sacct::parse_records(&reply.outputs[i].stdout, &reply.clock).unwrap_or_default())
        .unwrap_or_default();
    Ok((
        rows(&queue, &ended, &known_requests(&ctx.state)),
        reply.clock.now,
    ))
}

impl Run for Args {
    const STAGE: &'static str = "rv ps";
    fn run(&self) -> Result<ExitCode, Error> {
        main(self)
    }
}

/// Runs `rv ps`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    let ctx = Context::load("rv ps", args.local)?;
    let (rows, now) = your_jobs(&ctx, args.all)?;
    if args.json {
        let _ = print_lines([serde_json::to_string(&rows)
            .expect("rows serialize")
            .as_str()]);
        return Ok(ExitCode::SUCCESS);
    }
    let mut lines = vec![format!(
        "{:<24} {:<4} {:>8} {:<20} {:<10} {:>4} {:<16} {:>9}  {}",
        "REQUEST", "", "JOB", "NAME", "STATE", "GPUS", "PARTITION", "TIME", "NODE / WAITING"
    )];
    for r in &rows {
        let where_ = if r.nodes.is_empty() {
            let when = r
                .start
                .filter(|&s| s > now)
                .map(|s| format!(", starts in {}", human(u64::try_from(s - now).unwrap_or(0))))
                .unwrap_or_default();
            format!("{}{when}", r.reason.as_deref().unwrap_or("-"))
        } else {
            crate::slurm::hostlist::compress(&r.nodes)
        };
        lines.push(format!(
            "{:<24} {:<4} {:>8} {:<20} {:<10} {:>4} {:<16} {:>9}  {}",
            r.request.as_deref().unwrap_or("-"),
            r.strategy.as_deref().unwrap_or(""),
            r.job_id,
            r.name.chars().take(20).collect::<String>(),
            r.state,
            r.gpus,
            r.partition,
            r.elapsed
                .map(|e| Walltime::from_secs(e).to_string())
                .unwrap_or_default(),
            where_
        ));
    }
    if rows.is_empty() {
        lines = vec!["no jobs".to_owned()];
    }
    let _ = print_lines(lines.iter().map(String::as_str));
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_map_back_to_their_request() {
        let requests = vec!["r-1795892947-e873ec83".to_owned()];
        assert_eq!(
            owner("train-e873ec83-s5", &requests),
            (Some(requests[0].clone()), Some("s5".into()))
        );
        assert_eq!(owner("my-own-job", &requests), (None, None));
        assert_eq!(owner("x", &requests), (None, None));
    }
}
