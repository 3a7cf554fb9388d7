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
/// cancelled). A request's jobs are the locally `recorded` ones plus every job the
/// cluster's request directory lists (segments too); its env file is removed, so secrets
/// of jobs that never started do not stay on disk. Without a record a request has nothing
/// known to cancel.
pub fn script(target: &Target, recorded: Option<&Recorded>) -> String {
    match target {
        Target::Job(id) => format!("squeue -h -j {id} -o %i 2>/dev/null; scancel {id}"),
        Target::All => "squeue -h -u \"$USER\" -o %i; scancel -u \"$USER\"".to_owned(),
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
                 live=$(squeue -h -u \"$USER\" -o %i | awk -v ids=\"$ids\" 'index(ids, \" \" $1 \" \")'); \
                 echo \"$live\"; [ -z \"$live\" ] || scancel $live; rm -f {env}",
                ids.join(" "),
            )
        }
    }
}

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
}
