//! A job's logs over the connection: finding them, reading them, and following them to
//! the job's end (and into the job that continues it), with the exit rule that ends it.

use crate::connect::Connection;
use crate::error::Error;
use crate::logs::{self, Lines, Stream};
use crate::remote::batch::Batch;
use crate::remote::transport::run_batch;
use crate::script::Paths;
use crate::slurm::parse::sacct;
use crate::util::print_lines;
use crate::util::quote;
use std::time::Duration;

/// A job whose logs are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogJob {
    /// The job id.
    pub id: u64,
    /// Its name (the logs are `<name>-<id>.{out,err}`).
    pub name: String,
    /// Its state, from squeue or sacct.
    pub state: Option<String>,
    /// Its nodes, in task order.
    pub nodes: Vec<String>,
    /// Its exit code, once ended.
    pub exit_code: Option<i32>,
    /// The directory of its request (claim, jobs list), if rv submitted it.
    pub request_dir: Option<String>,
}

/// Finds the job (`want`, else the most recent rv log) and reads its state and, per
/// stream, its text (the last `tail` lines): one round trip.
pub async fn resolve(
    conn: &Connection,
    paths: &Paths,
    want: Option<u64>,
    streams: &[Stream],
    tail: Option<usize>,
) -> Result<(LogJob, Vec<String>), Error> {
    let find = format!(
        "logs={logs}; want={want}; if [ -n \"$want\" ]; then f=$(ls -t \"$logs\"/*-\"$want\".out 2>/dev/null | head -n 1); \
         else f=$(ls -t \"$logs\"/*.out 2>/dev/null | head -n 1); fi; \
         [ -n \"$f\" ] || {{ echo \"no rv log${{want:+ of job $want}} in $logs\" >&2; exit 3; }}; f=${{f%.out}}",
        logs = quote(&paths.logs()),
        want = want.map(|w| w.to_string()).unwrap_or_default(),
    );
    let mut batch = Batch::new();
    let meta = batch.command(format!(
        "{find}; id=${{f##*-}}; echo \"$f\"; echo \"queue $(squeue -h -j \"$id\" -o '%T %N' 2>/dev/null | head -n 1)\"; \
         {acct} -X -j \"$id\" 2>/dev/null; echo \"request $(grep -lx \"$id\" {rv}/requests/*/jobs 2>/dev/null | head -n 1)\"",
        acct = sacct::COMMAND,
        rv = quote(&paths.rv_dir()),
    ));
    let reads: Vec<usize> = streams
        .iter()
        .map(|s| {
            let read = match tail {
                Some(n) => format!("tail -n {n}"),
                None => "cat".to_owned(),
            };
            batch.command(format!(
                "{find}; {read} \"$f.{}\" 2>/dev/null; true",
                s.ext()
            ))
        })
        .collect();
    let reply = run_batch(conn, &batch).await?;
    let out = &reply.outputs[meta];
    if !out.ok() {
        return Err(Error::job(out.stderr.trim()));
    }
    let job = parse_meta(&out.stdout, &reply.clock)
        .ok_or_else(|| Error::cluster("the cluster's answer about the job was garbled"))?;
    let texts = reads
        .iter()
        .map(|&i| reply.outputs[i].stdout.clone())
        .collect();
    Ok((job, texts))
}

/// Reads the meta command's output: the log path without extension, `queue <state>
/// <nodes>`, sacct's rows, `request <jobs file>`.
pub fn parse_meta(text: &str, clock: &crate::slurm::time::Clock) -> Option<LogJob> {
    let mut lines = text.lines();
    let base = lines.next()?;
    let id = logs::job_of(&format!("{base}.out"))?;
    let name = logs::name_of(&format!("{base}.out"))?;
    let mut job = LogJob {
        id,
        name,
        state: None,
        nodes: Vec::new(),
        exit_code: None,
        request_dir: None,
    };
    let mut acct = String::new();
    for line in lines {
        if let Some(q) = line.strip_prefix("queue ") {
            let mut parts = q.split_whitespace();
            job.state = parts.next().map(str::to_owned);
            if let Some(n) = parts.next() {
                job.nodes = crate::slurm::hostlist::expand(n).unwrap_or_default();
            }
        } else if let Some(r) = line.strip_prefix("request ") {
            job.request_dir = r.trim().strip_suffix("/jobs").map(str::to_owned);
        } else {
            acct.push_str(line);
            acct.push('\n');
        }
    }
    if let Some(row) = sacct::parse_records(&acct, clock)
        .ok()
        .and_then(|r| r.into_iter().next())
    {
        if job.state.is_none() {
            job.state = Some(crate::watch::state_name(&row.state).clone());
            job.nodes = row.nodes.clone();
            job.exit_code = row.exit.map(|(code, _)| code);
        }
    }
    Some(job)
}

/// How to follow.
#[derive(Debug, Clone)]
pub struct Follow {
    /// The streams to show.
    pub streams: Vec<Stream>,
    /// Lines of history first.
    pub tail: usize,
    /// JSON lines instead of text.
    pub json: bool,
    /// How lines are shaped.
    pub shape: Lines,
}

/// Follows `job` until it ends (and the job that continues it: a checkpoint segment or a
/// hardware retry); returns its exit code. One round trip per tick reads every file from
/// where it got to, the job's state and the request's job list.
pub async fn follow_job(conn: &Connection, paths: &Paths, mut job: LogJob, how: Follow) -> i32 {
    let mut offsets: Vec<u64> = vec![0; how.streams.len()];
    let mut shapers: Vec<Lines> = how.streams.iter().map(|_| how.shape.clone()).collect();
    let mut first = true;
    let mut gone_ticks = 0;
    let mut failures = 0;
    let mut finishing: Option<(String, i32)> = None;
    let mut interrupt = std::pin::pin!(crate::flow::watch::interrupted());
    loop {
        let (batch, slots) = tick(paths, &job, &how.streams, &offsets);
        let reply = match run_batch(conn, &batch).await {
            Ok(r) => {
                failures = 0;
                r
            }
            Err(e) => {
                failures += 1;
                eprintln!("rv logs: warning: {e}");
                if failures >= 5 {
                    eprintln!("rv logs: lost the cluster; `rv logs -f {}` resumes", job.id);
                    return 1;
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
        };
        for ((i, stream), (off, shaper)) in slots
            .reads
            .iter()
            .zip(&how.streams)
            .zip(offsets.iter_mut().zip(&mut shapers))
        {
            let text = &reply.outputs[*i].stdout;
            *off += text.len() as u64;
            let mut lines = shaper.feed(text);
            if first && lines.len() > how.tail {
                lines.drain(..lines.len() - how.tail);
            }
            emit(&lines, *stream, job.id, how.json);
        }
        first = false;
        if let Some((state, code)) = finishing.take() {
            flush(&mut shapers, &how, job.id);
            if how.json {
                let end = serde_json::json!({"job": job.id, "state": state, "exit_code": code});
                let _ = print_lines([end.to_string().as_str()]);
            }
            eprintln!("rv logs: job {} ended: {state}, exit code {code}", job.id);
            return code;
        }
        if let Some(s) = reply.outputs[slots.queue].stdout.split_whitespace().next() {
            gone_ticks = 0;
            if job.state.as_deref() != Some(s) {
                eprintln!("rv logs: job {} is {s}", job.id);
                job.state = Some(s.to_owned());
            }
        } else {
            // Gone from the queue: continued by a later job of the request, or ended.
            let later = slots
                .listed
                .and_then(|i| next_job(&reply.outputs[i].stdout, job.id));
            if let Some(next) = later {
                flush(&mut shapers, &how, job.id);
                eprintln!(
                    "rv logs: job {} ended; following job {next}, which continues it",
                    job.id
                );
                job.id = next;
                job.state = None;
                offsets.fill(0);
                continue;
            }
            let row = sacct::parse_records(&reply.outputs[slots.acct].stdout, &reply.clock)
                .ok()
                .and_then(|r| r.into_iter().next());
            if let Some(end) = row.as_ref().and_then(ending) {
                // One more read for what it wrote as it ended, then stop.
                finishing = Some(end);
                continue;
            }
            gone_ticks += 1;
            if gone_ticks > 15 {
                eprintln!(
                    "rv logs: job {} left the queue and sacct has no record of it",
                    job.id
                );
                return 1;
            }
        }
        let pause = Duration::from_secs(if gone_ticks > 0 { 1 } else { 2 });
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = &mut interrupt => {
                eprintln!("rv logs: stopped following; job {} keeps running (`rv logs -f {}` to follow again, `rv stop {}` to cancel it)", job.id, job.id, job.id);
                return i32::from(crate::exit::INTERRUPTED);
            }
        }
    }
}

/// Where a tick's answers are in its reply.
#[derive(Debug)]
pub struct Slots {
    reads: Vec<usize>,
    queue: usize,
    acct: usize,
    listed: Option<usize>,
}

/// One tick: every stream from its offset, the job in the queue and in sacct, and the
/// jobs that continue this one (checkpoint segments, a hardware retry).
pub fn tick(paths: &Paths, job: &LogJob, streams: &[Stream], offsets: &[u64]) -> (Batch, Slots) {
    let mut batch = Batch::new();
    let reads = streams
        .iter()
        .zip(offsets)
        .map(|(s, off)| {
            let f = quote(&logs::path(&paths.logs(), &job.name, job.id, *s));
            batch.command(format!("tail -c +{} {f} 2>/dev/null; true", off + 1))
        })
        .collect();
    let queue = batch.command(format!("squeue -h -j {} -o %T 2>/dev/null; true", job.id));
    let acct = batch.command(format!(
        "{} -X -j {} 2>/dev/null; true",
        sacct::COMMAND,
        job.id
    ));
    let listed = job
        .request_dir
        .as_ref()
        .map(|d| batch.command(format!("cat {}/continued 2>/dev/null; true", quote(d))));
    (
        batch,
        Slots {
            reads,
            queue,
            acct,
            listed,
        },
    )
}

/// Prints what is left of unfinished lines.
pub fn flush(shapers: &mut [Lines], how: &Follow, job: u64) {
    for (shaper, stream) in shapers.iter_mut().zip(&how.streams) {
        let rest: Vec<String> = shaper.finish().into_iter().collect();
        emit(&rest, *stream, job, how.json);
    }
}

/// The final state and exit code of an ended job (`None` while it is not over): the
/// program's code, 128 + a signal, or 1 for a failure without either.
pub fn ending(row: &sacct::Record) -> Option<(String, i32)> {
    use crate::slurm::parse::job_state::JobState;
    if matches!(row.state, JobState::Pending | JobState::Running) {
        return None;
    }
    let state = crate::watch::state_name(&row.state).clone();
    let code = match row.exit {
        Some((0, 0)) if state != "COMPLETED" => 1,
        Some((0, sig)) if sig != 0 => 128 + sig,
        Some((code, _)) => code,
        None => i32::from(state != "COMPLETED"),
    };
    Some((state, code))
}

/// The job that continues `current` (its next checkpoint segment, or its hardware retry):
/// the first listed in the request's `continued` file after it. Listed there before
/// `current` ends, it is found even when it has already run to its end.
pub fn next_job(continued: &str, current: u64) -> Option<u64> {
    continued
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .filter(|&i| i > current)
        .min()
}

fn emit(lines: &[String], stream: Stream, job: u64, json: bool) {
    if lines.is_empty() {
        return;
    }
    if json {
        let out: Vec<String> = lines
            .iter()
            .map(|l| serde_json::json!({"job": job, "stream": stream.ext(), "line": l}).to_string())
            .collect();
        let _ = print_lines(out.iter().map(String::as_str));
    } else if stream == Stream::Err {
        for l in lines {
            eprintln!("{l}");
        }
    } else {
        let _ = print_lines(lines.iter().map(String::as_str));
    }
}

/// `--search`: matching lines of every rv log, `file:line:text`.
pub async fn search(
    conn: &Connection,
    paths: &Paths,
    pattern: &str,
    json: bool,
) -> Result<i32, Error> {
    let mut batch = Batch::new();
    let i = batch.command(format!(
        "cd {} 2>/dev/null || exit 0; grep -nIE -- {} ./*.out ./*.err 2>/dev/null | sed 's|^\\./||' | head -n 2000; true",
        quote(&paths.logs()),
        quote(pattern)
    ));
    let reply = run_batch(conn, &batch).await?;
    let text = &reply.outputs[i].stdout;
    if json {
        let hits: Vec<String> = text
            .lines()
            .filter_map(|l| {
                let mut p = l.splitn(3, ':');
                let (file, line, text) = (p.next()?, p.next()?.parse::<u64>().ok()?, p.next()?);
                Some(serde_json::json!({"file": file, "job": logs::job_of(file), "line": line, "text": text}).to_string())
            })
            .collect();
        let _ = print_lines(hits.iter().map(String::as_str));
    } else {
        let _ = print_lines(text.lines());
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_is_continued_by_the_next_one_it_submitted() {
        assert_eq!(next_job("12\n", 10), Some(12));
        assert_eq!(next_job("9\n15\n", 12), Some(15));
        assert_eq!(next_job("", 12), None);
        assert_eq!(
            next_job("10\n", 99),
            None,
            "an older sibling does not continue it"
        );
    }
}
