//! `rv run`'s work on the cluster: plan, push and snapshot the code, prepare its
//! dependencies, submit, and follow the job.

use std::path::Path;
use std::time::Duration;

use crate::error::Error;
use crate::flow::logs::{self, Follow};
use crate::flow::up::{Submit, plan_now, submit_and_follow};
use crate::flow::watch::Outcome;
use crate::plan::{Ask, explain};
use crate::records::{Allocation, Envelope, Record};
use crate::remote::batch::Batch;
use crate::remote::transport::run_batch;
use crate::run;
use crate::session::Session;
use crate::sync::{self, Workspace};
use crate::util::quote;

/// Follows the winner's stdout and stderr to its end (and any retry); its exit code.
pub async fn follow_winner(
    conn: &crate::connect::Connection,
    paths: &crate::script::Paths,
    id: u64,
    json: bool,
) -> Result<i32, Error> {
    let (job, _) = logs::resolve(conn, paths, Some(id), &[], None).await?;
    let nodes = if job.nodes.len() > 1 {
        job.nodes.clone()
    } else {
        Vec::new()
    };
    let how = Follow {
        streams: vec![crate::logs::Stream::Out, crate::logs::Stream::Err],
        tail: usize::MAX,
        json,
        shape: crate::logs::Lines::new(false, nodes, None),
    };
    Ok(logs::follow_job(conn, paths, job, how).await)
}

/// Snapshots the pushed tree and prepares the dependencies (one round trip, in a login
/// shell so the site's `module` works).
pub async fn prepare(
    conn: &crate::connect::Connection,
    ws: &Workspace,
    request: &str,
    modules: &[String],
    scratch: &str,
) -> Result<run::Prepared, Error> {
    let mut batch = Batch::new();
    let script = run::prepare_script(ws, request, modules, scratch);
    let i = batch.command(format!("bash -lc {} </dev/null", quote(&script)));
    eprintln!("rv run: snapshotting the code and preparing dependencies…");
    let reply = run_batch(conn, &batch).await?;
    let out = &reply.outputs[i];
    for line in out.stderr.lines() {
        if let Some(p) = line.strip_prefix("rv-progress: ") {
            eprintln!("rv run: {p}");
        }
    }
    if !out.ok() {
        let why: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with("rv-progress: "))
            .collect();
        return Err(Error::cluster(format!(
            "preparing the run failed: {}",
            why.join(" | ")
        )));
    }
    run::parse_prepared(&out.stdout)
        .ok_or_else(|| Error::cluster("the cluster did not report a snapshot"))
}

/// What `rv run` runs and how.
#[derive(Debug)]
pub struct Launch<'a> {
    /// The request (its `run` is the command line as typed).
    pub ask: &'a Ask,
    /// The command and its arguments.
    pub command: &'a [String],
    /// Paths copied to `$RV_OUTPUT_DIR` when the command ends.
    pub outputs: &'a [String],
    /// Give up waiting for a start after this long.
    pub timeout: Option<Duration>,
    /// Follow the job's output to its end.
    pub follow: bool,
    /// Followed output as JSON records.
    pub json: bool,
    /// Where rv was started: the project is found from here, and the command runs in the
    /// same place inside the snapshot.
    pub here: &'a Path,
}

/// How a run ended.
#[derive(Debug)]
pub enum Ran {
    /// A job started; not followed.
    Started,
    /// Followed to the end: the job's exit code.
    Followed(i32),
    /// No job could start.
    Ended(String),
    /// Interrupted while waiting (every job cancelled).
    Interrupted,
}

/// Plans against the queue, pushes and snapshots the project, prepares its dependencies,
/// submits like `rv up` with the command instead of a shell, and, once a job has started,
/// tells `started` (the allocation, the `sync`, `request` and `allocation` records, the
/// snapshot) before following it when asked.
pub fn launch(
    ctx: &Session,
    launch: &Launch<'_>,
    started: impl FnOnce(&Allocation, &[Envelope], &str),
) -> Result<Ran, Error> {
    let vars = crate::secrets::job_vars(ctx)?;
    let host = ctx.host();
    let profile = ctx.profile(&host)?;
    let root = sync::project_root(launch.here);
    let rel = launch
        .here
        .strip_prefix(&root)
        .map(|r| r.to_string_lossy().into_owned())
        .unwrap_or_default();
    ctx.remote(async |conn| {
        let mut planned = plan_now(ctx, conn, &host, &profile, launch.ask, "rv run").await?;
        eprint!("{}", explain(&planned.shown(false), planned.now));
        let paths = planned.paths.clone();
        let ws = Workspace::for_project(&paths.scratch, &root);
        let pushed =
            crate::flow::sync::push(ctx, &root, &ws.code(), sync::Options::default()).await?;
        let prepared = prepare(
            conn,
            &ws,
            &planned.request.id,
            &profile.modules,
            &paths.scratch,
        )
        .await?;
        let words = run::rewrite_paths(launch.command, &root.to_string_lossy(), &prepared.snapshot);
        let command = run::job_command(&run::command_line(&words), &prepared, &rel, launch.outputs);
        planned.request.command = Some(command);
        let workdir = run::workdir(&prepared, &rel);
        let how = Submit {
            modules: &profile.modules,
            vars: &vars,
            workdir: Some(&workdir),
            timeout: launch.timeout,
            keep: false,
            lease: None,
        };
        let a = match submit_and_follow(ctx, conn, &host, &planned, &how, "rv run").await? {
            Outcome::Won(a) => a,
            Outcome::Ended(why) => return Ok(Ran::Ended(why)),
            Outcome::Interrupted => return Ok(Ran::Interrupted),
        };
        let records = [
            Envelope::new(Record::Sync(pushed)),
            Envelope::new(Record::Request(planned.request.clone())),
            Envelope::new(Record::Allocation(a.clone())),
        ];
        started(&a, &records, &prepared.snapshot);
        if !launch.follow {
            return Ok(Ran::Started);
        }
        let code = follow_winner(conn, &paths, a.job_id, launch.json).await?;
        Ok(Ran::Followed(code))
    })
}
