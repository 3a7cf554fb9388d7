//! `~/.rv/config.toml`: how to reach the cluster and the defaults of a request.
//!
//! The file is optional; every key can be overridden by an environment variable (the table
//! in [`ENV`]), so `source /tmp/rv-cluster/cluster.env` points rv at the testbed. Errors
//! name the file or variable, the key, and the expected form.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::slurm::time::Walltime;

/// The whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// How to reach the cluster.
    #[serde(default)]
    pub connection: Connection,
    /// Defaults of every request.
    #[serde(default)]
    pub defaults: Defaults,
    /// Where things live on the cluster.
    #[serde(default)]
    pub paths: Paths,
    /// Email on job events.
    #[serde(default)]
    pub notifications: Notifications,
}

/// `[connection]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// An ssh alias or host name.
    pub host: Option<String>,
    /// The cluster user, if not the ssh config's.
    pub user: Option<String>,
    /// The port, if not the ssh config's.
    pub port: Option<u16>,
    /// The private key, if not the ssh config's.
    pub identity: Option<PathBuf>,
    /// An ssh config file other than `~/.ssh/config`.
    pub ssh_config: Option<PathBuf>,
    /// The site profile; chosen by host when absent.
    pub profile: Option<String>,
}

/// `[defaults]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// The Slurm account to charge.
    pub account: Option<String>,
    /// The GPU type (`any` lets the allocator choose).
    pub gpu_type: Option<String>,
    /// The time a request needs, as `2h`, `90m` or `2:59:00`.
    pub time: Option<String>,
    /// A partition to stay within.
    pub partition: Option<String>,
    /// How long an interactive job outlives its client, as `10m` or `1h` (see
    /// [`crate::lease`]).
    pub lease: Option<String>,
}

/// `[paths]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paths {
    /// Scratch on the cluster (`/scratch/<user>`).
    pub scratch: Option<String>,
    /// Home on the cluster.
    pub home: Option<String>,
}

/// `[notifications]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notifications {
    /// `false` pauses job events without unregistering (`rv notify setup` turns them on).
    pub enabled: Option<bool>,
    /// Where mail goes.
    pub email: Option<String>,
    /// The notification service, if not the public one.
    pub url: Option<String>,
}

/// A configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {why}")]
pub struct ConfigError {
    /// The file, or `environment variable X`.
    pub source_name: String,
    /// What is wrong, naming the key and the expected form.
    pub why: String,
}

/// The environment variables that override keys: (variable, `section.key`).
pub const ENV: &[(&str, &str)] = &[
    ("RV_SSH_HOST", "connection.host"),
    ("RV_SSH_USER", "connection.user"),
    ("RV_SSH_PORT", "connection.port"),
    ("RV_SSH_KEY", "connection.identity"),
    ("RV_SSH_CONFIG", "connection.ssh_config"),
    ("RV_PROFILE", "connection.profile"),
    ("RV_ACCOUNT", "defaults.account"),
    ("RV_GPU_TYPE", "defaults.gpu_type"),
    ("RV_TIME", "defaults.time"),
    ("RV_PARTITION", "defaults.partition"),
    ("RV_LEASE", "defaults.lease"),
    ("RV_SCRATCH", "paths.scratch"),
    ("RV_REMOTE_HOME", "paths.home"),
    ("RV_NOTIFY_EMAIL", "notifications.email"),
];

impl Config {
    /// Parses a config file's text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError {
            source_name: file.to_owned(),
            why: e.to_string().trim().replace('\n', " "),
        })?;
        config.check(file)?;
        Ok(config)
    }

    /// Reads the config: the file at `RV_CONFIG`, else `~/.rv/config.toml` (a missing
    /// default file is an empty config), then the environment overrides of [`ENV`].
    pub fn load(env: &impl Fn(&str) -> Option<String>, home: &Path) -> Result<Self, ConfigError> {
        let (path, required) = match env("RV_CONFIG") {
            Some(p) => (PathBuf::from(p), true),
            None => (home.join(".rv/config.toml"), false),
        };
        let shown = path.display().to_string();
        let mut config = match std::fs::read_to_string(&path) {
            Ok(text) => Config::parse(&shown, &text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Config::default(),
            Err(e) => {
                return Err(ConfigError {
                    source_name: shown,
                    why: format!("cannot read: {e}"),
                });
            }
        };
        for &(var, key) in ENV {
            if let Some(value) = env(var).filter(|v| !v.is_empty()) {
                config.set(key, &value).map_err(|why| ConfigError {
                    source_name: format!("environment variable {var}"),
                    why,
                })?;
            }
        }
        config.check("the environment")?;
        Ok(config)
    }

    /// Sets `section.key` from text, as an environment override does.
    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let v = Some(value.to_owned());
        match key {
            "connection.host" => self.connection.host = v,
            "connection.user" => self.connection.user = v,
            "connection.port" => {
                self.connection.port =
                    Some(value.parse().ok().filter(|p| *p > 0).ok_or_else(|| {
                        format!("`{key}`: expected a port number 1-65535, got {value:?}")
                    })?);
            }
            "connection.identity" => self.connection.identity = Some(value.into()),
            "connection.ssh_config" => self.connection.ssh_config = Some(value.into()),
            "connection.profile" => self.connection.profile = v,
            "defaults.account" => self.defaults.account = v,
            "defaults.gpu_type" => self.defaults.gpu_type = v,
            "defaults.time" => self.defaults.time = v,
            "defaults.partition" => self.defaults.partition = v,
            "defaults.lease" => self.defaults.lease = v,
            "paths.scratch" => self.paths.scratch = v,
            "paths.home" => self.paths.home = v,
            "notifications.email" => self.notifications.email = v,
            _ => return Err(format!("`{key}` cannot be set")),
        }
        self.check_key(key)
    }

    fn check(&self, source: &str) -> Result<(), ConfigError> {
        for key in [
            "connection.port",
            "defaults.time",
            "defaults.lease",
            "notifications.email",
            "paths.scratch",
            "paths.home",
        ] {
            self.check_key(key).map_err(|why| ConfigError {
                source_name: source.to_owned(),
                why,
            })?;
        }
        Ok(())
    }

    fn check_key(&self, key: &str) -> Result<(), String> {
        match key {
            "connection.port" if self.connection.port == Some(0) => {
                Err("`connection.port`: expected a port number 1-65535, got 0".into())
            }
            "defaults.time" => match &self.defaults.time {
                Some(t) => Walltime::from_user(t).map(|_| ()).map_err(|e| {
                    format!("`defaults.time`: expected a duration such as 2h or 2:59:00 ({e})")
                }),
                None => Ok(()),
            },
            "defaults.lease" => match &self.defaults.lease {
                Some(t) => crate::lease::parse(t).map(|_| ()).map_err(|e| {
                    format!("`defaults.lease`: expected a duration such as 10m ({e})")
                }),
                None => Ok(()),
            },
            "notifications.email" => match &self.notifications.email {
                Some(e) if !e.is_empty() && !e.contains('@') => Err(format!(
                    "`notifications.email`: expected an email address, got {e:?}"
                )),
                _ => Ok(()),
            },
            "paths.scratch" | "paths.home" => {
                let path = if key == "paths.scratch" {
                    &self.paths.scratch
                } else {
                    &self.paths.home
                };
                match path {
                    Some(p) if !p.starts_with('/') => {
                        Err(format!("`{key}`: expected an absolute path, got {p:?}"))
                    }
                    _ => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }

    /// The lease of an interactive request in seconds: `defaults.lease`, else
    /// [`crate::lease::DEFAULT_SECS`] (checked when loaded).
    pub fn lease(&self) -> u64 {
        self.defaults
            .lease
            .as_deref()
            .and_then(|t| crate::lease::parse(t).ok())
            .unwrap_or(crate::lease::DEFAULT_SECS)
    }

    /// The default time as a walltime, if configured (checked when loaded).
    pub fn default_time(&self) -> Option<Walltime> {
        self.defaults
            .time
            .as_deref()
            .and_then(|t| Walltime::from_user(t).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const SPEC: &str = r#"
[connection]
host = "rv-hpc"
user = "abs6bd"

[defaults]
account = "meng-lab"
gpu_type = "any"
time = "2:59:00"
partition = "gpu"

[paths]
scratch = "/scratch/abs6bd"
home = "/home/abs6bd"

[notifications]
enabled = false
email = ""
"#;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rv-config-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join(".rv")).unwrap();
        dir
    }

    #[test]
    fn reads_the_spec_example() {
        let c = Config::parse("config.toml", SPEC).unwrap();
        assert_eq!(c.connection.host.as_deref(), Some("rv-hpc"));
        assert_eq!(c.defaults.account.as_deref(), Some("meng-lab"));
        assert_eq!(
            c.default_time(),
            Some(Walltime::from_secs(2 * 3600 + 59 * 60))
        );
        assert_eq!(c.paths.scratch.as_deref(), Some("/scratch/abs6bd"));
        assert_eq!(c.notifications.enabled, Some(false));
    }

    #[test]
    fn errors_name_the_file_the_key_and_the_form() {
        let cases = [
            ("[connection]\nport = \"ssh\"\n", "port"),
            (
                "[connection]\nport = 0\n",
                "`connection.port`: expected a port number",
            ),
            (
                "[defaults]\ntime = \"24\"\n",
                "`defaults.time`: expected a duration",
            ),
            ("[defaults]\ntiem = \"2h\"\n", "tiem"),
            (
                "[defaults]\nlease = \"0\"\n",
                "`defaults.lease`: expected a duration such as 10m",
            ),
            (
                "[paths]\nscratch = \"scratch/me\"\n",
                "`paths.scratch`: expected an absolute path",
            ),
            ("[notifications]\nemail = \"me\"\n", "`notifications.email`"),
            ("[connection\n", "config.toml"),
        ];
        for (text, want) in cases {
            let err = Config::parse("config.toml", text).unwrap_err().to_string();
            assert!(
                err.starts_with("config.toml: ") && err.contains(want),
                "{text:?}: {err}"
            );
            assert!(!err.contains('\n'), "one line: {err}");
        }
    }

    #[test]
    fn environment_overrides_the_file() {
        let home = scratch("env");
        std::fs::write(home.join(".rv/config.toml"), SPEC).unwrap();
        let c = Config::load(
            &env(&[
                ("RV_SSH_HOST", "rv-cluster"),
                ("RV_SSH_PORT", "2223"),
                ("RV_TIME", "90m"),
            ]),
            &home,
        )
        .unwrap();
        assert_eq!(c.connection.host.as_deref(), Some("rv-cluster"));
        assert_eq!(c.connection.port, Some(2223));
        assert_eq!(
            c.connection.user.as_deref(),
            Some("abs6bd"),
            "untouched keys stay"
        );
        assert_eq!(c.default_time(), Some(Walltime::from_minutes(90)));
        assert_eq!(c.lease(), crate::lease::DEFAULT_SECS);
        let leased = Config::load(&env(&[("RV_LEASE", "30m")]), &home).unwrap();
        assert_eq!(leased.lease(), 1800);
        let err = Config::load(&env(&[("RV_SSH_PORT", "70000")]), &home)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "environment variable RV_SSH_PORT: `connection.port`: expected a port number 1-65535, got \"70000\""
        );
        let err = Config::load(&env(&[("RV_TIME", "soon")]), &home)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("environment variable RV_TIME: `defaults.time`"),
            "{err}"
        );
    }

    #[test]
    fn the_file_is_optional_unless_named() {
        let home = scratch("optional");
        assert_eq!(Config::load(&env(&[]), &home), Ok(Config::default()));
        let missing = home.join("nope.toml").display().to_string();
        let err = Config::load(&env(&[("RV_CONFIG", &missing)]), &home).unwrap_err();
        assert_eq!(err.source_name, missing);
        assert!(err.why.starts_with("cannot read"));
    }
}
