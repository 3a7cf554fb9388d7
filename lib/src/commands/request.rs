//! The flags of a request, shared by `rv-plan`, `rv up` and `rv run`, and the request
//! they make with the configuration's defaults.

use crate::config::Config;
use crate::plan::{self, Ask};
use crate::slurm::hostlist;
use crate::slurm::time::Walltime;

/// The flags of a request, shared by `rv-plan`, `rv up` and `rv run`.
#[derive(Debug, Clone, clap::Args)]
pub struct RequestArgs {
    /// GPUs in all (0: a CPU-only job).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub gpu: u32,
    /// GPU type: a100, a6000, a40, h200, v100, rtx3090, mig, … (default: any).
    #[arg(long = "type", value_name = "TYPE", env = "RV_GPU_TYPE")]
    pub gpu_type: Option<String>,
    /// Minimum memory per GPU, in GB.
    #[arg(long, value_name = "GB")]
    pub vram: Option<u32>,
    /// Total time needed: 2h, 90m, 1.5h, 3d, 1d12h or 2:59:00 (default: the configured time, else the
    /// site profile's recommended walltime, else each partition's default time, else 2:59:00).
    #[arg(long, value_name = "DURATION")]
    pub time: Option<String>,
    /// Nodes (default: rv chooses among 1, 2 and 4).
    #[arg(long, value_name = "N")]
    pub nodes: Option<u32>,
    /// CPUs per node.
    #[arg(long, value_name = "N")]
    pub cpus: Option<u32>,
    /// Memory per node: 64G, 256G, 1T, 500M.
    #[arg(long, value_name = "SIZE")]
    pub mem: Option<String>,
    /// A free MIG slice (one GPU of 10 GB).
    #[arg(long)]
    pub mig: bool,
    /// Partitions to stay within (comma separated or repeated).
    #[arg(long, short = 'p', value_name = "NAME", value_delimiter = ',')]
    pub partition: Vec<String>,
    /// Account to charge.
    #[arg(long, short = 'A', env = "RV_ACCOUNT")]
    pub account: Option<String>,
    /// An extra node feature constraint.
    #[arg(long, value_name = "FEATURES")]
    pub constraint: Option<String>,
    /// Nodes to avoid, as a host list (a[1-3],b2).
    #[arg(long, value_name = "HOSTLIST")]
    pub exclude: Option<String>,
    /// Only single-node topologies.
    #[arg(long)]
    pub single_node: bool,
    /// A name for the jobs (letters, digits, `.`, `_`, `-`).
    #[arg(long, default_value = "rv")]
    pub name: String,
    /// The command the job runs (default: hold the allocation for a shell).
    #[arg(long, value_name = "COMMAND")]
    pub run: Option<String>,
    /// Start a Ray cluster over the job's nodes (head on the first) before the command.
    #[arg(long)]
    pub ray: bool,
    /// Strategies to submit at most.
    #[arg(long, value_name = "N", default_value_t = plan::DEFAULT_MAX_STRATEGIES)]
    pub max_strategies: usize,
    /// Show every strategy considered, kept or dropped, and why (on stderr).
    #[arg(long)]
    pub explain: bool,
}

/// The request from flags and configuration; errors name the flag.
pub fn ask(args: &RequestArgs, config: &Config) -> Result<Ask, String> {
    let time = match &args.time {
        Some(t) => Walltime::from_user(t).map_err(|e| format!("--time: {e}"))?,
        None => config
            .default_time()
            .unwrap_or(Walltime::from_secs(2 * 3600 + 59 * 60)),
    };
    if time.as_secs() < 60 {
        return Err("--time: at least a minute".into());
    }
    let name_ok = !args.name.is_empty()
        && args.name.len() <= 64
        && args
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !name_ok {
        return Err(format!(
            "--name: {:?}: use up to 64 letters, digits, `.`, `_` and `-`",
            args.name
        ));
    }
    if args.mig && args.gpu > 1 {
        return Err("--mig: a MIG slice is one GPU; drop --gpu or use --gpu 1".into());
    }
    if args.nodes == Some(0) {
        return Err("--nodes: at least 1".into());
    }
    let exclude = match &args.exclude {
        Some(list) => hostlist::expand(list).map_err(|e| format!("--exclude: {e}"))?,
        None => Vec::new(),
    };
    let request = crate::records::Request {
        id: String::new(),
        name: args.name.clone(),
        gpus: if args.mig { 1 } else { args.gpu },
        gpu_type: args
            .gpu_type
            .clone()
            .or(config.defaults.gpu_type.clone())
            .filter(|t| t != "any"),
        vram_gb: args.vram,
        time: time.as_secs(),
        nodes: args.nodes,
        cpus: args.cpus,
        mem_mb: args
            .mem
            .as_deref()
            .map(parse_mem_mb)
            .transpose()
            .map_err(|e| format!("--mem: {e}"))?,
        partitions: if args.partition.is_empty() {
            config.defaults.partition.iter().cloned().collect()
        } else {
            args.partition.clone()
        },
        account: args.account.clone().or(config.defaults.account.clone()),
        constraint: args.constraint.clone(),
        exclude,
        command: args.run.clone(),
        ray: args.ray,
    };
    Ok(Ask {
        request,
        mig: args.mig,
        single_node: args.single_node,
        max_strategies: args.max_strategies.max(1),
        default_time: args.time.is_none() && config.default_time().is_none(),
    })
}

/// `64G`, `256GB`, `1T`, `500M`, `4000` (MB) -> megabytes.
pub fn parse_mem_mb(s: &str) -> Result<u64, String> {
    let t = s.trim().to_ascii_uppercase();
    let t = t.strip_suffix('B').unwrap_or(&t);
    let (digits, scale) = match t.chars().last() {
        Some('K') => (&t[..t.len() - 1], 1.0 / 1024.0),
        Some('M') => (&t[..t.len() - 1], 1.0),
        Some('G') => (&t[..t.len() - 1], 1024.0),
        Some('T') => (&t[..t.len() - 1], 1024.0 * 1024.0),
        _ => (t, 1.0),
    };
    let value: f64 = digits
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v > 0.0 && *v < 1e9)
        .ok_or_else(|| format!("{s:?}: expected a size such as 64G, 256G, 1T or 500M"))?;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok((value * scale).ceil() as u64)
}

/// How long an interactive job outlives its client: `--lease` of `rv up` and `rv-submit`
/// (each has its own `--keep`, which means no lease).
#[derive(Debug, Clone, clap::Args)]
pub struct LeaseArgs {
    /// End an interactive job this long after its client is gone and no shell is attached:
    /// 10m, 1h (default: `[defaults] lease`, else 10m). Batch work (a command) has no lease.
    #[arg(
        long,
        value_name = "DURATION",
        conflicts_with = "keep",
        allow_hyphen_values = true
    )]
    pub lease: Option<String>,
}

impl LeaseArgs {
    /// The lease in seconds; `None` with `keep`. Errors name the flag.
    pub fn seconds(&self, keep: bool, config: &Config) -> Result<Option<u64>, String> {
        if keep {
            return Ok(None);
        }
        match &self.lease {
            Some(t) => crate::lease::parse(t)
                .map(Some)
                .map_err(|e| format!("--lease: {e}")),
            None => Ok(Some(config.lease())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes() {
        assert_eq!(parse_mem_mb("64G"), Ok(65_536));
        assert_eq!(parse_mem_mb("256gb"), Ok(262_144));
        assert_eq!(parse_mem_mb("1T"), Ok(1_048_576));
        assert_eq!(parse_mem_mb("500M"), Ok(500));
        assert_eq!(parse_mem_mb("4000"), Ok(4000));
        for bad in ["", "G", "-1G", "lots", "1e99G"] {
            assert!(parse_mem_mb(bad).is_err(), "{bad}");
        }
    }
}
