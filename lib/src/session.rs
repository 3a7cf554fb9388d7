//! A session with the cluster: configuration, local state and where the cluster is, and
//! the one connection every command's work runs over.

use crate::config::Config;
use crate::connect::{self, Connection};
use crate::error::Error;
use crate::profile::Profile;
use crate::remote::transport::SshTarget;
use crate::script::Paths;
use crate::state::StateDir;

/// What every command needs: configuration, the state directory, and where the cluster is.
#[derive(Debug)]
pub struct Session {
    /// The stage's name, for messages.
    pub stage: &'static str,
    /// The configuration.
    pub config: Config,
    /// The local state directory.
    pub state: StateDir,
    /// The SSH target; `None` runs on this host.
    pub target: Option<SshTarget>,
}

impl Session {
    /// Loads configuration and state; `local` runs on this host instead of over SSH.
    pub fn load(stage: &'static str, local: bool) -> Result<Self, Error> {
        let env = |k: &str| std::env::var(k).ok();
        let home = crate::util::home();
        let config = Config::load(&env, &home)?;
        let dir = StateDir::open(StateDir::default_root(&env, &home))
            .map_err(|e| Error::internal(format!("cannot use the state directory: {e}")))?;
        let target = if local {
            None
        } else {
            Some(connect::target(&config)?)
        };
        Ok(Session {
            stage,
            config,
            state: dir,
            target,
        })
    }

    /// The host, for records and profile selection.
    pub fn host(&self) -> String {
        self.target
            .as_ref()
            .map_or_else(|| "localhost".to_owned(), |t| t.host.clone())
    }

    /// Where rv's files go on the cluster: the configured scratch, else `/scratch/<user>`.
    fn paths(&self, user: &str) -> Paths {
        Paths {
            scratch: self
                .config
                .paths
                .scratch
                .clone()
                .unwrap_or_else(|| format!("/scratch/{user}")),
        }
    }

    /// Where rv's files go on the cluster a probe described: its scratch when usable (an
    /// unusable one is an error naming `paths.scratch`); from an older rv-probe, the
    /// configured scratch, else `/scratch/<user>`.
    pub fn paths_of(&self, cluster: &crate::records::Cluster) -> Result<Paths, Error> {
        match &cluster.scratch {
            Some(s) => usable(s),
            None => Ok(self.paths(&cluster.user)),
        }
    }

    /// Where rv's files are on the cluster, before any probe: the configured scratch, else
    /// the one discovered the last time (remembered in the state directory), else
    /// discovered now (one round trip).
    pub async fn cluster_paths(&self, conn: &Connection) -> Result<Paths, Error> {
        if let Some(dir) = &self.config.paths.scratch {
            return Ok(Paths {
                scratch: dir.clone(),
            });
        }
        if let Ok(dir) = std::fs::read_to_string(self.state.root().join(self.scratch_cache())) {
            if dir.starts_with('/') {
                return Ok(Paths {
                    scratch: dir.trim_end().to_owned(),
                });
            }
        }
        let mut batch = crate::remote::batch::Batch::new();
        let i = batch.command(crate::script::scratch_command(None));
        let reply = crate::remote::transport::run_batch(conn, &batch).await?;
        let scratch = crate::script::parse_scratch(&reply.outputs[i].stdout)
            .ok_or_else(|| Error::cluster("the cluster did not say where scratch is"))?;
        let paths = usable(&scratch)?;
        self.remember_scratch(&scratch);
        Ok(paths)
    }

    /// Remembers a discovered, usable scratch for the commands that do not probe.
    pub fn remember_scratch(&self, scratch: &crate::records::Scratch) {
        if scratch.usable && scratch.from != crate::records::ScratchSource::Config {
            let _ = self
                .state
                .write_private(&self.scratch_cache(), scratch.dir.as_bytes());
        }
    }

    fn scratch_cache(&self) -> String {
        format!("scratch/{}", crate::script::clean_name(&self.host()))
    }

    /// The site profile for `host`.
    pub fn profile(&self, host: &str) -> Result<Profile, Error> {
        Ok(connect::profile(&self.config, &self.state, host)?)
    }

    /// Connects and runs `work` on a current-thread runtime.
    pub fn remote<T>(
        &self,
        work: impl AsyncFnOnce(&Connection) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::internal(format!("cannot start the runtime: {e}")))?;
        runtime.block_on(async {
            let connection = Connection::open(self.target.as_ref(), &self.state).await?;
            let result = work(&connection).await;
            if std::env::var_os("RV_TRACE").is_some_and(|v| !v.is_empty()) {
                use crate::remote::transport::Transport;
                eprintln!(
                    "rv-trace: {} round trips, {} bytes received",
                    connection.round_trips(),
                    connection.received()
                );
            }
            result
        })
    }

    /// Runs one shell command on the cluster (one round trip): its output.
    pub fn run_one(&self, command: String) -> Result<crate::remote::batch::Output, Error> {
        let mut batch = crate::remote::batch::Batch::new();
        let i = batch.command(command);
        let mut reply =
            self.remote(async |c| Ok(crate::remote::transport::run_batch(c, &batch).await?))?;
        Ok(reply.outputs.swap_remove(i))
    }
}

/// The paths under a scratch the cluster reported, or, when it is not usable, the error
/// naming `paths.scratch`.
fn usable(scratch: &crate::records::Scratch) -> Result<Paths, Error> {
    if scratch.usable {
        Ok(Paths {
            scratch: scratch.dir.clone(),
        })
    } else {
        Err(Error::usage(crate::script::scratch_problem(scratch)))
    }
}

/// Says on stderr, once, which rows of the cluster's output the probe skipped.
pub fn warn_unread(stage: &str, snapshot: &crate::probe::Snapshot) {
    if let Some(w) = snapshot.warning() {
        eprintln!("{stage}: warning: {}", w.message);
    }
}
