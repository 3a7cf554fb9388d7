//! Moving project files with rsync over the session's SSH master.

use crate::connect::Connection;
use crate::error::Error;
use crate::records::SyncRecord;
use crate::session::Session;
use crate::sync::{self, Options, Remote, Workspace};
use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::Path;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

/// The workspace of the project at `root` on the user's scratch.
pub async fn default_dest(
    ctx: &Session,
    conn: &Connection,
    root: &Path,
) -> Result<Workspace, Error> {
    let paths = ctx.cluster_paths(conn).await?;
    Ok(Workspace::for_project(&paths.scratch, root))
}

/// How rsync reaches the cluster for `ctx`.
pub fn remote_of(ctx: &Session) -> Remote {
    match &ctx.target {
        Some(t) => Remote::Ssh {
            host: t.host.clone(),
            control: t.control_path(&ctx.state.control_dir()),
            ssh_config: t.config_file.clone(),
        },
        None => Remote::Local,
    }
}

/// Pushes the project at `root` to `dest`; the master must be open.
pub async fn push(
    ctx: &Session,
    root: &Path,
    dest: &str,
    options: Options,
) -> Result<SyncRecord, Error> {
    let files =
        sync::file_list(root).map_err(|e| Error::internal(format!("{}: {e}", root.display())))?;
    let remote = remote_of(ctx);
    let spec = match &remote {
        Remote::Ssh { host, .. } => format!("{host}:{dest}"),
        Remote::Local => dest.to_owned(),
    };
    let manifest = sync::manifest_name(&ctx.host(), dest);
    let previous: Vec<String> = std::fs::read(ctx.state.root().join(&manifest))
        .map(|b| {
            b.split(|&c| c == 0)
                .filter(|s| !s.is_empty())
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect()
        })
        .unwrap_or_default();
    let deleted = if options.delete {
        sync::deletions(&previous, &files)
    } else {
        Vec::new()
    };
    let list = ctx
        .state
        .write_private(
            &format!("sync/{}.from", std::process::id()),
            &sync::files_from(&files, &deleted),
        )
        .map_err(|e| Error::internal(format!("cannot write the file list: {e}")))?;
    if let Remote::Local = remote {
        std::fs::create_dir_all(dest).map_err(|e| Error::internal(format!("{dest}: {e}")))?;
    }
    eprintln!(
        "rv-sync: {} {} files from {} to {spec}{}",
        if options.dry_run {
            "would push"
        } else {
            "pushing"
        },
        files.len(),
        root.display(),
        if deleted.is_empty() {
            String::new()
        } else {
            format!(", deleting {}", deleted.len())
        }
    );
    let args = sync::push_args(&remote, root, dest, &list, options);
    let moved = rsync(&args).await;
    let _ = std::fs::remove_file(&list);
    let moved = moved?;
    if !options.dry_run {
        ctx.state
            .write_private(&manifest, &sync::files_from(&files, &[]))
            .map_err(|e| Error::internal(format!("pushed, but cannot record what: {e}")))?;
    }
    Ok(SyncRecord {
        direction: "push".into(),
        local: root.display().to_string(),
        remote: spec,
        files: files.len() as u64,
        transferred: moved.transferred,
        deleted: moved.deleted,
        bytes: moved.bytes,
        dry_run: options.dry_run,
    })
}

/// Pulls `src` from the cluster into `dest`; the master must be open.
pub async fn pull(
    ctx: &Session,
    src: &str,
    dest: &Path,
    options: Options,
) -> Result<SyncRecord, Error> {
    let remote = remote_of(ctx);
    let spec = match &remote {
        Remote::Ssh { host, .. } => format!("{host}:{src}"),
        Remote::Local => src.to_owned(),
    };
    std::fs::create_dir_all(dest)
        .map_err(|e| Error::internal(format!("{}: {e}", dest.display())))?;
    eprintln!("rv-sync: pulling {spec} into {}", dest.display());
    let moved = rsync(&sync::pull_args(&remote, src, dest, options)).await?;
    Ok(SyncRecord {
        direction: "pull".into(),
        local: dest.display().to_string(),
        remote: spec,
        files: 0,
        transferred: moved.transferred,
        deleted: moved.deleted,
        bytes: moved.bytes,
        dry_run: options.dry_run,
    })
}

/// Runs rsync, counting files on stderr as they go (on a terminal); its errors become one
/// line.
pub async fn rsync(args: &[OsString]) -> Result<sync::Moved, Error> {
    let mut child = tokio::process::Command::new("rsync")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Error::internal(format!("cannot run rsync (is it installed?): {e}")))?;
    let stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let live = std::io::stderr().is_terminal();
    let read_out = async {
        let mut text = String::new();
        let mut lines = BufReader::new(stdout).lines();
        let mut n = 0u64;
        while let Ok(Some(line)) = lines.next_line().await {
            if live && line.len() > 12 && line.as_bytes()[1] == b'f' {
                n += 1;
                eprint!("\rrv-sync: {n} files…");
            }
            text.push_str(&line);
            text.push('\n');
        }
        if live && n > 0 {
            eprintln!();
        }
        text
    };
    let read_err = async {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text).await;
        text
    };
    let (out, err) = tokio::join!(read_out, read_err);
    let status = child
        .wait()
        .await
        .map_err(|e| Error::internal(format!("rsync: {e}")))?;
    if !status.success() {
        let first = err
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message");
        return Err(Error::cluster(format!(
            "rsync failed ({}): {first}",
            status
                .code()
                .map_or_else(|| "killed".to_owned(), |c| format!("exit {c}"))
        )));
    }
    Ok(sync::parse_output(&out))
}

/// A push of `root` now, then one after every burst of changes (quiet for `debounce` ms),
/// each pushed record handed to `pushed`, until it returns false. A failed push is warned
/// about and retried on the next change.
pub fn watch(
    ctx: &Session,
    root: &Path,
    remote: Option<&str>,
    delete: bool,
    debounce: u64,
    mut pushed: impl FnMut(SyncRecord) -> bool,
) -> Result<(), Error> {
    use notify::Watcher;
    let (tx, rx) = std::sync::mpsc::channel();
    let mut watcher = notify::recommended_watcher(tx)
        .map_err(|e| Error::internal(format!("cannot watch files: {e}")))?;
    watcher
        .watch(root, notify::RecursiveMode::Recursive)
        .map_err(|e| Error::internal(format!("cannot watch {}: {e}", root.display())))?;
    let options = Options {
        delete,
        dry_run: false,
    };
    let dest = match remote {
        Some(r) => r.to_owned(),
        None => ctx
            .remote(async |conn| default_dest(ctx, conn, root).await)?
            .code(),
    };
    eprintln!("rv-sync: watching {} (Ctrl-C stops)", root.display());
    loop {
        match ctx.remote(async |_| push(ctx, root, &dest, options).await) {
            Ok(record) => {
                if !pushed(record) {
                    return Ok(());
                }
            }
            // A failed push is retried on the next change.
            Err(e) => eprintln!("rv-sync: warning: {e}"),
        }
        // Wait for a change that matters, then for quiet.
        loop {
            match rx.recv() {
                Ok(Ok(event)) if relevant(root, &event) => break,
                Ok(_) => {}
                Err(_) => return Err(Error::said(crate::error::Kind::Internal)),
            }
        }
        while rx
            .recv_timeout(std::time::Duration::from_millis(debounce))
            .is_ok()
        {}
    }
}

/// Whether a file event can change what a push sends: not git's own bookkeeping, not an
/// access.
fn relevant(root: &Path, event: &notify::Event) -> bool {
    if matches!(event.kind, notify::EventKind::Access(_)) {
        return false;
    }
    event.paths.iter().any(|p| {
        let rel = p.strip_prefix(root).unwrap_or(p);
        !rel.components().any(|c| c.as_os_str() == ".git")
    })
}
