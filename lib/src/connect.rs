//! From configuration to a connection: the SSH target and site profile of the configured
//! cluster, or this host when rv runs on the login node.

use std::time::Duration;

use crate::config::{Config, ConfigError};
use crate::profile::{Profile, ProfileError};
use crate::remote::transport::{Local, Ssh, SshTarget, Transport, TransportError};
use crate::state::StateDir;

/// How long to wait for the connection and for each round trip.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// The SSH target of the configured cluster.
pub fn target(config: &Config) -> Result<SshTarget, ConfigError> {
    let host = config.connection.host.clone().ok_or_else(|| ConfigError {
        source_name: "configuration".into(),
        why: "no cluster configured: run `rv init`, or set `connection.host` in ~/.rv/config.toml or RV_SSH_HOST".into(),
    })?;
    Ok(SshTarget {
        host,
        user: config.connection.user.clone(),
        port: config.connection.port,
        identity: config.connection.identity.clone(),
        config_file: config.connection.ssh_config.clone(),
    })
}

/// The site profile for `host`: the configured one, else the one listing the host.
pub fn profile(config: &Config, state: &StateDir, host: &str) -> Result<Profile, ProfileError> {
    let profiles = Profile::load_all(Some(&state.profiles_dir()))?;
    Profile::select(&profiles, config.connection.profile.as_deref(), host)
}

/// A connection: SSH to the configured host, or this host (`local`).
#[derive(Debug)]
pub enum Connection {
    /// Over one SSH master.
    Ssh(Ssh),
    /// On this host.
    Local(Local),
}

impl Connection {
    /// Opens the connection.
    pub async fn open(
        target: Option<&SshTarget>,
        state: &StateDir,
    ) -> Result<Self, TransportError> {
        match target {
            Some(t) => Ok(Connection::Ssh(
                Ssh::connect(t, &state.control_dir(), TIMEOUT).await?,
            )),
            None => Ok(Connection::Local(Local::default())),
        }
    }
}

impl Transport for Connection {
    async fn run(
        &self,
        script: &str,
    ) -> Result<crate::remote::transport::RawReply, TransportError> {
        match self {
            Connection::Ssh(s) => s.run(script).await,
            Connection::Local(l) => l.run(script).await,
        }
    }

    async fn stream(
        &self,
        name: &str,
        script: &str,
    ) -> Result<crate::remote::transport::Stream<'_>, TransportError> {
        match self {
            Connection::Ssh(s) => s.stream(name, script).await,
            Connection::Local(l) => l.stream(name, script).await,
        }
    }

    fn round_trips(&self) -> u64 {
        match self {
            Connection::Ssh(s) => s.round_trips(),
            Connection::Local(l) => l.round_trips(),
        }
    }

    fn received(&self) -> u64 {
        match self {
            Connection::Ssh(s) => s.received(),
            Connection::Local(l) => l.received(),
        }
    }
}
