//! `rv status`'s picture: connection, balance, storage, your jobs and GPU availability, put
//! together from one probe and the site tools, and drawn for a terminal.

use crate::cluster::Cluster;
use crate::plan::human;
use crate::probe::{self, Snapshot};
use crate::session::Session;
use crate::site_tools;
use crate::style::{Tone, paint, state_tone};

/// Storage use above this share is flagged.
pub const STORAGE_WARN_PERCENT: u8 = 80;

/// Everything `rv status` shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Status {
    /// The host.
    pub host: String,
    /// The cluster user.
    pub user: String,
    /// Milliseconds the round trip took.
    pub latency_ms: u64,
    /// Service-unit balances, per account.
    pub accounts: Vec<site_tools::Allocation>,
    /// Storage, with `warn` over [`STORAGE_WARN_PERCENT`].
    pub storage: Vec<Storage>,
    /// Your jobs in the queue.
    pub jobs: Vec<crate::jobs::Row>,
    /// GPUs per type.
    pub gpus: Vec<GpuKind>,
    /// The site tools rv asks for balance and storage (`allocations`, `hdquota`, Rivanna's)
    /// that this cluster does not have.
    pub missing_tools: Vec<String>,
    /// Where rv keeps its files on the cluster (`null`: the cluster did not say).
    pub scratch: Option<crate::records::Scratch>,
}

/// The site tools `rv status` runs beside the probe, in order: balance, storage.
pub const SITE_TOOLS: [&str; 2] = ["allocations", "hdquota"];

/// One storage area.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Storage {
    /// `home`, `scratch`, `project`…
    pub kind: String,
    /// Its path.
    pub location: String,
    /// Used, in GB.
    pub used_gb: u64,
    /// Size, in GB.
    pub size_gb: u64,
    /// Used share.
    pub percent: u8,
    /// Over the warning threshold.
    pub warn: bool,
}

/// Availability of one GPU type.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GpuKind {
    /// rv's name for it.
    pub gpu_type: String,
    /// GPUs in all (each node once).
    pub total: u32,
    /// GPUs idle on nodes that take jobs.
    pub free: u32,
    /// Service units per GPU-hour.
    pub su_per_gpu_hour: Option<f64>,
    /// Seconds until one GPU is predicted to start (0: now), if known.
    pub wait: Option<u64>,
}

/// GPU availability per type: the cluster's GPUs, each node once.
pub fn gpu_kinds(cluster: &Cluster, windows: &[crate::records::Window], now: i64) -> Vec<GpuKind> {
    let mut out: Vec<GpuKind> = Vec::new();
    for pool in &cluster.gpus {
        match out.iter_mut().find(|k| k.gpu_type == pool.gpu_type) {
            Some(k) => {
                k.total += pool.total;
                k.free += pool.free;
            }
            None => out.push(GpuKind {
                gpu_type: pool.gpu_type.clone(),
                total: pool.total,
                free: pool.free,
                su_per_gpu_hour: pool.su_per_gpu_hour,
                wait: None,
            }),
        }
    }
    for k in &mut out {
        k.wait = windows
            .iter()
            .filter(|w| w.gpu_type == k.gpu_type && w.nodes == 1 && w.gpus_per_node == 1)
            .map(|w| u64::try_from(w.start - now).unwrap_or(0))
            .min();
    }
    out.sort_by(|a, b| {
        a.su_per_gpu_hour
            .unwrap_or(f64::MAX)
            .total_cmp(&b.su_per_gpu_hour.unwrap_or(f64::MAX))
    });
    out
}

const GIB: u64 = 1 << 30;

/// Storage rows from `hdquota` (binary GB, as it prints them).
pub fn storage(quotas: &[site_tools::Quota]) -> Vec<Storage> {
    quotas
        .iter()
        .map(|q| Storage {
            kind: q.kind.clone(),
            location: q.location.clone(),
            used_gb: q.used / GIB,
            size_gb: q.size / GIB,
            percent: q.percent,
            warn: q.percent > STORAGE_WARN_PERCENT,
        })
        .collect()
}

/// The status from one probe's snapshot, the site tools' answers and the profile.
pub fn assemble(
    ctx: &Session,
    snapshot: &Snapshot,
    site: &[crate::remote::batch::Output],
    profile: &crate::profile::Profile,
    took: std::time::Duration,
) -> Status {
    // The site tools are Rivanna's; elsewhere they are missing, and so are those lines.
    let accounts = site_tools::parse_allocations(&site[0].stdout).unwrap_or_default();
    let quotas = site_tools::parse_hdquota(&site[1].stdout).unwrap_or_default();
    let cluster = Cluster::build(&snapshot.nodes, &snapshot.partitions, profile);
    let windows = snapshot.probed(profile, probe::MIN_JOB_SECS).windows;
    let mine: Vec<crate::slurm::parse::squeue::Job> = snapshot
        .jobs
        .iter()
        .filter(|j| j.user == snapshot.user)
        .cloned()
        .collect();
    let requests = crate::jobs::known_requests(&ctx.state);
    Status {
        host: snapshot.host.clone(),
        user: snapshot.user.clone(),
        latency_ms: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
        accounts,
        storage: storage(&quotas),
        jobs: crate::jobs::rows(&mine, &[], &requests),
        gpus: gpu_kinds(&cluster, &windows, snapshot.clock.now),
        // The shell says 127 for a command it cannot find.
        missing_tools: SITE_TOOLS
            .iter()
            .zip(site)
            .filter(|(_, out)| out.code == 127)
            .map(|(t, _)| (*t).to_owned())
            .collect(),
        scratch: snapshot.scratch.clone(),
    }
}

/// The human view.
pub fn render(s: &Status, colour: bool) -> String {
    let mut out = format!(
        "Connection  {} ({}, user {}, {} ms)\n",
        paint("OK", Tone::Good, colour),
        s.host,
        s.user,
        s.latency_ms
    );
    for a in &s.accounts {
        out.push_str(&format!(
            "Account     {}: {} SUs available\n",
            a.account,
            thousands(a.available)
        ));
    }
    match &s.scratch {
        Some(sc) if !sc.usable => out.push_str(&format!(
            "Scratch     {}\n",
            paint(&crate::script::scratch_problem(sc), Tone::Bad, colour)
        )),
        Some(sc) if sc.from == crate::records::ScratchSource::Home => out.push_str(&format!(
            "Scratch     {} (no $SCRATCH or /scratch/{} here; set `paths.scratch` for another)\n",
            sc.dir, s.user
        )),
        _ => {}
    }
    if !s.missing_tools.is_empty() {
        let what: Vec<&str> = s
            .missing_tools
            .iter()
            .map(|t| match t.as_str() {
                "allocations" => "balance",
                _ => "storage",
            })
            .collect();
        out.push_str(&format!(
            "Site tools  {} not on this cluster: no {} shown\n",
            s.missing_tools.join(", "),
            what.join(" or ")
        ));
    }
    if !s.storage.is_empty() {
        out.push_str("\nStorage\n");
        for st in &s.storage {
            let pct = format!("{:>3}%", st.percent);
            let tone = if st.warn { Tone::Warn } else { Tone::Good };
            out.push_str(&format!(
                "  {:<18} {:<24} {:>6}/{:<6} GB {}{}\n",
                st.kind,
                st.location,
                st.used_gb,
                st.size_gb,
                paint(&pct, tone, colour),
                if st.warn { "  nearly full" } else { "" }
            ));
        }
    }
    out.push_str("\nJobs\n");
    if s.jobs.is_empty() {
        out.push_str(&format!("  {}\n", paint("none", Tone::Dim, colour)));
    }
    for j in &s.jobs {
        let place = if j.nodes.is_empty() {
            j.reason.clone().unwrap_or_default()
        } else {
            crate::slurm::hostlist::compress(&j.nodes)
        };
        out.push_str(&format!(
            "  {:>8}  {:<24} {:>2} GPU  {} {}\n",
            j.job_id,
            j.name.chars().take(24).collect::<String>(),
            j.gpus,
            paint(&format!("{:<10}", j.state), state_tone(&j.state), colour),
            place
        ));
    }
    out.push_str("\nGPUs        free/total   SU/h   wait\n");
    for g in &s.gpus {
        let wait = match g.wait {
            Some(0) => paint("now", Tone::Good, colour),
            Some(w) => paint(&human(w), Tone::Warn, colour),
            None => "?".to_owned(),
        };
        out.push_str(&format!(
            "  {:<10} {:>4}/{:<5} {:>6}   {}\n",
            g.gpu_type,
            g.free,
            g.total,
            g.su_per_gpu_hour
                .map_or_else(|| "-".to_owned(), |r| format!("{r:.0}")),
            wait
        ));
    }
    out
}

/// `8742210` → `8,742,210`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_group_by_thousands() {
        assert_eq!(thousands(8_742_210), "8,742,210");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
    }

    #[test]
    fn storage_over_eighty_percent_warns() {
        let q = |percent| site_tools::Quota {
            kind: "home".into(),
            location: "/home/u".into(),
            size: 200 * GIB,
            used: u64::from(percent) * 2 * GIB,
            available: 0,
            percent,
        };
        let rows = storage(&[q(80), q(81)]);
        assert!(!rows[0].warn);
        assert_eq!((rows[1].used_gb, rows[1].size_gb), (162, 200));
        assert!(rows[1].warn);
        let text = render(
            &Status {
                host: "h".into(),
                user: "u".into(),
                latency_ms: 1,
                accounts: vec![],
                storage: rows,
                jobs: vec![],
                gpus: vec![],
                missing_tools: vec!["allocations".into()],
                scratch: Some(crate::records::Scratch {
                    dir: "/home/u".into(),
                    from: crate::records::ScratchSource::Home,
                    usable: true,
                }),
            },
            false,
        );
        assert!(text.contains("nearly full"));
        assert!(!text.contains('\u{1b}'), "no colour when off");
        assert!(
            text.contains("Site tools  allocations not on this cluster: no balance shown\n"),
            "{text}"
        );
        assert!(
            text.contains("Scratch     /home/u (no $SCRATCH or /scratch/u here"),
            "{text}"
        );
    }
}
