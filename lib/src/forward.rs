//! Port forwards to a job's node over the SSH master: the ports rv looks for, reading
//! what listens on a node, and the forwards in use (recorded locally, so `rv stop` and
//! `rv forward --stop` remove them).

use crate::remote::transport::SshTarget;
use crate::session::Session;
use std::path::PathBuf;

/// Ports rv looks for with `--auto`: the Ray dashboard, Jupyter, `TensorBoard`, vLLM, Gradio.
pub const AUTO_PORTS: &[(u16, &str)] = &[
    (8265, "Ray"),
    (8888, "Jupyter"),
    (6006, "TensorBoard"),
    (8000, "vLLM"),
    (7860, "Gradio"),
];

/// One forward.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Forward {
    /// The job.
    pub job: String,
    /// The local port (on 127.0.0.1).
    pub local: u16,
    /// The node.
    pub node: String,
    /// The address the login node reaches the node at.
    pub address: String,
    /// The port on the node.
    pub remote: u16,
}

impl Forward {
    /// The `-L` specification.
    pub fn spec(&self) -> String {
        format!("127.0.0.1:{}:{}:{}", self.local, self.address, self.remote)
    }
}

/// `8888` or `18888:8888`.
pub fn parse_port(s: &str) -> Result<(u16, u16), String> {
    let port = |p: &str| {
        p.parse::<u16>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("{s:?} is not a port (1-65535, or LOCAL:REMOTE)"))
    };
    match s.split_once(':') {
        Some((l, r)) => Ok((port(l)?, port(r)?)),
        None => port(s).map(|p| (p, p)),
    }
}

/// Ports listening, from `/proc/net/tcp` and `tcp6` (state `0A`).
pub fn listening(proc_net_tcp: &str) -> Vec<u16> {
    let mut ports: Vec<u16> = proc_net_tcp
        .lines()
        .filter_map(|l| {
            let mut cols = l.split_whitespace();
            let local = cols.nth(1)?;
            let state = cols.nth(1)?;
            (state == "0A").then_some(())?;
            u16::from_str_radix(local.rsplit(':').next()?, 16).ok()
        })
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// `NodeAddr=` of `scontrol -o show node`.
pub fn node_addr(scontrol_line: &str) -> Option<String> {
    scontrol_line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("NodeAddr="))
        .map(str::to_owned)
}

fn records_dir(ctx: &Session) -> PathBuf {
    ctx.state.root().join("forwards")
}

/// The recorded forwards (all jobs).
pub fn recorded(ctx: &Session) -> Vec<Forward> {
    std::fs::read_dir(records_dir(ctx))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read(e.path()).ok())
        .filter_map(|b| serde_json::from_slice::<Vec<Forward>>(&b).ok())
        .flatten()
        .collect()
}

/// Records `forwards` of `job` in the state directory (replacing its earlier record).
pub fn record(ctx: &Session, job: &str, forwards: &[Forward]) {
    let text = serde_json::to_vec(forwards).expect("forwards serialize");
    let _ = ctx
        .state
        .write_private(&format!("forwards/{job}.json"), &text);
}

/// Runs `ssh -O <op> -L <spec>` against the master (forward or cancel).
pub fn control(
    target: &SshTarget,
    control: &std::path::Path,
    op: &str,
    f: &Forward,
) -> Result<(), String> {
    let mut cmd = std::process::Command::new("ssh");
    cmd.arg("-S").arg(control).args(["-O", op, "-L", &f.spec()]);
    if let Some(c) = &target.config_file {
        cmd.arg("-F").arg(c);
    }
    let out = cmd
        .arg(&target.host)
        .output()
        .map_err(|e| format!("cannot run ssh: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ssh -O {op} {}: {}",
            f.spec(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Removes the recorded forwards of `jobs` (all when `None`) from the master, and their
/// records. What was removed.
pub fn stop(ctx: &Session, jobs: Option<&[String]>) -> Vec<Forward> {
    let Some(target) = &ctx.target else {
        return Vec::new();
    };
    let socket = target.control_path(&ctx.state.control_dir());
    let mut removed = Vec::new();
    for f in recorded(ctx) {
        if jobs.is_some_and(|j| !j.contains(&f.job)) {
            continue;
        }
        // A master that is gone took its forwards with it; the record goes either way.
        let _ = control(target, &socket, "cancel", &f);
        let _ = std::fs::remove_file(records_dir(ctx).join(format!("{}.json", f.job)));
        removed.push(f);
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_parse_or_say_why() {
        assert_eq!(parse_port("8888"), Ok((8888, 8888)));
        assert_eq!(parse_port("18888:8888"), Ok((18888, 8888)));
        assert!(parse_port("0").is_err());
        assert!(parse_port("70000").unwrap_err().contains("not a port"));
        assert!(parse_port("a:1").is_err());
    }

    #[test]
    fn listening_ports_come_from_proc_net_tcp() {
        let text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000:22B8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1\n   1: 0100007F:1F40 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 2\n   2: 00000000000000000000000000000000:1A0B 00000000000000000000000000000000:0000 0A 0 0 0 0 0 3\n";
        assert_eq!(listening(text), [6667, 8888]);
    }

    #[test]
    fn node_addresses_come_from_scontrol() {
        assert_eq!(
            node_addr("NodeName=a6000-01 Arch=x86_64 NodeAddr=127.0.0.1 NodeHostName=a6000-01")
                .as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(node_addr("garbage"), None);
    }
}
