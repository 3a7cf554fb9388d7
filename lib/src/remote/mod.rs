//! Talking to the cluster: batched round trips over one connection.

pub mod batch;
pub mod transport;
