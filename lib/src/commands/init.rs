//! `rv init`: first-time setup, safe to run again.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use crate::remote::transport::SshTarget;
use crate::state::StateDir;

use super::{Error, Json, Run, print_lines};
use crate::setup::{
    HostEntry, discovery_script, ensure_key_accepted, find_or_make_key, parse_discovery, remote,
    remote_setup_script, write_config, write_ssh_config,
};

/// First-time setup: SSH key and config, account, storage, caches.
///
/// Finds your SSH key (or makes an ed25519 one), installs it on the cluster with
/// `ssh-copy-id` when it is not accepted yet, writes a `Host` block (`ControlMaster`,
/// `ControlPersist`, a sockets directory) between markers in your SSH config, discovers your
/// accounts (`allocations`, asking when there are several) and storage (`hdquota`), points
/// every cache (Hugging Face, uv, pip, torch, triton, wandb, vLLM) at scratch in your
/// login shells on the cluster, and writes `~/.rv/config.toml`. Running it again updates
/// those blocks in place and changes nothing else.
#[derive(Debug, Parser)]
#[command(name = "rv init", after_help = EXIT_CODES, mut_arg("json", |a| a.help("Print what was set up as JSON")))]
pub struct Args {
    /// The login host.
    #[arg(long, default_value = "login.hpc.virginia.edu")]
    pub host: String,
    /// The SSH alias rv and your editor use for it.
    #[arg(long, default_value = "rv-hpc")]
    pub alias: String,
    /// Your user name on the cluster (UVA computing ID).
    #[arg(long)]
    pub user: Option<String>,
    /// The SSH port.
    #[arg(long)]
    pub port: Option<u16>,
    /// The private key (default: `~/.ssh/id_ed25519`, else `id_rsa`, else a new ed25519 key).
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
    /// The SSH config file to update.
    #[arg(long, value_name = "FILE")]
    pub ssh_config: Option<PathBuf>,
    /// The Slurm account (default: the only one, or ask).
    #[arg(long, short = 'A')]
    pub account: Option<String>,
    /// Ask nothing; fail instead of prompting (for scripts).
    #[arg(long, short = 'y')]
    pub non_interactive: bool,
    #[command(flatten)]
    pub json: Json,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str = "Exit codes: 0 set up; 1 the cluster could not be reached or the key was not \
     accepted; 2 bad flags, or a value is missing in non-interactive mode.";

/// Asks on the terminal (with `default` on an empty answer); `None` without a terminal.
fn ask(question: &str, default: Option<&str>) -> Option<String> {
    if !std::io::stdin().is_terminal() {
        return default.map(str::to_owned);
    }
    match default {
        Some(d) => eprint!("{question} [{d}]: "),
        None => eprint!("{question}: "),
    }
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok()?;
    let line = line.trim();
    if line.is_empty() {
        default.map(str::to_owned)
    } else {
        Some(line.to_owned())
    }
}

impl Run for Args {
    const STAGE: &'static str = "rv init";
    fn run(&self) -> Result<ExitCode, Error> {
        main(self)
    }
}

/// Runs `rv init`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    match run(args) {
        Ok(summary) => {
            if args.json.on() {
                let _ = print_lines([summary.to_string().as_str()]);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Err(e),
    }
}

fn run(args: &Args) -> Result<serde_json::Value, Error> {
    let usage = Error::usage;
    let failure = Error::cluster;
    let home = crate::util::home();
    let env = |k: &str| std::env::var(k).ok();
    let interactive = !args.non_interactive;
    let user = match &args.user {
        Some(u) => u.clone(),
        None if interactive => ask("Your computing ID (user name on the cluster)", None)
            .filter(|u| !u.is_empty())
            .ok_or_else(|| usage("--user: needed"))?,
        None => return Err(usage("--user: needed with --non-interactive")),
    };
    let ssh_dir = home.join(".ssh");
    let identity = match &args.identity {
        Some(i) => i.clone(),
        None => find_or_make_key(&ssh_dir).map_err(failure)?,
    };
    let ssh_config = args
        .ssh_config
        .clone()
        .unwrap_or_else(|| ssh_dir.join("config"));
    let entry = HostEntry {
        alias: &args.alias,
        host: &args.host,
        port: args.port,
    };
    write_ssh_config(&ssh_dir, &ssh_config, entry, &user, &identity).map_err(failure)?;
    let target = SshTarget {
        host: args.alias.clone(),
        user: None,
        port: None,
        identity: None,
        config_file: (args.ssh_config.is_some()).then(|| ssh_config.clone()),
    };
    ensure_key_accepted(&target, &identity, interactive).map_err(failure)?;
    let state = StateDir::open(StateDir::default_root(&env, &home))
        .map_err(|e| failure(format!("state directory: {e}")))?;
    let found = parse_discovery(&remote(&target, state.clone(), &discovery_script())?);
    let scratch = match &found.scratch {
        Some(sc) if sc.usable => sc.dir.clone(),
        Some(sc) => return Err(Error::usage(crate::script::scratch_problem(sc))),
        None => return Err(Error::cluster("the cluster did not say where scratch is")),
    };
    remote(&target, state, &remote_setup_script(&scratch))?;
    let home_remote = found.home.clone();
    // Accounts with a balance (the site's `allocations`), else those Slurm knows.
    let accounts: Vec<String> = if found.allocations.is_empty() {
        found.accounts.clone()
    } else {
        found
            .allocations
            .iter()
            .map(|a| a.account.clone())
            .collect()
    };
    let account = match (&args.account, accounts.as_slice()) {
        (Some(a), _) => Some(a.clone()),
        (None, []) => None,
        (None, [one]) => Some(one.clone()),
        (None, many) if interactive => {
            let names: Vec<&str> = many.iter().map(String::as_str).collect();
            ask(&format!("Account ({})", names.join(", ")), Some(names[0]))
        }
        (None, many) => Some(many[0].clone()),
    };
    for q in found
        .quotas
        .iter()
        .filter(|q| q.percent > crate::status::STORAGE_WARN_PERCENT)
    {
        eprintln!(
            "rv init: warning: {} ({}) is {}% full",
            q.kind, q.location, q.percent
        );
    }
    let config_path = env("RV_CONFIG").map_or_else(|| home.join(".rv/config.toml"), PathBuf::from);
    write_config(
        &config_path,
        &args.alias,
        &user,
        args.ssh_config.as_deref(),
        account.as_deref(),
        &scratch,
        &home_remote,
    )
    .map_err(failure)?;
    eprintln!(
        "rv init: ready: `{}` as {user}{}; caches on {scratch}; config in {}",
        args.alias,
        account
            .as_deref()
            .map(|a| format!(", account {a}"))
            .unwrap_or_default(),
        config_path.display()
    );
    Ok(serde_json::json!({
        "host": args.alias, "hostname": args.host, "user": user,
        "identity": identity, "ssh_config": ssh_config, "account": account,
        "scratch": scratch, "home": home_remote, "config": config_path,
    }))
}
