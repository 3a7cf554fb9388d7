//! `rv notify`: email on job events, through rv's site or a self-hosted one.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use super::{Error, Json, Run, Session, print_lines};
use crate::flow::notify::Call;

/// Email on job events: STARTED, COMPLETED, FAILED, TIMEOUT, CANCELLED, RESUBMITTED, and an
/// expired lease.
///
/// `setup` registers your address with the notification service (rv's site, or the one in
/// `notifications.url` or `--url`): the service mails a code, you type it, and it issues a
/// token that rv keeps in the encrypted secret store (`rv env`) as `RV_NOTIFY_TOKEN`, with
/// `RV_NOTIFY_URL`. Every job gets both through its env file and signs its events with the
/// token (docs/events.md); the token never appears in a script, a command line or a log.
/// `notifications.enabled = false` in the config pauses the events without unregistering.
#[derive(Debug, Parser)]
#[command(name = "rv notify", after_help = EXIT_CODES, mut_arg("json", |a| a.global(true)))]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub action: Action,
    #[command(flatten)]
    pub json: Json,
}

/// `rv notify` subcommands.
#[derive(Debug, Subcommand)]
pub enum Action {
    /// Register an email address and turn events on (sends a test mail).
    Setup {
        /// The address (default: `notifications.email`, else asked for).
        #[arg(long, value_name = "ADDRESS")]
        email: Option<String>,
        /// The notification service (default: `notifications.url`, `RV_SITE_URL`, rv's site).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// The code from the mail (default: read from stdin after the mail is sent).
        #[arg(long)]
        code: Option<String>,
        /// Do not send a test mail.
        #[arg(long)]
        no_test: bool,
    },
    /// Send a test mail.
    Test,
    /// Recent events the service received for your address.
    History {
        /// How many.
        #[arg(long, short = 'n', default_value_t = 20)]
        limit: u32,
    },
    /// Turn events off: revoke the token at the service and forget it here.
    Off,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str = "Exit codes: 0 done; 1 the service refused or could not be reached, \
     or the secret store could not be read or written; 2 bad flags, a bad address, or `test`, \
     `history` or `off` before `setup`.";

const STAGE: &str = "rv notify";

impl Run for Args {
    const STAGE: &'static str = STAGE;
    fn run(&self) -> Result<ExitCode, Error> {
        main(self)
    }
}

/// Runs `rv notify`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    let ctx = Session::load(STAGE, true)?;
    let call = match &args.action {
        Action::Setup {
            email,
            url,
            code,
            no_test,
        } => Call::Setup {
            email: email.clone(),
            url: url.clone(),
            code: code.clone(),
            test: !no_test,
        },
        Action::Test => Call::Test,
        Action::History { limit } => Call::History { limit: *limit },
        Action::Off => Call::Off,
    };
    let report = crate::flow::notify::perform(&ctx, &call, ask)?;
    show(&args.action, &report, args.json.on());
    Ok(ExitCode::SUCCESS)
}

/// Prints the outcome: JSON (never with the token), or a line or table for people.
fn show(action: &Action, report: &serde_json::Value, json: bool) {
    let mut public = report.clone();
    if let Some(o) = public.as_object_mut() {
        o.remove("token");
    }
    if json {
        let _ = print_lines([public.to_string().as_str()]);
        return;
    }
    match action {
        Action::Setup { .. } => eprintln!(
            "rv notify: on; jobs will mail {} (a test mail {})",
            report["email"].as_str().unwrap_or("you"),
            if report["test"] == "sent" {
                "is on its way"
            } else {
                "was not sent"
            }
        ),
        Action::Test => eprintln!("rv notify: test mail sent"),
        Action::Off => eprintln!("rv notify: off; jobs send no more events"),
        Action::History { .. } => {
            let events = report["events"].as_array().cloned().unwrap_or_default();
            if events.is_empty() {
                eprintln!("rv notify: no events yet");
            }
            let lines: Vec<String> = events.iter().map(crate::notify::history_line).collect();
            let _ = print_lines(lines.iter().map(String::as_str));
        }
    }
}

/// Asks for `what` on the terminal, or reads a line from stdin when it is not one; `flag`
/// is named when nothing comes.
fn ask(what: &str, flag: &str) -> Result<String, String> {
    if std::io::stdin().is_terminal() {
        eprint!("{what}: ");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read stdin: {e}"))?;
    let line = line.trim().to_owned();
    if line.is_empty() {
        return Err(format!("{what}: nothing on stdin (pass {flag})"));
    }
    Ok(line)
}
