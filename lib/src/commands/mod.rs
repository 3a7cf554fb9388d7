//! The commands' rims: read flags and configuration, talk to the cluster, print. The logic
//! they call lives in the domain modules.

pub mod attach;
pub mod cost;
pub mod env;
mod error;
pub mod exec;
pub mod forward;
pub mod gpu;
pub mod init;
pub mod logs;
pub mod notify;
pub mod plan;
pub mod probe;
pub mod ps;
pub mod run;
pub mod ssh;
pub mod status;
pub mod stop;
pub mod submit;
pub mod sync;
pub mod up;
pub mod upgrade;
pub mod watch;

use std::io::{BufRead, Write};
use std::process::ExitCode;

use crate::config::Config;
use crate::connect::{self, Connection};
use crate::profile::Profile;
use crate::records::{Envelope, Line, Record, RecordError, read_line};
use crate::remote::transport::SshTarget;
use crate::state::StateDir;

pub use error::{Error, Kind};

/// A command's rim: its flags (the type implementing this), its name in messages, and how
/// it runs. Its failures are reported in one place, [`main`].
pub trait Run {
    /// The name in messages and `error` records: `rv up`, `rv-probe`.
    const STAGE: &'static str;

    /// Runs the command: its exit code (a shell's or remote command's own, or success), or
    /// why it failed.
    fn run(&self) -> Result<ExitCode, Error>;
}

/// Runs a command and reports its failure: what a binary's `main` returns.
pub fn main<C: Run>(command: &C) -> ExitCode {
    command.run().unwrap_or_else(|e| e.report(C::STAGE))
}

/// A picker: shows `lines` under `prompt` on the terminal; the index chosen, `None` when
/// the user gave up. The `rv` binary installs one (skim); the library never draws one.
pub type Picker = fn(&[String], &str) -> Option<usize>;

static PICKER: std::sync::OnceLock<Picker> = std::sync::OnceLock::new();

/// Installs the job picker (once, at start-up).
pub fn set_picker(picker: Picker) {
    let _ = PICKER.set(picker);
}

/// The job a command acts on: `what` resolved among the user's jobs (an id, a unique prefix
/// or suffix, a request id or name); with nothing named, a pick on a terminal, else the
/// most recent running job. One round trip.
pub fn choose_job(ctx: &Context, what: Option<&str>) -> Result<crate::jobs::Row, Error> {
    use std::io::IsTerminal;
    let (jobs, _) = ps::your_jobs(ctx, false)?;
    if let Some(what) = what {
        return Ok(crate::jobs::resolve(what, &jobs).cloned()?);
    }
    let terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    match (PICKER.get(), terminal, jobs.len()) {
        (_, _, 0) => Err(Error::job("you have no jobs (see `rv up`, `rv run`)")),
        (Some(pick), true, _) => {
            let lines: Vec<String> = jobs.iter().map(crate::jobs::picker_line).collect();
            pick(&lines, "job> ")
                .and_then(|i| jobs.get(i).cloned())
                .ok_or_else(|| Error::job("no job chosen"))
        }
        _ => Ok(crate::jobs::most_recent_running(&jobs).cloned()?),
    }
}

/// A command given after rv's flags that starts with `-` is a mistyped flag, not a
/// program: refused (exit 2) before anything runs.
pub fn refuse_flag_as_command(stage: &str, command: &[String]) -> Result<(), Error> {
    match command.first().filter(|w| w.starts_with('-')) {
        Some(flag) => Err(Error::usage(format!(
            "{flag:?} is not a flag of `{stage}` (see `{stage} --help`); the command comes after rv's flags"
        ))),
        None => Ok(()),
    }
}

/// Says on stderr, once, which rows of the cluster's output the probe skipped.
pub fn warn_unread(stage: &str, snapshot: &crate::probe::Snapshot) {
    if let Some(w) = snapshot.warning() {
        eprintln!("{stage}: warning: {}", w.message);
    }
}

/// Writes records as NDJSON lines to stdout. A closed pipe (`rv-probe | head`) is not an
/// error: it returns `false` so the caller stops quietly.
pub fn print_records<'a>(records: impl IntoIterator<Item = &'a Envelope>) -> std::io::Result<bool> {
    let lines: Vec<String> = records.into_iter().map(Envelope::to_line).collect();
    print_lines(lines.iter().map(String::as_str))
}

/// Writes lines to stdout, as [`print_records`] does.
pub fn print_lines<'a>(lines: impl IntoIterator<Item = &'a str>) -> std::io::Result<bool> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for line in lines {
        if let Err(e) = writeln!(out, "{line}") {
            return if e.kind() == std::io::ErrorKind::BrokenPipe {
                Ok(false)
            } else {
                Err(e)
            };
        }
    }
    match out.flush() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        other => other.map(|()| true),
    }
}

/// Reads every NDJSON line of stdin (none when stdin is a terminal), each with its text
/// kept for passing through. The first bad line is an error naming it.
fn read_input() -> Result<Vec<(String, Line)>, RecordError> {
    use std::io::IsTerminal;
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for (i, line) in stdin.lock().lines().enumerate() {
        let text = line.map_err(|e| RecordError {
            line: i + 1,
            why: format!("cannot read: {e}"),
        })?;
        match read_line(i + 1, &text)? {
            Line::Blank => {}
            parsed => out.push((text, parsed)),
        }
    }
    Ok(out)
}

/// What every command needs: configuration, the state directory, and where the cluster is.
#[derive(Debug)]
pub struct Context {
    /// The stage's name, for messages.
    pub stage: &'static str,
    /// The configuration.
    pub config: Config,
    /// The local state directory.
    pub state: StateDir,
    /// The SSH target; `None` runs on this host.
    pub target: Option<SshTarget>,
}

impl Context {
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
        Ok(Context {
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
    pub fn paths(&self, user: &str) -> crate::script::Paths {
        crate::script::Paths {
            scratch: self
                .config
                .paths
                .scratch
                .clone()
                .unwrap_or_else(|| format!("/scratch/{user}")),
        }
    }

    /// Where rv's files are on the cluster, when the user is not known yet: the configured
    /// scratch, else `/scratch/<user>` with the user the cluster named once (`id -un`, one
    /// round trip the first time, then remembered in the state directory).
    pub async fn cluster_paths(&self, conn: &Connection) -> Result<crate::script::Paths, Error> {
        if self.config.paths.scratch.is_some() {
            return Ok(self.paths(""));
        }
        let cache = format!("users/{}", crate::script::clean_name(&self.host()));
        if let Ok(user) = std::fs::read_to_string(self.state.root().join(&cache)) {
            if !user.trim().is_empty() {
                return Ok(self.paths(user.trim()));
            }
        }
        let mut batch = crate::remote::batch::Batch::new();
        let i = batch.command("id -un");
        let reply = crate::remote::transport::run_batch(conn, &batch).await?;
        let user = reply.outputs[i].stdout.trim().to_owned();
        if user.is_empty() || user.contains(['/', ' ']) {
            return Err(Error::cluster(
                "the cluster did not say who you are (`id -un`)",
            ));
        }
        let _ = self.state.write_private(&cache, user.as_bytes());
        Ok(self.paths(&user))
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
                eprintln!("rv-trace: {} round trips", connection.round_trips());
            }
            result
        })
    }
}

/// A stage's NDJSON input.
#[derive(Debug)]
pub struct Input {
    lines: Vec<(String, Line)>,
}

impl Input {
    /// Reads stdin. A bad line ends the stage (exit 2); an upstream `error` record is passed
    /// on and ends it too (exit 1).
    pub fn read() -> Result<Self, Error> {
        let input = Input {
            lines: read_input()?,
        };
        if let Some(e) = input.records().find_map(|r| match r {
            Record::Error(e) => Some(e),
            _ => None,
        }) {
            let _ = print_lines(input.raw());
            return Err(Error::upstream(format!(
                "{} failed: {}",
                e.stage, e.message
            )));
        }
        Ok(input)
    }

    /// The records of known types.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.lines.iter().filter_map(|(_, l)| match l {
            Line::Record(env) => Some(&env.record),
            _ => None,
        })
    }

    /// Every line as it came, for passing through.
    pub fn raw(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().map(|(raw, _)| raw.as_str())
    }

    /// Passes the input through and appends `records`.
    pub fn emit(&self, records: &[Envelope]) -> std::io::Result<bool> {
        let new: Vec<String> = records.iter().map(Envelope::to_line).collect();
        print_lines(self.raw().chain(new.iter().map(String::as_str)))
    }
}
