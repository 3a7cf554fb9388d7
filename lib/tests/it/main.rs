//! Integration tests of the rv library. Tests that need the cluster run against the real
//! local Slurm testbed (`testbed/cluster up`) through `rv-testbed`.

mod cluster;
mod fixtures;
mod manual;
mod model;
mod remote;
mod testbed;
