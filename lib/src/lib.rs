//! rv: a Slurm GPU cluster that feels effortless.
//!
//! All of rv's logic lives in this library; the `rv` and `rv-*` binaries only parse their
//! arguments and call into it. Modules are named for the domain they model, in layers that
//! only look down (a test reads every module's paths and finds no cycle):
//!
//! - [`cli`] and [`manual`]: the command line, defined once, and the man pages from it;
//! - [`commands`]: one rim per command: flags in, output out;
//! - [`flow`], over a [`session::Session`]: the work that talks to the cluster and decides
//!   what happens next (plan, submit, watch, follow logs, list jobs, sync);
//! - the domain: [`probe`], [`plan`], [`backfill`], [`submit`], [`watch`], [`jobs`],
//!   [`logs`], [`cancel`], [`lease`], [`script`], [`secrets`], [`notify`], [`forward`],
//!   [`status`], [`setup`], [`upgrade`], [`cost`], …, with [`slurm`]'s parsers and
//!   [`remote`]'s batch framing and transport under them;
//! - [`error`], [`exit`] and [`util`] at the bottom.

pub mod attach;
pub mod backfill;
pub mod board;
pub mod cancel;
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
pub mod lease;
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
