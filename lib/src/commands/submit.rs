//! `rv-submit`: the rim around [`crate::submit`].

use std::process::ExitCode;

use clap::Parser;

use crate::records::{Cluster, Envelope, Record, Request, Strategy, Submission};
use crate::remote::transport::run_batch;
use crate::submit::{self};

use super::request::LeaseArgs;
use super::{Error, Input, Kind, Local, Run, Session};

/// Render and submit one job per strategy, all in one round trip.
///
/// Reads `rv-plan`'s NDJSON on stdin, passes every line through, and adds one `submission`
/// record per strategy: its job id, or sbatch's reason for refusing it. The request is
/// recorded in `~/.rv/requests/` before anything is submitted. Every job carries a claim
/// gate: the first to start wins and cancels the others, even if this computer is off.
#[derive(Debug, Parser)]
#[command(name = "rv-submit", version, after_help = EXIT_CODES, mut_arg("local", |a| a.help("Submit from this host (when rv runs on the login node)")))]
pub struct Args {
    /// A variable for the jobs' environment, as NAME=VALUE (repeatable). Written to a 0600
    /// file on the cluster before submission, read once by the job that runs.
    #[arg(long = "env", value_name = "NAME=VALUE")]
    pub env: Vec<String>,
    /// The directory the command runs in on the cluster.
    #[arg(long, value_name = "DIR")]
    pub workdir: Option<String>,
    #[command(flatten)]
    pub lease: LeaseArgs,
    /// No lease: an interactive job stays until its walltime, client or not.
    #[arg(long)]
    pub keep: bool,
    #[command(flatten)]
    pub local: Local,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str = "Exit codes: 0 at least one job was submitted; 1 none was (or the cluster could not be reached); \
     2 bad flags, configuration or NDJSON input (nothing is submitted).";

impl Run for Args {
    const STAGE: &'static str = "rv-submit";
    fn run(&self) -> Result<ExitCode, Error> {
        main(self)
    }
}

/// Runs `rv-submit`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    let vars = match parse_vars(&args.env) {
        Ok(v) => v,
        Err(bad) => {
            return Err(Error::usage(format!("--env: {bad:?} is not NAME=VALUE")));
        }
    };
    let ctx = Session::load("rv-submit", args.local.here())?;
    let lease = args
        .lease
        .seconds(args.keep, &ctx.config)
        .map_err(Error::usage)?;
    let input = Input::read()?;
    let (cluster, request, strategies) = gather(&input)?;
    // The stored variables first, so `--env` overrides them.
    let vars = [crate::secrets::job_vars(&ctx)?, vars].concat();
    let paths = ctx.paths_of(&cluster)?;
    let modules = ctx
        .profile(&cluster.host)
        .map(|p| p.modules)
        .unwrap_or_default();
    let prepared = match submit::prepare(
        &request,
        &strategies,
        &paths,
        &modules,
        &vars,
        args.workdir.as_deref(),
        lease,
    ) {
        Ok(p) => p,
        Err(e) => return Err(Error::usage(format!("--env: {e}"))),
    };
    let mut record = crate::flow::up::record_before_submitting(
        &ctx,
        &cluster.host,
        &request,
        &strategies,
        &paths,
        lease,
    )?;
    let reply = ctx
        .remote(async |c| Ok(run_batch(c, &prepared.batch).await?))
        .map_err(|e| e.context_after("any job that was submitted keeps its claim gate"))?;
    let submissions = prepared.submissions(&reply);
    record.submissions.clone_from(&submissions);
    if let Err(e) = record.save(&ctx.state) {
        eprintln!("rv-submit: warning: cannot update the local record: {e}");
    }
    report(&submissions);
    let new: Vec<Envelope> = submissions
        .iter()
        .map(|s| Envelope::new(Record::Submission(s.clone())))
        .collect();
    let _ = input.emit(&new);
    if submissions.iter().any(|s| s.job_id.is_some()) {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(Error::said(Kind::Cluster))
    }
}

/// The cluster, the request and its strategies from the input.
fn gather(input: &Input) -> Result<(Cluster, Request, Vec<Strategy>), Error> {
    let (mut cluster, mut request, mut strategies) = (None, None, Vec::<Strategy>::new());
    for record in input.records() {
        match record {
            Record::Cluster(c) => cluster = Some(c.clone()),
            Record::Request(r) => request = Some(r.clone()),
            Record::Strategy(s) => strategies.push(s.clone()),
            _ => {}
        }
    }
    let (Some(cluster), Some(request)) = (cluster, request) else {
        let why = "no `cluster` and `request` records in the input: pipe rv-probe | rv-plan into rv-submit";
        return Err(Error::usage(why));
    };
    strategies.retain(|s| s.request == request.id);
    if strategies.is_empty() {
        return Err(Error::usage(format!(
            "no strategy for request {}",
            request.id
        )));
    }
    Ok((cluster, request, strategies))
}

/// One line per strategy on stderr, for people.
fn report(submissions: &[Submission]) {
    for s in submissions {
        match (&s.job_id, &s.error) {
            (Some(id), _) => eprintln!("rv-submit: {} submitted as job {id}", s.strategy),
            (None, Some(why)) => eprintln!("rv-submit: {} not submitted: {why}", s.strategy),
            (None, None) => {}
        }
    }
}

/// `NAME=VALUE` pairs; the first malformed one is the error.
fn parse_vars(env: &[String]) -> Result<Vec<(String, String)>, String> {
    env.iter()
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| kv.clone())
        })
        .collect()
}
