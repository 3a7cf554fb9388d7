//! `rv ps`: your jobs, grouped by the request they belong to, in one round trip.

use std::process::ExitCode;

use clap::Parser;

use crate::plan::human;
use crate::slurm::time::Walltime;

use super::{Error, Json, Local, NoColor, Run, Session, print_lines};

/// List your requests, their strategies and jobs.
///
/// Jobs rv submitted are grouped by request (`r-…`) and show their strategy; other jobs of
/// yours are listed too. Pending jobs show why they wait and when Slurm plans to start them.
/// An interactive request's jobs show its lease: whether its client is there, and when the
/// job ends unless one comes back.
#[derive(Debug, Parser)]
#[command(name = "rv ps", after_help = EXIT_CODES, mut_arg("json", |a| a.help("Print the jobs as a JSON array")))]
pub struct Args {
    /// Also jobs that ended in the last 7 days (from accounting).
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub json: Json,
    #[command(flatten)]
    pub local: Local,
    #[command(flatten)]
    pub no_color: NoColor,
}

/// The exit codes, for `--help` and the man page.
pub const EXIT_CODES: &str =
    "Exit codes: 0 listed; 1 the cluster could not be read; 2 bad flags or configuration.";

impl Run for Args {
    const STAGE: &'static str = "rv ps";
    fn run(&self) -> Result<ExitCode, Error> {
        self.no_color.apply();
        main(self)
    }
}

/// Runs `rv ps`.
fn main(args: &Args) -> Result<ExitCode, Error> {
    let ctx = Session::load("rv ps", args.local.here())?;
    let (rows, now) = crate::flow::jobs::yours(&ctx, args.all)?;
    if args.json.on() {
        let _ = print_lines([serde_json::to_string(&rows)
            .expect("rows serialize")
            .as_str()]);
        return Ok(ExitCode::SUCCESS);
    }
    let lines = render(&rows, now, crate::style::enabled());
    let _ = print_lines(lines.iter().map(String::as_str));
    Ok(ExitCode::SUCCESS)
}

/// The table of `rows` at the cluster's time `now`, states in colour when `colour` (padded
/// before they are painted, so the columns line up either way).
fn render(rows: &[crate::jobs::Row], now: i64, colour: bool) -> Vec<String> {
    let mut lines = vec![format!(
        "{:<24} {:<4} {:>8} {:<20} {:<10} {:>4} {:<16} {:>9}  {}",
        "REQUEST", "", "JOB", "NAME", "STATE", "GPUS", "PARTITION", "TIME", "NODE / WAITING"
    )];
    for r in rows {
        let where_ = if r.nodes.is_empty() {
            let when = r
                .start
                .filter(|&s| s > now)
                .map(|s| format!(", starts in {}", human(u64::try_from(s - now).unwrap_or(0))))
                .unwrap_or_default();
            format!("{}{when}", r.reason.as_deref().unwrap_or("-"))
        } else {
            crate::slurm::hostlist::compress(&r.nodes)
        };
        let where_ = match &r.lease {
            Some(l) => format!("{where_}; {}", l.describe()),
            None => where_,
        };
        lines.push(format!(
            "{:<24} {:<4} {:>8} {} {} {:>4} {:<16} {:>9}  {}",
            r.request.as_deref().unwrap_or("-"),
            r.strategy.as_deref().unwrap_or(""),
            r.job_id,
            crate::style::cell(&r.name, 20),
            crate::style::paint(
                &format!("{:<10}", r.state),
                crate::style::state_tone(&r.state),
                colour
            ),
            r.gpus,
            r.partition,
            r.elapsed
                .map(|e| Walltime::from_secs(e).to_string())
                .unwrap_or_default(),
            crate::style::clean(&where_)
        ));
    }
    if rows.is_empty() {
        lines = vec!["no jobs".to_owned()];
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(state: &str) -> crate::jobs::Row {
        crate::jobs::Row {
            request: Some("r-1".into()),
            strategy: Some("s1".into()),
            job_id: "12".into(),
            name: "train".into(),
            state: state.into(),
            partition: "gpu".into(),
            gpus: 2,
            nodes: vec!["a6000-01".into()],
            reason: None,
            elapsed: Some(61),
            limit: None,
            start: None,
            lease: None,
        }
    }

    #[test]
    fn states_are_coloured_and_columns_line_up_either_way() {
        let rows = [row("RUNNING"), row("PENDING"), row("FAILED")];
        let bare = render(&rows, 0, false);
        let painted = render(&rows, 0, true);
        assert!(bare.iter().all(|l| !l.contains('\u{1b}')), "{bare:?}");
        let stripped: Vec<String> = painted.iter().map(|l| crate::style::unpainted(l)).collect();
        assert_eq!(stripped, bare, "colour changes no column");
        // Green, yellow, red (nu-ansi-term's codes).
        assert!(painted[1].contains("\u{1b}[32mRUNNING"), "{:?}", painted[1]);
        assert!(
            painted[2].contains("\u{1b}[1;33mPENDING"),
            "{:?}",
            painted[2]
        );
        assert!(
            painted[3].contains("\u{1b}[1;31mFAILED"),
            "{:?}",
            painted[3]
        );
        let at = |l: &str| l.find("NODE").or_else(|| l.find("a6000-01"));
        assert_eq!(at(&bare[0]), at(&bare[1]));
        assert_eq!(at(&bare[1]), at(&bare[3]));
    }

    #[test]
    fn odd_job_names_keep_the_table_one_line_a_job_and_aligned() {
        use unicode_width::UnicodeWidthStr;
        let mut odd = [row("RUNNING"), row("RUNNING"), row("RUNNING")];
        odd[0].name = "学習ジョブ：とても長い名前のジョブ".into();
        odd[1].name = "two\nlines\u{1b}[2J|pipe".into();
        let lines = render(&odd, 0, true);
        assert_eq!(lines.len(), 4);
        assert!(
            lines
                .iter()
                .all(|l| !l.contains('\n') && !l.contains("\u{1b}[2J"))
        );
        let node_at: Vec<usize> = lines[1..]
            .iter()
            .map(|l| {
                let l = crate::style::unpainted(l);
                l[..l.find("a6000-01").unwrap()].width()
            })
            .collect();
        assert_eq!(node_at, [node_at[0]; 3], "{lines:#?}");
    }
}
