//! `rv run`: a project's command on the cluster, from an immutable snapshot of its code,
//! in a virtual environment keyed by its dependencies.
//!
//! After the push, one remote script (run in a login shell, so `module` works) takes a
//! hard-link snapshot of the synced tree (`cp -al`: instant, and immune to later pushes,
//! since rsync replaces files instead of writing into them), prunes snapshots older than
//! [`SNAPSHOT_DAYS`] that no pending or running job works in, and makes sure the project's
//! virtual environment exists: one per project and branch for each hash of the dependency
//! files, Python version and modules, built with uv on the login node and marked ready only
//! when the install succeeded. The job then activates it and runs the same install again
//! (a no-op when nothing is missing; it builds what needs the GPU node, such as CUDA
//! extensions) before the command. Progress lines on stderr start with `rv-progress: `.

use crate::sync::Workspace;
use crate::util::quote;

/// Snapshots older than this many days are pruned (unless a job still uses them).
pub const SNAPSHOT_DAYS: u32 = 7;

/// The files that define a project's dependencies, in the order they are hashed.
pub const DEPENDENCY_FILES: &[&str] = &["uv.lock", "pyproject.toml", "requirements.txt"];

/// The command as the job's shell runs it: one word is taken as shell syntax
/// (`rv run "pip install torch && python x.py"`); several words are quoted one by one.
pub fn command_line(words: &[String]) -> String {
    match words {
        [one] => one.clone(),
        _ => words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" "),
    }
}

/// Rewrites words that name a path inside the local project (`/home/me/proj/train.py`)
/// to the same path in the snapshot.
pub fn rewrite_paths(words: &[String], local_root: &str, snapshot: &str) -> Vec<String> {
    let root = local_root.trim_end_matches('/');
    words
        .iter()
        .map(|w| match w.strip_prefix(root) {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("{snapshot}{rest}"),
            _ => w.clone(),
        })
        .collect()
}

/// The words after the command that look like rv's own flags (`--gpu`, `--time=2h`):
/// they go to the command, which is probably not what was meant.
pub fn misplaced_flags<'a>(command: &'a [String], ours: &[String]) -> Vec<&'a str> {
    command
        .iter()
        .skip(1)
        .filter(|w| {
            let flag = w.split('=').next().unwrap_or_default();
            flag.starts_with('-') && ours.iter().any(|o| o == flag)
        })
        .map(String::as_str)
        .collect()
}

/// The remote script that snapshots, prunes and prepares dependencies. It prints
/// `snapshot=<dir>`, `venv=<dir>` (when the project has dependencies) and `pruned=<dir>`
/// lines; it fails (nothing ready, nothing recorded as installed) with the reason on stderr.
pub fn prepare_script(ws: &Workspace, name: &str, modules: &[String], scratch: &str) -> String {
    let modules_line = modules
        .iter()
        .map(|m| quote(m))
        .collect::<Vec<_>>()
        .join(" ");
    let module_load = if modules.is_empty() {
        String::new()
    } else {
        format!(
            "if command -v module >/dev/null 2>&1; then module load {modules_line} >&2 || echo \"rv: module load failed\" >&2; fi\n"
        )
    };
    format!(
        r#"ws={ws}; code="$ws/code"; snaps="$ws/snapshots"
[ -d "$code" ] || {{ echo "rv: $code is missing: nothing was pushed" >&2; exit 1; }}
mkdir -p "$snaps" || exit 1
snap="$snaps/$(date -u +%Y%m%dT%H%M%SZ)-{name}"
cp -al "$code" "$snap" || {{ echo "rv: cannot snapshot $code" >&2; exit 1; }}
echo "snapshot=$snap"
# Prune by the time in the name, never a snapshot a pending or running job works in.
cutoff=$(date -u -d '{days} days ago' +%Y%m%d%H%M%S 2>/dev/null || date -u -v-{days}d +%Y%m%d%H%M%S)
active=$(squeue -h -u "$(id -un)" -t PD,R,CG,CF,S -o %Z 2>/dev/null)
for d in "$snaps"/*; do
  [ -d "$d" ] || continue
  n=$(basename "$d" | cut -c1-16 | tr -cd 0-9)
  if [ "${{#n}}" -ne 14 ] || [ "$n" -ge "$cutoff" ]; then continue; fi
  case "$active" in *"$d"*) continue ;; esac
  rm -rf "$d" && echo "pruned=$d"
done
cd "$snap" || exit 1
deps=""
for f in {files}; do [ -f "$f" ] && deps="$deps $f"; done
[ -n "$deps" ] || exit 0
{module_load}export PATH="$HOME/.local/bin:$PATH" UV_CACHE_DIR={scratch}/.cache/uv
# shellcheck disable=SC2086 # a list of file names
key=$({{ cat $deps; echo {modules}; python3 --version 2>&1; }} | sha256sum | cut -c1-16)
venv="$ws/venvs/$key"
echo "venv=$venv"
[ -f "$venv/.rv-ready" ] && exit 0
if ! command -v uv >/dev/null 2>&1; then
  echo "rv-progress: installing uv into ~/.local/bin" >&2
  # Astral's installer, else uv from PyPI in a private venv linked into ~/.local/bin.
  installer=$(mktemp) || exit 1
  if curl -LsSf --max-time 30 -o "$installer" https://astral.sh/uv/install.sh 2>/dev/null; then
    env UV_NO_MODIFY_PATH=1 sh "$installer" >/dev/null 2>&1
  fi
  rm -f "$installer"
  if ! command -v uv >/dev/null 2>&1; then
    {{ python3 -m venv "$HOME/.local/share/rv/uv" && "$HOME/.local/share/rv/uv/bin/pip" install --quiet uv &&
      mkdir -p "$HOME/.local/bin" && ln -sf "$HOME/.local/share/rv/uv/bin/uv" "$HOME/.local/bin/uv"; }} >/dev/null 2>&1
  fi
  command -v uv >/dev/null 2>&1 || {{ echo "rv: cannot install uv (see https://docs.astral.sh/uv/)" >&2; exit 1; }}
fi
mkdir -p "$ws/venvs" || exit 1
# One install at a time per environment; whoever waited finds it ready.
exec 9>"$venv.lock"
flock 9
[ -f "$venv/.rv-ready" ] && exit 0
echo "rv-progress: installing dependencies ($deps ) into $venv" >&2
rm -rf "$venv"
if {{ uv venv --quiet --python python3 "$venv" && {install}; }} >"$venv.log" 2>&1; then
  touch "$venv/.rv-ready"
else
  echo "rv: installing the dependencies failed; the end of $venv.log:" >&2
  tail -n 5 "$venv.log" >&2
  exit 1
fi
"#,
        ws = quote(&ws.dir),
        days = SNAPSHOT_DAYS,
        files = DEPENDENCY_FILES.join(" "),
        modules = quote(&modules_line),
        scratch = quote(scratch),
        install = INSTALL,
    )
}

/// Installs the snapshot's dependencies into `$venv` (run in the snapshot, also in the job).
const INSTALL: &str = r#"if [ -f pyproject.toml ]; then
    if [ -f uv.lock ]; then UV_PROJECT_ENVIRONMENT="$venv" uv sync --frozen; else UV_PROJECT_ENVIRONMENT="$venv" uv sync; fi
  else VIRTUAL_ENV="$venv" uv pip install -r requirements.txt; fi"#;

/// What the prepare script reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prepared {
    /// The snapshot the job runs from.
    pub snapshot: String,
    /// The virtual environment, when the project has dependencies.
    pub venv: Option<String>,
    /// Snapshots removed.
    pub pruned: Vec<String>,
}

/// Reads the prepare script's output; `None` without a snapshot line.
pub fn parse_prepared(stdout: &str) -> Option<Prepared> {
    let mut p = Prepared::default();
    for line in stdout.lines() {
        match line.split_once('=') {
            Some(("snapshot", v)) => v.clone_into(&mut p.snapshot),
            Some(("venv", v)) => p.venv = Some(v.to_owned()),
            Some(("pruned", v)) => p.pruned.push(v.to_owned()),
            _ => {}
        }
    }
    (!p.snapshot.is_empty()).then_some(p)
}

/// The job's command: activate the environment and install again in the job (a no-op
/// unless something must be built on the GPU node), from the snapshot's root; then the
/// user's command in the working directory; then copy `outputs` (relative to it) to
/// `$RV_OUTPUT_DIR`. The exit code is the command's.
pub fn job_command(command: &str, prepared: &Prepared, rel: &str, outputs: &[String]) -> String {
    let mut s = String::new();
    if let Some(venv) = &prepared.venv {
        s.push_str(&format!(
            "export PATH=\"$HOME/.local/bin:$PATH\"; venv={venv}\n. \"$venv/bin/activate\" || exit 1\n(cd {snap} && {{ {INSTALL}; }} >>\"$venv.job.log\" 2>&1) || echo \"rv: installing in the job failed; see $venv.job.log\" >&2\n",
            venv = quote(venv),
            snap = quote(&prepared.snapshot),
        ));
    }
    let workdir = workdir(prepared, rel);
    s.push_str(&format!("cd {} || exit 1\n", quote(&workdir)));
    if outputs.is_empty() {
        s.push_str(command);
        s.push('\n');
    } else {
        let list: Vec<String> = outputs.iter().map(|o| quote(o)).collect();
        s.push_str(&format!(
            "( {command}\n)\nrv_code=$?\nmkdir -p \"$RV_OUTPUT_DIR\" && cp -a -- {} \"$RV_OUTPUT_DIR\"/ || echo \"rv: could not copy every output to $RV_OUTPUT_DIR\" >&2\nexit \"$rv_code\"\n",
            list.join(" ")
        ));
    }
    s
}

/// Where the command runs: the snapshot, plus the directory `rv run` was called from
/// relative to the project root.
pub fn workdir(prepared: &Prepared, rel: &str) -> String {
    if rel.is_empty() || rel == "." {
        prepared.snapshot.clone()
    } else {
        format!("{}/{rel}", prepared.snapshot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(ws: &[&str]) -> Vec<String> {
        ws.iter().map(|&w| w.to_owned()).collect()
    }

    #[test]
    fn one_word_is_shell_syntax_several_are_quoted() {
        assert_eq!(
            command_line(&words(&["pip install x && ls"])),
            "pip install x && ls"
        );
        assert_eq!(
            command_line(&words(&["python", "train.py", "--note", "it's $HOME"])),
            "python train.py --note 'it'\\''s $HOME'"
        );
    }

    #[test]
    fn local_project_paths_point_into_the_snapshot() {
        let out = rewrite_paths(
            &words(&[
                "python",
                "/home/me/proj/train.py",
                "/home/me/project2/x",
                "/data",
            ]),
            "/home/me/proj",
            "/scratch/me/rv-workspaces/proj/main/snapshots/s1",
        );
        assert_eq!(
            out,
            [
                "python",
                "/scratch/me/rv-workspaces/proj/main/snapshots/s1/train.py",
                "/home/me/project2/x",
                "/data"
            ]
        );
    }

    #[test]
    fn rv_flags_after_the_command_are_noticed() {
        let ours = words(&["--gpu", "--time", "-f"]);
        let cmd = words(&[
            "python",
            "train.py",
            "--gpu",
            "4",
            "--time=2h",
            "--lr",
            "3e-4",
        ]);
        assert_eq!(misplaced_flags(&cmd, &ours), ["--gpu", "--time=2h"]);
        assert!(
            misplaced_flags(&words(&["--gpu"]), &ours).is_empty(),
            "the program itself"
        );
    }

    #[test]
    fn the_prepare_script_is_clean_shell_and_its_output_is_read() {
        let ws = Workspace::new("/scratch/rvtest", "proj", "main");
        let script = prepare_script(&ws, "r-1", &["cuda/12.8.0".into()], "/scratch/rvtest");
        let out = std::process::Command::new("shellcheck")
            .args(["-s", "bash", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                std::io::Write::write_all(c.stdin.as_mut().unwrap(), script.as_bytes())?;
                c.wait_with_output()
            })
            .expect("shellcheck is installed (scripts/install-deps)");
        assert!(
            out.status.success(),
            "{}\n{script}",
            String::from_utf8_lossy(&out.stdout)
        );
        let p = parse_prepared("snapshot=/s/1\nvenv=/v/abc\npruned=/s/0\n").unwrap();
        assert_eq!(p.snapshot, "/s/1");
        assert_eq!(p.venv.as_deref(), Some("/v/abc"));
        assert_eq!(p.pruned, ["/s/0"]);
        assert_eq!(parse_prepared("venv=/v\n"), None);
    }

    #[test]
    fn the_job_command_activates_runs_and_copies_outputs() {
        let p = Prepared {
            snapshot: "/s/1".into(),
            venv: Some("/v/abc".into()),
            pruned: vec![],
        };
        let cmd = job_command("python train.py", &p, "src", &words(&["out dir", "m.json"]));
        assert!(cmd.contains(". \"$venv/bin/activate\" || exit 1"));
        assert!(cmd.contains("cd /s/1/src || exit 1\n( python train.py\n)"));
        assert!(cmd.contains("cp -a -- 'out dir' m.json \"$RV_OUTPUT_DIR\"/"));
        assert!(cmd.ends_with("exit \"$rv_code\"\n"));
        let bare = job_command(
            "python train.py",
            &Prepared {
                snapshot: "/s/1".into(),
                ..Prepared::default()
            },
            "",
            &[],
        );
        assert_eq!(bare, "cd /s/1 || exit 1\npython train.py\n");
    }
}
