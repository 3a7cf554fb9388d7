//! rv's own `rv-*` binaries, and git-style external subcommands: `rv foo` runs an `rv-foo`
//! found next to `rv` or on `PATH`.
//!
//! Finding and suggesting are pure over the `PATH` value and the file system it names, so
//! the multiplexer's decisions can be tested without touching the process environment;
//! [`run`] is the one place a process is replaced.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The prefix every external rv tool carries in its file name.
pub const PREFIX: &str = "rv-";

/// The pipeline tools, each its own binary, that also run as `rv <tool>`.
pub const TOOLS: &[Tool] = &[
    Tool::Probe,
    Tool::Plan,
    Tool::Submit,
    Tool::Watch,
    Tool::Attach,
    Tool::Sync,
];

/// One of the `rv-*` binaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// `rv-probe`: read the cluster and estimate backfill windows.
    Probe,
    /// `rv-plan`: turn probe records and a request into ranked strategies.
    Plan,
    /// `rv-submit`: render and submit a job per strategy.
    Submit,
    /// `rv-watch`: keep the first job to start, cancel the rest.
    Watch,
    /// `rv-attach`: open a shell in an allocation.
    Attach,
    /// `rv-sync`: push and pull project files.
    Sync,
}

impl Tool {
    /// The binary's file name, e.g. `rv-probe`.
    pub fn binary(self) -> &'static str {
        match self {
            Tool::Probe => "rv-probe",
            Tool::Plan => "rv-plan",
            Tool::Submit => "rv-submit",
            Tool::Watch => "rv-watch",
            Tool::Attach => "rv-attach",
            Tool::Sync => "rv-sync",
        }
    }

    /// The subcommand name under `rv`, e.g. `probe`.
    pub fn subcommand(self) -> &'static str {
        &self.binary()[PREFIX.len()..]
    }
}

/// Replaces this process with `rv-<name>` (`args[0]` is the name), or explains why it
/// cannot; `known` are the names `rv` has itself, for a suggestion.
pub fn run<'a>(args: &[OsString], known: impl IntoIterator<Item = &'a str>) -> ExitCode {
    let name = args
        .first()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let search = search_path();
    let Some(program) = find(&name, &search) else {
        let externals = list(&search);
        let mut candidates: Vec<&str> = known.into_iter().collect();
        candidates.extend(externals.iter().map(String::as_str));
        eprintln!("error: `{name}` is not an rv command, and no `rv-{name}` was found on PATH");
        if let Some(suggestion) = closest(&name, candidates) {
            eprintln!("  tip: did you mean `rv {suggestion}`?");
        }
        eprintln!("See `rv --help` for the commands.");
        return ExitCode::from(crate::exit::USAGE);
    };
    let error = exec(std::process::Command::new(&program).args(&args[1..]));
    eprintln!("error: could not run {}: {error}", program.display());
    ExitCode::from(crate::exit::FAILURE)
}

/// The directory holding this binary first (so `rv probe` finds its sibling `rv-probe`),
/// then `PATH`.
fn search_path() -> OsString {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let own_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    let dirs = own_dir.into_iter().chain(std::env::split_paths(&path));
    std::env::join_paths(dirs).unwrap_or(path)
}

#[cfg(unix)]
fn exec(command: &mut std::process::Command) -> std::io::Error {
    use std::os::unix::process::CommandExt;
    command.exec()
}

/// Finds the executable `rv-<name>` in the directories of `path` (a `PATH` value).
pub fn find(name: &str, path: &OsStr) -> Option<PathBuf> {
    if name.is_empty() || name.contains(std::path::is_separator) {
        return None;
    }
    let file = format!("{PREFIX}{name}");
    std::env::split_paths(path)
        .map(|dir| dir.join(&file))
        .find(|candidate| is_executable(candidate))
}

/// Lists the subcommand names (`foo` for `rv-foo`) of every executable `rv-*` on `path`,
/// sorted and without duplicates.
pub fn list(path: &OsStr) -> Vec<String> {
    let mut names: Vec<String> = std::env::split_paths(path)
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .filter_map(Result::ok)
        .filter(|entry| is_executable(&entry.path()))
        .filter_map(|entry| {
            let file = entry.file_name().into_string().ok()?;
            let name = file.strip_prefix(PREFIX)?;
            (!name.is_empty()).then(|| name.to_owned())
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The candidate closest to `typed` by edit distance, if it is close enough to be what
/// the user meant (at most a third of the longer word, and at least one edit allowed).
pub fn closest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(typed, c), c))
        .filter(|&(d, c)| d <= (typed.len().max(c.len()) / 3).max(1))
        .min_by_key(|&(d, c)| (d, c))
        .map(|(_, c)| c)
}

/// Edit distance between two strings in characters, where an insertion, a deletion, a
/// substitution or a swap of two neighbours each cost one (optimal string alignment).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // d[i][j]: distance between the first i characters of a and the first j of b.
    let mut d = vec![vec![0; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn tool(dir: &Path, name: &str, mode: u32) {
        let path = dir.join(name);
        std::fs::write(&path, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rv-external-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn edit_distance_counts_insertions_deletions_and_substitutions() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("ps", "ps"), 0);
        assert_eq!(edit_distance("sp", "ps"), 1, "a swap is one edit");
        assert_eq!(edit_distance("stauts", "status"), 1);
        assert_eq!(edit_distance("ca", "abc"), 3, "no substring edited twice");
        assert_eq!(edit_distance("atach", "attach"), 1);
        assert_eq!(edit_distance("", "up"), 2);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn closest_suggests_only_plausible_names() {
        let names = ["up", "ps", "status", "attach", "stop", "sync"];
        assert_eq!(closest("stauts", names), Some("status"));
        assert_eq!(closest("atach", names), Some("attach"));
        assert_eq!(closest("sotp", names), Some("stop"));
        assert_eq!(closest("nosuch", names), None);
        assert_eq!(closest("kubernetes", names), None);
    }

    #[test]
    fn find_and_list_see_only_executable_rv_tools() {
        let a = scratch("a");
        let b = scratch("b");
        tool(&a, "rv-foo", 0o755);
        tool(&a, "rv-notexec", 0o644);
        tool(&b, "rv-bar", 0o755);
        tool(&b, "rv-foo", 0o755);
        tool(&b, "other", 0o755);
        let path = std::env::join_paths([&a, &b]).unwrap();

        assert_eq!(
            find("foo", &path),
            Some(a.join("rv-foo")),
            "first PATH entry wins"
        );
        assert_eq!(find("bar", &path), Some(b.join("rv-bar")));
        assert_eq!(find("notexec", &path), None);
        assert_eq!(find("../a/rv-foo", &path), None, "no path traversal");
        assert_eq!(list(&path), ["bar", "foo"]);
    }
}
