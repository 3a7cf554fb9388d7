//! The cluster model: partitions and their GPUs, discovered from `sinfo` and
//! `scontrol show partition` (so rv works on any Slurm cluster), with what only the site
//! profile knows attached (VRAM, service-unit rates, per-user limits). Its partitions are
//! the `partition` records ([`Partition`]), with their nodes.

use crate::profile::Profile;
use crate::records::{GpuPool, Partition};
use crate::slurm::parse::scontrol;
use crate::slurm::parse::sinfo::Node;

/// The whole cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// The profile in use.
    pub profile: String,
    /// Its partitions, in Slurm's order.
    pub partitions: Vec<Partition>,
    /// Every GPU of the cluster, each node counted once (a node in several partitions,
    /// such as an umbrella `gpu` partition or a `gpu-debug` subset, is one node).
    pub gpus: Vec<GpuPool>,
}

impl Cluster {
    /// Builds the model from discovered nodes and partitions and a profile.
    pub fn build(nodes: &[Node], partitions: &[scontrol::Partition], profile: &Profile) -> Cluster {
        let by_name: std::collections::HashMap<&str, &Node> =
            nodes.iter().map(|n| (n.name.as_str(), n)).collect();
        let partitions: Vec<Partition> = partitions
            .iter()
            .map(|p| {
                let members: Vec<&Node> = p
                    .nodes
                    .iter()
                    .filter_map(|name| by_name.get(name.as_str()).copied())
                    .collect();
                Partition {
                    name: p.name.clone(),
                    max_time: p.max_time,
                    default_time: profile.recommended_walltime().or(p.default_time),
                    max_gpus_per_user: profile.partition_limits.get(&p.name).copied(),
                    gpus: pools(&members, profile),
                    nodes: p.nodes.clone(),
                }
            })
            .collect();
        let listed: Vec<&Node> = nodes
            .iter()
            .filter(|n| partitions.iter().any(|p| p.nodes.contains(&n.name)))
            .collect();
        Cluster {
            profile: profile.name.clone(),
            gpus: pools(&listed, profile),
            partitions,
        }
    }

    /// A partition by name.
    pub fn partition(&self, name: &str) -> Option<&Partition> {
        self.partitions.iter().find(|p| p.name == name)
    }
}

/// Groups a partition's nodes into pools of (kind, GPUs per node). A pool's free count is
/// 0 unless every node of it said how many GPUs it uses.
pub fn pools(nodes: &[&Node], profile: &Profile) -> Vec<GpuPool> {
    let mut pools: Vec<(GpuPool, Option<u32>)> = Vec::new();
    for node in nodes {
        for gpus in &node.gpus {
            let kind = gpus
                .kind
                .as_deref()
                .and_then(|g| profile.kind_of(g, &node.features));
            let name = kind
                .map(|k| k.name.clone())
                .or_else(|| gpus.kind.as_deref().map(str::to_owned))
                .unwrap_or_else(|| "gpu".to_owned());
            let used = node.gpus_used.as_ref().map(|used| {
                used.iter()
                    .filter(|u| u.kind == gpus.kind)
                    .map(|u| u.count)
                    .sum::<u32>()
            });
            let free = used.map(|u| {
                if node.state.accepts_jobs() {
                    gpus.count.saturating_sub(u)
                } else {
                    0
                }
            });
            match pools
                .iter_mut()
                .find(|(p, _)| p.gpu_type == name && p.per_node == gpus.count)
            {
                Some((pool, pool_free)) => {
                    pool.nodes += 1;
                    pool.total += gpus.count;
                    *pool_free = pool_free.zip(free).map(|(a, b)| a + b);
                }
                None => pools.push((
                    GpuPool {
                        max_per_user: profile.kind_named(&name).and_then(|k| k.max_per_user),
                        gpu_type: name,
                        gres: gpus.kind.as_deref().map(str::to_owned),
                        feature: kind.and_then(|k| k.feature.clone()),
                        per_node: gpus.count,
                        nodes: 1,
                        total: gpus.count,
                        free: 0,
                        vram_gb: kind.map(|k| k.vram_gb),
                        su_per_gpu_hour: kind.map(|k| k.su_per_gpu_hour),
                    },
                    free,
                )),
            }
        }
    }
    pools
        .into_iter()
        .map(|(pool, free)| GpuPool {
            free: free.unwrap_or(0),
            ..pool
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slurm::parse::Separator;
    use crate::slurm::parse::sinfo::{self, Field};

    fn rivanna() -> Profile {
        Profile::parse("rivanna", crate::profile::BUILT_IN[0].1).unwrap()
    }

    const FIELDS: &[Field] = &[
        Field::Node,
        Field::Partition,
        Field::State,
        Field::Gres,
        Field::GresUsed,
        Field::Features,
    ];

    #[test]
    fn pools_count_free_gpus_once_per_node_and_tell_a100s_apart() {
        let nodes = sinfo::parse_nodes(
            "a-1|gpu-a100-40|mixed|gpu:a100:8(S:0-1)|gpu:a100:3(IDX:0-2)|(null)|\n\
             b-1|gpu-a100-80|idle|gpu:a100:8(S:0-1)|gpu:a100:0(IDX:N/A)|a100_80gb|\n\
             b-2|gpu-a100-80|drained|gpu:a100:8(S:0-1)|gpu:a100:0(IDX:N/A)|a100_80gb|\n\
             a-1|gpu|mixed|gpu:a100:8(S:0-1)|gpu:a100:3(IDX:0-2)|(null)|\n\
             b-1|gpu|idle|gpu:a100:8(S:0-1)|gpu:a100:0(IDX:N/A)|a100_80gb|\n",
            FIELDS,
            Separator::Char('|'),
        )
        .unwrap();
        let parts = scontrol::parse_partitions(
            "PartitionName=gpu-a100-80 MaxTime=3-00:00:00 Nodes=b-[1-2] State=UP\n\
             PartitionName=gpu MaxTime=3-00:00:00 Nodes=a-1,b-1 State=UP\n",
        )
        .unwrap();
        let cluster = Cluster::build(&nodes, &parts, &rivanna());
        let a80 = &cluster.partition("gpu-a100-80").unwrap().gpus;
        assert_eq!(a80.len(), 1);
        assert_eq!(
            (a80[0].gpu_type.as_str(), a80[0].total, a80[0].free),
            ("a100-80", 16, 8),
            "the drained node has none free"
        );
        assert_eq!(a80[0].feature.as_deref(), Some("a100_80gb"));
        assert_eq!(a80[0].su_per_gpu_hour, Some(508.89));
        let umbrella = &cluster.partition("gpu").unwrap().gpus;
        let kinds: Vec<(&str, u32)> = umbrella
            .iter()
            .map(|p| (p.gpu_type.as_str(), p.free))
            .collect();
        assert_eq!(kinds, [("a100-40", 5), ("a100-80", 8)]);
    }

    #[test]
    fn unknown_sites_keep_slurms_names() {
        let nodes = sinfo::parse_nodes(
            "n1|p|idle|gpu:4|gpu:1|(null)|\nn2|p|idle|gpu:l40s:2|gpu:l40s:0|(null)|\n",
            FIELDS,
            Separator::Char('|'),
        )
        .unwrap();
        let parts =
            scontrol::parse_partitions("PartitionName=p MaxTime=UNLIMITED Nodes=n[1-2] State=UP\n")
                .unwrap();
        let cluster = Cluster::build(&nodes, &parts, &Profile::generic());
        let gpus = &cluster.partitions[0].gpus;
        assert_eq!(
            (gpus[0].gpu_type.as_str(), gpus[0].free, gpus[0].vram_gb),
            ("gpu", 3, None)
        );
        assert_eq!(
            (gpus[1].gpu_type.as_str(), gpus[1].gres.as_deref()),
            ("l40s", Some("l40s"))
        );
        assert_eq!(cluster.partitions[0].max_time, None);
    }

    #[test]
    fn a_node_in_two_partitions_counts_once_in_the_clusters_gpus() {
        let nodes = sinfo::parse_nodes(
            "gpu-1|gpu|idle|gpu:a100:4|gpu:a100:0(IDX:N/A)|a100|\n\
             gpu-3|gpu|mixed|gpu:l40s:4|gpu:l40s:1(IDX:0)|l40s|\n\
             gpu-4|gpu|idle|gpu:l40s:4|gpu:l40s:0(IDX:N/A)|l40s|\n\
             gpu-3|gpu-debug|mixed|gpu:l40s:4|gpu:l40s:1(IDX:0)|l40s|\n\
             gpu-4|gpu-debug|idle|gpu:l40s:4|gpu:l40s:0(IDX:N/A)|l40s|\n",
            FIELDS,
            Separator::Char('|'),
        )
        .unwrap();
        let parts = scontrol::parse_partitions(
            "PartitionName=gpu Nodes=gpu-[1,3-4] State=UP\n\
             PartitionName=gpu-debug Nodes=gpu-[3-4] State=UP\n",
        )
        .unwrap();
        let cluster = Cluster::build(&nodes, &parts, &Profile::generic());
        let l40s: Vec<(u32, u32)> = cluster
            .gpus
            .iter()
            .filter(|p| p.gpu_type == "l40s")
            .map(|p| (p.total, p.free))
            .collect();
        assert_eq!(l40s, [(8, 7)]);
        let debug = &cluster.partition("gpu-debug").unwrap().gpus;
        assert_eq!((debug[0].total, debug[0].free), (8, 7));
    }
}
