//! `rv-plan`: every valid way to satisfy a request, ranked, pruned and merged.
//!
//! Input is what `rv-probe` found (partitions with their GPU pools, backfill windows, the
//! user's running GPUs); output is a `request` and its `strategy` records. Everything here
//! is pure: the same records and request give the same plan.

use crate::records::{self, Cluster, GpuPool, Partition, Request, Strategy, Window, WindowSource};
use crate::slurm::time::Walltime;

/// The shortest segment rv submits.
pub const MIN_SEGMENT_SECS: u64 = 30 * 60;
/// Kept clear of a window's end, for the scheduler's resolution and job start-up.
pub const WINDOW_MARGIN_SECS: u64 = 5 * 60;
/// Strategies submitted at most, by default.
pub const DEFAULT_MAX_STRATEGIES: usize = 8;
/// A start within this many seconds of the probe counts as "now".
const NOW_SLACK: i64 = 60;

/// What the user asked for, from flags and configuration: the request as its `request`
/// record will carry it (its `id` is given when it is planned), and how to plan it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    /// The request.
    pub request: Request,
    /// A free MIG slice.
    pub mig: bool,
    /// Only single-node topologies.
    pub single_node: bool,
    /// Strategies to keep at most.
    pub max_strategies: usize,
    /// The request's time is rv's default, not asked for: a partition's own default (the
    /// probe's `default_time`) replaces it there.
    pub default_time: bool,
}

/// The time a job of `ask` asks for in `partition`.
fn time_in(ask: &Ask, partition: &Partition) -> u64 {
    match (ask.default_time, partition.default_time) {
        (true, Some(t)) => t.as_secs(),
        _ => ask.request.time,
    }
}

/// What the probe reported, gathered from its records.
#[derive(Debug, Clone, Default)]
pub struct Probed {
    /// The cluster record.
    pub cluster: Option<Cluster>,
    /// Partition records.
    pub partitions: Vec<Partition>,
    /// Window records.
    pub windows: Vec<Window>,
}

impl Probed {
    /// Gathers the probe's records; other records are ignored.
    pub fn from_records<'a>(records: impl IntoIterator<Item = &'a records::Record>) -> Self {
        let mut p = Probed::default();
        for record in records {
            match record {
                records::Record::Cluster(c) => p.cluster = Some(c.clone()),
                records::Record::Partition(x) => p.partitions.push(x.clone()),
                records::Record::Window(w) => p.windows.push(w.clone()),
                _ => {}
            }
        }
        p
    }
}

/// A strategy and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Considered {
    /// The strategy.
    pub strategy: Strategy,
    /// Whether it is submitted.
    pub kept: bool,
    /// Why it was kept or dropped.
    pub reason: String,
}

/// Why no plan can be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The input had no `cluster` record.
    #[error("no `cluster` record in the input: pipe rv-probe into rv-plan")]
    NoProbe,
    /// Nothing fits the request; the reasons say why each candidate was turned down.
    #[error("no partition can run {what}{}", if .reasons.is_empty() { String::new() } else { format!(": {}", .reasons.join("; ")) })]
    Nothing {
        /// The request in words.
        what: String,
        /// Why candidates were turned down (the first few).
        reasons: Vec<String>,
    },
}

/// The plan: the request record and every strategy considered, kept ones first, best first.
pub fn plan(
    ask: &Ask,
    probed: &Probed,
    request_id: &str,
) -> Result<(Request, Vec<Considered>), PlanError> {
    let cluster = probed.cluster.as_ref().ok_or(PlanError::NoProbe)?;
    let (candidates, dropped) = gather(ask, probed, cluster, request_id);
    if candidates.is_empty() {
        return Err(nothing(ask, &dropped));
    }
    let mut considered = select(ask, rank(merge(candidates)), request_id);
    considered.extend(dropped);
    Ok((request_record(ask, request_id), considered))
}

fn request_record(ask: &Ask, request_id: &str) -> Request {
    Request {
        id: request_id.to_owned(),
        ..ask.request.clone()
    }
}

/// Every candidate strategy, and the pools turned down with the reason.
fn gather(
    ask: &Ask,
    probed: &Probed,
    cluster: &Cluster,
    request_id: &str,
) -> (Vec<Candidate>, Vec<Considered>) {
    let mut candidates = Vec::new();
    let mut dropped = Vec::new();
    let partitions = probed
        .partitions
        .iter()
        .filter(|p| ask.request.partitions.is_empty() || ask.request.partitions.contains(&p.name));
    for partition in partitions {
        if ask.request.gpus == 0 {
            if partition.gpus.is_empty() {
                candidates.push(cpu_variant(ask, partition));
            }
            continue;
        }
        for pool in &partition.gpus {
            let exact = match wanted(ask, probed, partition, pool) {
                Ok(exact) => exact,
                Err(why) => {
                    dropped.push(rejected(ask, request_id, partition, pool, &why));
                    continue;
                }
            };
            if let Err(why) = within_limits(ask, cluster, partition, pool) {
                dropped.push(rejected(ask, request_id, partition, pool, &why));
                continue;
            }
            for (nodes, per_node) in topologies(ask, pool) {
                let shape = Shape {
                    partition,
                    pool,
                    nodes,
                    per_node,
                };
                let window = window_for(probed, &shape);
                for c in gpu_variants(ask, cluster, &shape, window) {
                    candidates.push(Candidate { exact, ..c });
                }
            }
        }
    }
    (candidates, dropped)
}

/// The error when nothing fits, with the reasons that matter most first.
fn nothing(ask: &Ask, dropped: &[Considered]) -> PlanError {
    // The requested type's reasons first: they are the ones the user needs.
    let asked = |c: &&Considered| {
        ask.request.gpu_type.as_deref().is_some_and(|t| {
            c.strategy
                .gpu_type
                .as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case(t) || k.starts_with(&format!("{t}-")))
        })
    };
    let (first, rest): (Vec<&Considered>, Vec<&Considered>) = dropped.iter().partition(asked);
    let mut reasons: Vec<String> = first
        .into_iter()
        .chain(rest)
        .map(|c| {
            let why = c.reason.trim_start_matches("not considered: ");
            let kind = c.strategy.gpu_type.as_deref().unwrap_or("CPU");
            format!("{kind} in {}: {why}", c.strategy.partitions.join(","))
        })
        .collect();
    reasons.dedup();
    reasons.truncate(4);
    PlanError::Nothing {
        what: describe(ask),
        reasons,
    }
}

/// Numbers the ranked strategies and keeps the best that nothing better dominates, up to
/// the cap.
fn select(ask: &Ask, mut ranked: Vec<Candidate>, request_id: &str) -> Vec<Considered> {
    let mut considered = Vec::new();
    let mut kept = 0;
    for i in 0..ranked.len() {
        let dominator = ranked[..i]
            .iter()
            .position(|b| b.kept && dominates(b, &ranked[i]));
        let c = &mut ranked[i];
        c.kept = dominator.is_none() && kept < ask.max_strategies;
        c.strategy.id = format!("s{}", i + 1);
        c.strategy.request = request_id.to_owned();
        let reason = match dominator {
            Some(d) => format!(
                "dropped: no sooner, cheaper or better fitting than s{}",
                d + 1
            ),
            None if !c.kept => format!(
                "dropped: beyond the cap of {} strategies",
                ask.max_strategies
            ),
            None => {
                kept += 1;
                c.strategy.why.clone()
            }
        };
        considered.push(Considered {
            strategy: c.strategy.clone(),
            kept: c.kept,
            reason,
        });
    }
    considered.sort_by_key(|c| !c.kept);
    considered
}

/// One partition, GPU pool and topology.
struct Shape<'a> {
    partition: &'a Partition,
    pool: &'a GpuPool,
    nodes: u32,
    per_node: u32,
}

/// A strategy being ranked.
#[derive(Debug, Clone)]
struct Candidate {
    strategy: Strategy,
    /// The requested type (not an alternative).
    exact: bool,
    kept: bool,
}

fn describe(ask: &Ask) -> String {
    match (ask.request.gpus, &ask.request.gpu_type) {
        (0, _) => format!("a CPU-only job of {}", human(ask.request.time)),
        (n, Some(t)) if t != "any" => format!("{n} x {t} for {}", human(ask.request.time)),
        (n, _) => format!("{n} GPU(s) for {}", human(ask.request.time)),
    }
}

/// `3 h 20 min`.
pub fn human(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(format!("{d} d"));
    }
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 || parts.is_empty() {
        parts.push(format!("{m} min"));
    }
    parts.join(" ")
}

fn is_mig(pool: &GpuPool) -> bool {
    pool.gpu_type == "mig"
        || pool.gres.as_deref().is_some_and(|g| {
            g.split_once("g.")
                .is_some_and(|(a, b)| a.bytes().all(|c| c.is_ascii_digit()) && b.ends_with("gb"))
        })
}

fn matches_type(pool: &GpuPool, wanted: &str) -> bool {
    let w = wanted.to_ascii_lowercase();
    pool.gpu_type.eq_ignore_ascii_case(&w)
        || pool
            .gres
            .as_deref()
            .is_some_and(|g| g.eq_ignore_ascii_case(&w))
        || pool
            .gpu_type
            .to_ascii_lowercase()
            .starts_with(&format!("{w}-"))
        || (w == "mig" && is_mig(pool))
}

/// Whether a pool can serve the request: `Ok(exact)` (exact = the requested type), or why not.
fn wanted(
    ask: &Ask,
    probed: &Probed,
    partition: &Partition,
    pool: &GpuPool,
) -> Result<bool, String> {
    let asked_type = ask.request.gpu_type.as_deref().filter(|t| *t != "any");
    let wants_mig = ask.mig
        || asked_type == Some("mig")
        || (ask.request.gpus == 1 && ask.request.vram_gb.is_some_and(|v| v <= 10));
    if is_mig(pool) {
        return if ask.request.gpus == 1 && wants_mig {
            Ok(asked_type.is_none_or(|t| matches_type(pool, t)) || ask.mig)
        } else {
            Err("MIG slices serve one GPU of at most 10 GB (ask with --mig or --vram 10)".into())
        };
    }
    if ask.mig || asked_type == Some("mig") {
        return Err("a MIG slice was asked for".into());
    }
    if shares_gres_without_feature(probed, partition, pool) {
        return Err(format!(
            "{} cannot be told apart from another kind with GRES `{}` in this partition",
            pool.gpu_type,
            pool.gres.as_deref().unwrap_or("gpu")
        ));
    }
    let exact = asked_type.is_some_and(|t| matches_type(pool, t));
    // The VRAM to match: asked for, else that of the requested type.
    let need = ask.request.vram_gb.or_else(|| {
        asked_type.and_then(|t| {
            probed
                .partitions
                .iter()
                .flat_map(|p| &p.gpus)
                .filter(|p| matches_type(p, t))
                .filter_map(|p| p.vram_gb)
                .min()
        })
    });
    if asked_type.is_some() && !exact && need.is_none() {
        return Err("not the requested type, and its VRAM is unknown".into());
    }
    match (need, pool.vram_gb) {
        (Some(n), Some(v)) if v < n => Err(format!("{v} GB of VRAM < {n} GB")),
        (Some(n), None) if !exact => Err(format!("VRAM unknown (need {n} GB)")),
        _ => Ok(exact),
    }
}

/// A kind without a feature is not selectable in a partition that also has a kind with the
/// same GRES type and a feature (asking for `gpu:a100` there may give an A100 80 GB).
fn shares_gres_without_feature(probed: &Probed, partition: &Partition, pool: &GpuPool) -> bool {
    pool.feature.is_none()
        && partition.gpus.iter().any(|other| {
            other.gpu_type != pool.gpu_type && other.gres == pool.gres && other.feature.is_some()
        })
        && probed
            .partitions
            .iter()
            .any(|p| p.gpus.iter().any(|o| o.gpu_type == pool.gpu_type))
}

/// Node counts and GPUs per node that give exactly the GPUs asked for.
fn topologies(ask: &Ask, pool: &GpuPool) -> Vec<(u32, u32)> {
    let counts: Vec<u32> = match ask.request.nodes {
        Some(n) => vec![n],
        None if ask.single_node => vec![1],
        None => vec![1, 2, 4],
    };
    counts
        .into_iter()
        .filter(|&n| {
            n > 0
                && n <= pool.nodes
                && ask.request.gpus % n == 0
                && ask.request.gpus / n <= pool.per_node
        })
        .map(|n| (n, ask.request.gpus / n))
        .collect()
}

fn within_limits(
    ask: &Ask,
    cluster: &Cluster,
    partition: &Partition,
    pool: &GpuPool,
) -> Result<(), String> {
    let held = |f: &dyn Fn(&records::Usage) -> bool| {
        cluster
            .running
            .iter()
            .filter(|u| f(u))
            .map(|u| u.gpus)
            .sum::<u32>()
    };
    if let Some(max) = cluster.max_gpus_per_job {
        if ask.request.gpus > max {
            return Err(format!(
                "{} GPUs is more than the {max} one job may have here",
                ask.request.gpus
            ));
        }
    }
    if let Some(max) = cluster.max_gpus_per_user {
        let now = held(&|_| true);
        if now + ask.request.gpus > max {
            return Err(format!(
                "you run {now} GPUs; {} more exceeds your limit of {max}",
                ask.request.gpus
            ));
        }
    }
    if let Some(max) = pool.max_per_user {
        let now = held(&|u| u.gpu_type == pool.gpu_type);
        if now + ask.request.gpus > max {
            return Err(format!(
                "you run {now} {}; {} more exceeds the limit of {max}",
                pool.gpu_type, ask.request.gpus
            ));
        }
    }
    if let Some(max) = partition.max_gpus_per_user {
        let now = held(&|u| u.partition == partition.name);
        if now + ask.request.gpus > max {
            return Err(format!(
                "{} allows {max} GPUs per user; you would have {}",
                partition.name,
                now + ask.request.gpus
            ));
        }
    }
    Ok(())
}

/// The model's window for a shape (or the nearest larger shape it has).
fn window_for<'a>(probed: &'a Probed, shape: &Shape) -> Option<&'a Window> {
    probed
        .windows
        .iter()
        .filter(|w| {
            w.source == WindowSource::Model
                && w.partition == shape.partition.name
                && w.gpu_type == shape.pool.gpu_type
                && w.nodes >= shape.nodes
                && w.gpus_per_node >= shape.per_node
        })
        .min_by_key(|w| (w.nodes, w.gpus_per_node))
}

/// How a strategy runs in time.
#[derive(Debug, Clone, Copy)]
struct Timing {
    time: u64,
    time_min: Option<u64>,
    segments: u32,
    start: Option<i64>,
}

fn strategy(
    ask: &Ask,
    partition: &Partition,
    pool: Option<&GpuPool>,
    nodes: u32,
    per_node: u32,
    timing: Timing,
    why: String,
) -> Strategy {
    let rate = pool.and_then(|p| p.su_per_gpu_hour).unwrap_or(0.0);
    #[allow(clippy::cast_precision_loss)]
    let service_units =
        (f64::from(ask.request.gpus) * rate * time_in(ask, partition) as f64 / 3600.0 * 100.0)
            .round()
            / 100.0;
    let constraint = match (
        pool.and_then(|p| p.feature.clone()),
        &ask.request.constraint,
    ) {
        (Some(f), Some(c)) => Some(format!("{f}&{c}")),
        (f, c) => f.or_else(|| c.clone()),
    };
    Strategy {
        request: String::new(),
        id: String::new(),
        partitions: vec![partition.name.clone()],
        gpu_type: pool.map(|p| p.gpu_type.clone()),
        gres: pool.and_then(|p| p.gres.clone()),
        nodes,
        gpus_per_node: per_node,
        cpus: ask.request.cpus,
        mem_mb: ask.request.mem_mb,
        time: timing.time,
        time_min: timing.time_min,
        segments: timing.segments,
        constraint,
        account: ask.request.account.clone(),
        exclude: ask.request.exclude.clone(),
        predicted_start: timing.start,
        service_units,
        why,
    }
}

fn rejected(
    ask: &Ask,
    request_id: &str,
    partition: &Partition,
    pool: &GpuPool,
    why: &str,
) -> Considered {
    let timing = Timing {
        time: time_in(ask, partition),
        time_min: None,
        segments: 1,
        start: None,
    };
    let mut s = strategy(
        ask,
        partition,
        Some(pool),
        1,
        ask.request.gpus,
        timing,
        String::new(),
    );
    request_id.clone_into(&mut s.request);
    Considered {
        strategy: s,
        kept: false,
        reason: format!("not considered: {why}"),
    }
}

fn segments_of(total: u64, segment: u64) -> u32 {
    u32::try_from(total.div_ceil(segment.max(1))).unwrap_or(u32::MAX)
}

/// The longest segment that fits `room`, in whole 10-minute steps, clear of its end.
fn segment_for(room: u64) -> Option<u64> {
    let s = room.saturating_sub(WINDOW_MARGIN_SECS) / 600 * 600;
    (s >= MIN_SEGMENT_SECS).then_some(s)
}

/// The time variants of one shape: the whole time when it fits the window; otherwise
/// window-sized checkpointed segments, a flexible walltime (`--time-min`), and the whole
/// time at once, which waits past the window.
fn gpu_variants(
    ask: &Ask,
    cluster: &Cluster,
    shape: &Shape,
    window: Option<&Window>,
) -> Vec<Candidate> {
    let t = time_in(ask, shape.partition);
    let max = shape.partition.max_time.map_or(u64::MAX, Walltime::as_secs);
    let kind = &shape.pool.gpu_type;
    let what = if shape.nodes > 1 {
        format!("{} nodes x {} {kind}", shape.nodes, shape.per_node)
    } else {
        format!("{} {kind}", shape.per_node)
    };
    let make = |timing: Timing, why: String| Candidate {
        strategy: strategy(
            ask,
            shape.partition,
            Some(shape.pool),
            shape.nodes,
            shape.per_node,
            timing,
            why,
        ),
        exact: false,
        kept: false,
    };
    let whole = Timing {
        time: t.min(max),
        time_min: None,
        segments: segments_of(t, max),
        start: None,
    };
    let Some(w) = window else {
        return vec![make(whole, format!("{what}: no estimate of when"))];
    };
    let room = w.max_walltime.unwrap_or(max).min(max);
    let when = if w.start <= cluster.now + NOW_SLACK {
        "starts now".to_owned()
    } else {
        format!(
            "starts in {}",
            human(u64::try_from(w.start - cluster.now).unwrap_or(0))
        )
    };
    let start = Some(w.start.max(cluster.now));
    if t <= room {
        let timing = Timing {
            time: t,
            time_min: None,
            segments: 1,
            start,
        };
        return vec![make(
            timing,
            format!(
                "{what} {when}: {} fits its {} window",
                human(t),
                human(room)
            ),
        )];
    }
    let mut out = Vec::new();
    if let Some(seg) = segment_for(room) {
        let n = segments_of(t, seg);
        let timing = Timing {
            time: seg,
            time_min: None,
            segments: n,
            start,
        };
        out.push(make(
            timing,
            format!(
                "{what} {when} as {n} checkpointed segments of {} (window {})",
                human(seg),
                human(room)
            ),
        ));
        if t <= max {
            let timing = Timing {
                time: t,
                time_min: Some(seg),
                segments: n,
                start,
            };
            out.push(make(
                timing,
                format!(
                    "{what} {when} with a flexible walltime of {} to {} (--time-min)",
                    human(seg),
                    human(t)
                ),
            ));
        }
    }
    out.push(make(
        whole,
        format!(
            "{what} for {} at once: waits past the {} window",
            human(t.min(max)),
            human(room)
        ),
    ));
    out
}

fn cpu_variant(ask: &Ask, partition: &Partition) -> Candidate {
    let max = partition.max_time.map_or(u64::MAX, Walltime::as_secs);
    let t = time_in(ask, partition);
    let timing = Timing {
        time: t.min(max),
        time_min: None,
        segments: segments_of(t, max),
        start: None,
    };
    Candidate {
        strategy: strategy(
            ask,
            partition,
            None,
            ask.request.nodes.unwrap_or(1),
            0,
            timing,
            format!("CPU-only on {}", partition.name),
        ),
        exact: true,
        kept: false,
    }
}

/// One `-p a,b` job for strategies that differ only in partition.
fn merge(candidates: Vec<Candidate>) -> Vec<Candidate> {
    let mut merged: Vec<Candidate> = Vec::new();
    for c in candidates {
        let same = |m: &&mut Candidate| {
            let (a, b) = (&m.strategy, &c.strategy);
            (
                &a.gpu_type,
                &a.gres,
                &a.constraint,
                a.nodes,
                a.gpus_per_node,
                a.time,
                a.time_min,
                a.segments,
            ) == (
                &b.gpu_type,
                &b.gres,
                &b.constraint,
                b.nodes,
                b.gpus_per_node,
                b.time,
                b.time_min,
                b.segments,
            ) && a.predicted_start.is_some() == b.predicted_start.is_some()
        };
        if let Some(m) = merged.iter_mut().find(same) {
            for p in &c.strategy.partitions {
                if !m.strategy.partitions.contains(p) {
                    m.strategy.partitions.push(p.clone());
                }
            }
            m.strategy.predicted_start = m
                .strategy
                .predicted_start
                .min(c.strategy.predicted_start)
                .or(m.strategy.predicted_start);
        } else {
            merged.push(c);
        }
    }
    merged
}

/// Sooner first, then the requested type, fewer nodes, fewer segments, then cheaper.
fn rank(mut c: Vec<Candidate>) -> Vec<Candidate> {
    c.sort_by(|a, b| {
        let key = |x: &Candidate| {
            (
                x.strategy.predicted_start.unwrap_or(i64::MAX),
                !x.exact,
                x.strategy.nodes,
                x.strategy.segments,
                x.strategy.time_min.is_some(),
            )
        };
        key(a).cmp(&key(b)).then(
            a.strategy
                .service_units
                .total_cmp(&b.strategy.service_units),
        )
    });
    c
}

/// `a` is at least as good as `b` in every respect.
fn dominates(a: &Candidate, b: &Candidate) -> bool {
    let start = |x: &Candidate| x.strategy.predicted_start.unwrap_or(i64::MAX);
    start(a) <= start(b)
        && a.strategy.service_units <= b.strategy.service_units
        && (a.exact || !b.exact)
        && a.strategy.nodes <= b.strategy.nodes
        && a.strategy.segments <= b.strategy.segments
        && a.strategy.gpu_type == b.strategy.gpu_type
        && a.strategy.time_min.is_none()
}

#[cfg(test)]
mod tests;

/// `r-<cluster epoch>-<random>`: sortable by time, unique.
pub fn request_id(now: i64) -> std::io::Result<String> {
    let b = crate::remote::batch::random_boundary()?;
    Ok(format!("r-{now}-{}", &b[3..11]))
}

/// The `--explain` table, its columns as wide as their widest cell.
pub fn explain(considered: &[Considered], now: i64) -> String {
    const HEADER: [&str; 10] = [
        "id",
        "kept",
        "partitions",
        "type",
        "shape",
        "time",
        "segs",
        "start",
        "SU",
        "why",
    ];
    let rows: Vec<[String; 10]> = considered
        .iter()
        .map(|c| {
            let s = &c.strategy;
            let start = match s.predicted_start {
                Some(t) if t <= now + 60 => "now".to_owned(),
                Some(t) => format!("+{}", human(u64::try_from(t - now).unwrap_or(0))),
                None => "?".to_owned(),
            };
            let id = if c.reason.starts_with("not considered") {
                "-"
            } else {
                s.id.as_str()
            };
            [
                id.to_owned(),
                (if c.kept { "yes" } else { "no" }).to_owned(),
                s.partitions.join(","),
                s.gpu_type.as_deref().unwrap_or("cpu").to_owned(),
                format!("{}x{}", s.nodes, s.gpus_per_node),
                crate::slurm::time::Walltime::from_secs(s.time).to_string(),
                s.segments.to_string(),
                start,
                format!("{:.0}", s.service_units),
                c.reason.clone(),
            ]
        })
        .collect();
    let mut widths = HEADER.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 10]| {
        let mut l = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            l.push_str("  ");
            match i {
                9 => l.push_str(cell),
                8 => l.push_str(&format!("{cell:>w$}")),
                _ => l.push_str(&format!("{cell:<w$}")),
            }
        }
        l.push('\n');
        l
    };
    let mut out = line(HEADER);
    for row in &rows {
        out.push_str(&line(row.each_ref().map(String::as_str)));
    }
    out
}
