//! Integration tests of the rv binaries, run as real processes.

mod completions;
mod docs;
mod env;
mod everyday;
mod generic;
mod install;
mod lease;
mod mixed;
mod multiplexer;
mod notify;
mod plan;
mod probe;
mod rivanna;
mod run;
mod segments;
mod submit;
mod support;
mod sync;
mod up;
mod watch;
