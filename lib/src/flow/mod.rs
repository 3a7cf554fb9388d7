//! The work between a command's rim and the domain: the orchestrations that talk to the
//! cluster over a [`Session`](crate::session::Session)'s connection and decide what
//! happens next (plan then submit then watch; follow a log to its end; list your jobs).
//! They return data and [`Error`](crate::error::Error)s; the commands print.

pub mod forward;
pub mod jobs;
pub mod logs;
pub mod notify;
pub mod run;
pub mod sync;
pub mod up;
pub mod watch;
