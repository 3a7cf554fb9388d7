//! Site profiles: what rv cannot discover from Slurm (service-unit rates, VRAM, per-user
//! limits, module names, how to tell apart GPU kinds that share a GRES type).
//!
//! rv ships a Rivanna profile; users add or override profiles with TOML files in
//! `~/.rv/profiles/`. On a cluster no profile matches, rv uses [`Profile::generic`] and
//! works from what Slurm reports alone.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::slurm::time::Walltime;

/// The built-in profiles, as TOML.
pub const BUILT_IN: &[(&str, &str)] = &[("rivanna.toml", include_str!("../profiles/rivanna.toml"))];

/// One GPU kind of a site.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuKind {
    /// rv's name for it (`a100-80`), what users type after `--type`.
    pub name: String,
    /// The GRES type Slurm reports (`a100`).
    pub gres: String,
    /// A node feature that marks this kind among kinds sharing `gres`, and the constraint
    /// that selects it.
    pub feature: Option<String>,
    /// The partition dedicated to it, if any.
    pub partition: Option<String>,
    /// Memory per GPU in GB.
    pub vram_gb: u32,
    /// Service units per GPU-hour (0: free).
    pub su_per_gpu_hour: f64,
    /// GPUs of this kind one user may run at once.
    pub max_per_user: Option<u32>,
    /// GPUs of this kind one job may have.
    pub max_per_job: Option<u32>,
    /// Fast links between its GPUs or nodes (`nvlink`, `infiniband`).
    #[serde(default)]
    pub interconnect: Vec<String>,
}

/// A site profile.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Its name.
    pub name: String,
    /// A line about it.
    #[serde(default)]
    pub description: String,
    /// Hosts (ssh aliases or names) it applies to.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Modules to load in job scripts.
    #[serde(default)]
    pub modules: Vec<String>,
    /// Service units per core-hour of CPU-only jobs.
    #[serde(default)]
    pub cpu_su_per_core_hour: f64,
    /// The walltime Slurm gives jobs without one, as Slurm writes it.
    pub default_walltime: Option<String>,
    /// The walltime rv asks for when a request names none (Rivanna: 2:59:00, just under
    /// the backfill cliff); without it, each partition's `DefaultTime`.
    pub recommended_walltime: Option<String>,
    /// GPUs one user may run at once over all partitions.
    pub max_gpus_per_user: Option<u32>,
    /// GPUs one user may run at once, per partition.
    #[serde(default)]
    pub partition_limits: BTreeMap<String, u32>,
    /// The GPU kinds.
    #[serde(default)]
    pub gpu: Vec<GpuKind>,
}

/// A profile file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("profile {file}: {why}")]
pub struct ProfileError {
    /// The file (or built-in name).
    pub file: String,
    /// What is wrong.
    pub why: String,
}

impl Profile {
    /// The profile of a site rv knows nothing about: everything comes from Slurm.
    pub fn generic() -> Self {
        Profile {
            name: "generic".into(),
            description: "any Slurm cluster: everything discovered, no service-unit rates".into(),
            hosts: Vec::new(),
            modules: Vec::new(),
            cpu_su_per_core_hour: 0.0,
            default_walltime: None,
            recommended_walltime: None,
            max_gpus_per_user: None,
            partition_limits: BTreeMap::new(),
            gpu: Vec::new(),
        }
    }

    /// Parses and checks one profile; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, ProfileError> {
        let err = |why: String| ProfileError {
            file: file.to_owned(),
            why,
        };
        let profile: Profile =
            toml::from_str(text).map_err(|e| err(e.to_string().trim().replace('\n', " ")))?;
        if let Some(w) = &profile.default_walltime {
            Walltime::from_slurm(w).map_err(|e| err(format!("default_walltime: {e}")))?;
        }
        if let Some(w) = &profile.recommended_walltime {
            Walltime::from_slurm(w).map_err(|e| err(format!("recommended_walltime: {e}")))?;
        }
        for g in &profile.gpu {
            if !(g.su_per_gpu_hour.is_finite() && g.su_per_gpu_hour >= 0.0) {
                return Err(err(format!(
                    "gpu `{}`: su_per_gpu_hour must be a number >= 0",
                    g.name
                )));
            }
            if profile.gpu.iter().filter(|o| o.name == g.name).count() > 1 {
                return Err(err(format!("gpu `{}` is defined twice", g.name)));
            }
        }
        Ok(profile)
    }

    /// The built-in profiles, then the `*.toml` files of `dir` (when it exists); a file whose
    /// `name` matches an earlier profile replaces it.
    pub fn load_all(dir: Option<&Path>) -> Result<Vec<Profile>, ProfileError> {
        let mut profiles: Vec<Profile> = BUILT_IN
            .iter()
            .map(|(file, text)| Profile::parse(&format!("(built-in) {file}"), text))
            .collect::<Result<_, _>>()?;
        let mut files: Vec<_> = dir
            .and_then(|d| std::fs::read_dir(d).ok())
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        for path in files {
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(&path).map_err(|e| ProfileError {
                file: shown.clone(),
                why: e.to_string(),
            })?;
            let profile = Profile::parse(&shown, &text)?;
            profiles.retain(|p| p.name != profile.name);
            profiles.push(profile);
        }
        Ok(profiles)
    }

    /// The profile for a connection: the one named `wanted` if given, else the first whose
    /// hosts include `host`, else [`Profile::generic`].
    pub fn select(
        profiles: &[Profile],
        wanted: Option<&str>,
        host: &str,
    ) -> Result<Profile, ProfileError> {
        if let Some(name) = wanted {
            return profiles
                .iter()
                .chain(std::iter::once(&Profile::generic()))
                .find(|p| p.name == name)
                .cloned()
                .ok_or_else(|| ProfileError {
                    file: name.to_owned(),
                    why: format!(
                        "no such profile; known: {}",
                        profiles
                            .iter()
                            .map(|p| p.name.as_str())
                            .chain(["generic"])
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
        }
        Ok(profiles
            .iter()
            .find(|p| p.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)))
            .cloned()
            .unwrap_or_else(Profile::generic))
    }

    /// The GPU kind of a GRES type on a node with `features`: an entry whose feature the
    /// node has wins over one without a feature.
    pub fn kind_of(&self, gres: &str, features: &[String]) -> Option<&GpuKind> {
        let candidates = self.gpu.iter().filter(|g| g.gres == gres);
        let mut fallback = None;
        for g in candidates {
            match &g.feature {
                Some(f) if features.contains(f) => return Some(g),
                Some(_) => {}
                None => fallback = fallback.or(Some(g)),
            }
        }
        fallback
    }

    /// The walltime rv asks for when a request names none, if the profile recommends one
    /// (checked when parsed).
    pub fn recommended_walltime(&self) -> Option<Walltime> {
        self.recommended_walltime
            .as_deref()
            .and_then(|w| Walltime::from_slurm(w).ok())
    }

    /// A GPU kind by rv's name or its GRES type, case-insensitively.
    pub fn kind_named(&self, name: &str) -> Option<&GpuKind> {
        self.gpu
            .iter()
            .find(|g| g.name.eq_ignore_ascii_case(name))
            .or_else(|| {
                self.gpu
                    .iter()
                    .find(|g| g.gres.eq_ignore_ascii_case(name) && g.feature.is_none())
            })
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // rates parsed from decimal literals compare exactly
mod tests {
    use super::*;

    fn rivanna() -> Profile {
        Profile::parse("rivanna.toml", BUILT_IN[0].1).unwrap()
    }

    #[test]
    fn the_rivanna_profile_carries_the_spec_constants() {
        let p = rivanna();
        let rate = |n: &str| p.kind_named(n).unwrap().su_per_gpu_hour;
        assert_eq!(rate("mig"), 0.0);
        assert_eq!(rate("rtx3090"), 113.23);
        assert_eq!(rate("a6000"), 142.73);
        assert_eq!(rate("a40"), 186.69);
        assert_eq!(rate("a100-40"), 463.81);
        assert_eq!(rate("a100-80"), 508.89);
        assert_eq!(rate("v100"), 20.96);
        assert_eq!(rate("h200"), 816.67);
        assert_eq!(p.kind_named("h200").unwrap().max_per_user, Some(4));
        assert_eq!(p.kind_named("mig").unwrap().max_per_user, Some(28));
        assert_eq!(p.partition_limits.get("interactive-rtx3090"), Some(&2));
        assert_eq!(p.max_gpus_per_user, Some(32));
        assert_eq!(p.kind_named("H200").unwrap().vram_gb, 141);
        assert_eq!(p.modules, ["cuda/12.8.0", "miniforge/24.11.3-py3.12"]);
    }

    #[test]
    fn a100_kinds_are_told_apart_by_feature() {
        let p = rivanna();
        assert_eq!(
            p.kind_of("a100", &["a100_80gb".into()]).unwrap().name,
            "a100-80"
        );
        assert_eq!(p.kind_of("a100", &[]).unwrap().name, "a100-40");
        assert_eq!(
            p.kind_of("a100", &["gpupod".into(), "a100_80gb".into()])
                .unwrap()
                .name,
            "a100-80"
        );
        assert!(p.kind_of("b200", &[]).is_none());
        assert_eq!(
            p.kind_named("a100").unwrap().name,
            "a100-40",
            "plain `a100` is the featureless one"
        );
    }

    #[test]
    fn user_profiles_add_and_override() {
        let dir = std::env::temp_dir().join(format!("rv-profiles-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("other.toml"),
            "name = \"other\"\nhosts = [\"hpc.example.edu\"]\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("rivanna.toml"),
            "name = \"rivanna\"\nhosts = [\"rivanna\"]\ncpu_su_per_core_hour = 2.0\n",
        )
        .unwrap();
        std::fs::write(dir.join("notes.txt"), "not a profile").unwrap();
        let all = Profile::load_all(Some(&dir)).unwrap();
        assert_eq!(all.len(), 2);
        let riv = Profile::select(&all, None, "rivanna").unwrap();
        assert_eq!(
            riv.cpu_su_per_core_hour, 2.0,
            "the user's file replaced the built-in"
        );
        assert_eq!(
            Profile::select(&all, None, "HPC.example.edu").unwrap().name,
            "other"
        );
        assert_eq!(
            Profile::select(&all, None, "unknown").unwrap().name,
            "generic"
        );
        assert_eq!(
            Profile::select(&all, Some("generic"), "rivanna")
                .unwrap()
                .name,
            "generic"
        );
        let err = Profile::select(&all, Some("nope"), "x")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("known: rivanna, other, generic")
                || err.contains("known: other, rivanna, generic"),
            "{err}"
        );
        assert_eq!(Profile::load_all(None).unwrap()[0].name, "rivanna");
    }

    #[test]
    fn bad_profiles_name_the_file_and_key() {
        let err = Profile::parse("x.toml", "name = \"x\"\nmax_gpus_per_user = \"lots\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("profile x.toml: ") && err.contains("max_gpus_per_user"),
            "{err}"
        );
        let err = Profile::parse("x.toml", "name = \"x\"\nmodlues = []\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("modlues"), "{err}");
        let err = Profile::parse("x.toml", "name = \"x\"\ndefault_walltime = \"5 hours\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("default_walltime"), "{err}");
        let twice = "name = \"x\"\n[[gpu]]\nname=\"a\"\ngres=\"a\"\nvram_gb=1\nsu_per_gpu_hour=1.0\n[[gpu]]\nname=\"a\"\ngres=\"b\"\nvram_gb=1\nsu_per_gpu_hour=1.0\n";
        assert!(
            Profile::parse("x.toml", twice)
                .unwrap_err()
                .to_string()
                .contains("defined twice")
        );
    }
}
