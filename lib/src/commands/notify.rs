//! `rv notify`: email on job events, through rv's site or a self-hosted one.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::json;

use crate::secrets::{self, Store};

use super::{Error, Json, Run, Session, print_lines};
use crate::flow::notify::{http_client, registered, send_test, setup, signed_post};

/// Email on job events: STARTED, COMPLETED, FAILED, TIMEOUT, CANCELLED, RESUBMITTED.
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
    let (key, mut store) = secrets::open_store(&ctx.state)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::internal)?;
    let client = http_client().map_err(Error::internal)?;
    let report = runtime.block_on(act(
        &args.action,
        &ctx.config.notifications,
        &store,
        &client,
    ))?;
    let changed = match &args.action {
        Action::Setup { .. } => {
            let token = report["token"].as_str().unwrap_or_default();
            let url = report["url"].as_str().unwrap_or_default();
            store
                .set("RV_NOTIFY_URL", url, false)
                .and_then(|()| store.set("RV_NOTIFY_TOKEN", token, true))
                .is_ok()
        }
        Action::Off => store.remove("RV_NOTIFY_TOKEN") | store.remove("RV_NOTIFY_URL"),
        _ => false,
    };
    if changed {
        store.save(&ctx.state, &key)?;
    }
    show(&args.action, &report, args.json.on());
    Ok(ExitCode::SUCCESS)
}

/// Talks to the service for `action`: the report, or why not.
async fn act(
    action: &Action,
    config: &crate::config::Notifications,
    store: &Store,
    client: &reqwest::Client,
) -> Result<serde_json::Value, Error> {
    let failed = Error::cluster;
    let Action::Setup {
        email,
        url,
        code,
        no_test,
    } = action
    else {
        let registered = registered(store)
            .ok_or_else(|| Error::usage("notifications are not set up: run `rv notify setup`"))?;
        let result = match action {
            Action::Test => send_test(client, &registered)
                .await
                .map(|()| json!({ "test": "sent" })),
            Action::History { limit } => {
                signed_post(client, &registered, "/history", &json!({ "limit": limit })).await
            }
            _ => signed_post(client, &registered, "/off", &json!({})).await,
        };
        return match (result, action) {
            // Off: forget the token even when the service already had (401).
            (Err(e), Action::Off) if e.contains("HTTP 401") => {
                eprintln!("rv notify: warning: {e}; forgetting the token here");
                Ok(json!({ "status": "off", "email": null }))
            }
            (result, _) => result.map_err(failed),
        };
    };
    let site = url
        .clone()
        .or(config.url.clone())
        .or_else(|| std::env::var("RV_SITE_URL").ok())
        .unwrap_or_else(|| crate::upgrade::SITE.to_owned());
    let email = email
        .clone()
        .or(config.email.clone())
        .map_or_else(|| ask("Email address", "--email"), Ok)
        .map_err(Error::usage)?;
    let report = setup(
        client,
        site.trim_end_matches('/'),
        &email,
        code.as_deref(),
        || ask("Code", "--code"),
        !no_test,
    )
    .await
    .map_err(failed)?;
    // A token this one replaces is revoked, so no forgotten key stays valid.
    if let Some(old) = registered(store) {
        if let Err(e) = signed_post(client, &old, "/off", &json!({})).await {
            eprintln!("rv notify: warning: the previous token was not revoked: {e}");
        }
    }
    Ok(report)
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
            let lines: Vec<String> = events.iter().map(history_line).collect();
            let _ = print_lines(lines.iter().map(String::as_str));
        }
    }
}

/// One history row: time, event, job, node, and whether the mail went out.
fn history_line(e: &serde_json::Value) -> String {
    let ev = &e["event"];
    let s = |v: &serde_json::Value| {
        v.as_str()
            .filter(|x| !x.is_empty())
            .unwrap_or("-")
            .to_owned()
    };
    format!(
        "{}  {:<11} {} ({})  {}{}",
        crate::slurm::time::format_utc(e["received"].as_i64().unwrap_or(0)),
        s(&ev["event"]),
        s(&ev["job_name"]),
        s(&ev["job_id"]),
        s(&ev["node"]),
        if e["delivered"] == true {
            ""
        } else {
            "  (not delivered)"
        }
    )
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
