//! The cluster model built from the live testbed matches its slurm.conf.

use std::time::Duration;

use rv::cluster::Cluster;
use rv::profile::Profile;
use rv::remote::batch::Batch;
use rv::remote::transport::run_batch;
use rv::slurm::parse::{scontrol, sinfo};
use rv_testbed::Testbed;

#[tokio::test]
async fn model_of_the_testbed_matches_its_configuration() {
    let Some(tb) = Testbed::get() else { return };
    let dir = tb.control_dir("model");
    let ssh = crate::connect(&tb, &dir).await;
    let mut batch = Batch::new();
    let n = batch.command(sinfo::COMMAND);
    let p = batch.command("scontrol -o show partition");
    let reply = tokio::time::timeout(Duration::from_secs(30), run_batch(&ssh, &batch))
        .await
        .unwrap()
        .unwrap();
    let nodes =
        sinfo::parse_nodes(&reply.outputs[n].stdout, sinfo::FIELDS, sinfo::SEPARATOR).unwrap();
    let parts = scontrol::parse_partitions(&reply.outputs[p].stdout).unwrap();
    let profiles = Profile::load_all(None).unwrap();
    let cluster = Cluster::build(
        &nodes,
        &parts,
        &Profile::select(&profiles, Some("rivanna"), "").unwrap(),
    );

    let names: Vec<&str> = cluster.partitions.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "standard",
            "gpu-mig",
            "interactive-rtx3090",
            "gpu-a6000",
            "gpu-a40",
            "gpu-a100-40",
            "gpu-a100-80",
            "gpu-v100",
            "gpu-h200",
            "gpu"
        ]
    );
    assert!(parts.iter().find(|p| p.name == "standard").unwrap().default);
    assert!(cluster.partition("standard").unwrap().gpus.is_empty());
    let interactive = cluster.partition("interactive-rtx3090").unwrap();
    assert_eq!(interactive.max_time.unwrap().as_secs(), 12 * 3600);
    assert_eq!(interactive.max_gpus_per_user, Some(2));

    let expect = [
        ("gpu-mig", "mig", 56, 0.0),
        ("interactive-rtx3090", "rtx3090", 4, 113.23),
        ("gpu-a6000", "a6000", 8, 142.73),
        ("gpu-a40", "a40", 8, 186.69),
        ("gpu-a100-40", "a100-40", 8, 463.81),
        ("gpu-a100-80", "a100-80", 8, 508.89),
        ("gpu-v100", "v100", 4, 20.96),
        ("gpu-h200", "h200", 8, 816.67),
    ];
    for (partition, kind, per_node, rate) in expect {
        let pools = &cluster.partition(partition).unwrap().gpus;
        assert_eq!(pools.len(), 1, "{partition}: {pools:?}");
        let pool = &pools[0];
        assert_eq!(
            (
                pool.gpu_type.as_str(),
                pool.per_node,
                pool.nodes,
                pool.total
            ),
            (kind, per_node, 2, 2 * per_node),
            "{partition}"
        );
        assert_eq!(pool.su_per_gpu_hour, Some(rate), "{partition}");
        assert!(pool.free <= pool.total);
    }
    // Every GPU node said what it uses, so the free counts above are read, not defaulted.
    assert!(
        nodes
            .iter()
            .filter(|n| !n.gpus.is_empty())
            .all(|n| n.gpus_used.is_some())
    );
    let umbrella: Vec<(&str, u32)> = cluster
        .partition("gpu")
        .unwrap()
        .gpus
        .iter()
        .map(|p| (p.gpu_type.as_str(), p.total))
        .collect();
    assert_eq!(
        umbrella.len(),
        8,
        "every GPU kind, A100s told apart by feature: {umbrella:?}"
    );
    assert!(umbrella.contains(&("a100-80", 16)) && umbrella.contains(&("a100-40", 16)));
}
