//! `rv logs`: show, follow, search and fetch the output of rv's jobs.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use crate::logs::{self, Lines, Stream};

use super::{Error, Json, Local, Run, Session, print_lines};
use crate::flow::logs::{Follow, LogJob, follow_job, resolve, search};

/// Show or follow a job's output.
///
/// Without a job, the most recent of your rv jobs. Progress bars (lines redrawn with `\r`)
/// are shown as last drawn unless `--raw`; multi-node jobs get each line labelled with its
/// node. `-f` follows until the job ends (a checkpointed job's next segment, or a retry
/// after a hardware error, is followed on) and exits with the job's exit code. Finished
/// jobs are read from their log files and `sacct`.
#[derive(Debug, Parser)]
#[command(name = "rv logs", after_help = EXIT_CODES, mut_arg("json", |a| a.help("JSON on stdout (with -f: one object per line)")), mut_arg("local", |a| a.help("Read on this host (when rv runs on the login node)")))]
pub struct Args {
    /// The job id (default: your most recent rv job).
    #[arg(value_name = "JOB", add = clap_complete::ArgValueCandidates::new(crate::jobs::id_candidates))]
    pub job: Option<u64>,
    /// Standard output (the default, unless --err).
    #[arg(long)]
    pub out: bool,
    /// Standard error.
    #[arg(long)]
    pub err: bool,
    /// Follow until the job ends; exit with its exit code.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Only the last N lines (with -f: before following; default 20 there).
    #[arg(long, value_name = "N")]
    pub tail: Option<usize>,
    /// Only the lines of this node of a multi-node job (0 is the first).
    #[arg(long, value_name = "I")]
    pub node: Option<usize>,
    /// Search every rv log for a pattern (extended regular expression).
    #[arg(long, value_name = "PATTERN", conflicts_with_all = ["follow", "pull"])]
    pub search: Option<String>,
    /// Download the job's log files into DIR (default: ./rv-logs).
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "rv-logs")]
    pub pull: Option<PathBuf>,
    /// Keep progress-bar redraws as they are.
    #[arg(long)]
    pub raw: bool,
    #[command(flatten)]
    pub json: Json,
    #[command(flatten)]
    pub local: Local,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str = "Exit codes: 0 shown (with -f: the job's own exit code when it ends, 1 if it \
     failed without one); 1 no such log, or the cluster could not be reached; 2 bad flags; 130 interrupted.";

impl Run for Args {
    const STAGE: &'static str = "rv logs";
    fn run(&self) -> Result<ExitCode, Error> {
        main(self)
    }
}

/// Runs `rv logs`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    let ctx = Session::load("rv logs", args.local.here())?;
    let streams: Vec<Stream> = match (args.out, args.err) {
        (false, true) => vec![Stream::Err],
        (true, true) => vec![Stream::Out, Stream::Err],
        _ => vec![Stream::Out],
    };
    let result = ctx.remote(async |conn| {
        let paths = ctx.cluster_paths(conn).await?;
        if let Some(pattern) = &args.search {
            return search(conn, &paths, pattern, args.json.on()).await;
        }
        let (job, texts) = resolve(conn, &paths, args.job, &streams, args.tail).await?;
        if let Some(dir) = &args.pull {
            for s in [Stream::Out, Stream::Err] {
                let src = logs::path(&paths.logs(), &job.name, job.id, s);
                crate::flow::sync::pull(&ctx, &src, dir, crate::sync::Options::default()).await?;
            }
            eprintln!("rv logs: job {} logs are in {}", job.id, dir.display());
            return Ok(0);
        }
        let nodes = if job.nodes.len() > 1 {
            job.nodes.clone()
        } else {
            Vec::new()
        };
        let shape = || Lines::new(args.raw, nodes.clone(), args.node);
        if !args.follow {
            show(&job, &streams, &texts, shape, args.json.on());
            return Ok(0);
        }
        let tail = args.tail.unwrap_or(20);
        let follow = Follow {
            streams: streams.clone(),
            tail,
            json: args.json.on(),
            shape: shape(),
        };
        Ok(follow_job(conn, &paths, job, follow).await)
    });
    Ok(ExitCode::from(
        u8::try_from(result?.clamp(0, 255)).unwrap_or(1),
    ))
}

/// Prints what was read.
fn show(job: &LogJob, streams: &[Stream], texts: &[String], shape: impl Fn() -> Lines, json: bool) {
    let mut shaped: Vec<Vec<String>> = Vec::new();
    for text in texts {
        let mut l = shape();
        let mut lines = l.feed(text);
        lines.extend(l.finish());
        shaped.push(lines);
    }
    if json {
        let mut obj = serde_json::json!({
            "job": job.id, "name": job.name, "state": job.state,
            "nodes": job.nodes, "exit_code": job.exit_code,
        });
        for (s, lines) in streams.iter().zip(&shaped) {
            let key = if *s == Stream::Out {
                "stdout"
            } else {
                "stderr"
            };
            obj[key] = serde_json::json!(lines);
        }
        let _ = print_lines([obj.to_string().as_str()]);
        return;
    }
    let both = streams.len() > 1;
    for (s, lines) in streams.iter().zip(&shaped) {
        if both {
            eprintln!(
                "==> {} <==",
                logs::path("", &job.name, job.id, *s).trim_start_matches('/')
            );
        }
        if !print_lines(lines.iter().map(String::as_str)).unwrap_or(false) {
            return;
        }
    }
}
