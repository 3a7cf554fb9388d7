//! Writes the testbed section of `BENCHMARKS.md` (between markers, the rest kept) and the
//! plot.

use crate::Table;

const BEGIN: &str = "<!-- bench/run: begin -->";
const END: &str = "<!-- bench/run: end -->";

/// Replaces the section between the markers (or appends it) and writes the plot.
pub fn write(tables: &[Table], plot: Option<&str>) -> anyhow::Result<()> {
    let path = std::path::Path::new("BENCHMARKS.md");
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let mut body = format!(
        "{BEGIN}\n## On the testbed (`bench/run`)\n\nMeasured {} by `bench/run` (release build) against the local testbed on this machine (2 cores).\n\n",
        date()
    );
    if plot.is_some() {
        body.push_str("![median time to GPU](bench/time-to-gpu.svg)\n\n");
    }
    for t in tables {
        body.push_str(&t.markdown());
        body.push('\n');
    }
    body.push_str(END);
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(a), Some(b)) if a < b => format!("{}{body}{}", &old[..a], &old[b + END.len()..]),
        _ => format!("{}\n{body}\n", old.trim_end()),
    };
    std::fs::write(path, new)?;
    if let Some(svg) = plot {
        std::fs::write("bench/time-to-gpu.svg", svg)?;
    }
    Ok(())
}

fn date() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}
