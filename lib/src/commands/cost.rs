//! `rv cost`: the service units a request costs, and your balance after it.

use std::process::ExitCode;

use clap::Parser;

use crate::profile::Profile;
use crate::remote::batch::Batch;
use crate::remote::transport::run_batch;
use crate::site_tools;
use crate::slurm::time::Walltime;

use super::{Error, Json, Local, Run, Session, print_lines};

/// Estimate the service units a request costs.
///
/// Rates come from the site profile (SUs per GPU-hour, or per core-hour for CPU-only jobs).
/// Without `--type`, a table over every GPU type. The balance after comes from the site's
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
pub const EXIT_CODES: &str = "Exit codes: 0 estimated; 1 the balance could not be read; 2 bad flags, an unknown type or no rates.";

/// One priced option.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Price {
    /// The GPU type, or `cpu`.
    pub kind: String,
    /// Service units.
    pub service_units: f64,
}

/// The prices of `gpus` GPUs (or `cpus` cores when `gpus` is 0) for `hours`.
pub fn prices(
    profile: &Profile,
    gpus: u32,
    cpus: u32,
    hours: f64,
    kind: Option<&str>,
) -> Result<Vec<Price>, String> {
    let round = |v: f64| (v * 100.0).round() / 100.0;
    if gpus == 0 {
        return Ok(vec![Price {
            kind: "cpu".into(),
            service_units: round(f64::from(cpus) * profile.cpu_su_per_core_hour * hours),
        }]);
    }
    let kinds: Vec<_> = match kind {
        Some(k) => {
            let found: Vec<_> = profile
                .gpu
                .iter()
                .filter(|g| {
                    g.name.eq_ignore_ascii_case(k)
                        || g.gres.eq_ignore_ascii_case(k)
                        || g.name.starts_with(&format!("{k}-"))
                })
                .collect();
            if found.is_empty() {
                let known: Vec<&str> = profile.gpu.iter().map(|g| g.name.as_str()).collect();
                return Err(format!(
                    "--type: no GPU type {k:?} in profile {} (known: {})",
                    profile.name,
                    known.join(", ")
                ));
            }
            found
        }
        None => profile.gpu.iter().collect(),
    };
    if kinds.is_empty() {
        return Err(format!(
            "profile {} has no rates: add [[gpu]] entries to it",
            profile.name
        ));
    }
    Ok(kinds
        .into_iter()
        .map(|g| Price {
            kind: g.name.clone(),
            service_units: round(f64::from(gpus) * g.su_per_gpu_hour * hours),
        })
        .collect())
}

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
        let mut b = Batch::new();
        let i = b.command("allocations");
        let r = ctx.remote(async |c| Ok(run_batch(c, &b).await?))?;
        if r.outputs[i].ok() {
            site_tools::parse_allocations(&r.outputs[i].stdout).unwrap_or_default()
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

#[cfg(test)]
#[allow(clippy::float_cmp)] // prices are rounded to cents: exact values
mod tests {
    use super::*;

    fn rivanna() -> Profile {
        Profile::parse("rivanna", crate::profile::BUILT_IN[0].1).unwrap()
    }

    #[test]
    fn prices_follow_the_profile() {
        let p = rivanna();
        let a100 = prices(&p, 4, 1, 24.0, Some("a100-80")).unwrap();
        assert_eq!(
            a100,
            [Price {
                kind: "a100-80".into(),
                service_units: 48_853.44
            }],
            "4 x A100-80 x 24 h (the spec's example)"
        );
        assert_eq!(
            prices(&p, 4, 1, 24.0, Some("a100")).unwrap().len(),
            2,
            "both A100 kinds"
        );
        assert_eq!(prices(&p, 1, 1, 1.0, None).unwrap().len(), p.gpu.len());
        assert_eq!(
            prices(&p, 1, 1, 10.0, Some("mig")).unwrap()[0].service_units,
            0.0
        );
        assert_eq!(prices(&p, 0, 32, 2.0, None).unwrap()[0].service_units, 64.0);
        assert!(
            prices(&p, 1, 1, 1.0, Some("b200"))
                .unwrap_err()
                .contains("known: mig")
        );
        assert!(
            prices(&Profile::generic(), 1, 1, 1.0, None)
                .unwrap_err()
                .contains("no rates")
        );
    }
}
