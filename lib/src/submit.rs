//! `rv-submit`: render every strategy's script and submit them all in one round trip.
//!
//! The scripts and the request's env file (0600, values quoted) are uploaded before any
//! `sbatch`, in the same round trip. Strategies are submitted best first; as soon as one of
//! them has started and claimed the request, the rest are not submitted at all.

use crate::records::{Request, Strategy, Submission};
use crate::remote::batch::{Batch, Reply, Upload};
use crate::script::{self, Job, Paths};
use crate::state::StateDir;
use crate::util::quote;

/// What one round trip will do, and how to read its reply.
#[derive(Debug)]
pub struct Prepared {
    /// The batch: uploads, then the submission loop.
    pub batch: Batch,
    slot: usize,
    request: String,
    strategies: Vec<String>,
}

/// Builds the round trip for `strategies` of `request`. `vars` go to the env file. A holder
/// with a `lease` (seconds) gets its lease file, renewed now, before any `sbatch`.
pub fn prepare(
    request: &Request,
    strategies: &[Strategy],
    paths: &Paths,
    modules: &[String],
    vars: &[(String, String)],
    workdir: Option<&str>,
    lease: Option<u64>,
) -> Result<Prepared, String> {
    let mut batch = Batch::new();
    if !vars.is_empty() {
        batch.upload(Upload {
            path: paths.env_file(&request.id),
            content: script::env_file(vars)?.into_bytes(),
            mode: 0o600,
        });
    }
    for s in strategies {
        let text = script::render(&Job {
            request,
            strategy: s,
            paths,
            modules,
            workdir,
            lease,
        });
        batch.upload(Upload {
            path: paths.script(&request.id, &s.id),
            content: text.into_bytes(),
            mode: 0o700,
        });
    }
    let dir = quote(&paths.request_dir(&request.id));
    let ids: Vec<String> = strategies.iter().map(|s| quote(&s.id)).collect();
    let lease = crate::lease::of(request, lease)
        .map(|secs| format!(" && printf '%s\\n' {secs} >\"$d/{}\"", crate::lease::FILE))
        .unwrap_or_default();
    let command = format!(
        r#"d={dir}; mkdir -p "$d" {logs} && touch "$d/jobs"{lease} || exit 1
for s in {ids}; do
  if [ -d "$d/claim" ]; then echo "$s|won|"; continue; fi
  out=$(sbatch --parsable "$d/$s.sh" 2>&1); rc=$?
  if [ $rc -eq 0 ]; then id=${{out%%;*}}; echo "$id" >>"$d/jobs"; echo "$s|ok|$id"
  else echo "$s|err|$(printf '%s' "$out" | tr '\n' '\037')"; fi
done"#,
        logs = quote(&paths.logs()),
        ids = ids.join(" "),
    );
    let slot = batch.command(command);
    Ok(Prepared {
        batch,
        slot,
        request: request.id.clone(),
        strategies: strategies.iter().map(|s| s.id.clone()).collect(),
    })
}

impl Prepared {
    /// One submission record per strategy, from the reply. A strategy the loop never got to
    /// (the connection broke) is reported as not submitted.
    pub fn submissions(&self, reply: &Reply) -> Vec<Submission> {
        let out = &reply.outputs[self.slot];
        self.strategies
            .iter()
            .map(|id| {
                let line = out
                    .stdout
                    .lines()
                    .find(|l| l.split('|').next() == Some(id.as_str()));
                let (job_id, error) = match line
                    .map(|l| l.splitn(3, '|').collect::<Vec<_>>())
                    .as_deref()
                {
                    Some([_, "ok", job]) => match crate::slurm::parse::sbatch::parse_job_id(job) {
                        Ok(j) => (Some(j), None),
                        Err(e) => (None, Some(e.to_string())),
                    },
                    Some([_, "won", _]) => (
                        None,
                        Some("not submitted: another strategy already started".to_owned()),
                    ),
                    Some([_, "err", msg]) => {
                        // The loop joined sbatch's lines with the unit separator.
                        let msg = msg.replace('\x1f', "\n");
                        let why = crate::slurm::parse::sbatch::refusal(&msg)
                            .unwrap_or_else(|| msg.trim().to_owned());
                        (None, Some(why))
                    }
                    _ => (
                        None,
                        Some(
                            format!("not submitted: {}", out.stderr.trim())
                                .trim_end_matches(": ")
                                .to_owned(),
                        ),
                    ),
                };
                Submission {
                    request: self.request.clone(),
                    strategy: id.clone(),
                    job_id,
                    error,
                }
            })
            .collect()
    }
}

/// What rv keeps locally about a request (`~/.rv/requests/<id>.json`): written before
/// anything is submitted and again with the job ids, read back by `rv-watch --resume` and
/// `rv stop`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Recorded {
    /// The host the request went to.
    pub host: String,
    /// The request.
    pub request: Request,
    /// Its strategies.
    pub strategies: Vec<Strategy>,
    /// Scratch on the cluster, where its scripts, claim and env file are.
    pub scratch: String,
    /// What became of each strategy (empty until the round trip returns).
    pub submissions: Vec<Submission>,
    /// The lease of a holder, in seconds (`None`: kept, or batch work).
    #[serde(default)]
    pub lease: Option<u64>,
}

impl Recorded {
    /// Writes the record, privately.
    pub fn save(&self, state: &StateDir) -> std::io::Result<std::path::PathBuf> {
        let text = serde_json::to_string(self).expect("records always serialize");
        state.write_private(
            &format!("requests/{}.json", self.request.id),
            text.as_bytes(),
        )
    }

    /// Reads the record of request `id`.
    pub fn load(state: &StateDir, id: &str) -> Result<Self, String> {
        if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(format!("{id:?} is not a request id"));
        }
        let path = state.root().join(format!("requests/{id}.json"));
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Where the request's files are on the cluster.
    pub fn paths(&self) -> Paths {
        Paths {
            scratch: self.scratch.clone(),
        }
    }

    /// The submitted jobs and their strategies.
    pub fn jobs(&self) -> Vec<(u64, Option<String>)> {
        self.submissions
            .iter()
            .filter_map(|s| Some((s.job_id?, Some(s.strategy.clone()))))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_holder_gets_a_lease_file_and_before_any_sbatch() {
        let request = |command: Option<&str>| Request {
            id: "r-1795890146-fe8214ee".into(),
            name: "rv".into(),
            gpus: 1,
            gpu_type: None,
            vram_gb: None,
            time: 3600,
            nodes: None,
            cpus: None,
            mem_mb: None,
            partitions: vec![],
            account: None,
            constraint: None,
            exclude: vec![],
            command: command.map(str::to_owned),
            ray: false,
        };
        let paths = Paths {
            scratch: "/scratch/rvtest".into(),
        };
        let script = |command: Option<&str>, lease: Option<u64>| {
            let p = prepare(&request(command), &[], &paths, &[], &[], None, lease).unwrap();
            p.batch.script("B")
        };
        let holder = script(None, Some(600));
        let at = holder.find(" 600 >\"$d/lease\" ").expect(&holder);
        assert!(at < holder.find("sbatch").unwrap(), "{holder}");
        assert!(!script(None, None).contains("/lease"));
        assert!(!script(Some("python x.py"), Some(600)).contains("/lease"));
    }
}
