//! `rv env`: the variables and secrets every job gets, kept encrypted on this machine.

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::secrets::{self, Store};

use super::{Error, Json, Run, Session, print_lines};

/// Manage the variables and secrets injected into jobs.
///
/// Values are encrypted at rest (ChaCha20-Poly1305) in `~/.rv/secrets`, with the key in
/// `~/.config/rv/secret.key` (or `RV_KEY_FILE`), never beside the data. A job gets them
/// through its env file: 0600, written before `sbatch`, read and deleted by the job.
/// Secrets are masked in `list`, also with `--json`.
#[derive(Debug, Parser)]
#[command(name = "rv env", after_help = EXIT_CODES, mut_arg("json", |a| a.global(true)))]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub action: Action,
    #[command(flatten)]
    pub json: Json,
}

/// `rv env` subcommands.
#[derive(Debug, Subcommand)]
pub enum Action {
    /// Set a variable. Without VALUE it is read from stdin (one trailing newline dropped),
    /// so it stays out of `ps` and shell history.
    Set {
        /// The variable's name.
        name: String,
        /// Its value (omit to read stdin).
        value: Option<String>,
        /// Mask it in `list` even if the name does not look secret.
        #[arg(long, conflicts_with = "plain")]
        secret: bool,
        /// Show it in `list` even if the name looks secret (KEY, TOKEN, PASS…).
        #[arg(long)]
        plain: bool,
    },
    /// List the variables, secrets masked.
    List,
    /// Remove variables.
    Rm {
        /// Names to remove.
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Import `NAME=value` lines from a .env file (`-` for stdin).
    Import {
        /// The file.
        file: String,
        /// Treat every imported variable as a secret.
        #[arg(long, conflicts_with = "plain")]
        secret: bool,
        /// Treat none as secret.
        #[arg(long)]
        plain: bool,
    },
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str = "Exit codes: 0 done; 1 the store or key could not be read or written, \
     or a name to remove was not set; 2 bad flags, a bad name or a bad .env line (nothing changed).";

impl Run for Args {
    const STAGE: &'static str = "rv env";
    fn run(&self) -> Result<ExitCode, Error> {
        main(self)
    }
}

/// Runs `rv env`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    let ctx = Session::load("rv env", true)?;
    let (key, mut store) = secrets::open_store(&ctx.state)?;
    let secret_flag =
        |name: &str, secret: bool, plain: bool| secret || (!plain && secrets::looks_secret(name));
    let changed: Vec<String> = match &args.action {
        Action::List => {
            list(&store, args.json.on());
            return Ok(ExitCode::SUCCESS);
        }
        Action::Set {
            name,
            value,
            secret,
            plain,
        } => {
            let value = match value {
                Some(v) => v.clone(),
                None => read_value(name).map_err(Error::internal)?,
            };
            store
                .set(name, &value, secret_flag(name, *secret, *plain))
                .map_err(Error::usage)?;
            vec![name.clone()]
        }
        Action::Rm { names } => {
            let missing: Vec<&str> = names
                .iter()
                .filter(|n| !store.remove(n))
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                return Err(Error::job(format!("not set: {}", missing.join(", "))));
            }
            names.clone()
        }
        Action::Import {
            file,
            secret,
            plain,
        } => {
            let text = if file == "-" {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s).map(|_| s)
            } else {
                std::fs::read_to_string(file)
            };
            let text = match text {
                Ok(t) => t,
                Err(e) => return Err(Error::usage(format!("{file}: {e}"))),
            };
            let vars = match secrets::parse_dotenv(&text) {
                Ok(v) => v,
                Err(e) => return Err(Error::usage(format!("{file}: {e}"))),
            };
            for (name, value) in &vars {
                store
                    .set(name, value, secret_flag(name, *secret, *plain))
                    .expect("parse_dotenv checks names");
            }
            vars.into_iter().map(|(n, _)| n).collect()
        }
    };
    store.save(&ctx.state, &key)?;
    if args.json.on() {
        let out = serde_json::json!({ "changed": changed, "vars": store.masked() });
        let _ = print_lines([out.to_string().as_str()]);
    } else {
        eprintln!("rv env: {} ({} set)", changed.join(", "), store.vars.len());
    }
    Ok(ExitCode::SUCCESS)
}

fn list(store: &Store, json: bool) {
    let masked = store.masked();
    if json {
        let out = serde_json::json!({ "vars": masked });
        let _ = print_lines([out.to_string().as_str()]);
        return;
    }
    if masked.is_empty() {
        eprintln!("rv env: nothing set; `rv env set NAME` reads a value from stdin");
    }
    let lines: Vec<String> = masked
        .iter()
        .map(|v| {
            // One line per variable: newlines in plain values are shown escaped.
            format!("{}={}", v.name, v.value.replace('\n', "\\n"))
        })
        .collect();
    let _ = print_lines(lines.iter().map(String::as_str));
}

/// Reads a value from stdin: without echo on a terminal, else everything up to EOF with
/// one trailing newline dropped.
fn read_value(name: &str) -> Result<String, String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("{name}: ");
        let quiet = std::process::Command::new("stty").arg("-echo").status();
        let mut line = String::new();
        let read = stdin.read_line(&mut line);
        if quiet.is_ok_and(|s| s.success()) {
            let _ = std::process::Command::new("stty").arg("echo").status();
        }
        eprintln!();
        read.map_err(|e| format!("cannot read the value: {e}"))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let mut value = String::new();
    stdin
        .lock()
        .read_to_string(&mut value)
        .map_err(|e| format!("cannot read the value from stdin: {e}"))?;
    if value.ends_with('\n') {
        value.pop();
    }
    Ok(value)
}
