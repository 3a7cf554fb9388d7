//! `rv run`'s work on the cluster: snapshot and prepare the pushed code, follow the job.

use crate::error::Error;
use crate::flow::logs::{self, Follow};
use crate::remote::batch::Batch;
use crate::remote::transport::run_batch;
use crate::run;
use crate::sync::Workspace;
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
