//! What `rv stop` cancels, and the one remote script that cancels it and says which jobs
//! were still there.

use crate::submit::Recorded;
use crate::util::quote;

/// What to cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One job.
    Job(u64),
    /// Every job of a request: its strategies and segments.
    Request(String),
    /// Every job of the user's.
    All,
}

/// What was asked: a [`Target`] already, or a name to resolve among the user's jobs.
#[derive(Debug, PartialEq, Eq)]
pub enum Asked {
    /// A job id, a request id or `--all`.
    Exact(Target),
    /// A job or request name.
    Name(String),
}

impl Asked {
    /// Reads the target argument: a number is a job id, `r-…` a request id, anything else
    /// a name; `all` wins.
    pub fn parse(target: Option<&str>, all: bool) -> Result<Asked, &'static str> {
        if all {
            return Ok(Asked::Exact(Target::All));
        }
        let t = target.unwrap_or_default();
        if let Ok(id) = t.parse::<u64>() {
            return Ok(Asked::Exact(Target::Job(id)));
        }
        if t.starts_with("r-") && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Ok(Asked::Exact(Target::Request(t.to_owned())));
        }
        if t.is_empty() {
            return Err("name a job, a request or a job name");
        }
        Ok(Asked::Name(t.to_owned()))
    }
}

/// The script that cancels `target` and prints the ids of the jobs it found (the ones
/// cancelled). A job already ending ([`ENDING`]: a loser cancelled a moment ago and still
/// completing) is not counted among a request's or `--all`'s. A request's jobs are the locally `recorded` ones plus every job the
/// cluster's request directory lists (segments too); its env file is removed, so secrets
/// of jobs that never started do not stay on disk. Without a record a request has nothing
/// known to cancel.
pub fn script(target: &Target, recorded: Option<&Recorded>) -> String {
    match target {
        Target::Job(id) => format!("squeue -h -j {id} -o %i 2>/dev/null; scancel {id}"),
        Target::All => format!(
            "squeue -h -u \"$USER\" -o '%i %t' | awk '$2 !~ {ENDING} {{ print $1 }}'; scancel -u \"$USER\""
        ),
        Target::Request(id) => {
            let ids: Vec<String> = recorded
                .iter()
                .flat_map(|r| r.jobs())
                .map(|(j, _)| j.to_string())
                .collect();
            let (rdir, env) = match recorded.map(Recorded::paths) {
                Some(p) => (quote(&p.request_dir(id)), quote(&p.env_file(id))),
                None => ("\"$RV_NONE\"".to_owned(), "\"$RV_NONE\"".to_owned()),
            };
            format!(
                "ids=\" {} $(cat {rdir}/jobs 2>/dev/null | tr '\\n' ' ') \"; \
                 live=$(squeue -h -u \"$USER\" -o '%i %t' | awk -v ids=\"$ids\" '$2 !~ {ENDING} && index(ids, \" \" $1 \" \") {{ print $1 }}'); \
                 echo \"$live\"; [ -z \"$live\" ] || scancel $live; rm -f {env}",
                ids.join(" "),
            )
        }
    }
}

/// squeue's short states of a job that is ending or over (an awk pattern): completing,
/// and the ends a job lingers in the queue with for a moment.
const ENDING: &str = "/^(CG|CA|CD|F|TO|NF|PR|OOM|BF|DL)$/";

/// The job ids the script printed.
pub fn cancelled(stdout: &str) -> Vec<u64> {
    stdout
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_ids_requests_names_or_all() {
        assert_eq!(
            Asked::parse(Some("42"), false),
            Ok(Asked::Exact(Target::Job(42)))
        );
        assert_eq!(
            Asked::parse(Some("r-1795-7f3a"), false),
            Ok(Asked::Exact(Target::Request("r-1795-7f3a".into())))
        );
        assert_eq!(
            Asked::parse(Some("train"), false),
            Ok(Asked::Name("train".into()))
        );
        assert_eq!(Asked::parse(None, true), Ok(Asked::Exact(Target::All)));
        assert!(Asked::parse(Some(""), false).is_err());
    }

    #[test]
    fn an_unrecorded_request_cancels_only_what_the_cluster_lists() {
        let s = script(&Target::Request("r-1-ab".into()), None);
        assert!(s.contains("cat \"$RV_NONE\"/jobs"), "{s}");
        assert!(s.contains("ids=\"  $("), "{s}");
        assert_eq!(cancelled("12\n 13 x\n"), vec![12, 13]);
    }

    /// Runs `target`'s script with a `squeue` that lists `queue` (`<id> <state>` lines) and
    /// a `scancel` that records its arguments; the request's directory lists `listed`. What
    /// the script printed, and what scancel was given.
    fn run(target: &Target, queue: &str, listed: &str) -> (Vec<u64>, String) {
        let dir = std::env::temp_dir().join(format!("rv-cancel-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("jobs"), listed).unwrap();
        let fake = |name: &str, body: &str| {
            let path = dir.join(name);
            std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
            std::process::Command::new("chmod")
                .arg("+x")
                .arg(&path)
                .status()
                .unwrap();
        };
        fake("squeue", &format!("printf '{queue}'"));
        fake(
            "scancel",
            &format!("echo \"$*\" >{}/scancelled", dir.display()),
        );
        let out = std::process::Command::new("sh")
            .args(["-c", &script(target, None)])
            .env("PATH", format!("{}:/usr/bin:/bin", dir.display()))
            .env("USER", "rvtest")
            .env("RV_NONE", &dir)
            .output()
            .unwrap();
        let said = std::fs::read_to_string(dir.join("scancelled")).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        (cancelled(&String::from_utf8_lossy(&out.stdout)), said)
    }

    #[test]
    fn a_completing_job_is_not_counted_as_cancelled() {
        let queue = "670 R\n674 CG\n675 CA\n999 PD\n";
        let (found, said) = run(&Target::Request("r-1-ab".into()), queue, "670\n674\n675\n");
        assert_eq!(found, [670], "the request's jobs still running");
        assert_eq!(said.trim(), "670");
        let (found, said) = run(&Target::All, queue, "");
        assert_eq!(found, [670, 999]);
        assert_eq!(said.trim(), "-u rvtest");
    }
}
