//! rv: a Slurm GPU cluster that feels effortless.
//!
//! All of rv's logic lives in this library; the `rv` and `rv-*` binaries only parse their
//! arguments and call into it. Modules are named for the domain they model.

pub mod attach;
pub mod backfill;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod connect;
pub mod cost;
pub mod error;
pub mod exit;
pub mod external;
pub mod flow;
pub mod forward;
pub mod jobs;
pub mod logs;
pub mod manual;
pub mod notify;
pub mod plan;
pub mod probe;
pub mod profile;
pub mod records;
pub mod remote;
pub mod run;
pub mod script;
pub mod secrets;
pub mod session;
pub mod setup;
pub mod site_tools;
pub mod slurm;
pub mod state;
pub mod status;
pub mod style;
pub mod submit;
pub mod sync;
pub mod upgrade;
pub mod util;
pub mod watch;
