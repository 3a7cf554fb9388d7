//! What a request costs in service units, at the site profile's rates.

use crate::profile::Profile;

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
