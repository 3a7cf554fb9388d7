//! Test support for rv's integration tests: a handle on the local Slurm testbed that
//! `testbed/cluster up` brings up.
//!
//! The testbed writes `cluster.env` (shell exports); this crate reads it, runs commands over
//! the testbed's real sshd, submits jobs that are cancelled when the test ends, and waits for
//! job states with a deadline. Nothing here mocks Slurm or SSH.
//!
//! When the testbed is not up, [`Testbed::get`] fails the test if `CI` or
//! `RV_TESTBED_REQUIRED` is set (`scripts/test` sets it), and otherwise returns `None` after
//! saying loudly on stderr that the test did not run.

pub mod mail;

/// A TCP port on loopback that was free a moment ago, for a server a test starts.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("loopback has free ports")
}

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The `Host` alias the testbed's ssh config defines.
pub const SSH_ALIAS: &str = "rv-cluster";

/// The second testbed user, whose jobs play other people's load.
pub const OTHER_USER: &str = "rvother";

/// A running testbed, as described by its `cluster.env`.
#[derive(Debug, Clone)]
pub struct Testbed {
    /// Where the testbed keeps its configs, state and logs.
    pub dir: PathBuf,
    /// The ssh client config with the `rv-cluster` alias.
    pub ssh_config: PathBuf,
    /// The sshd's address (always loopback).
    pub host: String,
    /// The sshd's port.
    pub port: u16,
    /// The user rv acts as.
    pub user: String,
    /// The private key both test users log in with.
    pub key: PathBuf,
    /// Which testbed this is (`RV_TESTBED_SLURM`: `22.05`, the default, or `24.11`), as
    /// `testbed/cluster` is told when a test puts a load on it.
    pub slurm: String,
    /// The network namespace the cluster runs in (`RV_TESTBED_NETNS`), when it is not the
    /// host's: its loopback is not this machine's, see [`Testbed::expose`].
    pub netns: Option<String>,
    /// The site layout it runs (`RV_TESTBED_LAYOUT`): `small` (Rivanna's partitions, the
    /// default), `rivanna` (the same at Rivanna's node counts) or `generic` (a site unlike
    /// Rivanna).
    pub layout: String,
}

/// What a remote command printed and how it exited.
#[derive(Debug, Clone)]
pub struct Remote {
    /// The exit code; -1 when the command was killed by a signal.
    pub code: i32,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

impl Remote {
    /// Whether the command exited 0.
    pub fn ok(&self) -> bool {
        self.code == 0
    }

    /// Panics with everything the command printed unless it exited 0; returns stdout.
    pub fn expect_ok(self, what: &str) -> String {
        assert!(
            self.ok(),
            "{what} failed with exit {}\nstdout:\n{}\nstderr:\n{}",
            self.code,
            self.stdout,
            self.stderr
        );
        self.stdout
    }
}

impl Testbed {
    /// The `cluster.env` to read: `$RV_TESTBED_ENV`, else `$RV_CLUSTER_DIR/cluster.env`,
    /// else `/tmp/rv-cluster/cluster.env`.
    pub fn env_file() -> PathBuf {
        if let Some(file) = std::env::var_os("RV_TESTBED_ENV") {
            return file.into();
        }
        let dir = std::env::var_os("RV_CLUSTER_DIR")
            .map_or_else(|| "/tmp/rv-cluster".into(), PathBuf::from);
        dir.join("cluster.env")
    }

    /// Reads `cluster.env` and checks that the testbed answers over ssh.
    pub fn load() -> Result<Testbed, String> {
        let file = Self::env_file();
        let text = std::fs::read_to_string(&file).map_err(|e| {
            format!(
                "cannot read {}: {e} (run `testbed/cluster up`)",
                file.display()
            )
        })?;
        let testbed = Self::from_env_text(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        let probe = testbed.ssh("true");
        if !probe.ok() {
            return Err(format!(
                "the testbed in {} does not answer over ssh (exit {}): {}",
                testbed.dir.display(),
                probe.code,
                probe.stderr.trim()
            ));
        }
        Ok(testbed)
    }

    /// Parses the `export KEY=value` lines of a `cluster.env`.
    pub fn from_env_text(text: &str) -> Result<Testbed, String> {
        let vars: HashMap<&str, &str> = text
            .lines()
            .filter_map(|line| line.trim().strip_prefix("export "))
            .filter_map(|pair| pair.split_once('='))
            .collect();
        let get = |key: &str| {
            vars.get(key)
                .map(|v| v.trim_matches(['"', '\'']).to_owned())
                .ok_or_else(|| format!("missing {key}"))
        };
        let port = get("RV_SSH_PORT")?;
        Ok(Testbed {
            dir: get("RV_CLUSTER_DIR")?.into(),
            ssh_config: get("RV_SSH_CONFIG")?.into(),
            host: get("RV_SSH_HOST")?,
            port: port
                .parse()
                .map_err(|_| format!("RV_SSH_PORT is not a port: {port:?}"))?,
            user: get("RV_SSH_USER")?,
            key: get("RV_SSH_KEY")?.into(),
            slurm: get("RV_TESTBED_SLURM").unwrap_or_else(|_| "22.05".to_owned()),
            netns: get("RV_TESTBED_NETNS").ok(),
            layout: get("RV_TESTBED_LAYOUT").unwrap_or_else(|_| "small".to_owned()),
        })
    }

    /// The testbed for an integration test.
    ///
    /// Returns `None` (and says so on stderr) when it is not up, unless the testbed is
    /// [`required`], in which case the test fails: CI never skips a test silently.
    pub fn get() -> Option<Testbed> {
        Self::get_layout("small")
    }

    /// The testbed for a test of a site `layout` (`generic`): as [`Testbed::get`], but a
    /// testbed of another layout is skipped, unless `RV_TESTBED_LAYOUT` names this layout
    /// (the CI pass that brought it up), which makes it required. The small layout's tests
    /// ([`Testbed::get`]) are required whenever the testbed is.
    pub fn get_layout(layout: &str) -> Option<Testbed> {
        let required = if layout == "small" {
            required()
        } else {
            std::env::var("RV_TESTBED_LAYOUT").is_ok_and(|l| l == layout)
        };
        let testbed = Self::load().and_then(|t| {
            if t.layout == layout {
                Ok(t)
            } else {
                Err(format!(
                    "it runs the {} layout, this test needs {layout} (RV_TESTBED_LAYOUT={layout} testbed/cluster up)",
                    t.layout
                ))
            }
        });
        match testbed {
            Ok(testbed) => Some(testbed),
            Err(reason) if required => panic!("the testbed is required but not usable: {reason}"),
            Err(reason) => {
                eprintln!("SKIPPED: this test needs the testbed: {reason}");
                None
            }
        }
    }

    /// Runs `script` on the testbed's login node as the test user, through the testbed's
    /// ssh config (one shared `ControlMaster`).
    pub fn ssh(&self, script: &str) -> Remote {
        self.ssh_as(&self.user, script)
    }

    /// Runs `script` on the testbed as `user`.
    pub fn ssh_as(&self, user: &str, script: &str) -> Remote {
        let output = Command::new("ssh")
            .arg("-F")
            .arg(&self.ssh_config)
            .args(["-o", "BatchMode=yes", "-l", user, SSH_ALIAS, "--", script])
            .stdin(Stdio::null())
            .output()
            .expect("the ssh client must be installed");
        Remote {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// A set of jobs that is cancelled when it goes out of scope.
    pub fn jobs(&self) -> Jobs<'_> {
        Jobs {
            testbed: self,
            ids: Mutex::new(Vec::new()),
        }
    }

    /// An `rv-*` binary set up to reach the testbed: `RV_SSH_HOST`/`RV_SSH_CONFIG` name the
    /// testbed's ssh alias, `RV_STATE_DIR` is `state` (so the test's ssh master is its own),
    /// the Rivanna profile applies on Rivanna's layouts (none elsewhere), and no user config
    /// is read.
    pub fn rv(&self, program: &str, state: &ControlDir) -> Command {
        let mut command = Command::new(program);
        command
            .env("RV_SSH_HOST", SSH_ALIAS)
            .env("RV_SSH_CONFIG", &self.ssh_config)
            .env("RV_STATE_DIR", &state.0)
            .env("RV_CONFIG", "/dev/null")
            .env("RV_KEY_FILE", state.key_file())
            .env_remove("RV_SSH_PORT")
            .env_remove("RV_SSH_USER")
            .env_remove("RV_SSH_KEY")
            .env_remove("RUST_BACKTRACE");
        // The small and rivanna layouts are Rivanna's; another site is one rv has no
        // profile for.
        if self.layout == "small" || self.layout == "rivanna" {
            command.env("RV_PROFILE", "rivanna");
        } else {
            command.env_remove("RV_PROFILE");
        }
        command
    }

    /// `stages` piped one into the next like a shell pipeline (`rv-probe | rv-plan … |
    /// rv-submit`), each an rv binary and its arguments set up as [`Testbed::rv`] sets it up;
    /// the last stage's stdout is piped for the test to read.
    pub fn pipeline(&self, state: &ControlDir, stages: &[(&str, &[&str])]) -> Pipeline {
        let mut upstream: Vec<std::process::Child> = Vec::new();
        let mut last: Option<std::process::Child> = None;
        for (program, args) in stages {
            let mut command = self.rv(program, state);
            command.args(*args).stdout(Stdio::piped());
            if let Some(prev) = last.as_mut() {
                command.stdin(prev.stdout.take().expect("piped"));
            }
            let child = command
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
            upstream.extend(last.replace(child));
        }
        Pipeline {
            upstream,
            last: last.expect("a pipeline has a stage"),
        }
    }

    /// Runs an rv binary (set up as [`Testbed::rv`] sets it up) with `input` on its stdin:
    /// what it printed and how it exited.
    pub fn rv_with_input(
        &self,
        program: &str,
        state: &ControlDir,
        args: &[&str],
        input: &[u8],
    ) -> std::process::Output {
        output_with_input(self.rv(program, state).args(args), input)
    }

    /// The test user's jobs still in the queue (pending, running, completing or
    /// configuring), one line each in squeue's `format`; only `ids` when given.
    pub fn queue(&self, format: &str, ids: Option<&[String]>) -> Vec<String> {
        let only = ids
            .map(|ids| format!(" -j {}", ids.join(",")))
            .unwrap_or_default();
        self.ssh(&format!(
            "squeue -h -u \"$USER\" -t PD,R,CG,CF{only} -o '{format}'"
        ))
        .stdout
        .lines()
        .map(str::to_owned)
        .collect()
    }

    /// [`Testbed::queue`] polled every half second until `done` holds of it or 30 s pass;
    /// the last answer either way, for the test to assert on.
    pub fn settle(
        &self,
        format: &str,
        ids: Option<&[String]>,
        done: impl Fn(&[String]) -> bool,
    ) -> Vec<String> {
        poll(
            Duration::from_secs(30),
            Duration::from_millis(500),
            || self.queue(format, ids),
            |v| done(v),
        )
    }

    /// Puts the testbed under a `load` scenario (`idle`, `busy`, `a6000-full`,
    /// `maintenance`, `backfill`) for as long as the returned guard lives; dropping it goes
    /// back to `idle`. One scenario at a time per testbed: the guard holds a lock that other
    /// test processes and threads wait for, so `cargo test` (threads) and nextest
    /// (processes) both run scenario tests one after another. Take it first in a test, so it
    /// is released last.
    pub fn scenario(&self, scenario: &str) -> Scenario<'_> {
        self.scenario_scaled(scenario, 1)
    }

    /// As [`Testbed::scenario`], with every duration of the load divided by `scale`
    /// (`RV_LOAD_SCALE`: 60 makes a Rivanna hour a minute), for benchmarks.
    pub fn scenario_scaled(&self, scenario: &str, scale: u32) -> Scenario<'_> {
        let lock = self.scenario_lock();
        self.run_load(scenario, scale);
        Scenario {
            testbed: self,
            _lock: lock,
        }
    }

    /// The testbed's scenario lock, held: an exclusive `flock` on a file beside the other
    /// testbeds' (released by the kernel if the test process dies).
    fn scenario_lock(&self) -> std::fs::File {
        let name: String = self
            .dir
            .to_string_lossy()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let path = std::env::temp_dir().join(format!("rv-testbed-scenario{name}.lock"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
        if file.try_lock().is_err() {
            eprintln!(
                "waiting for another test's scenario to end ({})",
                path.display()
            );
            file.lock()
                .unwrap_or_else(|e| panic!("cannot lock {}: {e}", path.display()));
        }
        file
    }

    fn run_load(&self, scenario: &str, scale: u32) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cluster");
        let mut command = if is_root() {
            Command::new(&script)
        } else {
            sudo(&script)
        };
        let out = command
            .args(["load", scenario])
            .env("RV_CLUSTER_DIR", &self.dir)
            .env("RV_TESTBED_SLURM", &self.slurm)
            .env("RV_TESTBED_LAYOUT", &self.layout)
            .env("RV_LOAD_SCALE", scale.to_string())
            .output()
            .expect("testbed/cluster runs");
        assert!(
            out.status.success(),
            "load {scenario} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Makes a server the test runs on this machine's `127.0.0.1:port` reachable from the
    /// cluster (its jobs) at the same address. On a testbed in its own network namespace
    /// that is an ssh remote forward held open until the guard drops; on the host's own
    /// loopback there is nothing to do.
    pub fn expose(&self, port: u16) -> Exposed {
        if self.netns.is_none() {
            return Exposed(None);
        }
        let forward = format!("127.0.0.1:{port}:127.0.0.1:{port}");
        let mut child = Command::new("ssh")
            .arg("-F")
            .arg(&self.ssh_config)
            .args(["-N", "-o", "BatchMode=yes", "-o", "ControlMaster=no"])
            .args(["-o", "ExitOnForwardFailure=yes", "-R", &forward, SSH_ALIAS])
            .stdin(Stdio::null())
            .spawn()
            .expect("the ssh client must be installed");
        // Up once the cluster side answers on the port.
        let deadline = Instant::now() + Duration::from_secs(15);
        while !self
            .ssh(&format!(
                "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {port}), 1)'"
            ))
            .ok()
        {
            if Instant::now() > deadline || child.try_wait().is_ok_and(|s| s.is_some()) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("cannot forward port {port} into the testbed's namespace");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Exposed(Some(child))
    }

    /// A fresh directory for ssh control sockets, private to this test process; on drop
    /// every master in it is told to exit and it is removed, so no ssh process outlives
    /// the test.
    pub fn control_dir(&self, tag: &str) -> ControlDir {
        let dir = std::env::temp_dir().join(format!("rv-cm-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("the temp dir is writable");
        ControlDir(dir)
    }
}

/// A directory of ssh control sockets (or an rv state directory, whose sockets are in `cm/`)
/// whose masters exit when it is dropped.
#[derive(Debug)]
pub struct ControlDir(PathBuf);

impl std::ops::Deref for ControlDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl ControlDir {
    /// The secrets key of the rv state directory this is, kept outside it as rv keeps it
    /// outside `~/.rv`.
    pub fn key_file(&self) -> PathBuf {
        self.0.with_extension("key")
    }
}

impl Drop for ControlDir {
    fn drop(&mut self) {
        // Sockets directly inside (a control dir) or in `cm/` (an rv state dir).
        let entries = [self.0.clone(), self.0.join("cm")]
            .into_iter()
            .filter_map(|d| std::fs::read_dir(d).ok())
            .flatten()
            .flatten();
        for socket in entries {
            let _ = Command::new("ssh")
                .arg("-S")
                .arg(socket.path())
                .args(["-O", "exit", "x"])
                .stdin(Stdio::null())
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.0);
        let _ = std::fs::remove_file(self.key_file());
    }
}

/// A port of this machine reachable from the cluster, while it lives (see
/// [`Testbed::expose`]).
#[derive(Debug)]
pub struct Exposed(Option<std::process::Child>);

impl Drop for Exposed {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Processes piped into one another (see [`Testbed::pipeline`]).
#[derive(Debug)]
pub struct Pipeline {
    /// Every stage but the last, first to last.
    pub upstream: Vec<std::process::Child>,
    /// The last stage, its stdout piped.
    pub last: std::process::Child,
}

impl Pipeline {
    /// Waits for every stage: the upstream stages' statuses, and the last stage's output.
    pub fn wait(mut self) -> (Vec<std::process::ExitStatus>, std::process::Output) {
        let out = self
            .last
            .wait_with_output()
            .expect("waiting for the last stage");
        let statuses = self
            .upstream
            .iter_mut()
            .map(|c| c.wait().expect("waiting"))
            .collect();
        (statuses, out)
    }

    /// Waits for the upstream stages (the last one the caller has waited for or killed):
    /// whether each exited 0.
    pub fn wait_upstream(&mut self) -> Vec<bool> {
        self.upstream
            .iter_mut()
            .map(|c| c.wait().is_ok_and(|s| s.success()))
            .collect()
    }
}

/// Runs `command` with `input` on its stdin: what it printed (stdout and stderr) and how
/// it exited.
pub fn output_with_input(command: &mut Command, input: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", command.get_program().display()));
    let mut stdin = child.stdin.take().expect("piped");
    // A program that exits without reading its input is not this helper's failure.
    let _ = stdin.write_all(input);
    drop(stdin);
    child.wait_with_output().expect("waiting for the child")
}

/// Calls `probe` every `every` until `done` holds of its result or `within` has passed;
/// returns the last result either way, for the caller to assert on.
pub fn poll<T>(
    within: Duration,
    every: Duration,
    mut probe: impl FnMut() -> T,
    done: impl Fn(&T) -> bool,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        let value = probe();
        if done(&value) || Instant::now() > deadline {
            return value;
        }
        std::thread::sleep(every);
    }
}

/// A load scenario in force; dropping it clears the load, then lets the next scenario in.
#[derive(Debug)]
pub struct Scenario<'a> {
    testbed: &'a Testbed,
    /// Held until the load is cleared (fields drop after [`Drop::drop`]).
    _lock: std::fs::File,
}

impl Drop for Scenario<'_> {
    fn drop(&mut self) {
        self.testbed.run_load("idle", 1);
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

fn sudo(program: &Path) -> Command {
    let mut c = Command::new("sudo");
    c.arg("-n").arg(program);
    c
}

/// Jobs submitted by one test; every one still alive is cancelled on drop, also when the
/// test panics.
#[derive(Debug)]
pub struct Jobs<'a> {
    testbed: &'a Testbed,
    ids: Mutex<Vec<String>>,
}

impl Jobs<'_> {
    /// Submits `sbatch --parsable <args>` as the test user and returns the job id.
    /// `args` is a shell fragment: quote what needs quoting.
    pub fn sbatch(&self, args: &str) -> String {
        let out = self
            .testbed
            .ssh(&format!("sbatch --parsable {args}"))
            .expect_ok("sbatch");
        let id = out.trim().split(';').next().unwrap_or_default().to_owned();
        assert!(
            !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
            "sbatch printed no job id: {out:?}"
        );
        self.track(&id);
        id
    }

    /// Adds a job submitted some other way (for example by rv itself) to the cleanup set.
    pub fn track(&self, id: &str) {
        self.ids
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(id.to_owned());
    }

    /// Polls until job `id` is in one of `states` (Slurm's long names, e.g. `RUNNING`,
    /// `COMPLETED`) and returns that state, or fails after `deadline` with the last state
    /// seen. Finished jobs are looked up in accounting, whose rows lag by a few seconds.
    pub fn wait_for_state(
        &self,
        id: &str,
        states: &[&str],
        deadline: Duration,
    ) -> Result<String, String> {
        let start = Instant::now();
        let mut last = String::from("(never seen)");
        loop {
            let script = format!(
                "s=$(squeue -h -j {id} -o %T 2>/dev/null); \
                 [ -n \"$s\" ] && echo \"$s\" || sacct -n -X -P -j {id} -o State 2>/dev/null | head -1"
            );
            let seen = self.testbed.ssh(&script).stdout.trim().to_owned();
            // sacct prints e.g. "CANCELLED by 1001": the first word is the state.
            let state = seen
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
            if states.contains(&state.as_str()) {
                return Ok(state);
            }
            if !state.is_empty() {
                last = state;
            }
            if start.elapsed() > deadline {
                return Err(format!(
                    "job {id} not in {states:?} after {deadline:?}; last state {last}"
                ));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for Jobs<'_> {
    fn drop(&mut self) {
        let ids = self
            .ids
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if ids.is_empty() {
            return;
        }
        let cancel = self.testbed.ssh(&format!("scancel {}", ids.join(" ")));
        if !cancel.ok() {
            eprintln!(
                "warning: could not cancel test jobs {ids:?}: {}",
                cancel.stderr.trim()
            );
        }
    }
}

/// Whether tests must have the testbed: under CI, or when `RV_TESTBED_REQUIRED` is set
/// (either to anything but empty, `false` or `0`).
pub fn required() -> bool {
    let set = |name| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    set("CI") || set("RV_TESTBED_REQUIRED")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cluster_env() {
        let text = "export SLURM_CONF=/tmp/rv-cluster/etc/slurm.conf\n\
                    export RV_CLUSTER_DIR=/tmp/rv-cluster\n\
                    export RV_SSH_HOST=127.0.0.1\n\
                    export RV_SSH_PORT=2223\n\
                    export RV_SSH_USER=rvtest\n\
                    export RV_SSH_KEY=/tmp/rv-cluster/ssh/id_ed25519\n\
                    export RV_SSH_CONFIG=/tmp/rv-cluster/ssh/config\n";
        let tb = Testbed::from_env_text(text).unwrap();
        assert_eq!(tb.port, 2223);
        assert_eq!(tb.user, "rvtest");
        assert_eq!(tb.ssh_config, PathBuf::from("/tmp/rv-cluster/ssh/config"));
        assert_eq!(tb.slurm, "22.05", "the default testbed");
        let tb = Testbed::from_env_text(&format!("{text}export RV_TESTBED_SLURM=24.11\n")).unwrap();
        assert_eq!(tb.slurm, "24.11");
    }

    #[test]
    fn rejects_incomplete_env() {
        let err = Testbed::from_env_text("export RV_SSH_PORT=22\n").unwrap_err();
        assert!(err.starts_with("missing "), "{err}");
        let err = Testbed::from_env_text(
            "export RV_CLUSTER_DIR=/x\nexport RV_SSH_CONFIG=/x\nexport RV_SSH_HOST=h\n\
             export RV_SSH_PORT=notaport\nexport RV_SSH_USER=u\nexport RV_SSH_KEY=/k\n",
        )
        .unwrap_err();
        assert!(err.contains("RV_SSH_PORT"), "{err}");
    }
}
