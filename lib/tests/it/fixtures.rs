//! Every captured output in `tests/fixtures/` goes through the parser of its command.
//!
//! The testbed samples are transcripts: `user$ command`, its output (with `--- stderr` before
//! what it printed on stderr, in the newer captures), `[exit N]`. Each block is dispatched on
//! its command; a block that is not parser input is named in [`not_input`] with the reason,
//! so nothing is skipped silently. They come from three clusters: `testbed/` (the Slurm 22.05
//! testbed) with `testbed-22.05/` (the same under `load mixed`, `testbed/capture`),
//! `testbed-24.11/` (the same layout on Slurm 24.11, `testbed/capture`) and `generic-24.11/`
//! (shared/testbed-recipe-24.11's generic university layout).

use rv::slurm::parse::version::SlurmVersion;
use rv::slurm::parse::{Separator, sacct, sbatch, scontrol, sinfo, squeue, sshare};
use rv::slurm::time::Clock;

const UTC: Clock = Clock {
    now: 0,
    utc_offset: 0,
};

struct Block {
    file: String,
    /// Who ran it (`rvtest` of `rvtest$ squeue`): the user whose own rows must parse.
    who: String,
    command: String,
    output: String,
    exit: i32,
}

fn blocks(dir: &str) -> Vec<Block> {
    let dir = format!("{}/tests/fixtures/{dir}", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
    {
        // Lossily, as rv's transport reads the cluster's output (a job name may not be UTF-8).
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut current: Option<Block> = None;
        for line in text.lines() {
            // A transcript without `[exit N]` lines: the next command ends the block.
            if line.starts_with("$ ") {
                out.extend(current.take());
            }
            // variant_nodbd_nosockets.txt interleaves the echo of an sbatch it does not show.
            if line.starts_with("submitted ") {
                continue;
            }
            if let Some(block) = current.as_mut() {
                if let Some(code) = line
                    .strip_prefix("[exit ")
                    .and_then(|r| r.strip_suffix(']'))
                {
                    block.exit = code.parse().unwrap();
                    out.push(current.take().unwrap());
                } else if line == "--- stderr" {
                    // stderr follows stdout; sbatch prints its estimates there.
                } else {
                    block.output.push_str(line);
                    block.output.push('\n');
                }
            } else if let Some((who, command)) = line
                .split_once("$ ")
                .filter(|(who, _)| !who.starts_with('#'))
            {
                if !who.contains(' ') || who.starts_with("ssh ") {
                    current = Some(Block {
                        file: file.clone(),
                        who: who.to_owned(),
                        command: command.to_owned(),
                        output: String::new(),
                        exit: 0,
                    });
                }
            }
        }
        out.extend(current.take());
    }
    out
}

/// The quoted argument after `flag` in a command line.
fn quoted_after<'a>(command: &'a str, flag: &str) -> Option<&'a str> {
    let rest = &command[command.find(flag)? + flag.len()..];
    let rest = rest.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    rest[1..].split(quote).next()
}

/// Why a block is not input to any rv parser, if it is not.
fn not_input(b: &Block) -> Option<&'static str> {
    let c = b.command.as_str();
    let first = c
        .split(|ch: char| ch.is_whitespace() || ch == ';')
        .next()
        .unwrap_or_default();
    Some(match first {
        "srun" | "script" => "interactive output of the user's program",
        "scancel" => "rv reads scancel's exit code and stderr, not a format",
        "sprio" | "sacctmgr" | "cat" | "date" | "ssh" | "hostname" | "sleep" | "id" | "tty"
        | "exit" => "not a command rv parses",
        _ if c.contains("| grep") || c.contains("| od") || c.contains("| head") => {
            "output cut by a pipe"
        }
        _ if c.starts_with("scontrol show node") => "rv reads nodes through sinfo",
        _ if c.starts_with("sinfo -h -o '%R|%G|%l'") => {
            "the partition list of the --test-only script, read by its awk"
        }
        _ if c.starts_with("sinfo -R") || c.starts_with("sinfo -s") => "a summary rv does not read",
        _ if c.starts_with("sinfo") && c.contains("%GresUsed") => {
            "`%GresUsed` is not a format token in 22.05"
        }
        _ if c.starts_with("sinfo") && c.contains(" -O ") && !c.contains('|') => {
            "-O truncates headers and values wider than a column (rv's own -O format is tested live)"
        }
        _ if c.starts_with("squeue") && c.contains(" -O ") => {
            "squeue -O columns run into each other"
        }
        _ if c.starts_with("sinfo")
            && !c.contains("-N")
            && (c.contains(" -o ") || c.contains(" -O "))
            && !c.contains("%N") =>
        {
            "a partition summary without node names"
        }
        _ if c.starts_with("sacct") && c.contains(" -n") => "no header to name the columns",
        _ if c.starts_with("squeue") && c.contains("%.") => {
            "fixed widths cut values (the reason at 28 characters)"
        }
        _ => return None,
    })
}

/// How the fields of a `-o`/`-O` format are separated: rv's own formats end every field with
/// `|`; other `|` formats only separate; the rest is whitespace.
fn separator(format: Option<&str>) -> Separator {
    match format {
        Some(f) if f.ends_with('|') => Separator::Terminated('|'),
        Some(f) if f.contains('|') => Separator::Char('|'),
        _ => Separator::Whitespace,
    }
}

fn parse(b: &Block) -> Result<usize, String> {
    let c = b.command.as_str();
    let out = b.output.as_str();
    let e = |err: rv::slurm::ParseError| err.to_string();
    if c.contains(" -V") || c.contains("--version") {
        let versions: Vec<SlurmVersion> = out
            .lines()
            .map(SlurmVersion::parse)
            .collect::<Result<_, _>>()
            .map_err(e)?;
        return Ok(versions.len());
    }
    if c.starts_with("sinfo") {
        let format = quoted_after(c, "-o").or_else(|| quoted_after(c, "-O"));
        let fields = match format {
            Some(f) => {
                sinfo::Field::from_format(f).ok_or_else(|| format!("format {f} not understood"))?
            }
            None => Vec::new(),
        };
        return sinfo::parse_nodes(out, &fields, separator(format))
            .map(|n| n.len())
            .map_err(e);
    }
    if c.starts_with("squeue") || c.starts_with("date -Is; squeue") {
        let out = if c.starts_with("date") {
            out.split_once('\n').map_or("", |(_, r)| r)
        } else {
            out
        };
        let format = quoted_after(c, "-o");
        let fields = match format {
            Some(f) => {
                squeue::Field::from_format(f).ok_or_else(|| format!("format {f} not understood"))?
            }
            None => Vec::new(),
        };
        // As the probe reads the queue: other users' rows it cannot place (a name with
        // spaces in a whitespace layout) are skipped; the user's own must parse. Without a
        // user to tell them by, every row must.
        let sep = separator(format);
        if b.who.is_empty() || b.who.contains(' ') {
            return squeue::parse_jobs(out, &fields, sep, &UTC)
                .map(|j| j.len())
                .map_err(e);
        }
        return squeue::parse_jobs_lenient(out, &fields, sep, &UTC, &b.who)
            .map(|j| j.items.len())
            .map_err(e);
    }
    if c.starts_with("sacct") {
        return sacct::parse_records(out, &UTC).map(|r| r.len()).map_err(e);
    }
    if c.starts_with("sshare") {
        return sshare::parse_shares(out).map(|s| s.len()).map_err(e);
    }
    if c.starts_with("scontrol") && c.contains("show job") {
        return scontrol::parse_jobs(out, &UTC).map(|j| j.len()).map_err(e);
    }
    if c.starts_with("scontrol") && c.contains("show partition") {
        return scontrol::parse_partitions(out).map(|p| p.len()).map_err(e);
    }
    if c.starts_with("scontrol") && c.contains("show reservation") {
        return scontrol::parse_reservations(out, &UTC)
            .map(|r| r.len())
            .map_err(e);
    }
    if c.starts_with("sbatch") {
        if c.contains("--test-only") {
            return match sbatch::parse_test_only(out, &UTC) {
                Ok(_) => Ok(1),
                Err(err) if sbatch::refusal(out).is_some() => Ok(usize::from(!err.why.is_empty())),
                Err(err) => Err(err.to_string()),
            };
        }
        return if b.exit == 0 {
            sbatch::parse_job_id(out).map(|_| 1).map_err(e)
        } else {
            sbatch::refusal(out)
                .map(|_| 1)
                .ok_or_else(|| format!("no refusal in {out:?}"))
        };
    }
    Err("no parser for this command".into())
}

/// Parses every block of the transcripts in `tests/fixtures/<dir>`; at least `min_parsed`
/// must be parser input.
fn every_sample_parses(dir: &str, min_parsed: usize) {
    let blocks = blocks(dir);
    let mut failures = Vec::new();
    let mut parsed = 0;
    for b in &blocks {
        if not_input(b).is_some() {
            continue;
        }
        // Without slurmdbd, sacct prints only a message: rv must refuse it, not misread it.
        let refused = b.output.starts_with("Slurm accounting storage is disabled");
        match (parse(b), refused) {
            (Ok(_), false) | (Err(_), true) => parsed += 1,
            (Ok(n), true) => failures.push(format!(
                "{}: `{}`: read {n} records from an error message",
                b.file, b.command
            )),
            (Err(why), false) => failures.push(format!("{}: `{}`: {why}", b.file, b.command)),
        }
    }
    assert!(
        failures.is_empty(),
        "{dir}: {} blocks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        parsed >= min_parsed,
        "{dir}: only {parsed} of {} blocks were parser input",
        blocks.len()
    );
}

#[test]
fn every_testbed_sample_parses() {
    every_sample_parses("testbed", 80);
}

#[test]
fn every_slurm_22_05_sample_under_load_mixed_parses() {
    every_sample_parses("testbed-22.05", 10);
}

#[test]
fn every_slurm_24_11_sample_parses() {
    every_sample_parses("testbed-24.11", 30);
}

#[test]
fn every_generic_24_11_sample_parses() {
    every_sample_parses("generic-24.11", 80);
}

#[test]
fn every_rivanna_fixture_has_a_parser() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rivanna");
    let read = |f: &str| std::fs::read_to_string(format!("{dir}/{f}")).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        let text = read(&name);
        let n = match name.as_str() {
            "SOURCES.md" => continue,
            "allocations.txt" => rv::site_tools::parse_allocations(&text).unwrap().len(),
            "hdquota.txt" => rv::site_tools::parse_hdquota(&text).unwrap().len(),
            "qlist-p-gpu.txt" => rv::site_tools::parse_qlist(&text).unwrap().len(),
            "sacct-default.txt" => sacct::parse_records(&text, &UTC).unwrap().len(),
            "sbatch-errors.txt" => text
                .lines()
                .filter(|l| sbatch::parse_job_id(l).is_ok() || sbatch::refusal(l).is_some())
                .count(),
            "sinfo-node-T-G-C-m.txt" => sinfo::parse_nodes(
                &text,
                &sinfo::Field::from_format("%N %T %G %C %m").unwrap(),
                Separator::Whitespace,
            )
            .unwrap()
            .len(),
            "squeue-default.txt" => squeue::parse_jobs(&text, &[], Separator::Whitespace, &UTC)
                .unwrap()
                .len(),
            "sshare-l.txt" => sshare::parse_shares(&text).unwrap().len(),
            other => panic!("no parser for fixture {other}"),
        };
        assert!(n > 0, "{name} parsed to nothing");
    }
}
