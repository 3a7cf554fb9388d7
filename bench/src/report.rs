//! Writes the testbed section of `BENCHMARKS.md` (between markers, the rest kept) and the
//! plot.

use crate::Table;

const BEGIN: &str = "<!-- bench/run: begin -->";
const END: &str = "<!-- bench/run: end -->";

/// Rewrites the section between the markers (or appends it): the tables of this run replace
/// those of the same title, the others stay (so one section, or one Slurm version, can be
/// re-run alone); writes the plot to its file.
pub fn write(tables: &[Table], plot: Option<&(String, String)>) -> anyhow::Result<()> {
    let path = std::path::Path::new("BENCHMARKS.md");
    let old = std::fs::read_to_string(path).unwrap_or_default();
    std::fs::write(path, merged(&old, tables, &date()))?;
    if let Some((file, svg)) = plot {
        std::fs::write(file, svg)?;
    }
    Ok(())
}

/// `old` with its section rewritten for `tables` (see [`write`]).
fn merged(old: &str, tables: &[Table], date: &str) -> String {
    let (before, section, after) = match (old.find(BEGIN), old.find(END)) {
        (Some(a), Some(b)) if a < b => (&old[..a], &old[a..b], &old[b + END.len()..]),
        _ => (old, "", "\n"),
    };
    let mut chunks = old_tables(section);
    for t in tables {
        let text = t.markdown();
        match chunks.iter_mut().find(|(title, _)| *title == t.title) {
            Some(chunk) => chunk.1 = text,
            None => chunks.push((t.title.clone(), text)),
        }
    }
    let mut body = format!(
        "{BEGIN}\n## On the testbed (`bench/run`)\n\nLast run {date} by `bench/run` (release build) against the local testbed on this machine (2 cores).\n\n"
    );
    for (_, text) in &chunks {
        body.push_str(text.trim_end());
        body.push_str("\n\n");
    }
    body.push_str(END);
    format!("{}\n\n{body}{after}", before.trim_end())
}

/// The tables of an earlier section: (title, markdown from its `### ` heading on).
fn old_tables(section: &str) -> Vec<(String, String)> {
    section
        .split("\n### ")
        .skip(1)
        .map(|chunk| {
            let title = chunk.lines().next().unwrap_or_default().to_owned();
            (title, format!("### {chunk}"))
        })
        .collect()
}

fn date() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(title: &str, cell: &str) -> Table {
        Table {
            title: title.into(),
            how: "how".into(),
            columns: vec!["a".into()],
            rows: vec![vec![cell.into()]],
        }
    }

    #[test]
    fn a_partial_run_replaces_its_tables_and_keeps_the_others() {
        let first = merged(
            "# B\n\nintro\n",
            &[table("One", "1"), table("Two", "2")],
            "d1",
        );
        assert!(
            first.starts_with("# B\n\nintro\n\n<!-- bench/run: begin -->"),
            "{first}"
        );
        let second = merged(&format!("{first}\ntail\n"), &[table("Two", "22")], "d2");
        assert!(
            second.contains("| 1 |") && second.contains("| 22 |"),
            "{second}"
        );
        assert!(!second.contains("| 2 |"), "{second}");
        assert!(
            second.find("### One") < second.find("### Two"),
            "order kept"
        );
        assert!(second.contains("Last run d2"));
        assert!(
            second.ends_with("<!-- bench/run: end -->\n\ntail\n"),
            "{second}"
        );
        assert_eq!(merged(&second, &[table("Two", "22")], "d2"), second);
    }
}
