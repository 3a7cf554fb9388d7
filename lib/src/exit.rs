//! Process exit codes shared by `rv` and every `rv-*` tool.
//!
//! They are part of rv's interface: scripts branch on them and the man pages list them.

/// The command did what was asked.
pub const SUCCESS: u8 = 0;
/// The command ran but failed: the cluster, the connection or a job said no.
pub const FAILURE: u8 = 1;
/// The input was wrong (a flag, a duration, an NDJSON line, a config key, an unknown
/// command); nothing was submitted or changed.
pub const USAGE: u8 = 2;
/// Interrupted by Ctrl-C or SIGTERM, after cleaning up (128 + SIGINT).
pub const INTERRUPTED: u8 = 130;
