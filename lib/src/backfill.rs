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
    /// Future use as a step function: (time, the sum of every change at or before it),
    /// sorted by time, one step per time; changes come from running jobs ending and planned
    /// jobs starting and ending.
    steps: Vec<(i64, i64)>,
    /// Intervals during which the node is reserved for others.
    blocked: Vec<(i64, i64)>,
}

impl Timeline {
    /// A node's timeline from its future `changes` of GPUs in use (time, change), in any
    /// order.
    fn new(
        node: &Node,
        used_now: u32,
        mut changes: Vec<(i64, i64)>,
        blocked: Vec<(i64, i64)>,
    ) -> Timeline {
        let total = gres::total(&node.gpus);
        changes.sort_unstable_by_key(|&(t, _)| t);
        let mut steps: Vec<(i64, i64)> = Vec::with_capacity(changes.len());
        let mut sum = 0;
        for (t, d) in changes {
            sum += d;
            match steps.last_mut() {
                Some(last) if last.0 == t => last.1 = sum,
                _ => steps.push((t, sum)),
            }
        }
        Timeline {
            node: node.name.clone(),
            total,
            used_now: used_now.min(total),
            accepts: node.state.accepts_jobs(),
            steps,
            blocked,
        }
    }

    fn is_blocked(&self, t: i64) -> bool {
        self.blocked.iter().any(|&(s, e)| s <= t && t < e)
    }

    /// GPUs in use at `t`, reservations aside.
    fn planned_at(&self, t: i64) -> u32 {
        let at = self.steps.partition_point(|&(s, _)| s <= t);
        let change = at.checked_sub(1).map_or(0, |i| self.steps[i].1);
        u32::try_from((i64::from(self.used_now) + change).max(0)).unwrap_or(u32::MAX)
    }

    /// GPUs in use at `t` (reserved time counts as fully used).
    pub fn used_at(&self, t: i64) -> u32 {
        if self.is_blocked(t) {
            self.total
        } else {
            self.planned_at(t)
        }
    }

    /// The times at which usage may change.
    fn event_times(&self) -> impl Iterator<Item = i64> + '_ {
        self.steps
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
        let full = |used: i64| used + i64::from(gpus) > i64::from(self.total);
        // The first planned step after `from` that leaves too few, outside reservations
        // (inside one the reservation's start came first).
        let first = self.steps.partition_point(|&(s, _)| s <= from);
        let step = self.steps[first..]
            .iter()
            .find(|&&(t, sum)| full((i64::from(self.used_now) + sum).max(0)) && !self.is_blocked(t))
            .map(|&(t, _)| t);
        // The first reservation that starts after `from` fills the node; where one ends,
        // the planned use is back (and may be too much already).
        let reserved = self
            .blocked
            .iter()
            .flat_map(|&(s, e)| {
                let starts = full(i64::from(self.total)).then_some(s);
                let ends =
                    (!self.is_blocked(e) && full(i64::from(self.planned_at(e)))).then_some(e);
                [starts, ends]
            })
            .flatten()
            .filter(|&t| t > from)
            .min();
        let end = match (step, reserved) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Some(end.map(|t| u64::try_from(t - from).unwrap_or(0)))
    }
}

/// Builds every GPU node's timeline at `now`. Reservations that admit `user` (or
/// `account`) do not block. Linear in the jobs' node lists: each job is read once.
pub fn timelines(
    nodes: &[Node],
    jobs: &[Job],
    reservations: &[Reservation],
    now: i64,
    user: &str,
    account: Option<&str>,
) -> Vec<Timeline> {
    let mut changes: std::collections::HashMap<&str, Vec<(i64, i64)>> =
        std::collections::HashMap::new();
    for job in jobs {
        let per_node = gres::total(&job.gpus_per_node);
        if per_node == 0 {
            continue;
        }
        let gpus = i64::from(per_node);
        let (on, these): (&[compact_str::CompactString], Vec<(i64, i64)>) = match job.state {
            Some(JobState::Running | JobState::Completing) => match job.end.filter(|&e| e > now) {
                Some(end) => (&job.nodes, vec![(end, -gpus)]),
                None => continue,
            },
            Some(JobState::Pending) => match job.start.filter(|&s| s >= now) {
                Some(start) => {
                    let length = job.limit.map_or(i64::MAX / 4, |l| {
                        i64::try_from(l.as_secs()).unwrap_or(i64::MAX / 4)
                    });
                    (
                        &job.sched_nodes,
                        vec![(start, gpus), (start.saturating_add(length), -gpus)],
                    )
                }
                None => continue,
            },
            _ => continue,
        };
        for node in on {
            changes
                .entry(node.as_str())
                .or_default()
                .extend_from_slice(&these);
        }
    }
    nodes
        .iter()
        .filter(|n| !n.gpus.is_empty())
        .map(|n| {
            let used_now: u32 = n.gpus_used.as_ref().map_or(0, |used| gres::total(used));
            let blocked = reservations
                .iter()
                .filter(|r| r.nodes.contains(&n.name) && !r.admits(user, account) && r.end > now)
                .map(|r| (r.start, r.end))
                .collect();
            let mine = changes.remove(n.name.as_str()).unwrap_or_default();
            Timeline::new(n, used_now, mine, blocked)
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

    /// The model as first written: every change summed at each question, every event time
    /// tried in order.
    fn naive_used(tl: &Timeline, changes: &[(i64, i64)], t: i64) -> u32 {
        if tl.blocked.iter().any(|&(s, e)| s <= t && t < e) {
            return tl.total;
        }
        let change: i64 = changes
            .iter()
            .filter(|&&(at, _)| at <= t)
            .map(|&(_, d)| d)
            .sum();
        u32::try_from((i64::from(tl.used_now) + change).max(0)).unwrap_or(u32::MAX)
    }

    #[allow(clippy::option_option)] // as `Timeline::room`
    fn naive_room(
        tl: &Timeline,
        changes: &[(i64, i64)],
        from: i64,
        gpus: u32,
    ) -> Option<Option<u64>> {
        if naive_used(tl, changes, from) + gpus > tl.total {
            return None;
        }
        let mut times: Vec<i64> = changes
            .iter()
            .map(|&(t, _)| t)
            .chain(tl.blocked.iter().flat_map(|&(s, e)| [s, e]))
            .filter(|&t| t > from)
            .collect();
        times.sort_unstable();
        Some(
            times
                .into_iter()
                .find(|&t| naive_used(tl, changes, t) + gpus > tl.total)
                .map(|t| u64::try_from(t - from).unwrap_or(0)),
        )
    }

    proptest::proptest! {
        #[test]
        fn the_step_function_answers_as_the_plain_sums_do(
            changes in proptest::collection::vec((0i64..50, -4i64..5), 0..30),
            blocked in proptest::collection::vec((0i64..50, 1i64..20), 0..3),
            used_now in 0u32..9,
            from in 0i64..50,
            gpus in 0u32..9,
        ) {
            let node = &nodes("a6000-01|mixed|gpu:a6000:8|gpu:a6000:0\n")[0];
            let blocked: Vec<(i64, i64)> = blocked.into_iter().map(|(s, l)| (s, s + l)).collect();
            let tl = Timeline::new(node, used_now, changes.clone(), blocked);
            for t in 0..55 {
                proptest::prop_assert_eq!(tl.used_at(t), naive_used(&tl, &changes, t));
            }
            proptest::prop_assert_eq!(tl.room(from, gpus), naive_room(&tl, &changes, from, gpus));
        }
    }
}
