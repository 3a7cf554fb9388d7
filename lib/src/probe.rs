//! `rv-probe`: read the cluster in one round trip and estimate backfill windows.
//!
//! The round trip brings back the cluster's clock, nodes (GRES, usage, state, features),
//! partitions, every job with its planned start and `SchedNodes`, reservations, the user's
//! fair-share, and a bisection of `sbatch --test-only` per partition, all from one batched
//! script. Everything after that is pure: [`Snapshot::records`] turns it into NDJSON records.

use crate::backfill::{self, Timeline};
use crate::cluster::Cluster;
use crate::plan::Probed;
use crate::profile::Profile;
use crate::records::{self, Envelope, Record, Scratch, WindowSource};
use crate::remote::batch::{Batch, Reply};
use crate::remote::transport::{RemoteError, Transport, run_batch};
use crate::slurm::ParseError;
use crate::slurm::parse::job_state::JobState;
use crate::slurm::parse::scontrol::{self, Reservation};
use crate::slurm::parse::sinfo::{self, Node};
use crate::slurm::parse::squeue::{self, Job};
use crate::slurm::parse::version::{self, SlurmVersion};
use crate::slurm::parse::{Unread, gres, sacctmgr, sshare};
use crate::slurm::time::{Clock, Walltime};
use crate::util::quote;

/// The shortest job a window is computed for unless the job is shorter (see
/// [`shortest_window`]), and the `--test-only` bisection's lower bound.
pub const MIN_JOB_SECS: u64 = 30 * 60;

/// The shortest hole a window is computed for, for a job of `time` seconds (when known):
/// [`MIN_JOB_SECS`], or the job's own walltime when it is shorter, so a 20-minute job is
/// shown a 25-minute hole before a planned job.
pub fn shortest_window(time: Option<u64>) -> u64 {
    time.map_or(MIN_JOB_SECS, |t| t.clamp(1, MIN_JOB_SECS))
}

/// At most this many `sbatch --test-only` calls per partition.
pub const MAX_TEST_ONLY_PROBES: u32 = 8;

/// What to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// GPUs per node of the `--test-only` probes (capped at each partition's count).
    pub gpus: u32,
    /// The account the probes are charged to, if not the user's default.
    pub account: Option<String>,
    /// Whether to cross-check the model with `sbatch --test-only`.
    pub test_only: bool,
    /// The configured scratch (`paths.scratch`), checked; else scratch is discovered.
    pub scratch: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            gpus: 1,
            account: None,
            test_only: true,
            scratch: None,
        }
    }
}

/// Why a probe failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The round trip failed.
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// A Slurm command failed on the cluster.
    #[error("`{command}` failed on the cluster (exit {code}): {stderr}")]
    Command {
        /// The command.
        command: &'static str,
        /// Its exit code.
        code: i32,
        /// What it printed on stderr.
        stderr: String,
    },
    /// A Slurm command printed something rv cannot read.
    #[error(transparent)]
    Parse(#[from] ParseError),
}

/// GPU limits from accounting.
#[derive(Debug, Default)]
struct Limits {
    /// GPUs the user may run at once.
    per_user: Option<u32>,
    /// GPUs one job may have.
    per_job: Option<u32>,
}

/// The tighter of two limits (`None`: no limit).
fn min_limit(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Indexes of the probe's commands in its batch.
#[derive(Debug, Clone, Copy)]
struct Slots {
    user: usize,
    version: usize,
    nodes: usize,
    partitions: usize,
    jobs: usize,
    shares: usize,
    reservations: usize,
    qos: usize,
    assocs: usize,
    scratch: usize,
    test_only: Option<usize>,
}

/// The probe's batch: every command of one round trip.
fn batch(options: &Options) -> (Batch, Slots) {
    let mut b = Batch::new();
    let slots = Slots {
        user: b.command("id -un"),
        version: b.command(version::COMMAND),
        nodes: b.command(sinfo::COMMAND),
        partitions: b.command("scontrol -o show partition"),
        jobs: b.command(squeue::COMMAND),
        shares: b.command(sshare::COMMAND),
        reservations: b.command("scontrol -o show reservation"),
        qos: b.command(sacctmgr::QOS_COMMAND),
        assocs: b.command(sacctmgr::ASSOC_COMMAND),
        scratch: b.command(crate::script::scratch_command(options.scratch.as_deref())),
        test_only: options
            .test_only
            .then(|| b.command(test_only_script(options))),
    };
    (b, slots)
}

/// A shell script that bisects, for every partition with a single GPU type, the longest
/// walltime `sbatch --test-only` says starts now, with at most
/// [`MAX_TEST_ONLY_PROBES`] probes per partition, all partitions at once. Each partition
/// prints `partition|gres|lo|hi|probes|start`: walltimes from `lo` minutes start now, from
/// `hi` they do not (`lo` 0: not even 30 minutes; `start` is then when).
pub fn test_only_script(options: &Options) -> String {
    let account = options
        .account
        .as_deref()
        .map(|a| format!(" -A {}", quote(a)))
        .unwrap_or_default();
    format!(
        r#"now=$(date +%s)
probe() {{ sbatch --test-only -p "$1" --gres="$2" -N 1 -t "$3"{account} --wrap=true 2>&1 | sed -n 's/.* to start at \([0-9][0-9]*\) .*/\1/p' | head -n 1; }}
soon() {{ [ -n "$1" ] && [ "$1" -le $((now + 300)) ]; }}
bisect() {{
  p=$1 want=$2 hi=$3 lo=30 n=1
  s=$(probe "$p" "$want" "$hi")
  if soon "$s"; then echo "$p|$want|$hi|$hi|$n|$s"; return; fi
  s=$(probe "$p" "$want" "$lo"); n=2
  if ! soon "$s"; then echo "$p|$want|0|$lo|$n|$s"; return; fi
  while [ $n -lt {max} ] && [ $((hi - lo)) -gt 10 ]; do
    mid=$(((lo + hi) / 2)); s=$(probe "$p" "$want" "$mid"); n=$((n + 1))
    if soon "$s"; then lo=$mid; else hi=$mid; fi
  done
  echo "$p|$want|$lo|$hi|$n|"
}}
sinfo -h -o '%R|%G|%l' | sort -u | awk -F'|' '$2 ~ /^gpu:/ {{ n[$1]++; g[$1] = $2; l[$1] = $3 }} END {{ for (p in n) if (n[p] == 1) print p "|" g[p] "|" l[p] }}' | {{
  while IFS='|' read -r p gres limit; do
    t=${{gres#gpu:}}; t=${{t%%(*}}
    case $t in *:*) type=${{t%:*}}; per=${{t##*:}} ;; *) type=; per=$t ;; esac
    g={gpus}; [ "$g" -gt "$per" ] && g=$per
    if [ -n "$type" ]; then want="gpu:$type:$g"; else want="gpu:$g"; fi
    max=$(echo "$limit" | awk -F'[-:]' '{{ if (NF == 4) print $1 * 1440 + $2 * 60 + $3; else if (NF == 3) print $1 * 60 + $2; else print 4320 }}')
    bisect "$p" "$want" "$max" &
  done
  wait
}}
"#,
        max = MAX_TEST_ONLY_PROBES,
        gpus = options.gpus.max(1),
    )
}

/// One partition's `--test-only` bisection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bisection {
    /// The partition.
    pub partition: String,
    /// The GRES probed (`gpu:a6000:1`).
    pub gres: String,
    /// Walltimes up to this many minutes start now (0: not even 30 minutes).
    pub lo_minutes: u64,
    /// Walltimes from this many minutes on do not start now.
    pub hi_minutes: u64,
    /// Probes used.
    pub probes: u32,
    /// When the 30-minute probe would start, if it does not start now.
    pub start: Option<i64>,
}

/// Reads the output of [`test_only_script`].
pub fn parse_bisections(text: &str) -> Result<Vec<Bisection>, ParseError> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, line)| {
            let err = |why: &str| ParseError::new("test-only bisection", line, why).at_line(i + 1);
            let f: Vec<&str> = line.split('|').collect();
            let [partition, gres, lo, hi, probes, start] = f.as_slice() else {
                return Err(err("expected partition|gres|lo|hi|probes|start"));
            };
            let num = |s: &str| s.parse::<u64>().map_err(|_| err("not a number"));
            Ok(Bisection {
                partition: (*partition).to_owned(),
                gres: (*gres).to_owned(),
                lo_minutes: num(lo)?,
                hi_minutes: num(hi)?,
                probes: u32::try_from(num(probes)?).map_err(|_| err("too many probes"))?,
                start: if start.is_empty() {
                    None
                } else {
                    Some(start.parse().map_err(|_| err("bad start"))?)
                },
            })
        })
        .collect()
}

/// Everything one probe read.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The host probed.
    pub host: String,
    /// The cluster's clock.
    pub clock: Clock,
    /// The user on the cluster.
    pub user: String,
    /// The cluster's Slurm release, when `sinfo --version` could be read.
    pub slurm: Option<SlurmVersion>,
    /// Nodes, merged over partitions.
    pub nodes: Vec<Node>,
    /// Partitions.
    pub partitions: Vec<scontrol::Partition>,
    /// Every job in the queue.
    pub jobs: Vec<Job>,
    /// The user's fair-share rows.
    pub shares: Vec<sshare::Share>,
    /// Reservations.
    pub reservations: Vec<Reservation>,
    /// The QOS table (empty without accounting).
    pub qos: Vec<sacctmgr::Qos>,
    /// The user's associations (empty without accounting).
    pub assocs: Vec<sacctmgr::Assoc>,
    /// Scratch, configured or discovered, and whether it is usable.
    pub scratch: Option<Scratch>,
    /// The `--test-only` bisections (empty when skipped).
    pub bisections: Vec<Bisection>,
    /// Rows of other users' jobs and of nodes that could not be read, skipped.
    pub unread: Vec<Unread>,
}

impl Snapshot {
    /// Reads a probe batch's reply.
    fn read(host: &str, reply: &Reply, slots: Slots) -> Result<Self, ProbeError> {
        let ok = |i: usize, command: &'static str| {
            let o = &reply.outputs[i];
            if o.ok() {
                Ok(o.stdout.as_str())
            } else {
                Err(ProbeError::Command {
                    command,
                    code: o.code,
                    stderr: o.stderr.trim().to_owned(),
                })
            }
        };
        let clock = reply.clock;
        let user = ok(slots.user, "id -un")?.trim().to_owned();
        let nodes =
            sinfo::parse_nodes_lenient(ok(slots.nodes, "sinfo")?, sinfo::FIELDS, sinfo::SEPARATOR)?;
        // Other users' rows are skipped when unreadable; the user's own must read exactly.
        let jobs = squeue::parse_jobs_lenient(
            ok(slots.jobs, "squeue")?,
            squeue::FIELDS,
            squeue::SEPARATOR,
            &clock,
            &user,
        )?;
        Ok(Snapshot {
            host: host.to_owned(),
            clock,
            slurm: ok(slots.version, "sinfo --version")
                .ok()
                .and_then(|t| SlurmVersion::parse(t).ok()),
            user,
            nodes: nodes.items,
            partitions: scontrol::parse_partitions(ok(
                slots.partitions,
                "scontrol show partition",
            )?)?,
            jobs: jobs.items,
            // Fair-share needs accounting; a cluster without it still gets a plan.
            shares: ok(slots.shares, "sshare")
                .ok()
                .and_then(|t| sshare::parse_shares(t).ok())
                .unwrap_or_default(),
            reservations: scontrol::parse_reservations(
                ok(slots.reservations, "scontrol show reservation")?,
                &clock,
            )?,
            // Limits need accounting too; without it there are none to know.
            qos: ok(slots.qos, "sacctmgr show qos")
                .ok()
                .and_then(|t| sacctmgr::parse_qos(t).ok())
                .unwrap_or_default(),
            assocs: ok(slots.assocs, "sacctmgr show assoc")
                .ok()
                .and_then(|t| sacctmgr::parse_assocs(t).ok())
                .unwrap_or_default(),
            scratch: crate::script::parse_scratch(&reply.outputs[slots.scratch].stdout),
            bisections: match slots.test_only {
                Some(i) => parse_bisections(ok(i, "sbatch --test-only")?)?,
                None => Vec::new(),
            },
            unread: nodes.unread.into_iter().chain(jobs.unread).collect(),
        })
    }

    /// The GPU limits accounting puts on the user's jobs: those of the association of the
    /// user's (first) account and of the QOS its jobs get.
    fn accounting_limits(&self) -> Limits {
        let account = self.shares.first().map(|s| s.account.as_str());
        let Some(assoc) = self
            .assocs
            .iter()
            .find(|a| Some(a.account.as_str()) == account && a.partition.is_none())
            .or_else(|| self.assocs.first())
        else {
            return Limits::default();
        };
        let qos = assoc
            .job_qos()
            .and_then(|q| self.qos.iter().find(|x| x.name == q));
        Limits {
            per_user: min_limit(assoc.max_gpus, qos.and_then(|q| q.max_gpus_per_user)),
            per_job: min_limit(assoc.max_gpus_per_job, qos.and_then(|q| q.max_gpus_per_job)),
        }
    }

    /// The one warning about the rows skipped, if any were: how many, by which parsers,
    /// and the first one verbatim with why.
    pub fn warning(&self) -> Option<records::Warning> {
        let first = self.unread.first()?;
        let mut parsers: Vec<String> = Vec::new();
        for u in &self.unread {
            if !parsers.iter().any(|p| p == u.error.what) {
                parsers.push(u.error.what.to_owned());
            }
        }
        let skipped = u32::try_from(self.unread.len()).unwrap_or(u32::MAX);
        let rows = if skipped == 1 { "row" } else { "rows" };
        let what = if parsers.iter().all(|p| p == "sinfo") {
            "nodes"
        } else {
            "other users' jobs or nodes"
        };
        Some(records::Warning {
            stage: "rv-probe".to_owned(),
            message: format!(
                "skipped {skipped} {rows} of {what} that rv cannot read ({}); the first: {:?}: {}",
                parsers.join(", "),
                first.row,
                first.error,
            ),
            skipped,
            parsers,
            first: first.row.clone(),
            why: first.error.to_string(),
        })
    }

    /// What this snapshot says for the planner: the cluster, every partition (CPU
    /// partitions too, with no GPUs) and the backfill windows, holes of at least `shortest`
    /// seconds (see [`shortest_window`]).
    pub fn probed(&self, profile: &Profile, shortest: u64) -> Probed {
        let mut cluster = Cluster::build(&self.nodes, &self.partitions, profile);
        let limits = self.accounting_limits();
        // A partition's own QOS caps its GPUs per user too.
        for p in &mut cluster.partitions {
            let cap = (self.partitions.iter().find(|x| x.name == p.name))
                .and_then(|x| x.qos.as_deref())
                .and_then(|q| self.qos.iter().find(|x| x.name == q))
                .and_then(|q| q.max_gpus_per_user);
            p.max_gpus_per_user = min_limit(p.max_gpus_per_user, cap);
        }
        let account = self.shares.first().map(|s| s.account.as_str());
        let timelines = backfill::timelines(
            &self.nodes,
            &self.jobs,
            &self.reservations,
            self.clock.now,
            &self.user,
            account,
        );
        let mut probed = Probed {
            cluster: Some(records::Cluster {
                host: self.host.clone(),
                profile: profile.name.clone(),
                user: self.user.clone(),
                now: self.clock.now,
                utc_offset: self.clock.utc_offset,
                fairshare: self.shares.first().and_then(|s| s.fairshare),
                running: self.usage(&cluster),
                max_gpus_per_user: min_limit(profile.max_gpus_per_user, limits.per_user),
                max_gpus_per_job: limits.per_job,
                slurm_version: self.slurm,
                scratch: self.scratch.clone(),
            }),
            partitions: Vec::new(),
            windows: Vec::new(),
        };
        let by_name: std::collections::HashMap<&str, &Node> =
            self.nodes.iter().map(|n| (n.name.as_str(), n)).collect();
        for partition in &cluster.partitions {
            let max_time = partition.max_time.map(Walltime::as_secs);
            let members: std::collections::HashSet<&str> =
                partition.nodes.iter().map(String::as_str).collect();
            for pool in &partition.gpus {
                let nodes: Vec<&Timeline> = timelines
                    .iter()
                    .filter(|t| {
                        members.contains(t.node.as_str())
                            && by_name
                                .get(t.node.as_str())
                                .is_some_and(|n| pool_has_node(pool, n, profile))
                    })
                    .collect();
                for (count, gpus) in shapes(pool) {
                    if let Some(fit) = backfill::fit(&nodes, count, gpus, self.clock.now, shortest)
                    {
                        probed.windows.push(records::Window {
                            partition: partition.name.clone(),
                            gpu_type: pool.gpu_type.clone(),
                            nodes: u32::try_from(count).unwrap_or(u32::MAX),
                            gpus_per_node: gpus,
                            start: fit.start,
                            max_walltime: cap(fit.max_walltime, max_time),
                            source: WindowSource::Model,
                        });
                    }
                }
            }
            if let Some(b) = self
                .bisections
                .iter()
                .find(|b| b.partition == partition.name)
            {
                let gpus = b
                    .gres
                    .rsplit(':')
                    .next()
                    .and_then(|g| g.parse().ok())
                    .unwrap_or(1);
                probed.windows.push(records::Window {
                    partition: partition.name.clone(),
                    gpu_type: partition
                        .gpus
                        .first()
                        .map(|p| p.gpu_type.clone())
                        .unwrap_or_default(),
                    nodes: 1,
                    gpus_per_node: gpus,
                    start: if b.lo_minutes > 0 {
                        self.clock.now
                    } else {
                        b.start.unwrap_or(self.clock.now)
                    },
                    max_walltime: (b.lo_minutes > 0).then_some(b.lo_minutes * 60),
                    source: WindowSource::TestOnly,
                });
            }
        }
        probed.partitions = cluster.partitions;
        probed
    }

    /// The records of this snapshot, in pipeline order: `cluster`, a `warning` when rows
    /// were skipped, then each `partition` followed by its `window`s (see
    /// [`Snapshot::probed`]).
    pub fn records(&self, profile: &Profile, shortest: u64) -> Vec<Envelope> {
        let Probed {
            cluster,
            partitions,
            windows,
        } = self.probed(profile, shortest);
        let mut out: Vec<Envelope> = cluster
            .map(Record::Cluster)
            .into_iter()
            .map(Envelope::new)
            .collect();
        out.extend(self.warning().map(|w| Envelope::new(Record::Warning(w))));
        for partition in partitions {
            let name = partition.name.clone();
            out.push(Envelope::new(Record::Partition(partition)));
            out.extend(
                windows
                    .iter()
                    .filter(|w| w.partition == name)
                    .map(|w| Envelope::new(Record::Window(w.clone()))),
            );
        }
        out
    }

    /// GPUs the user's running jobs hold, by partition and kind.
    fn usage(&self, cluster: &Cluster) -> Vec<records::Usage> {
        let mut usage: Vec<records::Usage> = Vec::new();
        for job in self
            .jobs
            .iter()
            .filter(|j| j.user == self.user && j.state == Some(JobState::Running))
        {
            let per_node = gres::total(&job.gpus_per_node);
            let gpus = per_node * job.node_count.unwrap_or(1);
            if gpus == 0 {
                continue;
            }
            let kind = cluster
                .partition(&job.partition)
                .and_then(|p| {
                    p.gpus.iter().find(|pool| {
                        job.gpus_per_node
                            .iter()
                            .any(|g| g.kind.is_none() || g.kind.as_deref() == pool.gres.as_deref())
                    })
                })
                .map_or_else(|| "gpu".to_owned(), |p| p.gpu_type.clone());
            match usage
                .iter_mut()
                .find(|u| u.partition == job.partition && u.gpu_type == kind)
            {
                Some(u) => u.gpus += gpus,
                None => usage.push(records::Usage {
                    partition: job.partition.to_string(),
                    gpu_type: kind,
                    gpus,
                }),
            }
        }
        usage
    }
}

/// Whether `node` carries the GPUs of `pool` (a partition may mix kinds).
fn pool_has_node(pool: &records::GpuPool, n: &Node, profile: &Profile) -> bool {
    n.gpus.iter().any(|g| {
        g.count == pool.per_node
            && g.kind.as_deref() == pool.gres.as_deref()
            && g.kind
                .as_deref()
                .and_then(|k| profile.kind_of(k, &n.features))
                .is_none_or(|k| k.name == pool.gpu_type)
    })
}

/// The shapes a window is computed for: 1, 2, 4, … GPUs per node up to the node's count,
/// on 1, 2 or 4 nodes where the pool has them.
fn shapes(pool: &records::GpuPool) -> Vec<(usize, u32)> {
    let mut per_node: Vec<u32> = std::iter::successors(Some(1u32), |g| g.checked_mul(2))
        .take_while(|&g| g <= pool.per_node)
        .collect();
    if !per_node.contains(&pool.per_node) {
        per_node.push(pool.per_node);
    }
    [1usize, 2, 4]
        .into_iter()
        .filter(|&n| n <= usize::try_from(pool.nodes).unwrap_or(usize::MAX))
        .flat_map(|n| per_node.iter().map(move |&g| (n, g)))
        .collect()
}

fn cap(room: Option<u64>, limit: Option<u64>) -> Option<u64> {
    match (room, limit) {
        (Some(r), Some(l)) => Some(r.min(l)),
        (r, l) => r.or(l),
    }
}

/// Probes the cluster over `transport` in one round trip.
pub async fn run<T: Transport>(
    transport: &T,
    host: &str,
    options: &Options,
) -> Result<Snapshot, ProbeError> {
    Ok(run_with(transport, host, options, &[]).await?.0)
}

/// Probes the cluster and runs `extra` commands in the same round trip; their outputs
/// come back in order.
pub async fn run_with<T: Transport>(
    transport: &T,
    host: &str,
    options: &Options,
    extra: &[String],
) -> Result<(Snapshot, Vec<crate::remote::batch::Output>), ProbeError> {
    let (mut b, slots) = batch(options);
    let slots_extra: Vec<usize> = extra.iter().map(|c| b.command(c.clone())).collect();
    let mut reply = run_batch(transport, &b).await?;
    let snapshot = Snapshot::read(host, &reply, slots)?;
    let outputs = slots_extra
        .iter()
        .map(|&i| std::mem::take(&mut reply.outputs[i]))
        .collect();
    Ok((snapshot, outputs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_job_sees_holes_as_short_as_itself() {
        assert_eq!(shortest_window(None), MIN_JOB_SECS);
        assert_eq!(shortest_window(Some(20 * 60)), 20 * 60);
        assert_eq!(shortest_window(Some(24 * 3600)), MIN_JOB_SECS);
        assert_eq!(shortest_window(Some(0)), 1);
    }

    #[test]
    fn bisection_lines_read_back() {
        let b = parse_bisections(
            "gpu-a6000|gpu:a6000:1|135|169|8|\ngpu-h200|gpu:h200:1|0|30|2|1795990000\n",
        )
        .unwrap();
        assert_eq!(b[0].lo_minutes, 135);
        assert_eq!(b[0].probes, 8);
        assert_eq!(
            b[1],
            Bisection {
                partition: "gpu-h200".into(),
                gres: "gpu:h200:1".into(),
                lo_minutes: 0,
                hi_minutes: 30,
                probes: 2,
                start: Some(1_795_990_000),
            }
        );
        assert!(
            parse_bisections("x|y\n")
                .unwrap_err()
                .to_string()
                .contains("line 1")
        );
    }

    #[test]
    fn the_script_quotes_the_account_and_caps_probes() {
        let script = test_only_script(&Options {
            gpus: 4,
            account: Some("gpupod&a100_80gb".into()),
            test_only: true,
            scratch: None,
        });
        assert!(
            script.contains(" -A 'gpupod&a100_80gb' --wrap=true"),
            "{script}"
        );
        assert!(script.contains("while [ $n -lt 8 ]"));
        assert!(script.contains("g=4;"));
        let out = std::process::Command::new("sh")
            .arg("-n")
            .arg("-c")
            .arg(&script)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "sh -n: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn skipped_rows_make_one_warning_record() {
        let clock = Clock {
            now: 1_795_887_680,
            utc_offset: 0,
        };
        let mut snapshot = Snapshot {
            host: "h".into(),
            clock,
            user: "me".into(),
            slurm: Some(SlurmVersion::new(24, 11, 5)),
            nodes: Vec::new(),
            partitions: Vec::new(),
            jobs: Vec::new(),
            shares: Vec::new(),
            reservations: Vec::new(),
            qos: Vec::new(),
            assocs: Vec::new(),
            scratch: None,
            bisections: Vec::new(),
            unread: Vec::new(),
        };
        assert_eq!(snapshot.warning(), None);
        let profile = Profile::generic();
        let types = |s: &Snapshot| -> Vec<String> {
            s.records(&profile, MIN_JOB_SECS)
                .iter()
                .map(|e| {
                    serde_json::to_value(e).unwrap()["type"]
                        .as_str()
                        .unwrap()
                        .to_owned()
                })
                .collect()
        };
        assert_eq!(types(&snapshot), ["cluster"]);
        let unread = |parser: &'static str, row: &str, line| Unread {
            row: row.to_owned(),
            error: ParseError::new(parser, "x", "why").at_line(line),
        };
        snapshot.unread = vec![
            unread("sinfo", "n1|p|sleepy|", 3),
            unread("squeue", "7|p|bob|…", 9),
            unread("squeue", "8|p|bob|…", 10),
        ];
        let w = snapshot.warning().unwrap();
        assert_eq!(w.skipped, 3);
        assert_eq!(w.parsers, ["sinfo", "squeue"]);
        assert_eq!(w.first, "n1|p|sleepy|");
        assert_eq!(w.why, "cannot parse sinfo line 3: why (in \"x\")");
        assert!(
            w.message.starts_with("skipped 3 rows of other users' jobs or nodes that rv cannot read (sinfo, squeue); the first: \"n1|p|sleepy|\""),
            "{}",
            w.message
        );
        assert_eq!(types(&snapshot), ["cluster", "warning"]);
        let cluster = &snapshot.records(&profile, MIN_JOB_SECS)[0];
        assert_eq!(
            serde_json::to_value(cluster).unwrap()["slurm_version"],
            "24.11.5"
        );
    }

    #[test]
    fn shapes_double_up_to_the_node() {
        let pool = |per_node, nodes| records::GpuPool {
            gpu_type: "x".into(),
            gres: None,
            feature: None,
            per_node,
            nodes,
            total: per_node * nodes,
            free: 0,
            vram_gb: None,
            su_per_gpu_hour: None,
            max_per_user: None,
        };
        assert_eq!(
            shapes(&pool(8, 2)),
            [
                (1, 1),
                (1, 2),
                (1, 4),
                (1, 8),
                (2, 1),
                (2, 2),
                (2, 4),
                (2, 8)
            ]
        );
        assert_eq!(
            shapes(&pool(56, 1)),
            [(1, 1), (1, 2), (1, 4), (1, 8), (1, 16), (1, 32), (1, 56)]
        );
        assert_eq!(shapes(&pool(4, 5)).len(), 9);
    }
}
