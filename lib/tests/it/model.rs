//! The probe's model of the cluster against Slurm's own count, under a queue of many users'
//! odd jobs (`load mixed`), on whichever Slurm the testbed runs.

use std::collections::BTreeMap;

use rv::backfill;
use rv::probe::{self, Options};
use rv::remote::batch::Batch;
use rv::remote::transport::run_batch;
use rv::slurm::parse::gres::{parse_gpus, total};
use rv::slurm::parse::job_state::JobState;
use rv_testbed::Testbed;

#[tokio::test]
async fn scenario_mixed_model_counts_every_running_gpu_as_sinfo_does() {
    let Some(tb) = Testbed::get() else { return };
    let _mixed = tb.scenario("mixed");
    let dir = tb.control_dir("model-mixed");
    let ssh = crate::connect(&tb, &dir).await;
    let options = Options {
        test_only: false,
        ..Options::default()
    };
    let snapshot = probe::run(&ssh, "rv-cluster", &options).await.unwrap();
    assert!(snapshot.unread.is_empty(), "{:?}", snapshot.unread);
    // Slurm's own count, read on its own.
    let mut batch = Batch::new();
    let used = batch.command("sinfo -h -N -O 'NodeList:60|,GresUsed:200|' | sort -u");
    let reply = run_batch(&ssh, &batch).await.unwrap();
    let sinfo: BTreeMap<String, u32> = reply.outputs[used]
        .stdout
        .lines()
        .filter_map(|l| {
            let (node, gres) = l.split_once('|')?;
            let gres = gres.trim_end_matches('|').trim();
            Some((node.trim().to_owned(), total(&parse_gpus(gres).unwrap())))
        })
        .collect();
    // The GPUs of the running jobs the probe read, per node.
    let mut by_jobs: BTreeMap<String, u32> = BTreeMap::new();
    for job in snapshot
        .jobs
        .iter()
        .filter(|j| j.state == Some(JobState::Running))
    {
        for node in &job.nodes {
            *by_jobs.entry(node.to_string()).or_default() += total(&job.gpus_per_node);
        }
    }
    let timelines = backfill::timelines(
        &snapshot.nodes,
        &snapshot.jobs,
        &snapshot.reservations,
        snapshot.clock.now,
        &snapshot.user,
        None,
    );
    assert_eq!(timelines.len(), 16, "every GPU node is modelled");
    let mut busy = 0;
    for t in &timelines {
        let slurm = sinfo[&t.node];
        let jobs = by_jobs.get(&t.node).copied().unwrap_or(0);
        assert_eq!(
            jobs, slurm,
            "{}: GPUs of running jobs vs sinfo GresUsed",
            t.node
        );
        assert_eq!(t.used_now, slurm, "{}: the model's GPUs in use", t.node);
        // When every running job has ended (and before anything planned), the model frees
        // exactly the GPUs they hold.
        let planned_later = snapshot.jobs.iter().any(|j| {
            j.state == Some(JobState::Pending) && j.sched_nodes.iter().any(|n| *n == t.node)
        });
        if !planned_later {
            assert_eq!(t.used_at(snapshot.clock.now + 4 * 86_400), 0, "{}", t.node);
        }
        busy += u32::from(slurm > 0);
    }
    assert!(busy >= 8, "the load holds GPUs on {busy} nodes");
}
