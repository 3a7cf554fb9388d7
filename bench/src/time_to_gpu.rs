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

/// How often one source of start predictions held, and where it missed.
#[derive(Debug, Default, Clone)]
struct Tally {
    made: usize,
    right: usize,
    /// `scenario: type said now/later`, per miss.
    misses: Vec<String>,
}

impl Tally {
    fn add(&mut self, predicted_now: bool, ran: bool, scenario: &str, what: &str) {
        self.made += 1;
        if predicted_now == ran {
            self.right += 1;
        } else {
            let said = if predicted_now { "now" } else { "later" };
            self.misses.push(format!("{scenario}: {what} said {said}"));
        }
    }
}

/// Start predictions of rv's strategies, per source: the backfill model (the plan's
/// `predicted_start`) and `sbatch --test-only` (the probe's windows).
#[derive(Debug, Default, Clone)]
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

/// What `rv-probe | rv-plan` make of the queue now: the cluster's clock, the plan's
/// strategies and the probe's windows.
fn plan_now(b: &Bench, state: &rv_testbed::ControlDir) -> (i64, Vec<Strategy>, Vec<Window>) {
    let time = format!("{}m", scaled_minutes(ASK_SECS));
    let probe = b
        .rv("rv-probe", state)
        .args(["--gpu", GPUS, "--time", &time])
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    let mut plan = b
        .rv("rv-plan", state)
        .args(["--gpu", GPUS, "--vram", "40", "--time", &time])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("rv-plan runs");
    if let Some(mut stdin) = plan.stdin.take() {
        std::io::Write::write_all(&mut stdin, &probe).expect("rv-plan reads its input");
    }
    let out = plan
        .wait_with_output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    let (mut now, mut strategies, mut windows) = (0, Vec::new(), Vec::new());
    for e in String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|l| serde_json::from_str::<Envelope>(l).ok())
    {
        match e.record {
            Record::Cluster(c) => now = c.now,
            Record::Strategy(s) => strategies.push(s),
            Record::Window(w) => windows.push(w),
            _ => {}
        }
    }
    (now, strategies, windows)
}

/// `sbatch` flags for a job of a strategy's shape, as rv's job script gives them.
fn shape_args(s: &Strategy) -> String {
    rv::script::shape(s)
        .iter()
        .map(|o| rv::util::quote(o))
        .collect::<Vec<_>>()
        .join(" ")
}

/// How rv's start predictions held in `scenario`: the plan is made once, then each strategy
/// is submitted alone, as a plain job of its shape, on a freshly loaded queue (rv's own runs
/// cancel the losers, which would hide whether they would have started). "Now" means within
/// a minute of the plan; a job held a "now" when it ran within a minute, a "later" when it
/// did not. The misses are named.
fn predictions(b: &Bench, scenario: &str, accuracy: &mut Accuracy) {
    let state = b.tb.control_dir("bench-acc");
    let (now, strategies, windows) = {
        let _load = b.tb.scenario_scaled(scenario, SCALE);
        plan_now(b, &state)
    };
    let take = if b.quick { 1 } else { strategies.len() };
    for s in strategies.iter().take(take) {
        let _load = b.tb.scenario_scaled(scenario, SCALE);
        let ran = matches!(
            plain(b, &shape_args(s), Duration::from_secs(60)),
            Outcome::Started(_)
        );
        let what = s.gpu_type.as_deref().unwrap_or("any");
        let model_now = s.predicted_start.is_some_and(|p| p <= now + 60);
        accuracy.model.add(model_now, ran, scenario, what);
        if let Some(said) = test_only_says_now(&windows, s, now) {
            accuracy.test_only.add(said, ran, scenario, what);
        }
        eprintln!(
            "rv-bench: {scenario} prediction for {what}: model {}, ran within a minute: {ran}",
            if model_now { "now" } else { "later" }
        );
    }
}

/// Seconds from rv's first submission to its winner's start (`None` when nothing started
/// within `limit`).
/// One `rv up`: the wait from before its submission to its winner's start on the cluster's
/// clock, and how long after that start rv printed the winner (the testbed's cluster runs
/// on this machine's clock; Slurm's start is whole seconds, so this reads up to 1 s high).
fn with_rv(b: &Bench, limit: Duration) -> Option<(f64, f64)> {
    use std::io::BufRead;
    let state = b.tb.control_dir("bench-ttg");
    let before = cluster_now(b);
    let mut child = b
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
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    let stdout = child.stdout.take()?;
    let mut alloc = None;
    for line in std::io::BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
            && v["type"] == "allocation"
        {
            alloc = Some((v, epoch_now()));
        }
    }
    let _ = child.wait();
    if let Some((a, _)) = &alloc {
        b.tb.ssh(&format!("scancel {}", a["job_id"]));
    }
    b.cancel("bench-ttg-rv-");
    let (a, seen) = alloc?;
    let start = a["start"].as_i64()?;
    Some((
        (start - before).max(0) as f64,
        (seen - start as f64).max(0.0),
    ))
}

/// This machine's clock, in seconds since the epoch.
fn epoch_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Runs the section on the testbed's Slurm: tables (titled with the version) and the SVG
/// plot with the file it goes to (`bench/time-to-gpu-<version>.svg`), shown in the first.
pub fn run(b: &Bench) -> (Vec<Table>, (String, String)) {
    // At Rivanna's scale, its own load; on the small layout, the four shaped ones.
    let rivanna = b.tb.layout == "rivanna";
    let scenarios: &[&str] = match (rivanna, b.quick) {
        (true, _) => &["rivanna"],
        (false, true) => &["a6000-full"],
        (false, false) => &["busy", "a6000-full", "maintenance", "backfill"],
    };
    let at = if rivanna { " at Rivanna scale" } else { "" };
    let trials = b.trials(10);
    // Censored after half a Rivanna hour on the scaled clock; Slurm's planned start is noted.
    let limit = Duration::from_secs(30);
    let methods = [Method::Rv, Method::Sbatch, Method::MultiPartition];
    let mut rows = Vec::new();
    let mut bars: Vec<Bar> = Vec::new();
    let mut accuracy = Accuracy::default();
    let mut seen_after: Vec<f64> = Vec::new();
    for &scenario in scenarios {
        predictions(b, scenario, &mut accuracy);
        let mut waits: Vec<Vec<f64>> = vec![Vec::new(); methods.len()];
        let mut censored: Vec<Vec<Option<f64>>> = vec![Vec::new(); methods.len()];
        for t in 1..=trials {
            for (i, m) in methods.iter().enumerate() {
                let _load = b.tb.scenario_scaled(scenario, SCALE);
                let w = match m {
                    Method::Rv => match with_rv(b, limit) {
                        Some((wait, seen)) => {
                            seen_after.push(seen);
                            Outcome::Started(wait)
                        }
                        None => Outcome::Censored(None),
                    },
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
    let slurm = &b.tb.slurm;
    let plot = if rivanna {
        format!("bench/time-to-gpu-rivanna-{slurm}.svg")
    } else {
        format!("bench/time-to-gpu-{slurm}.svg")
    };
    let ttg = Table {
        title: format!("Time to GPU{at} (Slurm {slurm})"),
        how: format!(
            "![median time to GPU on Slurm {slurm}]({plot})\n\n2 GPUs of 40 GB or more for 2 h, {trials} trial(s) per scenario and method, the queue reloaded before each; the testbed clock is compressed {SCALE}x (a Rivanna hour is a minute). Wait = start minus submission on the cluster's clock; `vs rv` is the median wait over rv's."
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
    let accuracy = accuracy_table(&accuracy, at, slurm);
    let seen = seen_table(&mut seen_after, at, slurm);
    (vec![ttg, accuracy, seen], (plot, svg(&bars)))
}

/// How long after its start rv saw each winner.
fn seen_table(seen_after: &mut [f64], at: &str, slurm: &str) -> Table {
    Table {
        title: format!("Winner seen after it starts{at} (Slurm {slurm})"),
        how: "Every `rv up` trial above: this machine's clock when rv printed the allocation, minus the winner's start on the cluster's clock (the testbed runs on this machine's clock; Slurm keeps whole seconds, so a figure reads up to 1 s high). rv watches through a stream from the login node that polls squeue there every second.".into(),
        columns: ["trials", "median", "p90", "worst"].map(str::to_owned).to_vec(),
        rows: vec![vec![
            seen_after.len().to_string(),
            format!("{:.2} s", median(seen_after)),
            format!("{:.2} s", percentile(seen_after, 0.9)),
            format!("{:.2} s", seen_after.iter().copied().fold(0.0, f64::max)),
        ]],
    }
}

/// The prediction accuracy table.
fn accuracy_table(accuracy: &Accuracy, at: &str, slurm: &str) -> Table {
    let share = |t: &Tally| format!("{:.0} %", 100.0 * t.right as f64 / t.made.max(1) as f64);
    Table {
        title: format!("Prediction accuracy{at} (Slurm {slurm})"),
        how: "Per scenario, `rv-probe | rv-plan` plan the same request once; then each strategy is submitted alone, as a plain job of its shape, on a freshly loaded queue (in `rv up` the losers are cancelled, which would hide whether they would have started). A prediction is \"now\" when the start is within a minute of the plan (a Rivanna hour), and it held when the job ran within a minute, or did not when \"later\". The plan ranks by the model; `sbatch --test-only` is the probe's cross-check (single-node shapes only).".into(),
        columns: ["source", "predictions", "held", "share", "missed"].map(str::to_owned).to_vec(),
        rows: [("backfill model", &accuracy.model), ("sbatch --test-only", &accuracy.test_only)]
            .iter()
            .map(|(name, t)| {
                vec![
                    (*name).to_owned(),
                    t.made.to_string(),
                    t.right.to_string(),
                    share(t),
                    t.misses.join("; "),
                ]
            })
            .collect(),
    }
}

/// The table rows of one scenario, and its bars for the plot.
fn summarize(
    scenario: &str,
    methods: &[Method],
    waits: &[Vec<f64>],
    censored: &[Vec<Option<f64>>],
    trials: usize,
    limit: Duration,
    bars: &mut Vec<Bar>,
) -> Vec<Vec<String>> {
    let rv_median = median(&mut waits[0].clone());
    let mut rows = Vec::new();
    for (i, m) in methods.iter().enumerate() {
        let mut v = waits[i].clone();
        let (med, p90) = (median(&mut v), percentile(&mut v, 0.9));
        let (value, measured) = median_of_all(&waits[i], &censored[i], limit);
        bars.push(Bar {
            scenario: scenario.to_owned(),
            method: *m,
            value,
            measured,
        });
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

/// One bar of the plot: a median wait, measured or (when most trials were censored) as
/// Slurm planned it.
struct Bar {
    scenario: String,
    method: Method,
    value: f64,
    measured: bool,
}

/// The median over every trial, a censored one counting as the wait Slurm planned for it
/// (else the limit), and whether that median trial was measured.
fn median_of_all(started: &[f64], censored: &[Option<f64>], limit: Duration) -> (f64, bool) {
    let mut all: Vec<(f64, bool)> = started
        .iter()
        .map(|&w| (w, true))
        .chain(censored.iter().map(|p| {
            (
                p.unwrap_or(limit.as_secs_f64()).max(limit.as_secs_f64()),
                false,
            )
        }))
        .collect();
    if all.is_empty() {
        return (0.0, false);
    }
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    all[(all.len() - 1) / 2]
}

/// Height under the chart for the legend.
const LEGEND: f64 = 40.0;

/// A bar chart of median waits on a log scale, one group per scenario; a median Slurm only
/// planned (the job had not started when the trial was censored) is pale and marked.
fn svg(bars: &[Bar]) -> String {
    let max = bars.iter().map(|b| b.value).fold(10.0_f64, f64::max);
    let (w, h, left, bottom) = (760.0, 340.0, 60.0, 40.0);
    let scale = |v: f64| (h - bottom - 60.0) * (1.0 + v).log10() / (1.0 + max).log10();
    let colors = ["#2b6cb0", "#c05621", "#718096"];
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{left}\" y=\"18\">median seconds from submission to a running job (testbed, {SCALE}x clock, log scale)</text>\n",
        h + LEGEND
    );
    let n = bars.len().max(1) as f64;
    let slot = (w - left - 20.0) / n;
    for (i, bar) in bars.iter().enumerate() {
        let bh = scale(bar.value);
        let x = left + i as f64 * slot;
        let color = colors[bar.method as usize];
        let (opacity, label) = if bar.measured {
            ("1", format!("{:.0}", bar.value))
        } else {
            ("0.35", format!("~{:.0}*", bar.value))
        };
        s.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{color}\" fill-opacity=\"{opacity}\"><title>{}: {} {label} s</title></rect>\n<text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"10\">{label}</text>\n",
            h - bottom - bh,
            slot * 0.8,
            bar.scenario,
            bar.method.name(),
            h - bottom - bh - 3.0
        ));
        if bar.method == Method::Rv {
            s.push_str(&format!(
                "<text x=\"{x:.1}\" y=\"{:.1}\">{}</text>\n",
                h - bottom + 16.0,
                bar.scenario
            ));
        }
    }
    for (i, m) in [Method::Rv, Method::Sbatch, Method::MultiPartition]
        .iter()
        .enumerate()
    {
        // The legend goes under the chart, where no bar reaches.
        let (x, y) = (left + 200.0 * i as f64, h + 2.0);
        s.push_str(&format!("<rect x=\"{x:.0}\" y=\"{:.0}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{:.0}\" y=\"{y:.0}\">{}</text>\n", y - 9.0, colors[i], x + 15.0, m.name()));
    }
    s.push_str(&format!(
        "<text x=\"{:.0}\" y=\"{:.0}\" font-size=\"10\">* not started when censored: the wait Slurm planned</text>\n",
        left,
        h + 28.0
    ));
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn censored_trials_count_as_slurms_plan_in_the_median() {
        let limit = Duration::from_secs(30);
        assert_eq!(
            median_of_all(&[2.0, 3.0, 4.0], &[], limit),
            (3.0, true),
            "all measured"
        );
        assert_eq!(
            median_of_all(&[], &[Some(200.0), Some(400.0), None], limit),
            (200.0, false),
            "none started: the planned wait, an unknown plan at the limit"
        );
        assert_eq!(
            median_of_all(&[5.0], &[Some(10.0), Some(90.0)], limit),
            (30.0, false),
            "a plan sooner than the censoring limit counts as the limit"
        );
        assert_eq!(
            median_of_all(&[5.0, 6.0], &[Some(90.0)], limit),
            (6.0, true)
        );
    }

    #[test]
    fn the_legend_sits_under_the_tallest_bar() {
        let bars: Vec<Bar> = [(1.0, true), (1438.0, false), (5.0, true)]
            .into_iter()
            .zip([Method::Rv, Method::Sbatch, Method::MultiPartition])
            .map(|((value, measured), method)| Bar {
                scenario: "busy".into(),
                method,
                value,
                measured,
            })
            .collect();
        let svg = svg(&bars);
        let ys = |with: &str| -> Vec<f64> {
            svg.lines()
                .filter(|l| l.starts_with("<rect x=") && l.contains(with))
                .filter_map(|l| l.split("y=\"").nth(1)?.split('"').next()?.parse().ok())
                .collect()
        };
        let (bars_top, legend) = (ys("fill-opacity"), ys("width=\"10\""));
        assert_eq!((bars_top.len(), legend.len()), (3, 3));
        let lowest_bar_end = 340.0 - 40.0;
        assert!(bars_top.iter().all(|&y| y >= 18.0), "{bars_top:?}");
        assert!(legend.iter().all(|&y| y > lowest_bar_end), "{legend:?}");
        assert!(svg.contains("~1438*"), "a planned median is marked");
    }

    #[test]
    fn a_strategy_becomes_the_flags_of_its_shape() {
        let s: Strategy = serde_json::from_value(serde_json::json!({
            "request": "r", "id": "s3", "partitions": ["gpu-a100-80", "gpu"],
            "gpu_type": "a100-80", "gres": "a100", "nodes": 1, "gpus_per_node": 2,
            "cpus": null, "mem_mb": null, "time": 150, "time_min": null, "segments": 1,
            "constraint": "a100_80gb", "account": null, "exclude": [],
            "predicted_start": null, "service_units": 1.0, "why": ""
        }))
        .unwrap();
        assert_eq!(
            shape_args(&s),
            "--partition=gpu-a100-80,gpu --nodes=1 --ntasks-per-node=1 --time=0:02:30 \
             --gres=gpu:a100:2 --constraint=a100_80gb"
        );
    }
}
