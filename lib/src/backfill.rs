//! A model of each node's GPU timeline, for backfill windows: how long a job of a given
//! shape can run if it starts now (or at its earliest start) without running into a job the
//! scheduler has planned, or into a reservation.
//!
//! Slurm 22.05's `sbatch --test-only` ignores the backfill plan, so this model, built from
//! `squeue`'s planned starts and `SchedNodes`, is rv's primary estimate.

use crate::slurm::parse::gres;
use crate::slurm::parse::job_state::JobState;
use crate::slurm::parse::scontrol::Reservation;
use crate::slurm::parse::sinfo::Node;
use crate::slurm::parse::squeue::Job;

/// One node's GPUs over time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    /// The node.
    pub node: String,
    /// GPUs on the node.
    pub total: u32,
    /// GPUs in use now.
    pub used_now: u32,
    /// Whether the node accepts new jobs now.
    pub accepts: bool,
    /// Future changes of GPUs in use: (time, change), from running jobs ending and planned
    /// jobs starting and ending.
    changes: Vec<(i64, i64)>,
    /// Intervals during which the node is reserved for others.
    blocked: Vec<(i64, i64)>,
}

impl Timeline {
    /// GPUs in use at `t` (reserved time counts as fully used).
    pub fn used_at(&self, t: i64) -> u32 {
        if self.blocked.iter().any(|&(s, e)| s <= t && t < e) {
            return self.total;
        }
        let change: i64 = self
            .changes
            .iter()
            .filter(|&&(at, _)| at <= t)
            .map(|&(_, d)| d)
            .sum();
        u32::try_from((i64::from(self.used_now) + change).max(0)).unwrap_or(u32::MAX)
    }

    /// The times at which usage may change.
    fn event_times(&self) -> impl Iterator<Item = i64> + '_ {
        self.changes
            .iter()
            .map(|&(t, _)| t)
            .chain(self.blocked.iter().flat_map(|&(s, e)| [s, e]))
    }

    /// How long `gpus` more GPUs stay available from `from`: `None` if they are not free
    /// at `from`, `Some(None)` if nothing planned ever takes them back, else
    /// `Some(Some(seconds))`.
    pub fn room(&self, from: i64, gpus: u32) -> Option<Option<u64>> {
        if self.used_at(from) + gpus > self.total {
            return None;
        }
        let mut times: Vec<i64> = self.event_times().filter(|&t| t > from).collect();
        times.sort_unstable();
        Some(
            times
                .into_iter()
                .find(|&t| self.used_at(t) + gpus > self.total)
                .map(|t| u64::try_from(t - from).unwrap_or(0)),
        )
    }
}

/// Builds every GPU node's timeline at `now`. Reservations that admit `user` (or
/// `account`) do not block.
pub fn timelines(
    nodes: &[Node],
    jobs: &[Job],
    reservations: &[Reservation],
    now: i64,
    user: &str,
    account: Option<&str>,
) -> Vec<Timeline> {
    nodes
        .iter()
        .filter(|n| !n.gpus.is_empty())
        .map(|n| {
            let total = gres::total(&n.gpus);
            let used_now: u32 = n.gpus_used.as_ref().map_or(0, |used| gres::total(used));
            let mut changes = Vec::new();
            for job in jobs {
                let per_node = gres::total(&job.gpus_per_node);
                if per_node == 0 {
                    continue;
                }
                let gpus = i64::from(per_node);
                match job.state {
                    Some(JobState::Running | JobState::Completing)
                        if job.nodes.contains(&n.name) =>
                    {
                        if let Some(end) = job.end.filter(|&e| e > now) {
                            changes.push((end, -gpus));
                        }
                    }
                    Some(JobState::Pending) if job.sched_nodes.contains(&n.name) => {
                        if let Some(start) = job.start.filter(|&s| s >= now) {
                            changes.push((start, gpus));
                            let length = job.limit.map_or(i64::MAX / 4, |l| {
                                i64::try_from(l.as_secs()).unwrap_or(i64::MAX / 4)
                            });
                            changes.push((start.saturating_add(length), -gpus));
                        }
                    }
                    _ => {}
                }
            }
            let blocked = reservations
                .iter()
                .filter(|r| r.nodes.contains(&n.name) && !r.admits(user, account) && r.end > now)
                .map(|r| (r.start, r.end))
                .collect();
            Timeline {
                node: n.name.clone(),
                total,
                used_now: used_now.min(total),
                accepts: n.state.accepts_jobs(),
                changes,
                blocked,
            }
        })
        .collect()
}

/// Where and for how long a shape can run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fit {
    /// When it can start (epoch seconds): `now`, or the earliest time it fits.
    pub start: i64,
    /// How long it can run from `start` before running into planned use (`None`:
    /// nothing planned stops it).
    pub max_walltime: Option<u64>,
}

/// The earliest start of a job needing `gpus` GPUs on each of `count` nodes among
/// `candidates` for at least `need` seconds, and the room it has from there. `None` when
/// it never fits (too few nodes, or nodes that do not accept jobs).
pub fn fit(candidates: &[&Timeline], count: usize, gpus: u32, now: i64, need: u64) -> Option<Fit> {
    let usable: Vec<&&Timeline> = candidates
        .iter()
        .filter(|t| t.accepts && t.total >= gpus)
        .collect();
    if count == 0 || usable.len() < count {
        return None;
    }
    let mut times: Vec<i64> = std::iter::once(now)
        .chain(
            usable
                .iter()
                .flat_map(|t| t.event_times())
                .filter(|&t| t > now),
        )
        .collect();
    times.sort_unstable();
    times.dedup();
    for start in times {
        // Longest room first: the count-th best node bounds the job.
        let mut rooms: Vec<Option<u64>> =
            usable.iter().filter_map(|t| t.room(start, gpus)).collect();
        if rooms.len() < count {
            continue;
        }
        rooms.sort_by(|a, b| match (a, b) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, Some(_)) => std::cmp::Ordering::Less,
            (Some(_), None) => std::cmp::Ordering::Greater,
            (Some(x), Some(y)) => y.cmp(x),
        });
        let room = rooms[count - 1];
        if room.is_none_or(|r| r >= need.max(1)) {
            return Some(Fit {
                start,
                max_walltime: room,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slurm::parse::Separator;
    use crate::slurm::parse::{sinfo, squeue};
    use crate::slurm::time::Clock;

    const NOW: i64 = 1_000_000;
    const H: i64 = 3600;

    fn nodes(text: &str) -> Vec<Node> {
        let fields = [
            sinfo::Field::Node,
            sinfo::Field::State,
            sinfo::Field::Gres,
            sinfo::Field::GresUsed,
        ];
        sinfo::parse_nodes(text, &fields, Separator::Char('|')).unwrap()
    }

    /// `id|state|gres per node|start|end|limit|nodes|schednodes`
    fn jobs(text: &str) -> Vec<Job> {
        let fields = [
            squeue::Field::Id,
            squeue::Field::State,
            squeue::Field::TresPerNode,
            squeue::Field::Start,
            squeue::Field::End,
            squeue::Field::Limit,
            squeue::Field::Nodes,
            squeue::Field::SchedNodes,
        ];
        squeue::parse_jobs(
            text,
            &fields,
            Separator::Char('|'),
            &Clock {
                now: NOW,
                utc_offset: 0,
            },
        )
        .unwrap()
    }

    /// The testbed's `busy` gpu-a6000: a6000-01 full until +1.5 h and +3 h, a6000-02 with 6
    /// GPUs until +2.5 h, and a top-priority 2 x 8 job planned on both at +3 h for 1 h.
    fn busy_a6000() -> Vec<Timeline> {
        let n = nodes(
            "a6000-01|mixed|gpu:a6000:8|gpu:a6000:8(IDX:0-7)|\na6000-02|mixed|gpu:a6000:8|gpu:a6000:6(IDX:0-5)|\n",
        );
        let j = jobs(&format!(
            "1|RUNNING|gres:gpu:a6000:4|{s}|{e1}|1:30:00|a6000-01|\n\
             2|RUNNING|gres:gpu:a6000:4|{s}|{e2}|3:00:00|a6000-01|\n\
             3|RUNNING|gres:gpu:a6000:6|{s}|{e3}|2:30:00|a6000-02|\n\
             4|PENDING|gres:gpu:a6000:8|{p}|{pe}|1:00:00||a6000-[01-02]\n",
            s = NOW - 60,
            e1 = NOW + 3 * H / 2,
            e2 = NOW + 3 * H,
            e3 = NOW + 5 * H / 2,
            p = NOW + 3 * H,
            pe = NOW + 4 * H,
        ));
        timelines(&n, &j, &[], NOW, "rvtest", Some("rvlab"))
    }

    #[test]
    fn the_backfill_window_ends_where_the_planned_job_starts() {
        let tl = busy_a6000();
        let all: Vec<&Timeline> = tl.iter().collect();
        let half_hour = 1800;
        // 2 GPUs fit on a6000-02 now, until the big job starts at +3 h: the backfill cliff.
        assert_eq!(
            fit(&all, 1, 2, NOW, half_hour),
            Some(Fit {
                start: NOW,
                max_walltime: Some(3 * 3600)
            })
        );
        // ...and a 4 h job on them would delay it, so it waits for the big job to end.
        assert_eq!(
            fit(&all, 1, 2, NOW, 4 * 3600),
            Some(Fit {
                start: NOW + 4 * H,
                max_walltime: None
            })
        );
        // 4 GPUs: a6000-01 frees 4 at +1.5 h, for 1.5 h before the big job.
        assert_eq!(
            fit(&all, 1, 4, NOW, half_hour),
            Some(Fit {
                start: NOW + 3 * H / 2,
                max_walltime: Some(3 * 1800)
            })
        );
        // 8 GPUs on one node: a6000-02 is empty from +2.5 h for half an hour...
        assert_eq!(
            fit(&all, 1, 8, NOW, half_hour),
            Some(Fit {
                start: NOW + 5 * H / 2,
                max_walltime: Some(1800)
            })
        );
        // ...so anything longer starts after the big job, with nothing planned after it.
        assert_eq!(
            fit(&all, 1, 8, NOW, 3600),
            Some(Fit {
                start: NOW + 4 * H,
                max_walltime: None
            })
        );
        // 2 nodes x 2 GPUs: a6000-01 is full until +1.5 h.
        assert_eq!(
            fit(&all, 2, 2, NOW, half_hour),
            Some(Fit {
                start: NOW + 3 * H / 2,
                max_walltime: Some(3 * 1800)
            })
        );
        assert_eq!(fit(&all, 3, 1, NOW, half_hour), None, "only two nodes");
    }

    #[test]
    fn reservations_block_others_but_not_their_users() {
        let n = nodes("a40-01|idle|gpu:a40:8|gpu:a40:0(IDX:N/A)|\n");
        let maint = Reservation {
            name: "maint".into(),
            start: NOW + 6 * H,
            end: NOW + 10 * H,
            nodes: vec!["a40-01".into()],
            flags: vec!["MAINT".into()],
            users: vec!["root".into()],
            accounts: vec![],
        };
        let tl = timelines(&n, &[], std::slice::from_ref(&maint), NOW, "rvtest", None);
        let all: Vec<&Timeline> = tl.iter().collect();
        assert_eq!(
            fit(&all, 1, 4, NOW, 1800),
            Some(Fit {
                start: NOW,
                max_walltime: Some(6 * 3600)
            })
        );
        assert_eq!(
            fit(&all, 1, 4, NOW, 7 * 3600),
            Some(Fit {
                start: NOW + 10 * H,
                max_walltime: None
            }),
            "after the maintenance"
        );
        let tl = timelines(&n, &[], &[maint], NOW, "root", None);
        let all: Vec<&Timeline> = tl.iter().collect();
        assert_eq!(
            fit(&all, 1, 4, NOW, 1800),
            Some(Fit {
                start: NOW,
                max_walltime: None
            })
        );
    }

    #[test]
    fn nodes_that_refuse_jobs_do_not_count() {
        let n = nodes(
            "v100-01|drained|gpu:v100:4|gpu:v100:0(IDX:N/A)|\nv100-02|idle*|gpu:v100:4|gpu:v100:0(IDX:N/A)|\n",
        );
        let tl = timelines(&n, &[], &[], NOW, "u", None);
        let all: Vec<&Timeline> = tl.iter().collect();
        assert_eq!(fit(&all, 1, 1, NOW, 60), None);
    }
}
