//! `rv cost`: the service units a request costs, and your balance after it.

use std::process::ExitCode;

use clap::Parser;

use crate::site_tools;
use crate::slurm::time::Walltime;

use super::{Error, Json, Local, Run, Session, print_lines};
use crate::cost::prices;

/// Estimate the service units a request costs.
///
/// Rates come from the site profile (SUs per GPU-hour, or per core-hour for CPU-only jobs).
/// Without `--type`, a table over every GPU type. On a site whose profile has no GPU rates,
/// the GPU types the cluster has (one round trip) and how to add rates. The balance after comes from the site's
/// `allocations` tool, read in one round trip; `--offline` skips it.
#[derive(Debug, Parser)]
#[command(name = "rv cost", after_help = EXIT_CODES, mut_arg("json", |a| a.help("Print the estimate as JSON")))]
pub struct Args {
    /// GPUs (0: a CPU-only job, priced by --cpus).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub gpu: u32,
    /// GPU type (default: a table over every type).
    #[arg(long = "type", value_name = "TYPE")]
    pub gpu_type: Option<String>,
    /// CPU cores, for a CPU-only job.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub cpus: u32,
    /// How long: 2h, 90m, 1d12h, 2:59:00.
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    pub time: String,
    /// Do not read the balance from the cluster.
    #[arg(long)]
    pub offline: bool,
    #[command(flatten)]
    pub json: Json,
    #[command(flatten)]
    pub local: Local,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str = "Exit codes: 0 estimated; 1 the balance could not be read; 2 bad flags, an unknown type, or no rates with --offline.";

impl Run for Args {
    const STAGE: &'static str = "rv cost";
    fn run(&self) -> Result<ExitCode, Error> {
        main(self)
    }
}

/// Runs `rv cost`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    let time = match Walltime::from_user(&args.time) {
        Ok(t) => t,
        Err(e) => return Err(Error::usage(format!("--time: {e}"))),
    };
    let ctx = Session::load("rv cost", args.local.here() || args.offline)?;
    let profile = ctx.profile(&ctx.host())?;
    #[allow(clippy::cast_precision_loss)]
    let hours = time.as_secs() as f64 / 3600.0;
    if args.gpu > 0 && profile.gpu.is_empty() {
        return unpriced(&ctx, args, &profile, hours);
    }
    let prices = match prices(
        &profile,
        args.gpu,
        args.cpus,
        hours,
        args.gpu_type.as_deref(),
    ) {
        Ok(p) => p,
        Err(e) => return Err(Error::usage(e)),
    };
    let allocations = if args.offline {
        Vec::new()
    } else {
        let out = ctx.run_one("allocations".to_owned())?;
        if out.ok() {
            site_tools::parse_allocations(&out.stdout).unwrap_or_default()
        } else {
            Vec::new()
        }
    };
    let account = ctx.config.defaults.account.as_deref();
    let balance = allocations
        .iter()
        .find(|a| account.is_none_or(|acc| a.account == acc));
    if args.json.on() {
        let v = serde_json::json!({
            "gpus": args.gpu, "hours": hours, "prices": prices,
            "account": balance.map(|b| &b.account), "available": balance.map(|b| b.available),
        });
        let _ = print_lines([v.to_string().as_str()]);
        return Ok(ExitCode::SUCCESS);
    }
    let what = if args.gpu == 0 {
        format!("{} cores", args.cpus)
    } else {
        format!("{} GPU(s)", args.gpu)
    };
    let mut lines = vec![format!(
        "{what} for {}:",
        crate::plan::human(time.as_secs())
    )];
    for p in &prices {
        #[allow(clippy::cast_precision_loss)]
        let after = balance
            .map(|b| {
                format!(
                    "  ({:.0} of {} SUs left after)",
                    b.available as f64 - p.service_units,
                    b.available
                )
            })
            .unwrap_or_default();
        lines.push(format!(
            "  {:<10} {:>12.2} SUs{after}",
            p.kind, p.service_units
        ));
    }
    let _ = print_lines(lines.iter().map(String::as_str));
    Ok(ExitCode::SUCCESS)
}

/// `rv cost` on a site whose profile has no GPU rates (any site but a known one): the GPU
/// types the cluster has, read in one round trip, and how to give them rates.
fn unpriced(
    ctx: &Session,
    args: &Args,
    profile: &crate::profile::Profile,
    hours: f64,
) -> Result<ExitCode, Error> {
    let no_rates = format!(
        "this site has no service-unit rates (profile {}): add a [[gpu]] entry with su_per_gpu_hour per type to ~/.rv/profiles/<site>.toml (docs/configuration.md)",
        profile.name
    );
    if args.offline {
        return Err(Error::usage(format!(
            "{no_rates}; without --offline rv cost lists the cluster's GPU types"
        )));
    }
    let host = ctx.host();
    let options = crate::probe::Options {
        test_only: false,
        scratch: ctx.config.paths.scratch.clone(),
        ..crate::probe::Options::default()
    };
    let snapshot = ctx.remote(async |conn| Ok(crate::probe::run(conn, &host, &options).await?))?;
    crate::session::warn_unread("rv cost", &snapshot);
    let cluster = crate::cluster::Cluster::build(&snapshot.nodes, &snapshot.partitions, profile);
    let kinds = crate::status::gpu_kinds(&cluster, &[], snapshot.clock.now);
    if args.json.on() {
        let types: Vec<serde_json::Value> = kinds
            .iter()
            .map(|k| serde_json::json!({"gpu_type": k.gpu_type, "total": k.total, "free": k.free}))
            .collect();
        let v = serde_json::json!({
            "gpus": args.gpu, "hours": hours, "prices": [], "profile": profile.name,
            "gpu_types": types,
        });
        let _ = print_lines([v.to_string().as_str()]);
        return Ok(ExitCode::SUCCESS);
    }
    let mut lines = vec![format!("{} GPU(s): no price, {no_rates}.", args.gpu)];
    if kinds.is_empty() {
        lines.push("The cluster shows no GPUs.".to_owned());
    } else {
        lines.push("GPU types on the cluster:".to_owned());
        for k in &kinds {
            lines.push(format!(
                "  {:<10} {:>5} GPUs, {} free",
                k.gpu_type, k.total, k.free
            ));
        }
    }
    let _ = print_lines(lines.iter().map(String::as_str));
    Ok(ExitCode::SUCCESS)
}
