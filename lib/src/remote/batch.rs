//! One round trip, many commands: a shell script that uploads files, runs every command
//! at once with its own stdout, stderr and exit code, reads the cluster's clock, and frames
//! it all with byte counts under a random boundary, so no output can break the framing and
//! one failing command loses nothing of the others. Its own work costs a fixed handful of
//! processes on the login node (`date`, `mktemp`, one `wc`, one `cat`, the cleanup), not a
//! few per command.

use crate::slurm::time::Clock;
use crate::util::quote;

/// A file to write on the cluster before the commands run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// Absolute path on the cluster; parent directories are created.
    pub path: String,
    /// The exact bytes.
    pub content: Vec<u8>,
    /// The permission bits, e.g. `0o600`. The file is created 0600 and only then chmodded
    /// and renamed into place, so it is never visible half-written or too open.
    pub mode: u32,
}

/// The commands and uploads of one round trip.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    uploads: Vec<Upload>,
    commands: Vec<String>,
    /// One command whose output comes straight back ([`Batch::direct`]).
    direct: bool,
}

/// What one command printed and returned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// Its standard output (lossily decoded).
    pub stdout: String,
    /// Its standard error (lossily decoded).
    pub stderr: String,
    /// Its exit status.
    pub code: i32,
}

impl Output {
    /// Whether it exited 0.
    pub fn ok(&self) -> bool {
        self.code == 0
    }
}

/// Everything a round trip brought back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The cluster's clock when the commands started.
    pub clock: Clock,
    /// Each command's output, in the order they were added.
    pub outputs: Vec<Output>,
}

/// Output that does not follow the framing: cut off, or not from an rv batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the cluster's reply was cut off or garbled ({0})")]
pub struct FramingError(pub String);

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Batch::default()
    }

    /// A batch of one command whose output comes straight back, with no file on the cluster:
    /// its stdout goes out as it is printed, its stderr and exit code are taken by the shell
    /// itself, so the batch costs the login node no process beyond the command's own (and
    /// `date` where `sh` is not bash). For a query that leaves nothing running: a background
    /// process it started would hold the reply open. Its one output is index 0.
    pub fn direct(command: impl Into<String>) -> Self {
        Batch {
            uploads: Vec::new(),
            commands: vec![command.into()],
            direct: true,
        }
    }

    /// Adds a shell command; returns its index in [`Reply::outputs`]. A [`Batch::direct`]
    /// batch becomes an ordinary one.
    pub fn command(&mut self, command: impl Into<String>) -> usize {
        self.direct = false;
        self.commands.push(command.into());
        self.commands.len() - 1
    }

    /// Adds a file to write before the commands run.
    pub fn upload(&mut self, upload: Upload) {
        self.uploads.push(upload);
    }

    /// The number of commands.
    pub fn len(&self) -> usize {
        self.commands.len()
    }

    /// Whether there are no commands.
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    /// The POSIX `sh` script for this batch, framed with `boundary` (which must not occur
    /// in any upload's base64 text: a random token made of letters and digits never does,
    /// since it carries a `-`).
    pub fn script(&self, boundary: &str) -> String {
        if let (true, [command]) = (self.direct && self.uploads.is_empty(), &self.commands[..]) {
            return direct_script(boundary, command);
        }
        let mut s = prelude(boundary);
        // One `date` for both: every process costs a fork and an exec on the login node.
        s.push_str("set -- $(date '+%s %z'); now=$1 zone=$2\n");
        for (i, u) in self.uploads.iter().enumerate() {
            let p = quote(&u.path);
            let tmp = format!("\"$(dirname -- {p})/.rv-upload.$$.{i}\"");
            s.push_str(&format!(
                "mkdir -p -- \"$(dirname -- {p})\" && base64 -d >{tmp} <<'{boundary}'\n"
            ));
            s.push_str(&base64(&u.content));
            s.push_str(&format!("{boundary}\n"));
            s.push_str(&format!(
                "chmod {:o} {tmp} && mv -f -- {tmp} {p} || {{ rm -f {tmp}; echo \"rv: could not write \"{p} >&2; exit 98; }}\n",
                u.mode
            ));
        }
        s.push_str(&self.launch());
        s.push_str("cd \"$t\" || exit 97\n");
        s.push_str("printf '\\n%s clock %s %s\\n' \"$B\" \"$now\" \"$zone\"\n");
        s.push_str(&self.framing());
        s.push_str("printf '%s end\\n' \"$B\"\n");
        s
    }

    /// The commands started at once, and the wait for them (only them: a streamed batch
    /// has its reader running beside them).
    fn launch(&self) -> String {
        let mut s = String::from("pids=\n");
        for (i, c) in self.commands.iter().enumerate() {
            s.push_str(&format!(
                "{{ sh -c {} </dev/null >\"$t/{i}.o\" 2>\"$t/{i}.e\"; echo $? >\"$t/{i}.c\"; }} & pids=\"$pids $!\"\n",
                quote(c)
            ));
        }
        s.push_str("wait $pids\n");
        s
    }

    /// The framed outputs, from the sizes line to the last byte of output, run in `$t`.
    /// The sizes of every output come from one `wc`, the exit codes are read by the shell
    /// itself, then every output comes from one `cat`: two processes however many commands.
    fn framing(&self) -> String {
        let files: Vec<String> = (0..self.commands.len())
            .flat_map(|i| [format!("{i}.o"), format!("{i}.e")])
            .collect();
        let mut s = String::from("printf '%s sizes\\n' \"$B\"\n");
        if !files.is_empty() {
            s.push_str(&format!("wc -c {}\n", files.join(" ")));
        }
        s.push_str(&format!(
            "printf '%s rc' \"$B\"; i=0; while [ $i -lt {n} ]; do\n\
             \x20 c=; read -r c <$i.c; printf ' %s' \"${{c:-?}}\"; i=$((i+1))\n\
             done; printf '\\n%s data\\n' \"$B\"\n",
            n = self.commands.len()
        ));
        if !files.is_empty() {
            s.push_str(&format!("cat {}\n", files.join(" ")));
        }
        s
    }

    /// The script of this batch run again every second on the cluster, for as long as its
    /// client is there: each time, the framed reply when the outputs changed, else only
    /// `<boundary> same <now> <zone>` (see [`Batch::next_unit`]). Uploads are not made.
    ///
    /// The client talks to it on its standard input, a line at a time: `arg <text>` sets
    /// `$RV_ARG` for the commands from the next run on (the job ids to ask about), `renew`
    /// runs `renew` (the lease's renewal: only the client renews it, so a client that stops
    /// lets it lapse). It ends when its input closes (the client or its connection is
    /// gone), when writing fails, or after five minutes without a line from the client.
    pub fn stream_script(&self, boundary: &str, arg: &str, renew: &str) -> String {
        let mut s = prelude(boundary);
        s.push_str("trap 'exit 0' HUP INT TERM PIPE\n");
        s.push_str(&format!(
            "printf '%s\\n' {} >\"$t/arg\"; echo >\"$t/alive\"\n",
            quote(arg)
        ));
        // Background lists read /dev/null unless told otherwise: hand the reader the input.
        s.push_str(&format!(
            "exec 3<&0\n\
             ( while IFS= read -r line; do\n\
             \x20   echo >\"$t/alive\"\n\
             \x20   case $line in\n\
             \x20     'arg '*) printf '%s\\n' \"${{line#arg }}\" >\"$t/arg.n\" && mv -f \"$t/arg.n\" \"$t/arg\" ;;\n\
             \x20     renew) sh -c {} </dev/null >/dev/null 2>&1 ;;\n\
             \x20   esac\n\
             \x20 done\n\
             \x20 kill $$ 2>/dev/null ) <&3 &\n\
             exec 3<&-\n",
            quote(renew)
        ));
        s.push_str("prev=; n=0\nwhile :; do\n");
        s.push_str("RV_ARG=; read -r RV_ARG <\"$t/arg\"; export RV_ARG\n");
        s.push_str("set -- $(date '+%s %z'); now=$1 zone=$2\n");
        s.push_str(&self.launch());
        s.push_str("body=$(cd \"$t\" && {\n");
        s.push_str(&self.framing());
        s.push_str("printf '%s end' \"$B\"; })\n");
        s.push_str(
            "if [ \"$body\" = \"$prev\" ]; then printf '%s same %s %s\\n' \"$B\" \"$now\" \"$zone\"\n\
             else printf '\\n%s clock %s %s\\n%s\\n' \"$B\" \"$now\" \"$zone\" \"$body\"; prev=$body; fi\n\
             n=$((n+1))\n\
             if [ $((n % 60)) -eq 0 ] && [ -n \"$(find \"$t/alive\" -mmin +5 2>/dev/null)\" ]; then exit 0; fi\n\
             sleep 1\n\
             done\n",
        );
        s
    }

    /// Reads the reply of [`Batch::script`] run with `boundary`. Anything the login shell
    /// printed before the framing (a banner, a noisy `.bashrc`) is skipped.
    pub fn parse_reply(&self, raw: &[u8], boundary: &str) -> Result<Reply, FramingError> {
        let marker = format!("\n{boundary} clock ");
        let direct = format!("\n{boundary} out\n");
        let start = find(raw, marker.as_bytes());
        match (find(raw, direct.as_bytes()), start) {
            (Some(out), start) if start.is_none_or(|c| out < c) => {
                return direct_reply(raw, out + direct.len(), boundary);
            }
            _ => {}
        }
        let start = start.ok_or_else(|| FramingError("no clock line".into()))?;
        let mut r = Reader {
            raw,
            pos: start + 1,
        };
        let clock = clock_line(&r.line()?)?;
        let n = self.commands.len();
        let sizes = r.line()?;
        if sizes != format!("{boundary} sizes") {
            return Err(FramingError(format!(
                "expected the sizes line, got {sizes:?}"
            )));
        }
        // `wc -c` prints `<size> <file>` for each file, then a total.
        let mut lengths = vec![None; 2 * n];
        let codes = loop {
            let line = r.line()?;
            if let Some(codes) = line.strip_prefix(&format!("{boundary} rc")) {
                break codes.to_owned();
            }
            let mut words = line.split_whitespace();
            let (Some(size), Some(file)) = (words.next(), words.next()) else {
                return Err(FramingError(format!("bad size line {line:?}")));
            };
            let slot = file.split_once('.').and_then(|(i, kind)| {
                let i: usize = i.parse().ok().filter(|&i| i < n)?;
                Some(2 * i + usize::from(kind == "e"))
            });
            if let Some(slot) = slot {
                let size = size
                    .parse()
                    .map_err(|_| FramingError(format!("bad size line {line:?}")))?;
                lengths[slot] = Some(size);
            } else if file != "total" {
                return Err(FramingError(format!("bad size line {line:?}")));
            }
        };
        let codes: Vec<i32> = codes
            .split_whitespace()
            .map(|c| {
                c.parse()
                    .map_err(|_| FramingError(format!("bad exit code {c:?}")))
            })
            .collect::<Result<_, _>>()?;
        if codes.len() != n {
            return Err(FramingError(format!(
                "{} exit codes for {n} commands",
                codes.len()
            )));
        }
        let data = r.line()?;
        if data != format!("{boundary} data") {
            return Err(FramingError(format!(
                "expected the data line, got {data:?}"
            )));
        }
        let mut outputs = Vec::with_capacity(n);
        for (i, code) in codes.into_iter().enumerate() {
            let mut text = |slot: usize| {
                let len = lengths[slot]
                    .ok_or_else(|| FramingError(format!("no size for output {slot} of {i}")))?;
                r.bytes(len)
            };
            let stdout = text(2 * i)?;
            let stderr = text(2 * i + 1)?;
            outputs.push(Output {
                stdout,
                stderr,
                code,
            });
        }
        let end = r.line()?;
        if end != format!("{boundary} end") {
            return Err(FramingError(format!("expected the end line, got {end:?}")));
        }
        Ok(Reply { clock, outputs })
    }
}

/// The script of a [`Batch::direct`] batch: `<B> out`, the command's stdout as it prints it,
/// then `\n<B> err <code> <length>`, its stderr of that many bytes, and `\n<B> end`. The
/// command runs in the capture's subshell (a fork, no exec) with its stdout on the reply and
/// its stderr taken by the shell; the exit code rides after the stderr, so no trailing
/// newline of it is lost, and is printed when the subshell exits (also by the command's own
/// `exit`). The clock line `<B> clock <now> <zone>` is among the stderr, written when the
/// command starts: by bash's own `printf` where `sh` is bash, else by a `date` beside it.
fn direct_script(boundary: &str, command: &str) -> String {
    format!(
        "export SLURM_TIME_FORMAT=%s LC_ALL=C\nB={b}\n\
         printf '\\n%s out\\n' \"$B\"\n\
         exec 3>&1\n\
         # shellcheck disable=SC3059,SC2154 # bash's own clock where sh is bash; r is set in the trap\n\
         e=$(exec 4>&1; trap 'r=$?; wait; printf \" %s\" \"$r\" >&4' EXIT\n\
         if [ -n \"${{BASH_VERSION-}}\" ]; then printf '%s clock %(%s)T %(%z)T\\n' \"$B\" -1 -1; \
         else date \"+$B clock %s %z\" & fi\n\
         eval {c} </dev/null 2>&1 >&3 3>&-)\n\
         rc=${{e##* }}; e=${{e% *}}\n\
         printf '\\n%s err %s %s\\n%s\\n%s end\\n' \"$B\" \"$rc\" \"${{#e}}\" \"$e\" \"$B\"\n",
        b = quote(boundary),
        c = quote(command),
    )
}

/// The reply of a [`Batch::direct`] batch, from just after its `<B> out` line at `at`.
fn direct_reply(raw: &[u8], at: usize, boundary: &str) -> Result<Reply, FramingError> {
    let rest = raw.get(at..).unwrap_or_default();
    let marker = format!("\n{boundary} err ");
    let cut = find(rest, marker.as_bytes())
        .ok_or_else(|| FramingError("the output is cut off".into()))?;
    let stdout = String::from_utf8_lossy(&rest[..cut]).into_owned();
    let mut r = Reader {
        raw,
        pos: at + cut + 1,
    };
    let line = r.line()?;
    let (code, len) = match line.split_whitespace().collect::<Vec<_>>().as_slice() {
        [_, "err", code, len] => (
            code.parse::<i32>()
                .map_err(|_| FramingError(format!("bad exit code {code:?}")))?,
            len.parse::<usize>()
                .map_err(|_| FramingError(format!("bad length {len:?}")))?,
        ),
        _ => return Err(FramingError(format!("bad err line {line:?}"))),
    };
    let err = raw
        .get(r.pos..r.pos.saturating_add(len))
        .ok_or_else(|| FramingError("an output is cut off".into()))?;
    r.pos += len;
    if !r.line()?.is_empty() || r.line()? != format!("{boundary} end") {
        return Err(FramingError("expected the end line".into()));
    }
    // The clock line, wherever it fell among the command's stderr.
    let clock_at = find(err, format!("{boundary} clock ").as_bytes())
        .ok_or_else(|| FramingError("no clock line".into()))?;
    let clock_end = err[clock_at..]
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| clock_at + i + 1)
        .ok_or_else(|| FramingError("the clock line is cut off".into()))?;
    let clock = clock_line(&String::from_utf8_lossy(&err[clock_at..clock_end - 1]))?;
    let stderr = [&err[..clock_at], &err[clock_end..]].concat();
    Ok(Reply {
        clock,
        outputs: vec![Output {
            stdout,
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
            code,
        }],
    })
}

/// The clock of a `<B> clock <now> <zone>` line.
fn clock_line(line: &str) -> Result<Clock, FramingError> {
    match line.split_whitespace().collect::<Vec<_>>().as_slice() {
        [_, "clock", now, zone] => clock(now, zone),
        _ => Err(FramingError(format!("bad clock line {line:?}"))),
    }
}

/// The cluster's clock from `date '+%s %z'`.
fn clock(now: &str, zone: &str) -> Result<Clock, FramingError> {
    Ok(Clock {
        now: now
            .parse()
            .map_err(|_| FramingError(format!("bad clock {now:?}")))?,
        utc_offset: Clock::parse_offset(zone).map_err(|e| FramingError(e.to_string()))?,
    })
}

/// One answer of a streamed batch ([`Batch::stream_script`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    /// The outputs changed: the whole reply.
    Changed(Reply),
    /// The outputs are those of the last reply; the cluster's clock now.
    Same(Clock),
}

impl Batch {
    /// Reads the first whole answer of [`Batch::stream_script`] in `buf` (anything before
    /// it, such as a login banner, is skipped): the answer and how many bytes it took, or
    /// `None` while it has not all arrived.
    pub fn next_unit(
        &self,
        buf: &[u8],
        boundary: &str,
    ) -> Result<Option<(Unit, usize)>, FramingError> {
        let same = format!("{boundary} same ");
        let changed = format!("\n{boundary} clock ");
        match (find(buf, same.as_bytes()), find(buf, changed.as_bytes())) {
            (Some(at), c) if c.is_none_or(|c| at < c) => {
                let from = at + same.len();
                let Some(len) = buf[from..].iter().position(|&b| b == b'\n') else {
                    return Ok(None);
                };
                let line = String::from_utf8_lossy(&buf[from..from + len]);
                let mut words = line.split_whitespace();
                let (Some(now), Some(zone), None) = (words.next(), words.next(), words.next())
                else {
                    return Err(FramingError(format!("bad same line {line:?}")));
                };
                Ok(Some((Unit::Same(clock(now, zone)?), from + len + 1)))
            }
            (_, Some(at)) => {
                let end = format!("\n{boundary} end\n");
                let Some(e) = find(&buf[at + 1..], end.as_bytes()) else {
                    return Ok(None);
                };
                let stop = at + 1 + e + end.len();
                let reply = self.parse_reply(&buf[..stop], boundary)?;
                Ok(Some((Unit::Changed(reply), stop)))
            }
            _ => Ok(None),
        }
    }
}

/// The start of every batch script: Slurm's times as epoch seconds, private files, the
/// boundary, and a temporary directory removed on exit.
fn prelude(boundary: &str) -> String {
    format!(
        "export SLURM_TIME_FORMAT=%s LC_ALL=C\numask 077\nB={}\n\
         t=$(mktemp -d \"${{TMPDIR:-/tmp}}/rv.XXXXXX\") || exit 97\ntrap 'rm -rf \"$t\"' EXIT\n",
        quote(boundary)
    )
}

struct Reader<'a> {
    raw: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn line(&mut self) -> Result<String, FramingError> {
        let rest = self.raw.get(self.pos..).unwrap_or_default();
        let n = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| FramingError("a line is cut off".into()))?;
        self.pos += n + 1;
        Ok(String::from_utf8_lossy(&rest[..n]).into_owned())
    }

    /// The next `len` bytes, lossily decoded.
    fn bytes(&mut self, len: usize) -> Result<String, FramingError> {
        let bytes = self
            .raw
            .get(self.pos..self.pos.saturating_add(len))
            .ok_or_else(|| FramingError("an output is cut off".into()))?;
        self.pos += len;
        Ok(String::from_utf8_lossy(bytes).into_owned())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Standard base64 in 76-character lines, each ending in a newline.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len() * 4 / 3 + data.len() / 57 + 4);
    for line in data.chunks(57) {
        for chunk in line.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for k in 0..4 {
                if k <= chunk.len() {
                    out.push(char::from(ALPHABET[(n >> (18 - 6 * k)) as usize & 63]));
                } else {
                    out.push('=');
                }
            }
        }
        out.push('\n');
    }
    out
}

/// A fresh boundary token: `rv-` and 32 random hex digits from the OS.
pub fn random_boundary() -> std::io::Result<String> {
    Ok(format!(
        "rv-{}",
        crate::util::hex(&crate::util::random::<16>()?)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Runs a script with the local `sh`, as the cluster would.
    fn run(script: &str) -> Vec<u8> {
        run_in("sh", script)
    }

    #[test]
    fn base64_matches_the_reference() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==\n");
        assert_eq!(base64(b"fo"), "Zm8=\n");
        assert_eq!(base64(b"foo"), "Zm9v\n");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy\n");
        assert_eq!(
            base64(&[0xff; 58])
                .lines()
                .map(str::len)
                .collect::<Vec<_>>(),
            [76, 4]
        );
    }

    #[test]
    fn every_command_keeps_its_own_output_and_code() {
        let mut batch = Batch::new();
        batch.command("echo hello; echo oops >&2");
        batch.command("printf 'no newline'; exit 3");
        batch.command("echo 'unbalanced"); // a syntax error harms only itself
        batch.command(
            "printf 'rv-fake end\\nrv-fake out 9 9\\n'; head -c 3000 /dev/zero | tr '\\0' x",
        );
        batch.command("printf '\\377\\376 binary'");
        let b = random_boundary().unwrap();
        let mut raw = b"banner from .bashrc\n".to_vec();
        raw.extend(run(&batch.script(&b)));
        let reply = batch.parse_reply(&raw, &b).unwrap();
        assert_eq!(reply.outputs.len(), 5);
        assert_eq!(
            reply.outputs[0],
            Output {
                stdout: "hello\n".into(),
                stderr: "oops\n".into(),
                code: 0
            }
        );
        assert_eq!(
            (reply.outputs[1].stdout.as_str(), reply.outputs[1].code),
            ("no newline", 3)
        );
        assert_eq!(reply.outputs[2].code, 2);
        assert!(
            reply.outputs[2]
                .stderr
                .to_lowercase()
                .contains("unterminated"),
            "{}",
            reply.outputs[2].stderr
        );
        assert!(reply.outputs[3].stdout.starts_with("rv-fake end\n"));
        assert_eq!(reply.outputs[3].stdout.len(), 3000 + 28);
        assert_eq!(reply.outputs[4].stdout, "\u{fffd}\u{fffd} binary");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(reply.clock.now.abs_diff(i64::try_from(now).unwrap()) < 60);
    }

    #[test]
    fn uploads_land_exactly_with_their_mode_before_the_commands() {
        let dir = std::env::temp_dir().join(format!("rv-batch-upload-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("deep/er/it's a \"file\"");
        let content: Vec<u8> = (0..=255u8)
            .chain(b"$HOME `x` 'q'\n".iter().copied())
            .collect();
        let mut batch = Batch::new();
        batch.upload(Upload {
            path: path.display().to_string(),
            content: content.clone(),
            mode: 0o640,
        });
        let i = batch.command(format!("stat -c %a {}", quote(&path.display().to_string())));
        let b = random_boundary().unwrap();
        let reply = batch.parse_reply(&run(&batch.script(&b)), &b).unwrap();
        assert_eq!(reply.outputs[i].stdout, "640\n");
        assert_eq!(std::fs::read(&path).unwrap(), content);
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    }

    /// Runs a script with `shell` (`sh`, `bash`), as the cluster would.
    fn run_in(shell: &str, script: &str) -> Vec<u8> {
        use std::io::Write;
        let mut child = std::process::Command::new(shell)
            .arg("-s")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap().stdout
    }

    #[test]
    fn a_direct_batch_keeps_its_output_code_and_clock_in_sh_and_bash() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let cases: [(&str, &str, &str, i32); 6] = [
            ("echo hello; echo oops >&2", "hello\n", "oops\n", 0),
            (
                "printf 'no newline'; printf 'two\\n\\n\\n' >&2; exit 3",
                "no newline",
                "two\n\n\n",
                3,
            ),
            ("echo 'unbalanced", "", "", 2),
            (
                "printf 'x\\nrv-fake err 0 0\\n'; printf 'a b  c ' >&2; false",
                "x\nrv-fake err 0 0\n",
                "a b  c ",
                1,
            ),
            (
                "printf '\\377 binary\\n'; printf '\\303\\251' >&2",
                "\u{fffd} binary\n",
                "\u{e9}",
                0,
            ),
            ("exit 0", "", "", 0),
        ];
        for shell in ["sh", "bash"] {
            for (command, stdout, stderr, code) in cases {
                let batch = Batch::direct(command);
                let b = random_boundary().unwrap();
                let mut raw = b"banner\n".to_vec();
                raw.extend(run_in(shell, &batch.script(&b)));
                let reply = batch.parse_reply(&raw, &b).unwrap_or_else(|e| {
                    panic!(
                        "{shell} {command:?}: {e}: {}",
                        String::from_utf8_lossy(&raw)
                    )
                });
                let out = &reply.outputs[0];
                assert_eq!(out.stdout, stdout, "{shell} {command:?}");
                if command.contains("unbalanced") {
                    assert!(!out.stderr.is_empty(), "{shell}: a syntax error says so");
                } else {
                    assert_eq!(out.stderr, stderr, "{shell} {command:?}");
                }
                assert_eq!(out.code, code, "{shell} {command:?}");
                assert!(reply.clock.now.abs_diff(i64::try_from(now).unwrap()) < 60);
                for cut in [0, raw.len() / 2, raw.len() - 1] {
                    assert!(batch.parse_reply(&raw[..cut], &b).is_err(), "cut at {cut}");
                }
            }
        }
    }

    #[test]
    fn truncated_or_foreign_replies_are_framing_errors() {
        let mut batch = Batch::new();
        batch.command("echo hi");
        let b = random_boundary().unwrap();
        let raw = run(&batch.script(&b));
        for cut in [0, 10, raw.len() / 2, raw.len() - 1] {
            assert!(batch.parse_reply(&raw[..cut], &b).is_err(), "cut at {cut}");
        }
        assert!(batch.parse_reply(&raw, "rv-other").is_err());
        assert!(batch.parse_reply(&raw, &b).is_ok());
    }

    proptest! {
        #[test]
        /// Direct replies cut anywhere, with any length, with the clock line anywhere or
        /// missing, never panic, and the well-formed ones read back exactly.
        #[test]
        fn direct_replies_never_panic_and_read_back(
            out in "[a-z\n|]{0,30}",
            err in "[a-z \n]{0,30}",
            clock_at in 0usize..40,
            clock in prop_oneof![Just("rv-x clock 5 +0100\n"), Just("rv-x clock x\n"), Just("rv-x clock 5"), Just("")],
            slack in -3i64..3,
            cut in 0usize..200,
        ) {
            let at = clock_at.min(err.len());
            let stderr = format!("{}{clock}{}", &err[..at], &err[at..]);
            let len = usize::try_from(i64::try_from(stderr.len()).unwrap() + slack).unwrap_or(0);
            let raw = format!("x\nrv-x out\n{out}\nrv-x err 3 {len}\n{stderr}\nrv-x end\n");
            let batch = Batch::direct("true");
            let _ = batch.parse_reply(&raw.as_bytes()[..cut.min(raw.len())], "rv-x");
            let read = batch.parse_reply(raw.as_bytes(), "rv-x");
            if slack == 0 && clock == "rv-x clock 5 +0100\n" {
                let read = read.unwrap();
                prop_assert_eq!(&read.outputs[0].stdout, &out);
                prop_assert_eq!(&read.outputs[0].stderr, &err);
                prop_assert_eq!(read.outputs[0].code, 3);
                prop_assert_eq!(read.clock.now, 5);
            }
        }

        #[test]
        fn parse_reply_never_panics(raw in proptest::collection::vec(any::<u8>(), 0..400), n in 0usize..3) {
            let mut batch = Batch::new();
            for _ in 0..n {
                batch.command("true");
            }
            let _ = batch.parse_reply(&raw, "rv-x");
            let mut framed = b"\nrv-x clock 1 +0000\n".to_vec();
            framed.extend(&raw);
            let _ = batch.parse_reply(&framed, "rv-x");
        }
    }
}
