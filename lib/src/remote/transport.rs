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

    /// Starts `script` with `sh` on the cluster and leaves it running: see [`Stream`].
    /// `name` (words such as `rv-watch r-…`) is its `$0` and `$1`, so that `ps` on the
    /// login node says what it is.
    fn stream(
        &self,
        name: &str,
        script: &str,
    ) -> impl Future<Output = Result<Stream<'_>, TransportError>>;

    /// How many round trips this transport has made.
    fn round_trips(&self) -> u64;

    /// How many bytes of replies (stdout) it has received.
    fn received(&self) -> u64;
}

/// What runs a streamed script: it reads its length, then exactly that many bytes of
/// script, and runs them; the rest of its input is the client's lines. Short, and the same
/// for every script, so the login shell is given nothing to quote but this.
const STREAM_BOOT: &str = "IFS= read -r n && eval \"$(dd bs=1 count=\"$n\" 2>/dev/null)\"";

/// A script left running on the cluster over its own channel: the client writes lines to
/// its standard input and reads its standard output as it comes. Dropping it closes the
/// channel, which ends the script.
pub struct Stream<'a> {
    input: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send + 'a>>,
    output: std::pin::Pin<Box<dyn tokio::io::AsyncRead + Send + 'a>>,
    child: StreamChild<'a>,
}

/// The process behind a [`Stream`], kept for as long as the stream is.
#[derive(Debug)]
enum StreamChild<'a> {
    Ssh(openssh::RemoteChild<'a>),
    Local(tokio::process::Child),
}

impl std::fmt::Debug for Stream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("child", &self.child)
            .finish_non_exhaustive()
    }
}

impl Stream<'_> {
    /// Sends `line` (a newline is added).
    pub async fn send(&mut self, line: &str) -> std::io::Result<()> {
        self.input.write_all(format!("{line}\n").as_bytes()).await?;
        self.input.flush().await
    }

    /// Ends the script: closes its input, which it takes as the client leaving, and waits
    /// a moment for it to exit.
    pub async fn close(self) {
        let Stream { input, child, .. } = self;
        drop(input);
        let wait = async {
            let _ = match child {
                StreamChild::Ssh(c) => c.wait().await.map(drop).map_err(drop),
                StreamChild::Local(mut c) => c.wait().await.map(drop).map_err(drop),
            };
        };
        let _ = tokio::time::timeout(Duration::from_secs(3), wait).await;
    }

    /// Reads what has arrived into `buf` (appended); 0 at the end of the output.
    pub async fn read(&mut self, buf: &mut Vec<u8>) -> std::io::Result<usize> {
        use tokio::io::AsyncReadExt;
        buf.reserve(16 * 1024);
        self.output.read_buf(buf).await
    }
}

/// What is written first to a [`STREAM_BOOT`]: the script's length, then the script.
fn boot_input(script: &str) -> String {
    format!("{}\n{script}", script.len())
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

    async fn stream(&self, name: &str, script: &str) -> Result<Stream<'_>, TransportError> {
        let spawn = |source| TransportError::Spawn { what: "sh", source };
        let mut child = tokio::process::Command::new("sh")
            .args(["-c", STREAM_BOOT])
            .args(name.split_whitespace())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(spawn)?;
        let mut input = child.stdin.take().expect("stdin is piped");
        let output = child.stdout.take().expect("stdout is piped");
        input
            .write_all(boot_input(script).as_bytes())
            .await
            .map_err(spawn)?;
        self.channels.trips.fetch_add(1, Ordering::Relaxed);
        Ok(Stream {
            input: Box::pin(input),
            output: Box::pin(output),
            child: StreamChild::Local(child),
        })
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

    async fn stream(&self, name: &str, script: &str) -> Result<Stream<'_>, TransportError> {
        let failed = |e: openssh::Error| classify(&self.host, &e.to_string());
        let work = async {
            let mut child = self
                .session
                .command("sh")
                .arg("-c")
                .arg(STREAM_BOOT)
                .args(name.split_whitespace())
                .stdin(openssh::Stdio::piped())
                .stdout(openssh::Stdio::piped())
                .stderr(openssh::Stdio::null())
                .spawn()
                .await
                .map_err(failed)?;
            let mut input = child.stdin().take().expect("stdin is piped");
            let output = child.stdout().take().expect("stdout is piped");
            input
                .write_all(boot_input(script).as_bytes())
                .await
                .map_err(|e| TransportError::Failed {
                    host: self.host.clone(),
                    detail: e.to_string(),
                })?;
            input.flush().await.map_err(|e| TransportError::Failed {
                host: self.host.clone(),
                detail: e.to_string(),
            })?;
            Ok((child, input, output))
        };
        let (child, input, output) =
            tokio::time::timeout(self.timeout, work)
                .await
                .map_err(|_| TransportError::Timeout {
                    host: self.host.clone(),
                    after: self.timeout,
                })??;
        self.channels.trips.fetch_add(1, Ordering::Relaxed);
        Ok(Stream {
            input: Box::pin(input),
            output: Box::pin(output),
            child: StreamChild::Ssh(child),
        })
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

    /// The next whole answer of `stream`, reading as needed.
    async fn next_unit(
        stream: &mut Stream<'_>,
        batch: &Batch,
        boundary: &str,
        buf: &mut Vec<u8>,
    ) -> crate::remote::batch::Unit {
        loop {
            if let Some((unit, used)) = batch.next_unit(buf, boundary).unwrap() {
                buf.drain(..used);
                return unit;
            }
            let read = tokio::time::timeout(Duration::from_secs(10), stream.read(buf));
            assert!(read.await.unwrap().unwrap() > 0, "the stream ended");
        }
    }

    #[tokio::test]
    async fn a_streamed_batch_sends_changes_takes_lines_and_ends_with_its_input() {
        use crate::remote::batch::Unit;
        let dir = std::env::temp_dir().join(format!("rv-stream-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("state");
        std::fs::write(&file, "one\n").unwrap();
        let mut batch = Batch::new();
        let arg = batch.command("echo \"ids=$RV_ARG\"");
        let cat = batch.command(format!(
            "cat {}",
            crate::util::quote(&file.display().to_string())
        ));
        let renewed = dir.join("renewed");
        let renew = format!(
            "echo >>{}",
            crate::util::quote(&renewed.display().to_string())
        );
        let b = random_boundary().unwrap();
        let local = Local::default();
        let mut stream = local
            .stream("rv-test stream", &batch.stream_script(&b, "1,2", &renew))
            .await
            .unwrap();
        let mut buf = Vec::new();
        let Unit::Changed(first) = next_unit(&mut stream, &batch, &b, &mut buf).await else {
            panic!("the first answer is a whole reply");
        };
        assert_eq!(first.outputs[arg].stdout, "ids=1,2\n");
        assert_eq!(first.outputs[cat].stdout, "one\n");
        let Unit::Same(clock) = next_unit(&mut stream, &batch, &b, &mut buf).await else {
            panic!("nothing changed");
        };
        assert!(clock.now >= first.clock.now);
        stream.send("arg 3").await.unwrap();
        std::fs::write(&file, "two\n").unwrap();
        let changed = loop {
            if let Unit::Changed(r) = next_unit(&mut stream, &batch, &b, &mut buf).await
                && r.outputs[arg].stdout == "ids=3\n"
                && r.outputs[cat].stdout == "two\n"
            {
                break r;
            }
        };
        assert_eq!(changed.outputs[cat].code, 0);
        assert!(!renewed.exists(), "only the client renews");
        stream.send("renew").await.unwrap();
        next_unit(&mut stream, &batch, &b, &mut buf).await;
        next_unit(&mut stream, &batch, &b, &mut buf).await;
        assert_eq!(std::fs::read_to_string(&renewed).unwrap(), "\n");
        // Closing its input ends the script.
        let Stream {
            input,
            mut output,
            child,
        } = stream;
        drop(input);
        let mut rest = Vec::new();
        let ended = tokio::time::timeout(Duration::from_secs(5), async {
            use tokio::io::AsyncReadExt;
            output.read_to_end(&mut rest).await
        });
        ended
            .await
            .expect("the script ends when its input closes")
            .unwrap();
        let StreamChild::Local(mut child) = child else {
            unreachable!()
        };
        assert!(child.wait().await.unwrap().success());
        let _ = std::fs::remove_dir_all(&dir);
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
