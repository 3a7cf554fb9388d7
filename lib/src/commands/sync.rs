//! `rv-sync push|pull|watch`: a project's files to the cluster, results back.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::records::{Envelope, Record, SyncRecord};
use crate::sync::{self, Options};

use super::{Error, Local, Run, Session, print_records};
use crate::flow::sync::{default_dest, pull, push};

/// Push and pull project files over the SSH connection.
///
/// `push` sends the project (the nearest directory above here with pyproject.toml,
/// requirements.txt, setup.py or .git) to its workspace on scratch,
/// `<scratch>/rv-workspaces/<project>/<branch>/code`, honouring `.gitignore` (also outside
/// git), `.rvignore` and the default excludes (`*.bin *.safetensors *.gguf *.pt *.pth
/// __pycache__/ node_modules/ .git/`). rsync goes through rv's SSH master and never writes
/// in place, so snapshots taken for jobs keep their content. `--delete` removes on the
/// cluster the files rv pushed before that are gone here, never files jobs wrote.
/// Progress goes to stderr; a `sync` record (NDJSON) to stdout.
#[derive(Debug, Parser)]
#[command(name = "rv-sync", version, after_help = EXIT_CODES, mut_arg("local", |a| a.help("Sync on this host (when rv runs on the login node)").global(true)))]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub action: Action,
    #[command(flatten)]
    pub local: Local,
}

/// `rv-sync` subcommands.
#[derive(Debug, Subcommand)]
pub enum Action {
    /// Send the project to the cluster.
    Push {
        /// The local directory (default: the project around the current directory).
        #[arg(value_name = "LOCAL")]
        dir: Option<PathBuf>,
        /// The remote directory (default: the project's workspace on scratch).
        remote: Option<String>,
        /// Delete remote files that rv pushed before and are gone locally.
        #[arg(long)]
        delete: bool,
        /// List what would move; change nothing.
        #[arg(long, short = 'n')]
        dry_run: bool,
    },
    /// Fetch a remote directory or file.
    Pull {
        /// The remote path (a directory's content when it ends in `/`).
        remote: String,
        /// Where to put it (default: the current directory).
        #[arg(value_name = "LOCAL")]
        dir: Option<PathBuf>,
        /// Delete local files that are not on the cluster.
        #[arg(long)]
        delete: bool,
        /// List what would move; change nothing.
        #[arg(long, short = 'n')]
        dry_run: bool,
    },
    /// Push now and again on every change (debounced); Ctrl-C stops.
    Watch {
        /// The local directory (default: the project around the current directory).
        #[arg(value_name = "LOCAL")]
        dir: Option<PathBuf>,
        /// The remote directory (default: the project's workspace on scratch).
        remote: Option<String>,
        /// Also delete (as `push --delete`); watch never deletes unless asked.
        #[arg(long)]
        delete: bool,
        /// Quiet time before a push, in milliseconds.
        #[arg(long, value_name = "MS", default_value_t = 500)]
        debounce: u64,
    },
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str = "Exit codes: 0 synced; 1 rsync or the connection failed (the remote tree may be \
     partly updated; run it again); 2 bad flags, configuration or ignore files (nothing moved); 130 interrupted.";

impl Run for Args {
    const STAGE: &'static str = "rv-sync";
    fn run(&self) -> Result<ExitCode, Error> {
        main(self)
    }
}

/// Runs `rv-sync`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    let local = match &args.action {
        Action::Push { dir, .. } | Action::Watch { dir, .. } => dir.as_deref(),
        Action::Pull { .. } => None,
    };
    if let Some(d) = local.filter(|d| !d.is_dir()) {
        return Err(Error::usage(format!("{}: not a directory", d.display())));
    }
    let ctx = Session::load("rv-sync", args.local.here())?;
    let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    match &args.action {
        Action::Push {
            dir,
            remote,
            delete,
            dry_run,
        } => {
            let root = dir.clone().unwrap_or_else(|| sync::project_root(&here));
            let options = Options {
                delete: *delete,
                dry_run: *dry_run,
            };
            let pushed = ctx.remote(async |conn| {
                let dest = match remote {
                    Some(r) => r.clone(),
                    None => default_dest(&ctx, conn, &root).await?.code(),
                };
                push(&ctx, &root, &dest, options).await
            });
            emit(pushed)
        }
        Action::Pull {
            remote,
            dir,
            delete,
            dry_run,
        } => {
            let dest = dir.clone().unwrap_or(here);
            let options = Options {
                delete: *delete,
                dry_run: *dry_run,
            };
            let pulled = ctx.remote(async |_| pull(&ctx, remote, &dest, options).await);
            emit(pulled)
        }
        Action::Watch {
            dir,
            remote,
            delete,
            debounce,
        } => {
            let root = dir.clone().unwrap_or_else(|| sync::project_root(&here));
            watch(&ctx, &root, remote.as_deref(), *delete, *debounce)
        }
    }
}

fn emit(result: Result<SyncRecord, Error>) -> Result<ExitCode, Error> {
    let _ = print_records([&Envelope::new(Record::Sync(result?))]);
    Ok(ExitCode::SUCCESS)
}

/// `watch`: a push now, then one after every burst of changes, each pushed record printed
/// (a closed stdout ends it).
fn watch(
    ctx: &Session,
    root: &Path,
    remote: Option<&str>,
    delete: bool,
    debounce: u64,
) -> Result<ExitCode, Error> {
    crate::flow::sync::watch(ctx, root, remote, delete, debounce, |record| {
        print_records([&Envelope::new(Record::Sync(record))]).unwrap_or(false)
    })?;
    Ok(ExitCode::SUCCESS)
}
