//! Time to GPU: rv's fan-out against a plain `sbatch` of the requested type at Rivanna's
//! default walltime and a native multi-partition job, on loaded scenarios with a compressed
//! clock, side by side in one run; and how often rv's predictions held.

use std::time::{Duration, Instant};

use rv::records::{Envelope, Record, Strategy, Window, WindowSource};

use crate::{Bench, Table, median, percentile};

/// The clock compression: Rivanna minutes per testbed minute.
pub const SCALE: u32 = 60;

/// What each trial asks for: 2 GPUs with 40 GB or more, for 2 hours (Rivanna time).
const GPUS: &str = "2";
/// Seconds of Rivanna time the request asks for.
const ASK_SECS: u64 = 2 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Rv,
    Sbatch,
    MultiPartition,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::Rv => "rv up (fan-out)",
            Method::Sbatch => "sbatch -p gpu-a6000, 5 h",
            Method::MultiPartition => "sbatch -p a6000,a40,a100-80 --gres=gpu:2",
        }
    }
}

/// The scaled walltime for sbatch (`-t` minutes).
fn scaled_minutes(secs: u64) -> u64 {
    (secs / 60).div_ceil(u64::from(SCALE)).max(1)
}

/// Cluster time now.
fn cluster_now(b: &Bench) -> i64 {
    b.tb.ssh("date +%s").stdout.trim().parse().unwrap_or(0)
}

/// What became of one trial: the wait measured, or for a job that had not started at the
/// censoring limit, the wait Slurm planned for it then (`squeue --start`), if any.
#[derive(Debug, Clone, Copy)]
enum Outcome {
    Started(f64),
    Censored(Option<f64>),
}

/// Seconds from submission to RUNNING of a plain job, polled on the cluster's clock.
fn plain(b: &Bench, args: &str, limit: Duration) -> Outcome {
    let id =
        b.tb.ssh(&format!(
            "sbatch --parsable -J bench-ttg -o /dev/null --chdir=/tmp {args} --wrap 'sleep 100000'"
        ))
        .stdout
        .trim()
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned();
    if id.is_empty() {
        return Outcome::Censored(None);
    }
    let t0 = Instant::now();
    let outcome = loop {
        let out =
            b.tb.ssh(&format!(
                "SLURM_TIME_FORMAT=%s squeue -h -j {id} -o '%T %V %S'"
            ))
            .stdout;
        let f: Vec<&str> = out.split_whitespace().collect();
        let seconds = |i: usize| f.get(i).and_then(|v| v.parse::<i64>().ok());
        let wait = seconds(1)
            .zip(seconds(2))
            .map(|(sub, start)| (start - sub) as f64);
        if f.first() == Some(&"RUNNING") {
            break wait.map_or(Outcome::Censored(None), Outcome::Started);
        }
        if t0.elapsed() > limit {
            // Pending: %S is the backfill plan's expected start.
            break Outcome::Censored(wait);
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    b.tb.ssh(&format!("scancel {id}"));
    outcome
}

/// How often one source of start predictions held.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    made: usize,
    right: usize,
}

impl Tally {
    fn add(&mut self, predicted_now: bool, ran: bool) {
        self.made += 1;
        self.right += usize::from(predicted_now == ran);
    }
}

/// Start predictions of rv's strategies, per source: the backfill model (the plan's
/// `predicted_start`) and `sbatch --test-only` (the probe's windows).
#[derive(Debug, Default, Clone, Copy)]
struct Accuracy {
    model: Tally,
    test_only: Tally,
}

/// `sbatch --test-only`'s word on a strategy: `Some(true)` when a window of the probe says a
/// job of its shape and walltime starts now, `None` when it has no window for the shape
/// (test-only probes are single-node).
fn test_only_says_now(windows: &[Window], s: &Strategy, now: i64) -> Option<bool> {
    if s.nodes > 1 {
        return None;
    }
    let fitting: Vec<&Window> = windows
        .iter()
        .filter(|w| {
            w.source == WindowSource::TestOnly
                && s.partitions.contains(&w.partition)
                && w.gpus_per_node >= s.gpus_per_node
        })
        .collect();
    if fitting.is_empty() {
        return None;
    }
    Some(
        fitting
            .iter()
            .any(|w| w.start <= now + 60 && w.max_walltime.is_none_or(|max| max >= s.time)),
    )
}

/// The windows `rv-probe` reports now.
fn probe_windows(b: &Bench, state: &rv_testbed::ControlDir) -> Vec<Window> {
    let Ok(out) = b.rv("rv-probe", state).args(["--gpu", GPUS]).output() else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Envelope>(l).ok())
        .filter_map(|e| match e.record {
            Record::Window(w) => Some(w),
            _ => None,
        })
        .collect()
}

/// Which of `jobs` ever started, from accounting.
fn started(b: &Bench, jobs: &[u64]) -> Vec<u64> {
    if jobs.is_empty() {
        return Vec::new();
    }
    let ids: Vec<String> = jobs.iter().map(u64::to_string).collect();
    // Accounting is written asynchronously: give slurmdbd a moment.
    std::thread::sleep(Duration::from_secs(2));
    let out =
        b.tb.ssh(&format!(
            "SLURM_TIME_FORMAT=%s sacct -X -n -P -o JobID,Start -j {}",
            ids.join(",")
        ))
        .stdout;
    out.lines()
        .filter_map(|l| l.split_once('|'))
        .filter(|(_, start)| start.parse::<i64>().is_ok())
        .filter_map(|(id, _)| id.parse().ok())
        .collect()
}

/// Seconds from rv's first submission to its winner's start (`None` when nothing started
/// within `limit`), and how its start predictions held.
fn with_rv(b: &Bench, limit: Duration) -> (Option<f64>, Accuracy) {
    let state = b.tb.control_dir("bench-ttg");
    let windows = probe_windows(b, &state);
    let before = cluster_now(b);
    let out = b
        .rv("rv", &state)
        .args([
            "up",
            "--json",
            "--name",
            "bench-ttg-rv",
            "--gpu",
            GPUS,
            "--vram",
            "40",
        ])
        .args([
            "--time",
            // The same scaled walltime the plain jobs ask for.
            &format!("{}m", scaled_minutes(ASK_SECS)),
            "--timeout",
            &format!("{}s", limit.as_secs()),
        ])
        .output();
    let mut accuracy = Accuracy::default();
    let Ok(out) = out else {
        return (None, accuracy);
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let alloc: Option<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["type"] == "allocation");
    let waited = alloc
        .as_ref()
        .and_then(|a| a["start"].as_i64())
        .map(|s| (s - before).max(0) as f64);
    if let Some(a) = &alloc {
        b.tb.ssh(&format!("scancel {}", a["job_id"]));
    }
    b.cancel("bench-ttg-rv-");
    // A prediction of "now" (within a minute) held when the job started at all (the claim
    // gate ends a sibling that starts after the winner), one of "later" when it did not.
    if let Some(rec) = recorded(&state) {
        let jobs: Vec<(u64, &Strategy)> = rec
            .submissions
            .iter()
            .filter_map(|s| {
                let strategy = rec.strategies.iter().find(|x| x.id == s.strategy)?;
                Some((s.job_id?, strategy))
            })
            .collect();
        let ran = started(b, &jobs.iter().map(|j| j.0).collect::<Vec<_>>());
        for (job, strategy) in jobs {
            let ran = ran.contains(&job);
            let model_now = strategy.predicted_start.is_some_and(|p| p <= before + 60);
            accuracy.model.add(model_now, ran);
            if let Some(now) = test_only_says_now(&windows, strategy, before) {
                accuracy.test_only.add(now, ran);
            }
        }
    }
    (waited, accuracy)
}

fn recorded(state: &rv_testbed::ControlDir) -> Option<rv::submit::Recorded> {
    let dir = std::fs::read_dir(state.join("requests")).ok()?;
    let path = dir.flatten().next()?.path();
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Runs the section: tables and the SVG plot.
pub fn run(b: &Bench) -> (Vec<Table>, String) {
    let scenarios: &[&str] = if b.quick {
        &["a6000-full"]
    } else {
        &["busy", "a6000-full", "maintenance", "backfill"]
    };
    let trials = b.trials(10);
    // Censored after half a Rivanna hour on the scaled clock; Slurm's planned start is noted.
    let limit = Duration::from_secs(30);
    let methods = [Method::Rv, Method::Sbatch, Method::MultiPartition];
    let mut rows = Vec::new();
    let mut bars: Vec<(String, Method, f64)> = Vec::new();
    let mut accuracy = Accuracy::default();
    for &scenario in scenarios {
        let mut waits: Vec<Vec<f64>> = vec![Vec::new(); methods.len()];
        let mut censored: Vec<Vec<Option<f64>>> = vec![Vec::new(); methods.len()];
        for t in 1..=trials {
            for (i, m) in methods.iter().enumerate() {
                let _load = b.tb.scenario_scaled(scenario, SCALE);
                let w = match m {
                    Method::Rv => {
                        let (w, a) = with_rv(b, limit);
                        let w = w.map_or(Outcome::Censored(None), Outcome::Started);
                        accuracy.model.made += a.model.made;
                        accuracy.model.right += a.model.right;
                        accuracy.test_only.made += a.test_only.made;
                        accuracy.test_only.right += a.test_only.right;
                        w
                    }
                    Method::Sbatch => plain(
                        b,
                        &format!(
                            "-p gpu-a6000 --gres=gpu:a6000:{GPUS} -t {}",
                            scaled_minutes(5 * 3600)
                        ),
                        limit,
                    ),
                    Method::MultiPartition => plain(
                        b,
                        &format!(
                            "-p gpu-a6000,gpu-a40,gpu-a100-80 --gres=gpu:{GPUS} -t {}",
                            scaled_minutes(ASK_SECS)
                        ),
                        limit,
                    ),
                };
                let said = match w {
                    Outcome::Started(s) => {
                        waits[i].push(s);
                        format!("started after {s:.0} s")
                    }
                    Outcome::Censored(planned) => {
                        censored[i].push(planned);
                        format!("not started in {} s", limit.as_secs())
                    }
                };
                eprintln!(
                    "rv-bench: {scenario} trial {t}/{trials}, {}: {said}",
                    m.name()
                );
            }
        }
        rows.extend(summarize(
            scenario, &methods, &waits, &censored, trials, limit, &mut bars,
        ));
    }
    let ttg = Table {
        title: "Time to GPU".into(),
        how: format!(
            "2 GPUs of 40 GB or more for 2 h, {trials} trial(s) per scenario and method, the queue reloaded before each; the testbed clock is compressed {SCALE}x (a Rivanna hour is a minute). Wait = start minus submission on the cluster's clock; `vs rv` is the median wait over rv's."
        ),
        columns: [
            "scenario",
            "method",
            "started",
            "median wait",
            "p90 wait",
            "vs rv",
            "note",
        ]
        .map(str::to_owned)
        .to_vec(),
        rows,
    };
    let share = |t: Tally| format!("{:.0} %", 100.0 * t.right as f64 / t.made.max(1) as f64);
    let accuracy = Table {
        title: "Prediction accuracy".into(),
        how: "For every job rv submitted: whether each source predicted it to start within a minute, against whether the scheduler started it at all (sacct). The plan ranks by the model; `sbatch --test-only` is the probe's cross-check (single-node shapes only).".into(),
        columns: ["source", "predictions", "held", "share"].map(str::to_owned).to_vec(),
        rows: [("backfill model", accuracy.model), ("sbatch --test-only", accuracy.test_only)]
            .iter()
            .map(|(name, t)| vec![(*name).to_owned(), t.made.to_string(), t.right.to_string(), share(*t)])
            .collect(),
    };
    (vec![ttg, accuracy], svg(&bars))
}

/// The table rows of one scenario, and its bars for the plot.
fn summarize(
    scenario: &str,
    methods: &[Method],
    waits: &[Vec<f64>],
    censored: &[Vec<Option<f64>>],
    trials: usize,
    limit: Duration,
    bars: &mut Vec<(String, Method, f64)>,
) -> Vec<Vec<String>> {
    let rv_median = median(&mut waits[0].clone());
    let mut rows = Vec::new();
    for (i, m) in methods.iter().enumerate() {
        let mut v = waits[i].clone();
        let (med, p90) = (median(&mut v), percentile(&mut v, 0.9));
        bars.push((scenario.to_owned(), *m, med));
        let none = waits[i].is_empty();
        rows.push(vec![
            scenario.to_owned(),
            m.name().to_owned(),
            format!("{}/{trials}", waits[i].len()),
            if none {
                format!("> {} s", limit.as_secs())
            } else {
                format!("{med:.0} s")
            },
            if none {
                "-".into()
            } else {
                format!("{p90:.0} s")
            },
            match (i, none) {
                (0, _) => "1.0".into(),
                (_, true) => format!("> {:.0}x", limit.as_secs_f64() / rv_median.max(1.0)),
                _ => format!("{:.1}x", med / rv_median.max(1.0)),
            },
            censored_note(&censored[i], limit),
        ]);
    }
    rows
}

/// How many trials were censored, and the median wait Slurm planned for them then.
fn censored_note(planned: &[Option<f64>], limit: Duration) -> String {
    if planned.is_empty() {
        return String::new();
    }
    let mut known: Vec<f64> = planned.iter().flatten().copied().collect();
    let plan = if known.is_empty() {
        String::new()
    } else {
        format!(
            "; Slurm then planned a median wait of {:.0} s",
            median(&mut known)
        )
    };
    format!(
        "{} did not start within {} s{plan}",
        planned.len(),
        limit.as_secs()
    )
}

/// A bar chart of median waits, one group per scenario.
fn svg(bars: &[(String, Method, f64)]) -> String {
    let max = bars.iter().map(|b| b.2).fold(1.0_f64, f64::max);
    let (w, h, left, bottom) = (720.0, 320.0, 60.0, 40.0);
    let colors = ["#2b6cb0", "#c05621", "#718096"];
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{left}\" y=\"18\">median seconds from submission to a running job (testbed, {SCALE}x clock)</text>\n"
    );
    let n = bars.len().max(1) as f64;
    let slot = (w - left - 20.0) / n;
    for (i, (scenario, m, v)) in bars.iter().enumerate() {
        let bh = (h - bottom - 40.0) * v / max;
        let x = left + i as f64 * slot;
        let color = colors[*m as usize];
        s.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{color}\"><title>{scenario}: {} {v:.0} s</title></rect>\n<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\">{v:.0}</text>\n",
            h - bottom - bh,
            slot * 0.8,
            m.name(),
            x,
            h - bottom - bh - 3.0
        ));
        if *m as usize == 0 {
            s.push_str(&format!(
                "<text x=\"{x:.1}\" y=\"{:.1}\">{scenario}</text>\n",
                h - bottom + 16.0
            ));
        }
    }
    for (i, m) in [Method::Rv, Method::Sbatch, Method::MultiPartition]
        .iter()
        .enumerate()
    {
        let y = 34.0 + 14.0 * i as f64;
        s.push_str(&format!("<rect x=\"{:.0}\" y=\"{:.0}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{:.0}\" y=\"{:.0}\">{}</text>\n", w - 300.0, y - 9.0, colors[i], w - 285.0, y, m.name()));
    }
    s.push_str("</svg>\n");
    s
}
