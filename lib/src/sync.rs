//! `rv-sync`: moving a project's files to the cluster and results back, with rsync over
//! the same SSH master.
//!
//! The file list is rv's, not rsync's: the `ignore` crate walks the project with `.gitignore`
//! semantics (also outside git repositories), `.rvignore` on top, and the default excludes
//! for weights and caches. rsync gets the list (`--files-from`), writes every file to a
//! temporary and renames it (never `--inplace`, so hard-link snapshots of the tree keep
//! their content), and deletes on the remote only what rv pushed before and is gone locally
//! (`--delete-missing-args`), never files the cluster made.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::util::quote;

/// Never synced: model weights, checkpoints, caches, dependencies, git's own data.
pub const DEFAULT_EXCLUDES: &[&str] = &[
    "*.bin",
    "*.safetensors",
    "*.gguf",
    "*.pt",
    "*.pth",
    "__pycache__/",
    "node_modules/",
    ".git/",
];

/// The ignore file for rv only (gitignore syntax), on top of `.gitignore`.
pub const RVIGNORE: &str = ".rvignore";

/// Files that mark a project's root, nearest first.
pub const ROOT_MARKERS: &[&str] = &["pyproject.toml", "requirements.txt", "setup.py", ".git"];

/// What can go wrong listing files.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// A bad ignore pattern or an unreadable directory.
    #[error("{0}")]
    Walk(#[from] ignore::Error),
}

/// The project around `start`: the nearest directory at or above it holding one of
/// [`ROOT_MARKERS`], else `start` itself.
pub fn project_root(start: &Path) -> PathBuf {
    start
        .ancestors()
        .find(|d| ROOT_MARKERS.iter().any(|m| d.join(m).exists()))
        .unwrap_or(start)
        .to_path_buf()
}

/// The git branch checked out in `root` (`/` becomes `-`); a detached head gives its
/// commit's first 12 characters; `None` outside git.
pub fn git_branch(root: &Path) -> Option<String> {
    let head = std::fs::read_to_string(root.join(".git/HEAD")).ok()?;
    let head = head.trim();
    let name = match head.strip_prefix("ref: refs/heads/") {
        Some(branch) => branch.to_owned(),
        None => head.chars().take(12).collect(),
    };
    let name = crate::script::clean_name(&name.replace('/', "-"));
    (!name.is_empty()).then_some(name)
}

/// Where a project's files live on the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// `<scratch>/rv-workspaces/<project>/<branch>`.
    pub dir: String,
}

impl Workspace {
    /// The workspace of `project` on `branch` under `scratch`.
    pub fn new(scratch: &str, project: &str, branch: &str) -> Self {
        Workspace {
            dir: format!(
                "{scratch}/rv-workspaces/{}/{}",
                crate::script::clean_name(project),
                crate::script::clean_name(branch)
            ),
        }
    }

    /// The workspace for the project at `root` (its directory name and git branch, or
    /// `default` outside git).
    pub fn for_project(scratch: &str, root: &Path) -> Self {
        let project = root.file_name().map_or_else(
            || "project".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        );
        let branch = git_branch(root).unwrap_or_else(|| "default".to_owned());
        Workspace::new(scratch, &project, &branch)
    }

    /// The synced tree (mutable: every push updates it).
    pub fn code(&self) -> String {
        format!("{}/code", self.dir)
    }

    /// The per-job snapshots of the tree.
    pub fn snapshots(&self) -> String {
        format!("{}/snapshots", self.dir)
    }

    /// The virtual environments, one per dependency key.
    pub fn venvs(&self) -> String {
        format!("{}/venvs", self.dir)
    }
}

/// The files to push from `root`, relative, sorted: what `.gitignore` (also without git),
/// `.rvignore`, `.ignore` and [`DEFAULT_EXCLUDES`] leave. Hidden files are included.
pub fn file_list(root: &Path) -> Result<Vec<String>, SyncError> {
    let mut overrides = ignore::overrides::OverrideBuilder::new(root);
    for pattern in DEFAULT_EXCLUDES {
        overrides.add(&format!("!{pattern}"))?;
    }
    let walk = ignore::WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .add_custom_ignore_filename(RVIGNORE)
        .overrides(overrides.build()?)
        .build();
    let mut files = Vec::new();
    for entry in walk {
        let entry = entry?;
        if entry.file_type().is_some_and(|t| !t.is_dir()) {
            if let Ok(rel) = entry.path().strip_prefix(root) {
                files.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    files.sort();
    Ok(files)
}

/// What `--delete` removes: files pushed before (`previous`) that are no longer listed.
pub fn deletions(previous: &[String], current: &[String]) -> Vec<String> {
    previous
        .iter()
        .filter(|p| current.binary_search(p).is_err())
        .cloned()
        .collect()
}

/// The list rsync reads (`--from0`): the files, then the deletions, NUL-separated.
pub fn files_from(files: &[String], deleted: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in files.iter().chain(deleted) {
        out.extend_from_slice(f.as_bytes());
        out.push(0);
    }
    out
}

/// How rsync reaches the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remote {
    /// Through the SSH master at `control` to `host` (`ssh_config` when set).
    Ssh {
        /// The host alias.
        host: String,
        /// The control socket.
        control: PathBuf,
        /// An ssh config file.
        ssh_config: Option<PathBuf>,
    },
    /// On this host (rv runs on the login node).
    Local,
}

impl Remote {
    /// `path` as rsync names it.
    fn spec(&self, path: &str) -> String {
        match self {
            Remote::Ssh { host, .. } => format!("{host}:{path}"),
            Remote::Local => path.to_owned(),
        }
    }

    /// The `-e` option: ssh through the master, never starting another.
    fn shell(&self) -> Vec<OsString> {
        let Remote::Ssh {
            control,
            ssh_config,
            ..
        } = self
        else {
            return Vec::new();
        };
        let mut ssh = format!(
            "ssh -S {} -o ControlMaster=no -o LogLevel=ERROR",
            quote(&control.to_string_lossy())
        );
        if let Some(f) = ssh_config {
            ssh.push_str(&format!(" -F {}", quote(&f.to_string_lossy())));
        }
        vec!["-e".into(), ssh.into()]
    }
}

/// How a push or pull runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Delete on the receiving side what is gone on the sending side.
    pub delete: bool,
    /// Only list what would move.
    pub dry_run: bool,
}

/// rsync's common flags: archive mode, one itemized line per change, totals at the end.
fn common(options: Options) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["-a", "--out-format=%i %n", "--stats"]
        .into_iter()
        .map(Into::into)
        .collect();
    if options.dry_run {
        args.push("--dry-run".into());
    }
    args
}

/// The rsync arguments of a push from `root` to `dest`, the list in `list_file`. The
/// remote directory is created by the same rsync (`--rsync-path`).
pub fn push_args(
    remote: &Remote,
    root: &Path,
    dest: &str,
    list_file: &Path,
    options: Options,
) -> Vec<OsString> {
    let mut args = common(options);
    args.extend(remote.shell());
    args.push("--from0".into());
    let mut files_from = OsString::from("--files-from=");
    files_from.push(list_file);
    args.push(files_from);
    args.push(if options.delete {
        "--delete-missing-args".into()
    } else {
        "--ignore-missing-args".into()
    });
    if matches!(remote, Remote::Ssh { .. }) {
        args.push(format!("--rsync-path=mkdir -p {} && rsync", quote(dest)).into());
    }
    let mut src = root.as_os_str().to_owned();
    src.push("/");
    args.push(src);
    args.push(remote.spec(&format!("{dest}/")).into());
    args
}

/// The rsync arguments of a pull of `src` (a remote directory or file) into `dest`.
pub fn pull_args(remote: &Remote, src: &str, dest: &Path, options: Options) -> Vec<OsString> {
    let mut args = common(options);
    args.extend(remote.shell());
    if options.delete {
        args.push("--delete".into());
    }
    args.push(remote.spec(src).into());
    args.push(dest.as_os_str().to_owned());
    args
}

/// What a push or pull did, read from rsync's itemized output and `--stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Moved {
    /// Files sent or received (or that would be, with `--dry-run`).
    pub transferred: Vec<String>,
    /// Files deleted on the receiving side.
    pub deleted: Vec<String>,
    /// Bytes of file data that crossed the wire.
    pub bytes: u64,
}

/// Reads rsync's stdout (`--out-format=%i %n` lines and `--stats`).
pub fn parse_output(stdout: &str) -> Moved {
    let mut moved = Moved::default();
    for line in stdout.lines() {
        if let Some(name) = line.strip_prefix("*deleting ") {
            moved.deleted.push(name.trim_start().to_owned());
        } else if let Some((item, name)) = line.split_once(' ') {
            let bytes = item.as_bytes();
            // `<f…` sent, `>f…` received, `cL`/`cS` a link or special made here.
            if item.len() == 11 && matches!(bytes[0], b'<' | b'>' | b'c') && bytes[1] != b'd' {
                moved.transferred.push(name.to_owned());
            }
        }
        let total = line
            .strip_prefix("Total transferred file size: ")
            .and_then(|r| r.split_whitespace().next());
        if let Some(n) = total {
            moved.bytes = n.replace(',', "").parse().unwrap_or(0);
        }
    }
    moved
}

/// The name of the local manifest of what was pushed to `dest` on `host`.
pub fn manifest_name(host: &str, dest: &str) -> String {
    // FNV-1a: a short, stable file name; not a security boundary.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in host.bytes().chain([0]).chain(dest.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("sync/{h:016x}.list")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tree(files: &[(&str, &str)]) -> PathBuf {
        let root =
            std::env::temp_dir().join(format!("rv-sync-{}-{}", std::process::id(), files.len()));
        let _ = std::fs::remove_dir_all(&root);
        for (path, text) in files {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        root
    }

    #[test]
    fn the_list_honours_gitignore_without_git_rvignore_and_the_defaults() {
        let root = tree(&[
            ("train.py", "print(1)"),
            ("pkg/model.py", ""),
            ("pkg/__pycache__/model.cpython-311.pyc", ""),
            ("weights/final.safetensors", ""),
            ("ckpt.pt", ""),
            (".gitignore", "data/\n*.log\n"),
            ("data/big.csv", ""),
            ("run.log", ""),
            (".rvignore", "scratch_notes.md\n"),
            ("scratch_notes.md", ""),
            (".env.example", "A=1"),
            (".git/HEAD", "ref: refs/heads/feature/x\n"),
            ("node_modules/x/index.js", ""),
        ]);
        let files = file_list(&root).unwrap();
        assert_eq!(
            files,
            [
                ".env.example",
                ".gitignore",
                ".rvignore",
                "pkg/model.py",
                "train.py"
            ]
        );
        assert_eq!(git_branch(&root).as_deref(), Some("feature-x"));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn the_project_root_is_the_nearest_marked_directory() {
        let root = tree(&[("proj/pyproject.toml", ""), ("proj/src/deep/x.py", "")]);
        let deep = root.join("proj/src/deep");
        assert_eq!(project_root(&deep), root.join("proj"));
        let bare = root.join("proj/src");
        std::fs::remove_file(root.join("proj/pyproject.toml")).unwrap();
        assert_eq!(project_root(&bare), bare, "no marker: where we are");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn workspaces_are_per_project_and_branch() {
        let w = Workspace::new("/scratch/abc1de", "my proj", "main");
        assert_eq!(w.dir, "/scratch/abc1de/rv-workspaces/my-proj/main");
        assert_eq!(w.code(), "/scratch/abc1de/rv-workspaces/my-proj/main/code");
        assert_eq!(w.snapshots(), format!("{}/snapshots", w.dir));
    }

    #[test]
    fn deletions_are_what_was_pushed_and_is_gone() {
        let prev = vec!["a.py".to_owned(), "b.py".to_owned(), "c.py".to_owned()];
        let now = vec!["a.py".to_owned(), "c.py".to_owned(), "d.py".to_owned()];
        assert_eq!(deletions(&prev, &now), ["b.py"]);
        assert_eq!(
            files_from(&now, &["b.py".into()]),
            b"a.py\0c.py\0d.py\0b.py\0"
        );
    }

    #[test]
    fn push_goes_through_the_master_and_never_in_place() {
        let remote = Remote::Ssh {
            host: "rivanna".into(),
            control: "/home/me/.rv/cm/abc".into(),
            ssh_config: None,
        };
        let args = push_args(
            &remote,
            Path::new("/home/me/proj"),
            "/scratch/me/rv-workspaces/proj/main/code",
            Path::new("/tmp/list"),
            Options {
                delete: true,
                dry_run: false,
            },
        );
        let args: Vec<String> = args.into_iter().map(|a| a.into_string().unwrap()).collect();
        assert!(args.contains(
            &"ssh -S /home/me/.rv/cm/abc -o ControlMaster=no -o LogLevel=ERROR".to_owned()
        ));
        assert!(args.contains(&"--delete-missing-args".to_owned()));
        assert!(!args.iter().any(|a| a.contains("inplace")));
        assert_eq!(
            &args[args.len() - 2..],
            [
                "/home/me/proj/",
                "rivanna:/scratch/me/rv-workspaces/proj/main/code/"
            ]
        );
    }

    #[test]
    fn rsync_output_is_read_into_what_moved() {
        let out = "cd+++++++++ pkg/\n<f+++++++++ pkg/model.py\n<f.st...... train.py\n*deleting   old.py\n\nNumber of files: 4\nTotal transferred file size: 1,234 bytes\n";
        let m = parse_output(out);
        assert_eq!(m.transferred, ["pkg/model.py", "train.py"]);
        assert_eq!(m.deleted, ["old.py"]);
        assert_eq!(m.bytes, 1234);
    }

    proptest! {
        #[test]
        fn rsync_output_never_panics(text in "\\PC{0,300}") {
            let _ = parse_output(&text);
        }
    }
}
