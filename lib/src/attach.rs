//! Attaching to an allocation: a shell (or a command) inside a running job, through the
//! same SSH master, on a real pseudo-terminal.

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
        assert_eq!(
            srun(42, None, &[]),
            "srun --jobid=42 --overlap --pty -N1 -n1 bash -l"
        );
        assert_eq!(
            srun(
                42,
                Some("a6000-02"),
                &["nvidia-smi".into(), "-q; rm -rf ~".into()]
            ),
            "srun --jobid=42 --overlap --pty -N1 -n1 -w a6000-02 nvidia-smi '-q; rm -rf ~'"
        );
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
