//! `rv stop`: cancel a job, a whole request, or all your jobs, in one round trip.

use std::process::ExitCode;

use clap::Parser;

use crate::remote::batch::Batch;
use crate::remote::transport::run_batch;
use crate::submit::Recorded;
use crate::util::quote;

use super::{Error, Json, Local, Run, Session, print_lines};

/// Cancel a job or a whole request (every strategy and segment of it).
///
/// TARGET is a job id, a request id (`r-…`, as `rv up` and `rv-plan` print it) or a job or
/// request name (a job of a request stands for the whole request). A request's jobs are
/// taken from the local record and from the request's job list on the cluster;
/// the request's env file is removed too, so secrets of jobs that never started do not stay
/// on disk.
#[derive(Debug, Parser)]
#[command(name = "rv stop", after_help = EXIT_CODES, mut_arg("json", |a| a.help("Print what was cancelled as JSON")))]
pub struct Args {
    /// A job id, a request id, or a job or request name.
    #[arg(required_unless_present = "all", add = clap_complete::ArgValueCandidates::new(crate::jobs::candidates))]
    pub target: Option<String>,
    /// Cancel every job of yours.
    #[arg(long, conflicts_with = "target")]
    pub all: bool,
    /// Do not ask before `--all`.
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub json: Json,
    #[command(flatten)]
    pub local: Local,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str = "Exit codes: 0 cancelled (or nothing was left to cancel); 1 the cluster refused or could not be reached; \
     2 bad arguments, or --all without --yes and no terminal to ask.";

/// What to cancel.
#[derive(Debug, PartialEq, Eq)]
enum What {
    Job(u64),
    Request(String),
    All,
}

/// What was asked: exactly one of [`What`], or a name to resolve among the user's jobs.
#[derive(Debug, PartialEq, Eq)]
enum Asked {
    Exact(What),
    Name(String),
}

fn what(args: &Args) -> Result<Asked, String> {
    if args.all {
        return Ok(Asked::Exact(What::All));
    }
    let t = args.target.as_deref().unwrap_or_default();
    if let Ok(id) = t.parse::<u64>() {
        return Ok(Asked::Exact(What::Job(id)));
    }
    if t.starts_with("r-") && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Ok(Asked::Exact(What::Request(t.to_owned())));
    }
    if t.is_empty() {
        return Err("name a job, a request or a job name".into());
    }
    Ok(Asked::Name(t.to_owned()))
}

/// Asks before `--all` on a terminal; without one, `--yes` is required.
fn confirm_all() -> Result<bool, Error> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return Err(Error::usage("--all cancels every job of yours: add --yes"));
    }
    eprint!("Cancel every job of yours? [y/N] ");
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    let yes = answer.trim().eq_ignore_ascii_case("y");
    if !yes {
        eprintln!("rv stop: nothing cancelled");
    }
    Ok(yes)
}

impl Run for Args {
    const STAGE: &'static str = "rv stop";
    fn run(&self) -> Result<ExitCode, Error> {
        main(self)
    }
}

/// Runs `rv stop`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    let target = what(args).map_err(Error::usage)?;
    if target == Asked::Exact(What::All) && !args.yes && !confirm_all()? {
        return Ok(ExitCode::SUCCESS);
    }
    let ctx = Session::load("rv stop", args.local.here())?;
    let target = match target {
        Asked::Name(name) => {
            let row = super::choose_job(&ctx, Some(&name))?;
            match (row.request, row.job_id.parse()) {
                (Some(r), _) => What::Request(r),
                (None, Ok(id)) => What::Job(id),
                (None, Err(_)) => {
                    return Err(Error::usage(format!("{name:?}: not a job")));
                }
            }
        }
        Asked::Exact(w) => w,
    };
    let script = match &target {
        What::Job(id) => format!("squeue -h -j {id} -o %i 2>/dev/null; scancel {id}"),
        What::All => "squeue -h -u \"$USER\" -o %i; scancel -u \"$USER\"".to_owned(),
        What::Request(id) => {
            // Without a local record there is nothing known to cancel.
            let recorded = Recorded::load(&ctx.state, id).ok();
            let ids: Vec<String> = recorded
                .iter()
                .flat_map(Recorded::jobs)
                .map(|(j, _)| j.to_string())
                .collect();
            let (rdir, env) = match recorded.map(|r| r.paths()) {
                Some(p) => (p.request_dir(id), p.env_file(id)),
                None => ("\"$RV_NONE\"".to_owned(), "\"$RV_NONE\"".to_owned()),
            };
            // Known ids, plus every job the cluster lists for the request (segments too).
            format!(
                "ids=\" {} $(cat {}/jobs 2>/dev/null | tr '\\n' ' ') \"; \
                 live=$(squeue -h -u \"$USER\" -o %i | awk -v ids=\"$ids\" 'index(ids, \" \" $1 \" \")'); \
                 echo \"$live\"; [ -z \"$live\" ] || scancel $live; rm -f {}",
                ids.join(" "),
                quote(&rdir),
                quote(&env)
            )
        }
    };
    let mut batch = Batch::new();
    let i = batch.command(script);
    let r = ctx.remote(async |c| Ok(run_batch(c, &batch).await?))?;
    match r {
        r if r.outputs[i].ok() => {
            let cancelled: Vec<u64> = r.outputs[i]
                .stdout
                .split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect();
            let ids: Vec<String> = cancelled.iter().map(u64::to_string).collect();
            let unforwarded = crate::forward::stop(&ctx, Some(&ids));
            for f in &unforwarded {
                eprintln!(
                    "rv stop: removed the forward of localhost:{} to job {}",
                    f.local, f.job
                );
            }
            if args.json.on() {
                let _ = print_lines([serde_json::json!({ "cancelled": cancelled })
                    .to_string()
                    .as_str()]);
            } else if cancelled.is_empty() {
                eprintln!("rv stop: nothing was running or waiting");
            } else {
                eprintln!(
                    "rv stop: cancelled {}",
                    cancelled
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        r => Err(Error::cluster(r.outputs[i].stderr.trim())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(target: Option<&str>, all: bool) -> Args {
        Args {
            target: target.map(str::to_owned),
            all,
            yes: false,
            json: Json::default(),
            local: Local::default(),
        }
    }

    #[test]
    fn targets_are_ids_requests_names_or_all() {
        assert_eq!(
            what(&args(Some("42"), false)),
            Ok(Asked::Exact(What::Job(42)))
        );
        assert_eq!(
            what(&args(Some("r-1795-7f3a"), false)),
            Ok(Asked::Exact(What::Request("r-1795-7f3a".into())))
        );
        assert_eq!(
            what(&args(Some("train"), false)),
            Ok(Asked::Name("train".into()))
        );
        assert_eq!(what(&args(None, true)), Ok(Asked::Exact(What::All)));
        assert!(what(&args(Some(""), false)).is_err());
    }
}
