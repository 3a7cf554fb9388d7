//! `rv-bench`: rv's benchmarks and fault trials on the testbed (run it with `bench/run`).
//!
//! Sections: `overhead` (SSH round trips per command, `rv ps` against a raw `squeue` over
//! the same master, start-up time), `bad-input` (a corpus of malformed flags, durations,
//! NDJSON, configs and Slurm output: every one a clear error, never a panic), `faults`
//! (killed clients, a killed SSH master, Ctrl-C, a frozen client: how many jobs are left;
//! the same after the shell opened: whether the lease ends the job, and what it burnt),
//! `time-to-gpu` (rv's fan-out against a plain `sbatch` and a native multi-partition job on
//! loaded scenarios, on a compressed clock), `scale` (the probe's time and reply size under the
//! layout's fullest load). `--quick` runs one short trial of each; the full
//! run writes `BENCHMARKS.md` and `bench/time-to-gpu-<slurm version>.svg`.

// Statistics over a few hundred samples of seconds: float casts lose nothing that matters.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

mod after_attach;
mod bad_input;
mod faults;
mod overhead;
mod report;
mod scale;
mod time_to_gpu;

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context as _, bail};
use rv_testbed::{ControlDir, Testbed};

/// What every section needs.
#[derive(Debug)]
pub struct Bench {
    /// The testbed.
    pub tb: Testbed,
    /// Where the `rv` binaries are.
    pub bin: PathBuf,
    /// One short trial of each kind.
    pub quick: bool,
    /// Trials per case instead of each section's full count (`--trials N`).
    pub trials: Option<usize>,
}

impl Bench {
    /// `program` (an rv binary) with the testbed's environment and `state`.
    pub fn rv(&self, program: &str, state: &ControlDir) -> Command {
        self.tb.rv(&self.bin.join(program).to_string_lossy(), state)
    }

    /// The states of the test user's jobs whose name starts with `prefix` (rv names jobs
    /// `<name>-<request tail>-<strategy>`).
    pub fn states(&self, prefix: &str) -> Vec<String> {
        let out = self
            .tb
            .ssh("squeue -h -u rvtest -t PD,R,CF,CG -o '%j %T'")
            .stdout;
        out.lines()
            .filter_map(|l| l.split_once(' '))
            .filter(|(name, _)| name.starts_with(prefix))
            .map(|(_, state)| state.to_owned())
            .collect()
    }

    /// Cancels the test user's jobs whose name starts with `prefix`.
    pub fn cancel(&self, prefix: &str) {
        self.tb.ssh(&format!(
            "squeue -h -u rvtest -o '%i %j' | awk -v p={} 'index($2, p) == 1 {{ print $1 }}' | xargs -r scancel",
            rv::util::quote(prefix)
        ));
    }

    /// Trials per case: 1 quick, else `--trials N`, else `full`.
    pub fn trials(&self, full: usize) -> usize {
        if self.quick {
            1
        } else {
            self.trials.unwrap_or(full)
        }
    }
}

/// A table for the report: a title, column names, rows.
#[derive(Debug, Clone)]
pub struct Table {
    /// The section title.
    pub title: String,
    /// A sentence on how it was measured.
    pub how: String,
    /// Column names.
    pub columns: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// As Markdown.
    pub fn markdown(&self) -> String {
        let mut s = format!("### {}\n\n{}\n\n", self.title, self.how);
        s.push_str(&format!("| {} |\n", self.columns.join(" | ")));
        s.push_str(&format!("|{}\n", " --- |".repeat(self.columns.len())));
        for r in &self.rows {
            s.push_str(&format!("| {} |\n", r.join(" | ")));
        }
        s
    }
}

/// The median of `v` (sorted in place); 0 when empty.
pub fn median(v: &mut [f64]) -> f64 {
    percentile(v, 0.5)
}

/// The `p` quantile of `v` (nearest rank; sorted in place); 0 when empty.
pub fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let rank = (p * v.len() as f64).ceil().max(1.0) as usize;
    v[rank.min(v.len()) - 1]
}

fn main() -> anyhow::Result<()> {
    let mut quick = false;
    let mut trials = None;
    let mut bin = PathBuf::from("target/release");
    let mut sections = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--bin-dir" => bin = PathBuf::from(args.next().context("--bin-dir needs a directory")?),
            "--trials" => {
                let n = args.next().context("--trials needs a number")?;
                trials = Some(
                    n.parse::<usize>()
                        .ok()
                        .filter(|&n| n > 0)
                        .with_context(|| format!("--trials: {n:?} is not a positive number"))?,
                );
            }
            "overhead" | "bad-input" | "faults" | "time-to-gpu" | "scale" => sections.push(a),
            other => bail!(
                "unknown argument {other:?} (--quick, --bin-dir DIR, --trials N, overhead, bad-input, faults, time-to-gpu, scale)"
            ),
        }
    }
    if sections.is_empty() {
        sections = ["overhead", "bad-input", "faults", "time-to-gpu", "scale"]
            .map(str::to_owned)
            .to_vec();
    }
    let tb = Testbed::load().map_err(anyhow::Error::msg)?;
    let bench = Bench {
        tb,
        bin: std::fs::canonicalize(&bin).with_context(|| bin.display().to_string())?,
        quick,
        trials,
    };
    let mut tables = Vec::new();
    let mut failures = Vec::new();
    let mut plot = None;
    for s in &sections {
        eprintln!("rv-bench: {s}{}", if quick { " (quick)" } else { "" });
        match s.as_str() {
            "overhead" => tables.extend(overhead::run(&bench)?),
            "scale" => tables.extend(scale::run(&bench)?),
            "bad-input" => {
                let (t, f) = bad_input::run(&bench)?;
                tables.push(t);
                failures.extend(f);
            }
            "faults" => {
                for (t, f) in [faults::run(&bench)?, after_attach::run(&bench)?] {
                    tables.push(t);
                    failures.extend(f);
                }
            }
            _ => {
                let (t, svg) = time_to_gpu::run(&bench);
                tables.extend(t);
                plot = Some(svg);
            }
        }
    }
    let text: Vec<String> = tables.iter().map(Table::markdown).collect();
    rv::commands::print_lines(text.iter().map(String::as_str))?;
    if !quick {
        report::write(&tables, plot.as_ref())?;
        eprintln!("rv-bench: wrote BENCHMARKS.md");
    }
    if !failures.is_empty() {
        bail!(
            "{} case(s) went wrong:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
    Ok(())
}
