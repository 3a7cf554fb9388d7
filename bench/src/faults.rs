//! Fault trials: the client killed right after submitting, the SSH master killed while
//! rv watches, Ctrl-C while every job waits, a client frozen for good. After each, the jobs
//! of the request still alive are counted: exactly one running when the client vanished
//! (the claim gate in the jobs decides), none after Ctrl-C.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::{Bench, Table};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Kill9,
    KillMaster,
    CtrlC,
    Frozen,
}

impl Fault {
    fn name(self) -> &'static str {
        match self {
            Fault::Kill9 => "kill -9 of the client right after submission",
            Fault::KillMaster => "the SSH master killed while rv watches",
            Fault::CtrlC => "Ctrl-C while every job is pending",
            Fault::Frozen => "the client frozen for good (SIGSTOP) after submission",
        }
    }

    /// The scenario and request: Ctrl-C needs jobs that cannot start.
    fn setup(self) -> (&'static str, Vec<&'static str>) {
        match self {
            Fault::CtrlC => (
                "a6000-full",
                vec![
                    "--gpu",
                    "4",
                    "--type",
                    "a6000",
                    "-p",
                    "gpu-a6000",
                    "--time",
                    "1h",
                ],
            ),
            _ => ("busy", vec!["--gpu", "1", "--vram", "40", "--time", "30m"]),
        }
    }

    /// Jobs that must be alive (running) afterwards.
    fn expected(self) -> usize {
        usize::from(self != Fault::CtrlC)
    }
}

/// Waits until the child prints a line containing `needle` on stderr (or 60 s pass).
fn wait_for(child: &mut Child, needle: &str) -> bool {
    let Some(err) = child.stderr.take() else {
        return false;
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let needle = needle.to_owned();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if line.contains(&needle) {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60)).is_ok()
}

fn signal(pid: u32, sig: &str) {
    let _ = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status();
}

/// Runs the section; failures are trials that left the wrong number of jobs.
pub fn run(b: &Bench) -> anyhow::Result<(Table, Vec<String>)> {
    let per_kind = b.trials(5);
    let settle = Duration::from_secs(if b.quick { 12 } else { 30 });
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for fault in [Fault::Kill9, Fault::KillMaster, Fault::CtrlC, Fault::Frozen] {
        let (scenario, request) = fault.setup();
        let mut right = 0;
        let mut left_counts = Vec::new();
        for trial in 0..per_kind {
            let _load = b.tb.scenario(scenario);
            let state = b.tb.control_dir(&format!("bench-fault-{trial}"));
            let name = format!("bench-fault-{}", rows.len() * 10 + trial);
            let mut child = b
                .rv("rv", &state)
                .args(["up", "--json", "--name", &name])
                .args(&request)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()?;
            let submitted = wait_for(&mut child, "submitted");
            match fault {
                Fault::Kill9 => signal(child.id(), "-KILL"),
                Fault::Frozen => signal(child.id(), "-STOP"),
                Fault::CtrlC => signal(child.id(), "-INT"),
                Fault::KillMaster => {
                    for socket in std::fs::read_dir(state.join("cm"))
                        .into_iter()
                        .flatten()
                        .flatten()
                    {
                        let _ = std::process::Command::new("ssh")
                            .arg("-S")
                            .arg(socket.path())
                            .args(["-O", "exit", "x"])
                            .output();
                    }
                }
            }
            let started = Instant::now();
            while started.elapsed() < settle {
                std::thread::sleep(Duration::from_millis(500));
            }
            let alive = b.states(&format!("{name}-"));
            let running = alive.iter().filter(|s| *s == "RUNNING").count();
            let all = alive.len();
            let ok = submitted && all == fault.expected() && running == fault.expected();
            right += usize::from(ok);
            left_counts.push(all);
            if !ok {
                failures.push(format!(
                    "{} (trial {trial}): {all} jobs alive ({running} running), expected {}",
                    fault.name(),
                    fault.expected()
                ));
            }
            signal(child.id(), "-KILL");
            signal(child.id(), "-CONT");
            let _ = child.wait();
            b.cancel(&format!("{name}-"));
        }
        rows.push(vec![
            fault.name().to_owned(),
            per_kind.to_string(),
            format!("{}", fault.expected()),
            format!("{left_counts:?}"),
            format!("{right}/{per_kind}"),
        ]);
    }
    Ok((
        Table {
            title: "Fault trials".into(),
            how: format!(
                "`rv up` on a loaded testbed (`busy`; `a6000-full` for Ctrl-C), the fault injected once the jobs are submitted, then the request's jobs still queued or running counted {} s later.",
                settle.as_secs()
            ),
            columns: vec![
                "fault".into(),
                "trials".into(),
                "jobs expected".into(),
                "jobs left per trial".into(),
                "right".into(),
            ],
            rows,
        },
        failures,
    ))
}
