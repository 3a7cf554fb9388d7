//! `sinfo`: nodes, their partitions, state, GPUs (configured and in use), CPUs, memory and
//! features. A node in several partitions is printed once per partition; [`parse_nodes`]
//! merges those rows into one [`Node`].

use crate::slurm::ParseError;

use super::gres::{Gpus, parse_gpus};
use super::{Cut, Lenient, Separator, Unread, int, rows};

/// A column rv can read from `sinfo -N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `%N` / `NodeList`: the node's name.
    Node,
    /// `%P` / `Partition`: one partition (the default one carries a `*`).
    Partition,
    /// `%T` / `StateLong` or `%t` / `StateCompact`, with suffixes.
    State,
    /// `%G` / `Gres`: configured GRES.
    Gres,
    /// `-O GresUsed`: GRES in use, with `(IDX:…)`.
    GresUsed,
    /// `%C` / `CPUsState`: allocated/idle/other/total.
    Cpus,
    /// `%m` / `Memory`: real memory in MB.
    Memory,
    /// `-O AllocMem`: allocated memory in MB.
    AllocMemory,
    /// `%f` / `Features`: available features, comma separated.
    Features,
    /// A column rv does not read.
    Other,
}

impl Field {
    /// The column of a `-o` letter (`N`) or an `-O` name (`NodeList`).
    fn from_spec(spec: &str) -> Option<Field> {
        Some(match spec {
            "N" | "n" | "NodeList" | "NodeHost" => Field::Node,
            "P" | "R" | "Partition" | "PartitionName" => Field::Partition,
            "t" | "T" | "StateCompact" | "StateLong" => Field::State,
            "G" | "Gres" => Field::Gres,
            "GresUsed" => Field::GresUsed,
            "C" | "CPUsState" => Field::Cpus,
            "m" | "Memory" => Field::Memory,
            "AllocMem" => Field::AllocMemory,
            "f" | "b" | "Features" | "AvailableFeatures" => Field::Features,
            "a" | "A" | "c" | "D" | "e" | "E" | "l" | "L" | "s" | "z" | "X" | "Y" | "Z" | "O"
            | "H" | "u" | "U" | "w" | "CPUs" | "FreeMem" | "Reason" | "NodeAddr" | "Nodes"
            | "Available" | "Time" | "TimeLimit" => Field::Other,
            _ => return None,
        })
    }

    /// The column of a default `sinfo` header (`NODELIST`, `CPUS(A/I/O/T)`, …).
    fn from_header(h: &str) -> Option<Field> {
        Some(match h {
            "NODELIST" | "HOSTNAMES" => Field::Node,
            "PARTITION" => Field::Partition,
            "STATE" => Field::State,
            "GRES" => Field::Gres,
            "GRES_USED" => Field::GresUsed,
            "CPUS(A/I/O/T)" => Field::Cpus,
            "MEMORY" => Field::Memory,
            "ALLOCMEM" => Field::AllocMemory,
            "AVAIL_FEATURES" => Field::Features,
            "AVAIL" | "TIMELIMIT" | "NODES" | "CPUS" | "REASON" | "FREE_MEM" | "NODES(A/I)"
            | "S:C:T" | "TMP_DISK" | "WEIGHT" => Field::Other,
            _ => return None,
        })
    }

    /// The columns of a `sinfo -o` or `-O` format, or `None` if one is not understood.
    pub fn from_format(format: &str) -> Option<Vec<Field>> {
        super::columns_of_format(format, Field::from_spec)
    }
}

/// The columns of [`COMMAND`], in order.
pub const FIELDS: &[Field] = &[
    Field::Node,
    Field::Partition,
    Field::State,
    Field::Gres,
    Field::GresUsed,
    Field::Cpus,
    Field::Memory,
    Field::AllocMemory,
    Field::Features,
];

/// The `sinfo` rv runs: every node row with [`FIELDS`], `|`-terminated and wide enough that
/// `-O` never truncates (it does so silently).
pub const COMMAND: &str = "sinfo -h -N -O 'NodeList:80|,Partition:80|,StateLong:40|,Gres:300|,GresUsed:300|,CPUsState:40|,Memory:20|,AllocMem:20|,Features:300|'";

/// How the fields of [`COMMAND`] are separated: `-O` ends each with the `|` given after it.
pub const SEPARATOR: Separator = Separator::Terminated('|');

/// A node's state: its base state and the flags Slurm appends as suffix characters (each
/// suffix is independent, hence the booleans).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NodeState {
    /// The base state, lower case without suffixes (`idle`, `mixed`, `allocated`, `drained`,
    /// `down`, `inval`, `reserved`, `planned`, …), with compact forms (`mix`, `alloc`,
    /// `drain`, `drng`, `comp`, `resv`, `unk`) spelt out.
    pub base: String,
    /// `*`: the node does not respond.
    pub not_responding: bool,
    /// `~`, `#`, `%`, `!`: powered down, powering up or down.
    pub power_saving: bool,
    /// `$`: inside a maintenance reservation.
    pub maintenance: bool,
    /// `@` or `^`: a reboot is pending or running.
    pub rebooting: bool,
    /// `-`: planned by the backfill scheduler for a pending job.
    pub planned: bool,
}

impl NodeState {
    /// Parses `mixed-`, `idle*`, `drng@`, `down~`, `inval`, …, and the compound states of
    /// newer Slurm, a base state with `+FLAG`s: `idle+drain`, `MIXED+DRAIN+RESERVED`,
    /// `idle+cloud+powered_down`.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let s = s.trim();
        let mut words = s.split('+');
        let head = words.next().unwrap_or_default();
        let base_end = head
            .find(|c: char| !(c.is_ascii_alphabetic() || c == '_'))
            .unwrap_or(head.len());
        let (base, suffix) = head.split_at(base_end);
        if base.is_empty() {
            return Err(ParseError::new("node state", s, "no state name"));
        }
        let mut state = NodeState {
            base: spell_out(&base.to_ascii_lowercase()).to_owned(),
            not_responding: false,
            power_saving: false,
            maintenance: false,
            rebooting: false,
            planned: false,
        };
        for c in suffix.chars() {
            match c {
                '*' => state.not_responding = true,
                '~' | '#' | '%' | '!' => state.power_saving = true,
                '$' => state.maintenance = true,
                '@' | '^' => state.rebooting = true,
                '-' => state.planned = true,
                _ => {
                    return Err(ParseError::new(
                        "node state",
                        s,
                        format!("unknown suffix {c:?}"),
                    ));
                }
            }
        }
        for flag in words {
            state
                .add_flag(flag)
                .map_err(|why| ParseError::new("node state", s, why))?;
        }
        Ok(state)
    }

    /// Applies one `+FLAG` of a compound state (Slurm's node state flags). An empty one is
    /// the compact form's `+` ("more flags than shown").
    fn add_flag(&mut self, flag: &str) -> Result<(), String> {
        let busy = matches!(self.base.as_str(), "allocated" | "mixed" | "completing");
        match flag.to_ascii_uppercase().as_str() {
            "" | "CLOUD" | "DYNAMIC_FUTURE" | "DYNAMIC_NORM" | "PERFCTRS" | "RESUME"
            | "BLOCKED" | "REBOOT_CANCELED" | "REBOOT_CANCEL" | "EXTERNAL" => {}
            "COMPLETING" => {
                if !busy {
                    "completing".clone_into(&mut self.base);
                }
            }
            "DRAIN" | "DRAINING" | "DRAINED" if busy => "draining".clone_into(&mut self.base),
            "DRAIN" | "DRAINING" | "DRAINED" => "drained".clone_into(&mut self.base),
            "FAIL" if busy => "failing".clone_into(&mut self.base),
            "FAIL" => "fail".clone_into(&mut self.base),
            "INVALID_REG" => "inval".clone_into(&mut self.base),
            "RESERVED" | "RES" => {
                if !self.base.starts_with("drain") {
                    "reserved".clone_into(&mut self.base);
                }
            }
            "NOT_RESPONDING" | "NO_RESPOND" => self.not_responding = true,
            "POWER_DOWN" | "POWERED_DOWN" | "POWERING_DOWN" | "POWER_UP" | "POWERING_UP"
            | "POWER_DRAIN" => self.power_saving = true,
            "MAINTENANCE" | "MAINT" => self.maintenance = true,
            "REBOOT_REQUESTED" | "REBOOT_ISSUED" | "REBOOT" => self.rebooting = true,
            "PLANNED" => self.planned = true,
            other => return Err(format!("unknown state flag {other:?}")),
        }
        Ok(())
    }

    /// Whether the scheduler can start new jobs on the node now.
    pub fn accepts_jobs(&self) -> bool {
        matches!(self.base.as_str(), "idle" | "mixed" | "planned")
            && !self.not_responding
            && !self.power_saving
            && !self.maintenance
            && !self.rebooting
    }
}

fn spell_out(base: &str) -> &str {
    match base {
        "mix" => "mixed",
        "alloc" => "allocated",
        "drain" => "drained",
        "drng" => "draining",
        "comp" => "completing",
        "resv" => "reserved",
        "unk" => "unknown",
        "npc" => "perfctrs",
        "plnd" => "planned",
        "futr" => "future",
        "fail" => "fail",
        "failg" => "failing",
        "pow_dn" | "powered_down" => "powered_down",
        other => other,
    }
}

/// CPU counts as `%C` prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cpus {
    /// Allocated.
    pub allocated: u32,
    /// Idle.
    pub idle: u32,
    /// Other (down, drained).
    pub other: u32,
    /// Total.
    pub total: u32,
}

/// One node, merged over all the partitions it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Node {
    /// Its name.
    pub name: String,
    /// The partitions that hold it, in the order sinfo listed them, without `*`.
    pub partitions: Vec<String>,
    /// Its state.
    pub state: NodeState,
    /// Configured GPUs.
    pub gpus: Vec<Gpus>,
    /// GPUs in use, when that column was read.
    pub gpus_used: Option<Vec<Gpus>>,
    /// CPU counts, when read.
    pub cpus: Option<Cpus>,
    /// Real memory in MB, when read.
    pub memory_mb: Option<u64>,
    /// Allocated memory in MB, when read.
    pub allocated_memory_mb: Option<u64>,
    /// Available features.
    pub features: Vec<String>,
}

/// Parses `sinfo` rows with the given columns; a header line, when present, gives the
/// columns instead. A row may describe several nodes (`a6000-[01-02]` without `-N`); rows
/// of the same node in several partitions are merged into one [`Node`]. The first row rv
/// cannot read fails the parse.
pub fn parse_nodes(text: &str, fields: &[Field], sep: Separator) -> Result<Vec<Node>, ParseError> {
    let read = parse_nodes_lenient(text, fields, sep)?;
    match read.unread.into_iter().next() {
        Some(unread) => Err(unread.error),
        None => Ok(read.items),
    }
}

/// As [`parse_nodes`], but a row rv cannot read (an odd state, a GRES it cannot place) is
/// skipped and returned in [`Lenient::unread`]: nodes are never the user's own.
pub fn parse_nodes_lenient(
    text: &str,
    fields: &[Field],
    sep: Separator,
) -> Result<Lenient<Node>, ParseError> {
    let mut columns = fields.to_vec();
    let mut nodes: Vec<Node> = Vec::new();
    // Where each node is in `nodes`: the merge stays linear in the rows.
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut unread = Vec::new();
    for (line, row) in rows(text, sep, columns.len()) {
        // A header is upper-case words, one of them naming the nodes or partition; the
        // words are only split when the row starts like one.
        let first = row.split_whitespace().next().unwrap_or_default();
        let header_like =
            !first.is_empty() && first.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
        if header_like
            && row
                .split_whitespace()
                .any(|w| matches!(w, "NODELIST" | "HOSTNAMES" | "PARTITION"))
        {
            columns = row
                .split_whitespace()
                .map(|h| {
                    Field::from_header(h)
                        .ok_or_else(|| ParseError::new("sinfo header", h, "unknown column"))
                })
                .collect::<Result<_, _>>()
                .map_err(|e| e.at_line(line))?;
            continue;
        }
        let (names, node) = match parse_row(&row, &columns, sep) {
            Ok(read) => read,
            Err(error) => {
                unread.push(Unread {
                    row: row.into_owned(),
                    error: error.at_line(line),
                });
                continue;
            }
        };
        for name in names {
            match index.get(&name) {
                Some(&at) => {
                    let seen = &mut nodes[at];
                    for p in &node.partitions {
                        if !seen.partitions.contains(p) {
                            seen.partitions.push(p.clone());
                        }
                    }
                }
                None => {
                    index.insert(name.clone(), nodes.len());
                    nodes.push(Node {
                        name,
                        ..node.clone()
                    });
                }
            }
        }
    }
    Ok(Lenient {
        items: nodes,
        unread,
    })
}

/// One row: the node names it covers and what it says of them.
fn parse_row(
    line: &str,
    fields: &[Field],
    sep: Separator,
) -> Result<(Vec<String>, Node), ParseError> {
    let mut values = Cut::default();
    if !values.split(line, sep, fields.len()) {
        return Err(ParseError::new(
            "sinfo",
            line,
            format!("expected {} columns", fields.len()),
        ));
    }
    let mut node = Node {
        name: String::new(),
        partitions: Vec::new(),
        state: NodeState::parse("unknown")?,
        gpus: Vec::new(),
        gpus_used: None,
        cpus: None,
        memory_mb: None,
        allocated_memory_mb: None,
        features: Vec::new(),
    };
    let mut names = Vec::new();
    for (field, &value) in fields.iter().zip(values.fields()) {
        match field {
            // `(null)`: a row of no node (a partition without nodes).
            Field::Node if value == "(null)" => return Ok((Vec::new(), node)),
            Field::Node => names = crate::slurm::hostlist::expand(value)?,
            Field::Other => {}
            Field::Partition => node.partitions.push(value.trim_end_matches('*').to_owned()),
            Field::State => node.state = NodeState::parse(value)?,
            Field::Gres => node.gpus = parse_gpus(value)?,
            Field::GresUsed => node.gpus_used = Some(parse_gpus(value)?),
            Field::Cpus => node.cpus = Some(parse_cpus(value)?),
            Field::Memory => node.memory_mb = Some(int("sinfo", "memory", value)?),
            // `N/A` on a node whose slurmd has not registered.
            Field::AllocMemory if matches!(value, "N/A" | "(null)") => {}
            Field::AllocMemory => {
                node.allocated_memory_mb = Some(int("sinfo", "allocated memory", value)?);
            }
            Field::Features => {
                node.features = value
                    .split(',')
                    .filter(|f| !f.is_empty() && *f != "(null)")
                    .map(str::to_owned)
                    .collect();
            }
        }
    }
    if names.is_empty() {
        return Err(ParseError::new("sinfo", line, "no node name"));
    }
    Ok((names, node))
}

fn parse_cpus(s: &str) -> Result<Cpus, ParseError> {
    let n: Vec<u32> = s
        .split('/')
        .map(|p| int("sinfo", "CPU count", p))
        .collect::<Result<_, _>>()?;
    match n.as_slice() {
        &[allocated, idle, other, total] => Ok(Cpus {
            allocated,
            idle,
            other,
            total,
        }),
        _ => Err(ParseError::new(
            "sinfo",
            s,
            "CPUs are allocated/idle/other/total",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slurm::parse::test_support::{fixture, sample, sample_in};
    use proptest::prelude::*;

    const T_G_C_M: &[Field] = &[
        Field::Node,
        Field::State,
        Field::Gres,
        Field::Cpus,
        Field::Memory,
    ];

    #[test]
    fn reads_rivanna_rows() {
        let nodes = parse_nodes(
            &fixture("rivanna/sinfo-node-T-G-C-m.txt"),
            T_G_C_M,
            Separator::Whitespace,
        )
        .unwrap();
        assert_eq!(nodes.len(), 3);
        let an25 = &nodes[0];
        assert_eq!(an25.name, "udc-an25-20");
        assert_eq!(an25.state.base, "mixed");
        assert!(an25.state.planned, "`mixed-` is planned by backfill");
        assert!(an25.state.accepts_jobs());
        assert_eq!(
            an25.gpus,
            vec![Gpus {
                kind: Some("a6000".into()),
                count: 8
            }]
        );
        assert_eq!(
            an25.cpus,
            Some(Cpus {
                allocated: 5,
                idle: 43,
                other: 0,
                total: 48
            })
        );
        assert_eq!(an25.memory_mb, Some(257_000));
        assert_eq!(
            nodes[1].gpus,
            vec![Gpus {
                kind: Some("a100".into()),
                count: 8
            }]
        );
        assert_eq!(nodes[1].cpus.unwrap().total, 128);
        assert_eq!(
            nodes[2].gpus,
            vec![Gpus {
                kind: Some("1g.10gb".into()),
                count: 56
            }]
        );
        assert!(!nodes[2].state.planned);
        assert_eq!(nodes[2].memory_mb, Some(2_000_000));
    }

    #[test]
    fn reads_testbed_rows_and_merges_partitions() {
        let text = sample("sinfo_busy.txt", "sinfo -N -o \"%N %P %t %G %C\"");
        let fields = [
            Field::Node,
            Field::Partition,
            Field::State,
            Field::Gres,
            Field::Cpus,
        ];
        let nodes = parse_nodes(&text, &fields, Separator::Whitespace).unwrap();
        assert_eq!(nodes.len(), 18);
        let cpu = nodes.iter().find(|n| n.name == "cpu-01").unwrap();
        assert_eq!(cpu.partitions, ["standard"]);
        assert!(cpu.gpus.is_empty());
        assert_eq!(cpu.state.base, "mixed");
        let merged = parse_nodes(
            "a6000-01 gpu-a6000 mix gpu:a6000:8(S:0-1) 1/47/0/48\na6000-01 gpu mix gpu:a6000:8(S:0-1) 1/47/0/48\n",
            &fields,
            Separator::Whitespace,
        )
        .unwrap();
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].partitions, ["gpu-a6000", "gpu"]);
    }

    #[test]
    fn reads_rvs_own_format() {
        let text = "a6000-01            |gpu-a6000           |mixed               |gpu:a6000:8(S:0-1)  |gpu:a6000:4(IDX:0-3)|4/44/0/48           |500000              |16000               |(null)              |\n\
                    a100-80g-01|gpu|idle|gpu:a100:8(S:0-1)|gpu:a100:0(IDX:N/A)|0/64/0/64|1000000|0|a100_80gb|\n\
                    cpu-01|standard*|drained*|(null)|gpu:0|0/0/64/64|515000|0|(null)|\n";
        let nodes = parse_nodes(text, FIELDS, Separator::Char('|')).unwrap();
        assert_eq!(
            nodes[0].gpus_used,
            Some(vec![Gpus {
                kind: Some("a6000".into()),
                count: 4
            }])
        );
        assert_eq!(nodes[0].allocated_memory_mb, Some(16000));
        assert_eq!(nodes[1].features, ["a100_80gb"]);
        assert_eq!(nodes[1].gpus_used, Some(vec![]));
        assert_eq!(nodes[2].partitions, ["standard"]);
        assert!(nodes[2].state.not_responding);
        assert!(!nodes[2].state.accepts_jobs());
    }

    #[test]
    fn reads_every_state_suffix() {
        for (raw, base) in [
            ("mixed-", "mixed"),
            ("idle*", "idle"),
            ("idle~", "idle"),
            ("idle#", "idle"),
            ("mixed$", "mixed"),
            ("allocated@", "allocated"),
            ("mix+", "mixed"),
            ("inval", "inval"),
            ("reserved", "reserved"),
            ("planned", "planned"),
            ("drng", "draining"),
            ("down*", "down"),
        ] {
            assert_eq!(NodeState::parse(raw).unwrap().base, base, "{raw}");
        }
        assert!(NodeState::parse("idle").unwrap().accepts_jobs());
        assert!(NodeState::parse("planned").unwrap().accepts_jobs());
        for no in [
            "idle*",
            "idle~",
            "mixed$",
            "allocated",
            "drained",
            "down",
            "inval",
            "reserved",
        ] {
            assert!(!NodeState::parse(no).unwrap().accepts_jobs(), "{no}");
        }
        assert!(NodeState::parse("idle?").is_err());
        assert!(NodeState::parse("").is_err());
    }

    #[test]
    fn reads_compound_states() {
        let drained = NodeState::parse("idle+drain").unwrap();
        assert_eq!(drained.base, "drained");
        assert!(!drained.accepts_jobs());
        assert_eq!(NodeState::parse("MIXED+DRAIN").unwrap().base, "draining");
        let busy = NodeState::parse("mixed+drain+reserved").unwrap();
        assert_eq!(busy.base, "draining", "drain wins over the reservation");
        assert_eq!(NodeState::parse("idle+reserved").unwrap().base, "reserved");
        let cloud = NodeState::parse("IDLE+CLOUD+POWERED_DOWN").unwrap();
        assert_eq!(cloud.base, "idle");
        assert!(cloud.power_saving && !cloud.accepts_jobs());
        assert!(
            NodeState::parse("down+not_responding")
                .unwrap()
                .not_responding
        );
        assert!(NodeState::parse("idle+maint").unwrap().maintenance);
        assert!(NodeState::parse("mixed+planned").unwrap().planned);
        assert!(NodeState::parse("mixed+planned").unwrap().accepts_jobs());
        assert!(NodeState::parse("idle+reboot_requested").unwrap().rebooting);
        assert_eq!(
            NodeState::parse("allocated+completing").unwrap().base,
            "allocated"
        );
        assert_eq!(NodeState::parse("idle+fail").unwrap().base, "fail");
        assert_eq!(NodeState::parse("idle+invalid_reg").unwrap().base, "inval");
        assert!(
            NodeState::parse("idle+dynamic_norm")
                .unwrap()
                .accepts_jobs()
        );
        let err = NodeState::parse("idle+sleepy").unwrap_err();
        assert!(err.to_string().contains("unknown state flag"), "{err}");
    }

    #[test]
    fn reads_gpus_in_use_on_24_11() {
        let g = |kind: Option<&str>, count| Gpus {
            kind: kind.map(Into::into),
            count,
        };
        let text = sample_in("testbed-24.11", "busy_sinfo_rv.txt", COMMAND);
        let nodes = parse_nodes(&text, FIELDS, Separator::Char('|')).unwrap();
        let node = |name: &str| nodes.iter().find(|n| n.name == name).unwrap();
        assert_eq!(nodes.len(), 18);
        assert_eq!(node("a40-01").gpus, [g(Some("a40"), 8)]);
        assert_eq!(node("a40-01").gpus_used, Some(vec![g(Some("a40"), 8)]));
        assert_eq!(node("a40-01").partitions, ["gpu-a40", "gpu"]);
        assert_eq!(node("cpu-01").gpus_used, Some(vec![]), "(null)");
        let generic = sample_in("generic-24.11", "busy_sinfo_rv.txt", COMMAND);
        let nodes = parse_nodes(&generic, FIELDS, Separator::Char('|')).unwrap();
        let node = |name: &str| nodes.iter().find(|n| n.name == name).unwrap();
        assert_eq!(node("cpu-1").gpus, []);
        assert_eq!(node("cpu-1").gpus_used, Some(vec![]));
        assert_eq!(node("gpu-3").gpus_used, Some(vec![]), "gpu:l40s:0(IDX:N/A)");
        assert_eq!(node("shared-1").gpus, [g(None, 2)]);
    }

    #[test]
    fn skips_null_node_rows_and_reads_unknown_memory() {
        let text = "(null)|gpu-empty|unknown|(null)|(null)|0/0/0/0|0|N/A|(null)|\n\
                    a40-01|gpu-a40|idle+drain|gpu:a40:8(S:0-1)|gpu:a40:0(IDX:N/A)|0/48/0/48|500000|N/A|(null)|\n";
        let nodes = parse_nodes(text, FIELDS, Separator::Char('|')).unwrap();
        assert_eq!(nodes.len(), 1);
        assert_eq!(nodes[0].name, "a40-01");
        assert_eq!(nodes[0].allocated_memory_mb, None);
        assert_eq!(nodes[0].state.base, "drained");
    }

    #[test]
    fn names_the_bad_line() {
        let err = parse_nodes("a 1 x\n", T_G_C_M, Separator::Whitespace).unwrap_err();
        assert_eq!(err.line, Some(1));
        let err = parse_nodes(
            "n1 idle gpu:a:2 1/2/3/4 100\nn2 idle gpu:a:2 1/2/3 100\n",
            T_G_C_M,
            Separator::Whitespace,
        )
        .unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(
            err.to_string().contains("allocated/idle/other/total"),
            "{err}"
        );
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,200}") {
            let _ = parse_nodes(&s, FIELDS, Separator::Char('|'));
            let _ = parse_nodes(&s, T_G_C_M, Separator::Whitespace);
        }
    }
}
