//! Port forwards to a job's node, set up over the session's SSH master.

use crate::error::Error;
use crate::forward::{AUTO_PORTS, Forward, control, listening, node_addr, record};
use crate::remote::batch::Batch;
use crate::remote::transport::run_batch;
use crate::session::Session;

/// Forwards `ports` (local, remote) to `node` of running `job` through the SSH master,
/// with `auto` also every usual port that listens there; each forward is recorded as it is
/// added, and none is left when one fails. The forwards in force.
pub fn open(
    ctx: &Session,
    job: &str,
    node: &str,
    mut ports: Vec<(u16, u16)>,
    auto: bool,
) -> Result<Vec<Forward>, Error> {
    let mut batch = Batch::new();
    let addr = batch.command(format!(
        "scontrol -o show node {}",
        crate::util::quote(node)
    ));
    let open = auto.then(|| {
        batch.command(format!(
            "srun --jobid={job} --overlap -w {} -N1 -n1 cat /proc/net/tcp /proc/net/tcp6 2>/dev/null",
            crate::util::quote(node)
        ))
    });
    let reply = ctx.remote(async |c| Ok(run_batch(c, &batch).await?))?;
    let address = node_addr(&reply.outputs[addr].stdout).unwrap_or_else(|| node.to_owned());
    if let Some(i) = open {
        let live = listening(&reply.outputs[i].stdout);
        for (port, what) in AUTO_PORTS {
            if live.contains(port) && !ports.iter().any(|(_, r)| r == port) {
                eprintln!("rv forward: found {what} on {node}:{port}");
                ports.push((*port, *port));
            }
        }
        if ports.is_empty() {
            return Err(Error::job(format!(
                "none of the usual ports ({}) listens on {node}",
                AUTO_PORTS
                    .iter()
                    .map(|(p, _)| p.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let target = ctx
        .target
        .as_ref()
        .ok_or_else(|| Error::usage("forwarding needs an SSH connection"))?;
    let socket = target.control_path(&ctx.state.control_dir());
    let forwards: Vec<Forward> = ports
        .iter()
        .map(|&(local, remote)| Forward {
            job: job.to_owned(),
            local,
            node: node.to_owned(),
            address: address.clone(),
            remote,
        })
        .collect();
    let mut added = Vec::new();
    for f in &forwards {
        if let Err(e) = control(target, &socket, "forward", f) {
            for a in &added {
                let _ = control(target, &socket, "cancel", a);
            }
            return Err(Error::cluster(e));
        }
        added.push(f.clone());
        record(ctx, job, &added);
    }
    Ok(added)
}
