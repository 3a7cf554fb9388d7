//! Integration tests of the rv library. Tests that need the cluster run against the real
//! local Slurm testbed (`testbed/cluster up`) through `rv-testbed`.

mod cluster;
mod fixtures;
mod manual;
mod model;
mod modules;
mod remote;
mod testbed;

use std::time::Duration;

use rv::remote::transport::{Ssh, SshTarget};
use rv_testbed::{ControlDir, Testbed};

/// How rv reaches the testbed: its ssh alias, through its ssh config.
fn target(tb: &Testbed) -> SshTarget {
    SshTarget {
        host: rv_testbed::SSH_ALIAS.into(),
        config_file: Some(tb.ssh_config.clone()),
        ..SshTarget::default()
    }
}

/// rv's ssh transport to the testbed, its master's socket in `dir`.
async fn connect(tb: &Testbed, dir: &ControlDir) -> Ssh {
    Ssh::connect(&target(tb), dir, Duration::from_secs(30))
        .await
        .unwrap()
}
