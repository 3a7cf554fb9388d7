//! Attaching to an allocation: a shell (or a command) inside a running job, through the
//! same SSH master, on a real pseudo-terminal. When the job's request has a lease, the
//! shell runs under [`GUARD`], and the client renews the lease while it is attached.

use std::ffi::OsString;
use std::path::Path;

use crate::remote::transport::SshTarget;
use crate::util::quote;

/// The `srun` that opens a step inside job `job` on one node (`node`, or the first) with a
/// pty: a login shell, or `command`. `-N1 -n1` so a multi-node job gives one shell, not one
/// per node; `--overlap` so the step shares the job's resources (all its GPUs).
pub fn srun(job: u64, node: Option<&str>, command: &[String]) -> String {
    let mut s = format!("srun --jobid={job} --overlap --pty -N1 -n1");
    if let Some(n) = node {
        s.push_str(&format!(" -w {}", quote(n)));
    }
    s.push_str(" bash -c ");
    s.push_str(&quote(GUARD));
    s.push_str(" rv-attach");
    if command.is_empty() {
        s.push_str(" bash -l");
    } else {
        for arg in command {
            s.push(' ');
            s.push_str(&quote(arg));
        }
    }
    s
}

/// What runs on the login node: finds the lease of `job`'s request (see
/// [`crate::lease::find`]) for the step's guard, then [`srun`].
pub fn remote(job: u64, node: Option<&str>, command: &[String]) -> String {
    format!(
        "{}; [ -z \"$rv_lease\" ] || export RV_LEASE_FILE=\"$rv_lease\"; {}",
        crate::lease::find(job),
        srun(job, node, command)
    )
}

/// Runs the step's program (its arguments) under a guard: when `RV_LEASE_FILE` is set, a
/// background check ends the step once the lease is older than its length, so a shell whose
/// client froze or was killed with its terminal still open (the connection not yet dropped)
/// does not keep the job alive. It stops when the program is gone.
pub const GUARD: &str = r#"if [ -n "${RV_LEASE_FILE:-}" ]; then
  rv_len=$(head -c 32 "$RV_LEASE_FILE" 2>/dev/null)
  case $rv_len in '' | *[!0-9]*) rv_len=0 ;; esac
  if [ "$rv_len" -gt 0 ]; then
    rv_every=$((rv_len / 6))
    [ "$rv_every" -lt 5 ] && rv_every=5
    [ "$rv_every" -gt 60 ] && rv_every=60
    (
      while sleep "$rv_every"; do
        kill -0 $$ 2>/dev/null || exit 0
        rv_renewed=$(stat -c %Y "$RV_LEASE_FILE" 2>/dev/null) || exit 0
        if [ $(($(date +%s) - rv_renewed)) -gt "$rv_len" ]; then
          printf '
rv: lease expired: the client has not renewed it for over %s s; ending this shell
' "$rv_len" 2>/dev/null >/dev/tty
          kill -HUP $$
          sleep 5
          kill -KILL $$ 2>/dev/null
          exit 0
        fi
      done
    ) >/dev/null 2>&1 &
  fi
fi
exec "$@""#;

/// The `ssh` arguments that run `remote` on a terminal through the master at `control`.
pub fn ssh_args(control: &Path, target: &SshTarget, remote: &str) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        "-tt".into(),
        "-S".into(),
        control.into(),
        "-o".into(),
        "ControlMaster=no".into(),
    ];
    if let Some(f) = &target.config_file {
        args.extend(["-F".into(), f.into()]);
    }
    args.extend([
        "-o".into(),
        "LogLevel=ERROR".into(),
        target.host.clone().into(),
        "--".into(),
        remote.into(),
    ]);
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srun_quotes_the_command_and_asks_for_one_task() {
        let guard = quote(GUARD);
        assert_eq!(
            srun(42, None, &[]),
            format!("srun --jobid=42 --overlap --pty -N1 -n1 bash -c {guard} rv-attach bash -l")
        );
        assert_eq!(
            srun(
                42,
                Some("a6000-02"),
                &["nvidia-smi".into(), "-q; rm -rf ~".into()]
            ),
            format!(
                "srun --jobid=42 --overlap --pty -N1 -n1 -w a6000-02 bash -c {guard} rv-attach nvidia-smi '-q; rm -rf ~'"
            )
        );
    }

    #[test]
    fn the_guard_runs_the_program_exactly_and_ends_it_once_the_lease_is_stale() {
        use std::os::unix::process::ExitStatusExt;
        let run = |lease: Option<&std::path::Path>, program: &[&str]| {
            let mut c = std::process::Command::new("bash");
            c.args(["-c", GUARD, "rv-attach"]).args(program);
            match lease {
                Some(f) => c.env("RV_LEASE_FILE", f),
                None => c.env_remove("RV_LEASE_FILE"),
            };
            c.output().unwrap()
        };
        let out = run(None, &["printf", "%s|", "a b", "$(x) 'q'"]);
        assert_eq!(String::from_utf8_lossy(&out.stdout), "a b|$(x) 'q'|");
        // A lease of one second, last renewed long ago: the guard hangs the program up at
        // its first check.
        let dir = std::env::temp_dir().join(format!("rv-guard-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let lease = dir.join("lease");
        std::fs::write(&lease, "1\n").unwrap();
        let old = std::process::Command::new("touch")
            .args(["-d", "2000-01-01"])
            .arg(&lease)
            .status()
            .unwrap();
        assert!(old.success());
        let out = run(Some(&lease), &["sleep", "120"]);
        assert_eq!(out.status.signal(), Some(1), "{out:?}");
        // An unreadable length is no lease: the program runs as it is.
        std::fs::write(&lease, "soon\n").unwrap();
        let out = run(Some(&lease), &["sh", "-c", "exit 4"]);
        assert_eq!(out.status.code(), Some(4));
    }

    #[test]
    fn ssh_goes_through_the_master() {
        let t = SshTarget {
            host: "rivanna".into(),
            ..SshTarget::default()
        };
        let args = ssh_args(Path::new("/home/me/.rv/cm/abc"), &t, "srun x");
        let args: Vec<String> = args.into_iter().map(|a| a.into_string().unwrap()).collect();
        assert_eq!(
            args,
            [
                "-tt",
                "-S",
                "/home/me/.rv/cm/abc",
                "-o",
                "ControlMaster=no",
                "-o",
                "LogLevel=ERROR",
                "rivanna",
                "--",
                "srun x"
            ]
        );
    }
}
