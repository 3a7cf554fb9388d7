//! Batched round trips over the real sshd of the testbed.

use std::time::{Duration, Instant};

use rv::remote::batch::Batch;
use rv::remote::transport::{Ssh, SshTarget, Transport, TransportError, run_batch};
use rv::slurm::parse::{scontrol, sinfo, squeue, sshare};
use rv_testbed::Testbed;

use crate::target;

const TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn one_round_trip_reads_the_whole_cluster() {
    let Some(tb) = Testbed::get() else { return };
    let dir = tb.control_dir("whole");
    let ssh = Ssh::connect(&target(&tb), &dir, TIMEOUT).await.unwrap();
    let mut batch = Batch::new();
    let nodes = batch.command(sinfo::COMMAND);
    let jobs = batch.command(squeue::COMMAND);
    let shares = batch.command(sshare::COMMAND);
    let parts = batch.command("scontrol -o show partition");
    let reply = run_batch(&ssh, &batch).await.unwrap();
    assert_eq!(ssh.round_trips(), 1);
    for o in &reply.outputs {
        assert!(o.ok(), "{o:?}");
    }

    let local_now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(reply.clock.now.abs_diff(i64::try_from(local_now).unwrap()) < 60);

    let nodes = sinfo::parse_nodes(
        &reply.outputs[nodes].stdout,
        sinfo::FIELDS,
        sinfo::SEPARATOR,
    )
    .unwrap();
    assert_eq!(nodes.len(), 18);
    let a100_80 = nodes.iter().find(|n| n.name == "a100-80g-01").unwrap();
    let mut partitions = a100_80.partitions.clone();
    partitions.sort();
    assert_eq!(
        partitions,
        ["gpu", "gpu-a100-80"],
        "listed under both, merged into one node"
    );
    assert_eq!(a100_80.features, ["a100_80gb"]);
    assert!(a100_80.gpus_used.is_some(), "GresUsed is read");

    squeue::parse_jobs(
        &reply.outputs[jobs].stdout,
        squeue::FIELDS,
        squeue::SEPARATOR,
        &reply.clock,
    )
    .unwrap();
    let shares = sshare::parse_shares(&reply.outputs[shares].stdout).unwrap();
    assert_eq!(shares[0].user, "rvtest");
    let parts = scontrol::parse_partitions(&reply.outputs[parts].stdout).unwrap();
    assert_eq!(parts.len(), 10);
    let interactive = parts
        .iter()
        .find(|p| p.name == "interactive-rtx3090")
        .unwrap();
    assert_eq!(
        interactive.max_time.map(rv::slurm::time::Walltime::as_secs),
        Some(12 * 3600)
    );
}

#[tokio::test]
async fn scenario_idle_jobs_times_are_epoch_seconds_on_the_cluster_clock() {
    let Some(tb) = Testbed::get() else { return };
    let _idle = tb.scenario("idle");
    let jobs = tb.jobs();
    let id = jobs.sbatch("-p standard -t 7 -J 'rv it|clock' -o /dev/null --wrap 'sleep 300'");
    jobs.wait_for_state(&id, &["RUNNING"], Duration::from_secs(60))
        .unwrap();
    let dir = tb.control_dir("clock");
    let ssh = Ssh::connect(&target(&tb), &dir, TIMEOUT).await.unwrap();
    let mut batch = Batch::new();
    let q = batch.command(format!("{} -j {id}", squeue::COMMAND));
    let reply = run_batch(&ssh, &batch).await.unwrap();
    let job = &squeue::parse_jobs(
        &reply.outputs[q].stdout,
        squeue::FIELDS,
        squeue::SEPARATOR,
        &reply.clock,
    )
    .unwrap()[0];
    assert_eq!(
        job.name, "rv it|clock",
        "a name with the delimiter survives"
    );
    let start = job.start.unwrap();
    assert!(
        (reply.clock.now - 70..=reply.clock.now).contains(&start),
        "{start} vs {}",
        reply.clock.now
    );
    assert_eq!(job.end.unwrap() - start, 7 * 60);
}

#[tokio::test]
async fn a_second_connect_reuses_the_master() {
    let Some(tb) = Testbed::get() else { return };
    let dir = tb.control_dir("reuse");
    let first = Ssh::connect(&target(&tb), &dir, TIMEOUT).await.unwrap();
    let socket = target(&tb).control_path(&dir);
    let check = || {
        std::process::Command::new("ssh")
            .args(["-S"])
            .arg(&socket)
            .args(["-O", "check", "x"])
            .output()
            .unwrap()
    };
    let master = String::from_utf8_lossy(&check().stderr).into_owned();
    assert!(master.contains("Master running"), "{master}");
    drop(first);
    let again = Ssh::connect(&target(&tb), &dir, TIMEOUT).await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&check().stderr),
        master,
        "same master pid"
    );
    let mut batch = Batch::new();
    batch.command("true");
    run_batch(&again, &batch).await.unwrap();
    let _ = std::process::Command::new("ssh")
        .arg("-S")
        .arg(&socket)
        .args(["-O", "exit", "x"])
        .output();
}

#[tokio::test]
async fn many_batches_at_once_stay_within_max_sessions() {
    let Some(tb) = Testbed::get() else { return };
    // The testbed's sshd allows 10 sessions per connection, as a stock one does.
    let dir = tb.control_dir("many");
    let ssh = Ssh::connect(&target(&tb), &dir, TIMEOUT).await.unwrap();
    let started = Instant::now();
    let runs = (0..30).map(|i| {
        let ssh = &ssh;
        async move {
            let mut batch = Batch::new();
            batch.command(format!("sleep 0.2; echo {i}"));
            run_batch(ssh, &batch)
                .await
                .map(|r| r.outputs[0].stdout.clone())
        }
    });
    let outs = futures_join_all(runs).await;
    for (i, out) in outs.into_iter().enumerate() {
        assert_eq!(out.unwrap(), format!("{i}\n"));
    }
    assert_eq!(ssh.round_trips(), 30);
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "8 at a time: at least 4 waves"
    );
}

/// Runs futures concurrently on the current task (no extra dependency for `join_all`).
async fn futures_join_all<F: Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futures {
        set.push(Box::pin(f));
    }
    let mut outs: Vec<Option<F::Output>> = (0..set.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if outs[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => outs[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outs.into_iter().map(Option::unwrap).collect()
}

#[tokio::test]
async fn connection_failures_say_what_to_do() {
    let Some(tb) = Testbed::get() else { return };
    let refused = SshTarget {
        user: Some("nobody-here".into()),
        ..target(&tb)
    };
    let dir = tb.control_dir("auth");
    let err = Ssh::connect(&refused, &dir, TIMEOUT).await.unwrap_err();
    assert!(matches!(err, TransportError::AuthRefused { .. }), "{err}");
    assert!(err.to_string().contains("rv init"), "{err}");

    let closed = SshTarget {
        port: Some(1),
        ..target(&tb)
    };
    let dir = tb.control_dir("closed");
    let err = Ssh::connect(&closed, &dir, TIMEOUT).await.unwrap_err();
    assert!(matches!(err, TransportError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains("VPN"), "{err}");
}
