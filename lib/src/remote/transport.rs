//! Where batches run: over one multiplexed SSH connection ([`Ssh`]), or on this host
//! ([`Local`], for users already on the login node, and for tests).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::sync::Semaphore;

use super::batch::{Batch, FramingError, Reply, random_boundary};

/// Times a session that could not be opened is tried again (after 100, 200, 400 ms).
const SPAWN_RETRIES: u32 = 3;

/// Channels open at once on one connection: below sshd's default `MaxSessions` of 10.
pub const MAX_CONCURRENT: usize = 8;

/// Why the cluster could not be reached, phrased as what the user must do.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// No route, no DNS, refused, or timed out while connecting.
    #[error("cannot reach {host} ({detail}): connect to the university VPN or check the host name")]
    Unreachable {
        /// The host as given.
        host: String,
        /// What ssh said.
        detail: String,
    },
    /// The server refused the key.
    #[error("{host} refused the SSH login ({detail}): run `rv init` to set up key login")]
    AuthRefused {
        /// The host as given.
        host: String,
        /// What ssh said.
        detail: String,
    },
    /// The cluster said it is down for maintenance.
    #[error("{host} is in maintenance: {detail}")]
    Maintenance {
        /// The host as given.
        host: String,
        /// What the cluster said.
        detail: String,
    },
    /// No answer in time.
    #[error("{host} did not answer within {} s", .after.as_secs())]
    Timeout {
        /// The host as given.
        host: String,
        /// How long rv waited.
        after: Duration,
    },
    /// Any other ssh failure.
    #[error("ssh to {host} failed: {detail}")]
    Failed {
        /// The host as given.
        host: String,
        /// What ssh said.
        detail: String,
    },
    /// A local process could not be started.
    #[error("cannot run {what}: {source}")]
    Spawn {
        /// The program.
        what: &'static str,
        /// Why.
        source: std::io::Error,
    },
}

/// A round trip that came back without a usable reply.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// The connection failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A file of the batch could not be written on the cluster (its directory is missing
    /// or not writable), so nothing of the batch ran.
    #[error(
        "cannot write {path} on the cluster ({why}): rv keeps its files under `paths.scratch`; set it (~/.rv/config.toml or RV_SCRATCH) to a directory you can write"
    )]
    Upload {
        /// The file.
        path: String,
        /// What the shell said.
        why: String,
    },
    /// The reply was not a batch reply; `stderr` says what the remote shell printed.
    #[error("{source}{}", if .stderr.is_empty() { String::new() } else { format!(": {}", .stderr.trim()) })]
    Framing {
        /// The framing problem.
        source: FramingError,
        /// The remote shell's stderr.
        stderr: String,
    },
}

/// What the remote shell returned for one script.
#[derive(Debug, Clone)]
pub struct RawReply {
    /// Its standard output.
    pub stdout: Vec<u8>,
    /// Its standard error.
    pub stderr: String,
}

/// Runs shell scripts on the cluster.
pub trait Transport {
    /// Runs `script` with `sh` on the cluster (its stdin is the script).
    fn run(&self, script: &str) -> impl Future<Output = Result<RawReply, TransportError>>;

    /// How many round trips this transport has made.
    fn round_trips(&self) -> u64;

    /// How many bytes of replies (stdout) it has received.
    fn received(&self) -> u64;
}

/// Runs `batch` in one round trip and reads its reply.
pub async fn run_batch<T: Transport>(transport: &T, batch: &Batch) -> Result<Reply, RemoteError> {
    let boundary = random_boundary().map_err(|source| TransportError::Spawn {
        what: "/dev/urandom",
        source,
    })?;
    let raw = transport.run(&batch.script(&boundary)).await?;
    batch
        .parse_reply(&raw.stdout, &boundary)
        .map_err(|source| match upload_failure(&raw.stderr) {
            Some((path, why)) => RemoteError::Upload { path, why },
            None => RemoteError::Framing {
                source,
                stderr: raw.stderr,
            },
        })
}

/// The file a batch could not write, and why, from the remote shell's stderr.
fn upload_failure(stderr: &str) -> Option<(String, String)> {
    let path = stderr
        .lines()
        .find_map(|l| l.strip_prefix("rv: could not write "))?;
    let why: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("rv: could not write ") && !l.trim().is_empty())
        .collect();
    let why = if why.is_empty() {
        "no reason given".to_owned()
    } else {
        why.join("; ")
    };
    Some((path.to_owned(), why))
}

/// Maps what `ssh` printed on failure to what the user must do.
pub fn classify(host: &str, stderr: &str) -> TransportError {
    let detail = stderr
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with("Warning: Permanently added"))
        .unwrap_or("no message")
        .to_owned();
    let lower = stderr.to_ascii_lowercase();
    let host = host.to_owned();
    if lower.contains("maintenance") {
        TransportError::Maintenance { host, detail }
    } else if lower.contains("permission denied")
        || lower.contains("too many authentication failures")
    {
        TransportError::AuthRefused { host, detail }
    } else if [
        "could not resolve hostname",
        "connection refused",
        "no route to host",
        "network is unreachable",
        "connection timed out",
        "operation timed out",
        "name or service not known",
    ]
    .iter()
    .any(|p| lower.contains(p))
    {
        TransportError::Unreachable { host, detail }
    } else {
        TransportError::Failed { host, detail }
    }
}

/// The channels a transport may have open at once, and the round trips it has made.
#[derive(Debug)]
struct Channels {
    permits: Semaphore,
    trips: AtomicU64,
    bytes: AtomicU64,
}

impl Default for Channels {
    fn default() -> Self {
        Channels {
            permits: Semaphore::new(MAX_CONCURRENT),
            trips: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        }
    }
}

impl Channels {
    /// Waits for a free channel and counts the round trip it is for.
    async fn open(&self) -> tokio::sync::SemaphorePermit<'_> {
        let permit = self
            .permits
            .acquire()
            .await
            .expect("the semaphore is never closed");
        self.trips.fetch_add(1, Ordering::Relaxed);
        permit
    }

    /// Counts the bytes of a reply.
    fn received(&self, reply: &RawReply) {
        self.bytes
            .fetch_add(reply.stdout.len() as u64, Ordering::Relaxed);
    }

    fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    fn round_trips(&self) -> u64 {
        self.trips.load(Ordering::Relaxed)
    }
}

/// Runs scripts on this host.
#[derive(Debug, Default)]
pub struct Local {
    channels: Channels,
}

impl Transport for Local {
    async fn run(&self, script: &str) -> Result<RawReply, TransportError> {
        let _channel = self.channels.open().await;
        let spawn = |source| TransportError::Spawn { what: "sh", source };
        let mut child = tokio::process::Command::new("sh")
            .arg("-s")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(spawn)?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        stdin.write_all(script.as_bytes()).await.map_err(spawn)?;
        drop(stdin);
        let out = child.wait_with_output().await.map_err(spawn)?;
        let reply = RawReply {
            stdout: out.stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        self.channels.received(&reply);
        Ok(reply)
    }

    fn round_trips(&self) -> u64 {
        self.channels.round_trips()
    }

    fn received(&self) -> u64 {
        self.channels.bytes()
    }
}

/// Where to connect: an `~/.ssh/config` alias or host name, with optional overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshTarget {
    /// Alias or host name, as for `ssh`.
    pub host: String,
    /// A user other than the one in the ssh config.
    pub user: Option<String>,
    /// A port other than the one in the ssh config.
    pub port: Option<u16>,
    /// A key other than the ones in the ssh config.
    pub identity: Option<PathBuf>,
    /// An ssh config file to use instead of `~/.ssh/config`.
    pub config_file: Option<PathBuf>,
}

impl SshTarget {
    /// The `ssh` options that select this target (everything but the host).
    fn options(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(f) = &self.config_file {
            args.extend(["-F".to_owned(), f.display().to_string()]);
        }
        if let Some(u) = &self.user {
            args.extend(["-l".to_owned(), u.clone()]);
        }
        if let Some(p) = self.port {
            args.extend(["-p".to_owned(), p.to_string()]);
        }
        if let Some(i) = &self.identity {
            args.extend(["-i".to_owned(), i.display().to_string()]);
        }
        args
    }

    /// The control socket for this target in `dir`: a short, stable name (macOS limits
    /// socket paths to about 104 bytes).
    pub fn control_path(&self, dir: &Path) -> PathBuf {
        // FNV-1a: stable across runs and Rust versions, unlike `DefaultHasher`.
        let key = format!("{}\0{}", self.host, self.options().join("\0"));
        let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        dir.join(format!("{hash:016x}"))
    }
}

/// Runs scripts over one SSH connection: a `ControlMaster` that outlives this process
/// (`ControlPersist`), so the next rv command starts warm, driven through openssh's native
/// multiplexing client.
#[derive(Debug)]
pub struct Ssh {
    host: String,
    session: openssh::Session,
    channels: Channels,
    timeout: Duration,
}

impl Ssh {
    /// Connects: reuses a live master for `target` in `control_dir`, or starts one.
    /// `timeout` bounds the connection and every round trip.
    pub async fn connect(
        target: &SshTarget,
        control_dir: &Path,
        timeout: Duration,
    ) -> Result<Self, TransportError> {
        let host = target.host.clone();
        let control = target.control_path(control_dir);
        let resume = || openssh::Session::resume_mux(control.clone().into_boxed_path(), None);
        let alive = control.exists()
            && matches!(
                tokio::time::timeout(timeout, resume().check()).await,
                Ok(Ok(()))
            );
        if !alive {
            let _ = std::fs::remove_file(&control);
            std::fs::create_dir_all(control_dir).map_err(|source| TransportError::Spawn {
                what: "mkdir",
                source,
            })?;
            start_master(target, &control, timeout).await?;
        }
        Ok(Ssh {
            host,
            session: resume(),
            channels: Channels::default(),
            timeout,
        })
    }
}

async fn start_master(
    target: &SshTarget,
    control: &Path,
    timeout: Duration,
) -> Result<(), TransportError> {
    let secs = timeout.as_secs().max(1);
    let mut ssh = tokio::process::Command::new("ssh");
    ssh.args(target.options())
        .args([
            "-o",
            "ControlMaster=yes",
            "-o",
            "ControlPersist=15m",
            "-o",
            "BatchMode=yes",
        ])
        .arg("-o")
        .arg(format!("ControlPath={}", control.display()))
        .arg("-o")
        .arg(format!("ConnectTimeout={secs}"))
        .args(["-o", "ServerAliveInterval=30", "-fN", "--", &target.host])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = ssh.spawn().map_err(|source| TransportError::Spawn {
        what: "ssh",
        source,
    })?;
    let out = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| TransportError::Timeout {
            host: target.host.clone(),
            after: timeout,
        })?
        .map_err(|source| TransportError::Spawn {
            what: "ssh",
            source,
        })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(classify(
            &target.host,
            &String::from_utf8_lossy(&out.stderr),
        ))
    }
}

impl Transport for Ssh {
    async fn run(&self, script: &str) -> Result<RawReply, TransportError> {
        let _channel = self.channels.open().await;
        let failed = |e: openssh::Error| classify(&self.host, &e.to_string());
        let work = async {
            // Opening a session over the master can fail for a moment under load (the mux
            // socket or sshd's session limit); nothing has run then, so it is retried.
            let mut tries = 0;
            let mut child = loop {
                let spawned = self
                    .session
                    .command("sh")
                    .arg("-s")
                    .stdin(openssh::Stdio::piped())
                    .stdout(openssh::Stdio::piped())
                    .stderr(openssh::Stdio::piped())
                    .spawn()
                    .await;
                match spawned {
                    Ok(child) => break child,
                    Err(_) if tries < SPAWN_RETRIES => {
                        tries += 1;
                        tokio::time::sleep(Duration::from_millis(50 << tries)).await;
                    }
                    Err(e) => return Err(failed(e)),
                }
            };
            let mut stdin = child.stdin().take().expect("stdin is piped");
            stdin
                .write_all(script.as_bytes())
                .await
                .map_err(|e| TransportError::Failed {
                    host: self.host.clone(),
                    detail: e.to_string(),
                })?;
            drop(stdin);
            let out = child.wait_with_output().await.map_err(failed)?;
            let reply = RawReply {
                stdout: out.stdout,
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            };
            self.channels.received(&reply);
            Ok(reply)
        };
        tokio::time::timeout(self.timeout, work)
            .await
            .map_err(|_| TransportError::Timeout {
                host: self.host.clone(),
                after: self.timeout,
            })?
    }

    fn round_trips(&self) -> u64 {
        self.channels.round_trips()
    }

    fn received(&self) -> u64 {
        self.channels.bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_that_cannot_be_written_is_named_with_paths_scratch() {
        let mut batch = Batch::new();
        batch.upload(crate::remote::batch::Upload {
            path: "/proc/rv-nowhere/job.sh".into(),
            content: b"true\n".to_vec(),
            mode: 0o700,
        });
        batch.command("echo never");
        let err = run_batch(&Local::default(), &batch).await.unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, RemoteError::Upload { .. }), "{text}");
        assert!(
            text.starts_with("cannot write /proc/rv-nowhere/job.sh on the cluster (")
                && text.contains("`paths.scratch`"),
            "{text}"
        );
    }

    #[test]
    fn ssh_failures_become_advice() {
        let cases = [
            (
                "ssh: Could not resolve hostname login.hpc.virginia.edu: Name or service not known",
                "VPN",
            ),
            (
                "ssh: connect to host 10.0.0.1 port 22: Connection timed out",
                "VPN",
            ),
            (
                "ssh: connect to host 127.0.0.1 port 1: Connection refused",
                "VPN",
            ),
            (
                "abs6bd@login.hpc.virginia.edu: Permission denied (publickey).",
                "rv init",
            ),
            (
                "The system is down for scheduled maintenance until 6 pm.\nConnection closed",
                "maintenance",
            ),
            (
                "kex_exchange_identification: read: Connection reset by peer",
                "ssh to",
            ),
        ];
        for (stderr, advice) in cases {
            let msg = classify("rivanna", stderr).to_string();
            assert!(msg.contains(advice), "{stderr} -> {msg}");
        }
        let msg = classify("h", "Warning: Permanently added 'h' (ED25519) to the list of known hosts.\nh: Permission denied (publickey).\n")
            .to_string();
        assert!(msg.contains("(h: Permission denied (publickey).)"), "{msg}");
    }

    #[test]
    fn control_paths_are_short_stable_and_distinct() {
        let dir = Path::new("/tmp/rv-cm");
        let a = SshTarget {
            host: "rivanna".into(),
            ..SshTarget::default()
        };
        let b = SshTarget {
            host: "rivanna".into(),
            user: Some("abs6bd".into()),
            ..SshTarget::default()
        };
        assert_eq!(a.control_path(dir), a.control_path(dir));
        assert_ne!(a.control_path(dir), b.control_path(dir));
        assert_eq!(a.control_path(dir).file_name().unwrap().len(), 16);
    }

    #[tokio::test]
    async fn local_runs_a_batch_in_one_round_trip() {
        let local = Local::default();
        let mut batch = Batch::new();
        let a = batch.command("echo $SLURM_TIME_FORMAT");
        let b = batch.command("exit 4");
        let reply = run_batch(&local, &batch).await.unwrap();
        assert_eq!(
            reply.outputs[a].stdout, "%s\n",
            "Slurm prints epoch seconds"
        );
        assert_eq!(reply.outputs[b].code, 4);
        assert_eq!(local.round_trips(), 1);
    }
}
