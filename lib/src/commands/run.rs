//! `rv run`: sync the project, snapshot it, and run a command on the cluster's GPUs.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser};

use crate::commands::request::{RequestArgs, ask};
use crate::flow::run::{Launch, Ran};
use crate::records::{Allocation, Envelope};
use crate::run;
use crate::slurm::time::Walltime;

use super::{Error, Json, Local, NoColor, Run, Session, print_lines, print_records};

/// Sync the project and run a command on the cluster.
///
/// Finds the project (the nearest directory with pyproject.toml, requirements.txt, setup.py
/// or .git), pushes it to its workspace on scratch, takes an immutable snapshot for this
/// run (later pushes never change a running job's code), prepares a uv virtualenv keyed by
/// the dependency files, Python version and modules, then plans and submits like `rv up`
/// with your command instead of a shell. Returns once a job has started, printing its id;
/// `-f` follows its output until it ends and exits with its exit code. Everything after the
/// command's first word belongs to the command. A failure that shows a hardware error
/// (CUDA unknown error, fallen off the bus, ECC, NCCL system error) is retried once on other
/// nodes.
#[derive(Debug, Parser)]
#[command(name = "rv run", after_help = EXIT_CODES, mut_arg("json", |a| a.help("Print records (NDJSON) instead of the job id")), mut_arg("local", |a| a.help("Run from this host (when rv runs on the login node)")))]
pub struct Args {
    /// What to ask for (the default time is 1h).
    #[command(flatten)]
    pub request: RequestArgs,
    /// Follow the job's output until it ends; exit with its exit code.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Copy these paths (relative to where the command runs) to `$RV_OUTPUT_DIR` when it
    /// ends; repeat or separate with commas.
    #[arg(long, value_name = "PATH", value_delimiter = ',')]
    pub output: Vec<String>,
    /// Give up waiting for a start after this long: 30m, 2h (every job is cancelled).
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    #[command(flatten)]
    pub json: Json,
    #[command(flatten)]
    pub local: Local,
    #[command(flatten)]
    pub no_color: NoColor,
    /// The command and its arguments.
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<String>,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str = "Exit codes: 0 a job started (with -f: the job's own exit code); 1 no job could start, \
     the sync or dependency install failed, or the cluster could not be reached; 2 bad flags or configuration \
     (nothing submitted); 130 interrupted (while waiting: every job cancelled; while following: the job keeps running).";

impl Run for Args {
    const STAGE: &'static str = "rv run";
    fn run(&self) -> Result<ExitCode, Error> {
        self.no_color.apply();
        main(self)
    }
}

/// Runs `rv run`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    let ctx = Session::load("rv run", args.local.here())?;
    if args.request.run.is_some() {
        return Err(Error::usage("--run: give the command as arguments instead"));
    }
    super::refuse_flag_as_command("rv run", &args.command)?;
    warn_misplaced(&args.command);
    let mut request = args.request.clone();
    if request.time.is_none() && ctx.config.default_time().is_none() {
        request.time = Some("1h".to_owned());
    }
    request.run = Some(run::command_line(&args.command));
    let ask = ask(&request, &ctx.config).map_err(Error::usage)?;
    let timeout = match args.timeout.as_deref().map(Walltime::from_user).transpose() {
        Ok(t) => t.map(|t| Duration::from_secs(t.as_secs())),
        Err(e) => return Err(Error::usage(format!("--timeout: {e}"))),
    };
    let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let launch = Launch {
        ask: &ask,
        command: &args.command,
        outputs: &args.output,
        timeout,
        follow: args.follow,
        json: args.json.on(),
        here: &here,
    };
    let started = |a: &Allocation, records: &[Envelope], snapshot: &str| {
        report(a, records, args.json.on(), args.follow, snapshot);
    };
    match crate::flow::run::launch(&ctx, &launch, started)? {
        Ran::Started => Ok(ExitCode::SUCCESS),
        Ran::Followed(code) => Ok(ExitCode::from(
            u8::try_from(code.clamp(0, 255)).unwrap_or(1),
        )),
        Ran::Ended(why) => Err(Error::job(why)),
        Ran::Interrupted => Err(Error::interrupted()),
    }
}

/// Says where the command runs: records with `--json`, else the job id on stdout and how
/// to follow on stderr.
fn report(a: &Allocation, records: &[Envelope], json: bool, follow: bool, snapshot: &str) {
    if json {
        let _ = print_records(records);
    } else if !follow {
        // Followed, stdout is the job's.
        let _ = print_lines([a.job_id.to_string().as_str()]);
    }
    let from = if snapshot.is_empty() {
        String::new()
    } else {
        format!(" from {snapshot}")
    };
    eprintln!(
        "rv run: job {} runs on {}{from}\n  follow: rv logs -f {}   stop: rv stop {}",
        a.job_id,
        a.nodes.join(","),
        a.job_id,
        a.job_id
    );
}

/// Warns about rv flags placed after the command (they go to the command).
fn warn_misplaced(command: &[String]) {
    let ours: Vec<String> = Args::command()
        .get_arguments()
        .flat_map(|a| {
            a.get_long()
                .map(|l| format!("--{l}"))
                .into_iter()
                .chain(a.get_short().map(|s| format!("-{s}")))
        })
        .collect();
    for flag in run::misplaced_flags(command, &ours) {
        eprintln!(
            "rv run: warning: `{flag}` comes after the command, so the command gets it; put rv's flags before the command"
        );
    }
}
