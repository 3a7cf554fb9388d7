//! `rv exec`: a command on the login node, with a time limit.

use std::process::ExitCode;

use clap::Parser;

use crate::slurm::time::Walltime;
use crate::util::quote;

use super::{Error, Json, Local, Run, Session, print_lines};

/// Run a command on the login node.
///
/// Runs in your login shell's environment (`bash -lc`), in your home directory, killed after
/// `--timeout`. Its output is passed through (stdout to stdout, stderr to stderr) and rv
/// exits with its exit code. One round trip.
#[derive(Debug, Parser)]
#[command(name = "rv exec", after_help = EXIT_CODES, mut_arg("json", |a| a.help("Print `{\"stdout\",\"stderr\",\"exit_code\"}` instead")))]
pub struct Args {
    /// Kill it after this long: 30s, 5m, 1h.
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub timeout: String,
    #[command(flatten)]
    pub json: Json,
    #[command(flatten)]
    pub local: Local,
    /// The command (one word is shell syntax; several are quoted one by one).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<String>,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str = "Exit codes: the command's own (124 when it timed out); 1 the cluster could not be reached; \
     2 bad flags or configuration.";

impl Run for Args {
    const STAGE: &'static str = "rv exec";
    fn run(&self) -> Result<ExitCode, Error> {
        main(self)
    }
}

/// Runs `rv exec`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    let limit = match Walltime::from_user(&args.timeout) {
        Ok(t) => t.as_secs().max(1),
        Err(e) => return Err(Error::usage(format!("--timeout: {e}"))),
    };
    super::refuse_flag_as_command("rv exec", &args.command)?;
    let ctx = Session::load("rv exec", args.local.here())?;
    let command = crate::run::command_line(&args.command);
    let out = &ctx.run_one(format!(
        "cd && timeout -k 5 {limit} bash -lc {} </dev/null",
        quote(&command)
    ))?;
    if args.json.on() {
        let v =
            serde_json::json!({"stdout": out.stdout, "stderr": out.stderr, "exit_code": out.code});
        let _ = print_lines([v.to_string().as_str()]);
    } else {
        use std::io::Write;
        let _ = std::io::stdout().write_all(out.stdout.as_bytes());
        let _ = std::io::stderr().write_all(out.stderr.as_bytes());
        if out.code == 124 {
            eprintln!("rv exec: killed after {}", args.timeout);
        }
    }
    Ok(ExitCode::from(
        u8::try_from(out.code.clamp(0, 255)).unwrap_or(1),
    ))
}
