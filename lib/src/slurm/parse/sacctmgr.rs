//! `sacctmgr`: the limits accounting puts on GPUs (QOS and the user's associations), and
//! the user's accounts.

use crate::slurm::ParseError;

use super::Table;

/// The QOS table rv reads: per-user, per-job and group TRES limits, parsable, with a header.
pub const QOS_COMMAND: &str = "sacctmgr -P show qos format=name,maxtrespu,maxtres,grptres";

/// The calling user's associations (one per account, and per partition where set), with
/// their QOS and TRES limits, parsable, with a header.
pub const ASSOC_COMMAND: &str = "sacctmgr -P show assoc where user=\"$(id -un)\" \
     format=account,partition,defaultqos,qos,grptres,maxtres";

/// The calling user's default account, alone on a line.
pub const DEFAULT_ACCOUNT_COMMAND: &str =
    "sacctmgr -n -P show user \"$(id -un)\" format=defaultaccount";

/// A quality of service and its GPU limits.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Qos {
    /// Its name.
    pub name: String,
    /// GPUs one user may run at once under it (`MaxTRESPerUser=gres/gpu=N`).
    pub max_gpus_per_user: Option<u32>,
    /// GPUs one job may have (`MaxTRES=gres/gpu=N`).
    pub max_gpus_per_job: Option<u32>,
    /// GPUs all its jobs together may have (`GrpTRES=gres/gpu=N`).
    pub max_gpus: Option<u32>,
}

/// One association of the user: an account (and partition) with its QOS and GPU limits.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Assoc {
    /// The account.
    pub account: String,
    /// The partition it is limited to, if any.
    pub partition: Option<String>,
    /// The QOS jobs get without `--qos`.
    pub default_qos: Option<String>,
    /// The QOS it may use.
    pub qos: Vec<String>,
    /// GPUs the association's jobs together may have (`GrpTRES`).
    pub max_gpus: Option<u32>,
    /// GPUs one job may have (`MaxTRES`).
    pub max_gpus_per_job: Option<u32>,
}

impl Assoc {
    /// The QOS a job of this association gets without `--qos`: the default, else `normal`
    /// when allowed, else the only one.
    pub fn job_qos(&self) -> Option<&str> {
        self.default_qos
            .as_deref()
            .or_else(|| match self.qos.as_slice() {
                [one] => Some(one.as_str()),
                many => many.iter().find(|q| *q == "normal").map(String::as_str),
            })
    }
}

/// The GPUs in a TRES list (`cpu=8,gres/gpu=4,mem=64G`): the untyped `gres/gpu` count.
/// Typed counts (`gres/gpu:a100=2`) limit one kind only and are left out.
pub fn tres_gpus(tres: &str) -> Option<u32> {
    tres.split(',')
        .find_map(|t| t.trim().strip_prefix("gres/gpu="))
        .and_then(|n| n.parse().ok())
}

/// Parses [`QOS_COMMAND`]'s output.
pub fn parse_qos(text: &str) -> Result<Vec<Qos>, ParseError> {
    let table = Table::parse("sacctmgr qos", text)?;
    if table.headers.is_empty() {
        return Ok(Vec::new());
    }
    let col = |name| {
        table
            .column(name)
            .ok_or_else(|| ParseError::new("sacctmgr qos", text, format!("no {name} column")))
    };
    let name = col("Name")?;
    let (per_user, per_job, group) = (
        table.column("MaxTRESPU"),
        table.column("MaxTRES"),
        table.column("GrpTRES"),
    );
    Ok(table
        .rows
        .iter()
        .filter_map(|(_, cells)| {
            let cell = |c: Option<usize>| c.and_then(|c| cells.get(c)).copied().unwrap_or("");
            let n = cell(Some(name));
            (!n.is_empty()).then(|| Qos {
                name: n.to_owned(),
                max_gpus_per_user: tres_gpus(cell(per_user)),
                max_gpus_per_job: tres_gpus(cell(per_job)),
                max_gpus: tres_gpus(cell(group)),
            })
        })
        .collect())
}

/// Parses [`ASSOC_COMMAND`]'s output.
pub fn parse_assocs(text: &str) -> Result<Vec<Assoc>, ParseError> {
    let table = Table::parse("sacctmgr assoc", text)?;
    if table.headers.is_empty() {
        return Ok(Vec::new());
    }
    let account = table
        .column("Account")
        .ok_or_else(|| ParseError::new("sacctmgr assoc", text, "no Account column"))?;
    let [partition, default_qos, qos, group, per_job] =
        ["Partition", "Def QOS", "QOS", "GrpTRES", "MaxTRES"].map(|c| table.column(c));
    Ok(table
        .rows
        .iter()
        .filter_map(|(_, cells)| {
            let cell = |c: Option<usize>| c.and_then(|c| cells.get(c)).copied().unwrap_or("");
            let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
            let a = cell(Some(account));
            (!a.is_empty()).then(|| Assoc {
                account: a.to_owned(),
                partition: some(cell(partition)),
                default_qos: some(cell(default_qos)),
                qos: cell(qos)
                    .split(',')
                    .filter(|q| !q.is_empty())
                    .map(str::to_owned)
                    .collect(),
                max_gpus: tres_gpus(cell(group)),
                max_gpus_per_job: tres_gpus(cell(per_job)),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qos_gpu_limits_and_the_untyped_gpu_count() {
        let q = parse_qos(
            "Name|MaxTRESPU|MaxTRES|GrpTRES\nnormal|gres/gpu=8||\n\
             long|cpu=64,gres/gpu:a100=2|gres/gpu=4|gres/gpu=32\n",
        )
        .unwrap();
        assert_eq!(q[0].max_gpus_per_user, Some(8));
        assert_eq!(q[0].max_gpus_per_job, None);
        assert_eq!(
            (q[1].max_gpus_per_user, q[1].max_gpus_per_job, q[1].max_gpus),
            (None, Some(4), Some(32))
        );
        assert!(parse_qos("").unwrap().is_empty());
        assert!(
            parse_qos("Name|MaxTRESPU\nnormal|gres/gpu=x\n").unwrap()[0]
                .max_gpus_per_user
                .is_none()
        );
    }

    #[test]
    fn associations_and_the_qos_a_job_gets() {
        let a = parse_assocs(
            "Account|Partition|Def QOS|QOS|GrpTRES|MaxTRES\n\
             physics|||normal,long||gres/gpu=4\n\
             chem|gpu|long|long,normal|gres/gpu=16|\n",
        )
        .unwrap();
        assert_eq!(a[0].job_qos(), Some("normal"));
        assert_eq!(a[0].max_gpus_per_job, Some(4));
        assert_eq!(a[1].partition.as_deref(), Some("gpu"));
        assert_eq!(a[1].job_qos(), Some("long"));
        assert_eq!(a[1].max_gpus, Some(16));
        assert!(parse_assocs("Partition\nx\n").is_err());
    }
}
