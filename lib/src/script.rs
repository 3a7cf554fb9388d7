//! Job scripts: what every strategy of a request submits.
//!
//! Every script carries the preamble (directives, modules, caches on scratch, rv's
//! variables, the user's env file sourced after them) and the **claim gate**: the first job
//! of a request to start claims it atomically (`mkdir` on the shared filesystem) and cancels
//! its siblings; a job that finds the claim taken cancels itself. So exactly one strategy
//! runs, even when the laptop that submitted them is closed. Then comes the body: a holder
//! that keeps the allocation for a shell, the user's command, the command on every node
//! (one task per node, ranks per task), or a chain of checkpointed segments.

use crate::records::{Request, Scratch, ScratchSource, Strategy};
use crate::slurm::time::Walltime;
use crate::util::quote;

/// Seconds before a segment's end when the program gets SIGUSR1 to checkpoint (a tenth of
/// shorter segments).
pub const CHECKPOINT_WARNING_SECS: u64 = 300;
/// Seconds between SIGUSR1 and SIGKILL at a segment's end (a twentieth of shorter
/// segments).
pub const KILL_AFTER_SECS: u64 = 120;

/// The shell command that finds scratch on the cluster: the `configured` directory, else
/// `$SCRATCH`, else `/scratch/<user>` when it exists, else home; it prints
/// `usable|from|dir` (see [`parse_scratch`]).
pub fn scratch_command(configured: Option<&str>) -> String {
    format!(
        r#"c={}; u=$(id -un)
if [ -n "$c" ]; then d=$c; f=config
elif [ -n "${{SCRATCH:-}}" ]; then d=$SCRATCH; f=env
elif [ -d "/scratch/$u" ]; then d=/scratch/$u; f=site
else d=$HOME; f=home; fi
if [ -d "$d" ] && [ -w "$d" ]; then ok=yes; else ok=no; fi
printf '%s|%s|%s\n' "$ok" "$f" "$d""#,
        quote(configured.unwrap_or_default())
    )
}

/// Reads [`scratch_command`]'s output; `None` when it is not that.
pub fn parse_scratch(stdout: &str) -> Option<Scratch> {
    let mut f = stdout.lines().next()?.splitn(3, '|');
    let usable = match f.next()? {
        "yes" => true,
        "no" => false,
        _ => return None,
    };
    let from = match f.next()? {
        "config" => ScratchSource::Config,
        "env" => ScratchSource::Env,
        "site" => ScratchSource::Site,
        "home" => ScratchSource::Home,
        _ => return None,
    };
    let dir = f.next()?;
    dir.starts_with('/').then(|| Scratch {
        dir: dir.to_owned(),
        from,
        usable,
    })
}

/// Why a scratch that is not usable cannot be used, naming what to set.
pub fn scratch_problem(scratch: &Scratch) -> String {
    let what = match scratch.from {
        ScratchSource::Config => "`paths.scratch`",
        ScratchSource::Env => "$SCRATCH on the cluster",
        ScratchSource::Site => "/scratch/<user>",
        ScratchSource::Home => "your home directory (the site has no $SCRATCH or /scratch/<user>)",
    };
    format!(
        "{what}: {} is not a directory you can write on the cluster; set `paths.scratch` in \
         ~/.rv/config.toml (or RV_SCRATCH) to one",
        scratch.dir
    )
}

/// Where rv keeps its files on the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// Scratch (`/scratch/<user>`): caches, logs, checkpoints, outputs.
    pub scratch: String,
}

impl Paths {
    /// rv's directory on scratch.
    pub fn rv_dir(&self) -> String {
        format!("{}/.rv", self.scratch)
    }

    /// A request's directory: its claim, its job list, its segments.
    pub fn request_dir(&self, request: &str) -> String {
        format!("{}/requests/{request}", self.rv_dir())
    }

    /// The env file of a request, written 0600 before any `sbatch`.
    pub fn env_file(&self, request: &str) -> String {
        format!("{}/env/{request}.env", self.rv_dir())
    }

    /// The script of one strategy.
    pub fn script(&self, request: &str, strategy: &str) -> String {
        format!("{}/{strategy}.sh", self.request_dir(request))
    }

    /// The logs directory.
    pub fn logs(&self) -> String {
        format!("{}/logs", self.rv_dir())
    }
}

/// Everything a script needs.
#[derive(Debug, Clone)]
pub struct Job<'a> {
    /// The request.
    pub request: &'a Request,
    /// The strategy this script is for.
    pub strategy: &'a Strategy,
    /// Paths on the cluster.
    pub paths: &'a Paths,
    /// Modules to load (from the site profile).
    pub modules: &'a [String],
    /// The directory the command runs in (default: the submit directory).
    pub workdir: Option<&'a str>,
    /// The lease of a holder, in seconds (`None`: kept until its walltime). Batch work
    /// never has one.
    pub lease: Option<u64>,
}

/// A request name as it may appear in job names and paths: only `[A-Za-z0-9._-]`, at most
/// 40 characters (anything else becomes `-`).
pub fn clean_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(40)
        .collect()
}

/// The job name: the request's name, the request id's tail and the strategy, so `squeue`
/// shows which request a job belongs to.
pub fn job_name(request: &Request, strategy: &Strategy) -> String {
    let tail = request.id.rsplit('-').next().unwrap_or_default();
    format!("{}-{tail}-{}", clean_name(&request.name), strategy.id)
}

/// The `#SBATCH` lines.
fn directives(job: &Job) -> Vec<String> {
    let s = job.strategy;
    let mut d = vec![format!("--job-name={}", job_name(job.request, s))];
    d.extend(shape(s));
    // Warns the batch shell before the time limit (rounded up by Slurm's resolution).
    d.push(format!(
        "--signal=B:USR2@{}",
        (s.time / 10).clamp(60, CHECKPOINT_WARNING_SECS)
    ));
    // Slurm's `--chdir` lets `squeue -o %Z` show which snapshot a job uses (the body's `cd`
    // does the work; a directive cannot be quoted, so only plain paths go here).
    if let Some(w) = job.workdir.filter(|w| !w.contains(char::is_whitespace)) {
        d.push(format!("--chdir={w}"));
    }
    d.push(format!("--output={}/%x-%j.out", job.paths.logs()));
    d.push(format!("--error={}/%x-%j.err", job.paths.logs()));
    d
}

/// The `sbatch` options of a strategy's shape, what the scheduler decides on: partitions,
/// nodes, time, GPUs and the rest of its resources.
pub fn shape(s: &Strategy) -> Vec<String> {
    let mut d = vec![
        format!("--partition={}", s.partitions.join(",")),
        format!("--nodes={}", s.nodes),
        "--ntasks-per-node=1".to_owned(),
        format!("--time={}", Walltime::from_secs(s.time)),
    ];
    if s.gpus_per_node > 0 {
        d.push(match &s.gres {
            Some(g) => format!("--gres=gpu:{g}:{}", s.gpus_per_node),
            None => format!("--gres=gpu:{}", s.gpus_per_node),
        });
    }
    if let Some(t) = s.time_min {
        d.push(format!("--time-min={}", Walltime::from_secs(t)));
    }
    if let Some(c) = &s.constraint {
        d.push(format!("--constraint={c}"));
    }
    if let Some(a) = &s.account {
        d.push(format!("--account={a}"));
    }
    if !s.exclude.is_empty() {
        d.push(format!(
            "--exclude={}",
            crate::slurm::hostlist::compress(&s.exclude)
        ));
    }
    if let Some(c) = s.cpus {
        d.push(format!("--cpus-per-task={c}"));
    }
    if let Some(m) = s.mem_mb {
        d.push(format!("--mem={m}M"));
    }
    d
}

/// Renders the whole script.
pub fn render(job: &Job) -> String {
    let s = job.strategy;
    let r = job.request;
    let mut out =
        String::from("#!/bin/bash\n# Written by rv: one strategy of a request. See `rv ps`.\n");
    for d in directives(job) {
        // `#SBATCH` lines are not shell: a value with spaces or quotes cannot be quoted there,
        // so names and partitions are restricted, and the rest are Slurm syntax.
        out.push_str(&format!("#SBATCH {d}\n"));
    }
    out.push_str("set -uo pipefail\n");
    let lease = crate::lease::of(r, job.lease);
    let exports = [
        ("RV_REQUEST", r.id.clone()),
        ("RV_STRATEGY", s.id.clone()),
        ("RV_DIR", job.paths.rv_dir()),
        ("RV_REQUEST_DIR", job.paths.request_dir(&r.id)),
        ("RV_SCRIPT", job.paths.script(&r.id, &s.id)),
        ("RV_ENV_FILE", job.paths.env_file(&r.id)),
        ("RV_TOTAL_SECONDS", r.time.to_string()),
        ("RV_SEGMENT_SECONDS", s.time.to_string()),
        ("RV_SEGMENTS", s.segments.to_string()),
        ("RV_HARDWARE_ERRORS", HARDWARE_ERRORS.to_owned()),
        ("RV_LEASE_SECONDS", lease.unwrap_or(0).to_string()),
        (
            "RV_LEASE_CHECK_SECONDS",
            lease.map_or(0, crate::lease::check_every).to_string(),
        ),
    ];
    for (k, v) in exports {
        out.push_str(&format!("export {k}={}\n", quote(&v)));
    }
    out.push_str(CLAIM_GATE);
    out.push_str(&environment(job));
    out.push_str(EVENTS);
    out.push_str(&body(job));
    out
}

/// Job events for `rv notify`, sent only when the env file sets `RV_NOTIFY_URL` and
/// `RV_NOTIFY_TOKEN` (never in the script text). Each is a JSON body signed with
/// HMAC-SHA256 over `<timestamp>.<body>` using the token (see [`crate::notify`]); the key
/// stays in the environment, out of `ps`; only the token's public id goes on `curl`'s command
/// line. STARTED when the job (not a later segment) starts; TIMEOUT when Slurm warns
/// of the time limit (`--signal=B:USR2`); CANCELLED on SIGTERM otherwise; COMPLETED,
/// FAILED or RESUBMITTED at the end, in the foreground so the job's end does not cut it off.
const EVENTS: &str = r#"
# --- job events (only when the env file sets RV_NOTIFY_URL and RV_NOTIFY_TOKEN)
rv_notify() {
  [ -n "${RV_NOTIFY_URL:-}" ] && [ -n "${RV_NOTIFY_TOKEN:-}" ] || return 0
  rv_ts=$(date +%s)
  rv_body=$(printf '{"request":"%s","job_id":"%s","job_name":"%s","event":"%s","node":"%s","segment":%s,"code":%s,"time":%s}'     "$RV_REQUEST" "$SLURM_JOB_ID" "$SLURM_JOB_NAME" "$1" "${SLURMD_NODENAME:-}" "${RV_SEGMENT:-1}" "${2:-null}" "$rv_ts")
  rv_sig=$(printf '%s.%s' "$rv_ts" "$rv_body" | RV_KEY="$RV_NOTIFY_TOKEN" python3 -c     'import hashlib, hmac, os, sys; print(hmac.new(os.environ["RV_KEY"].encode(), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())' 2>/dev/null) || return 0
  rv_key=${RV_NOTIFY_TOKEN#rvt_}
  curl -fsS -m 10 -X POST "$RV_NOTIFY_URL" -H 'Content-Type: application/json'     -H "X-Rv-Key: ${rv_key%%.*}" -H "X-Rv-Timestamp: $rv_ts" -H "X-Rv-Signature: sha256=$rv_sig" --data "$rv_body" >/dev/null 2>&1 || true
}
rv_timing_out=
trap 'rv_timing_out=1; rv_notify TIMEOUT' USR2
trap '[ -n "$rv_timing_out" ] || rv_notify CANCELLED; exit 143' TERM
[ "${RV_SEGMENT:-1}" -gt 1 ] || rv_notify STARTED
# Waits for process $1 while the traps above run; returns its exit code.
# shellcheck disable=SC2317 # not every body uses it
rv_wait() {
  while :; do
    wait "$1"
    rv_rc=$?
    if [ "$rv_rc" -gt 128 ] && kill -0 "$1" 2>/dev/null; then continue; fi
    return "$rv_rc"
  done
}
"#;

/// The claim gate. `RV_PREV_JOB` is set on a checkpoint segment by the segment before it,
/// which holds the claim and hands it on.
const CLAIM_GATE: &str = r#"
# --- claim gate: the first job of the request to start wins; the others cancel themselves.
rv_claim="$RV_REQUEST_DIR/claim"
# Jobs are listed best first. When a better sibling started at the same moment, let it claim.
rv_rank=$(grep -nx "$SLURM_JOB_ID" "$RV_REQUEST_DIR/jobs" 2>/dev/null | cut -d: -f1)
if [ -z "${RV_PREV_JOB:-}" ] && [ -n "$rv_rank" ] && [ "$rv_rank" -gt 1 ] && [ ! -d "$rv_claim" ]; then
  rv_better=$(head -n $((rv_rank - 1)) "$RV_REQUEST_DIR/jobs" | paste -sd, -)
  if [ -n "$(squeue -h -t R,CF -j "$rv_better" -o %i 2>/dev/null)" ]; then sleep 3; fi
fi
if mkdir "$rv_claim" 2>/dev/null; then
  echo "$SLURM_JOB_ID" >"$rv_claim/winner"
  rv_siblings=$(grep -vx "$SLURM_JOB_ID" "$RV_REQUEST_DIR/jobs" 2>/dev/null | tr '\n' ' ')
  # shellcheck disable=SC2086 # a list of job ids
  [ -n "$rv_siblings" ] && scancel $rv_siblings
else
  rv_winner=$(cat "$rv_claim/winner" 2>/dev/null)
  if [ "$rv_winner" = "${RV_PREV_JOB:-none}" ]; then
    echo "$SLURM_JOB_ID" >"$rv_claim/winner.$SLURM_JOB_ID" && mv -f "$rv_claim/winner.$SLURM_JOB_ID" "$rv_claim/winner"
  elif [ "$rv_winner" != "$SLURM_JOB_ID" ]; then
    echo "rv: request $RV_REQUEST was already won by job ${rv_winner:-?}; cancelling this one" >&2
    scancel "$SLURM_JOB_ID"
    exit 0
  fi
fi
"#;

/// Modules, caches on scratch, rv's variables, then the user's env file.
fn environment(job: &Job) -> String {
    let mut out = String::from("\n# --- environment\n");
    if !job.modules.is_empty() {
        let list: Vec<String> = job.modules.iter().map(|m| quote(m)).collect();
        out.push_str(&format!(
            "if command -v module >/dev/null 2>&1; then module load {} || echo \"rv: module load failed\" >&2; fi\n",
            list.join(" ")
        ));
    }
    let scratch = quote(&job.paths.scratch);
    out.push_str(&format!("rv_scratch={scratch}\n"));
    out.push_str(
        r#"export HF_HOME="$rv_scratch/.cache/huggingface" UV_CACHE_DIR="$rv_scratch/.cache/uv" \
  PIP_CACHE_DIR="$rv_scratch/.cache/pip" TORCH_HOME="$rv_scratch/.cache/torch" \
  TRITON_CACHE_DIR="$rv_scratch/.cache/triton" WANDB_DIR="$rv_scratch/.cache/wandb" \
  WANDB_CACHE_DIR="$rv_scratch/.cache/wandb" VLLM_CACHE_ROOT="$rv_scratch/.cache/vllm" \
  XDG_CACHE_HOME="$rv_scratch/.cache"
"#,
    );
    let name = clean_name(&job.request.name);
    out.push_str(&format!(
        "export RV_CHECKPOINT_DIR=\"$rv_scratch/.rv/checkpoints/{name}\"\nexport RV_OUTPUT_DIR=\"$rv_scratch/.rv/outputs/{name}-$SLURM_JOB_ID\"\n"
    ));
    out.push_str(
        r#"mkdir -p "$HF_HOME" "$UV_CACHE_DIR" "$PIP_CACHE_DIR" "$TORCH_HOME" "$TRITON_CACHE_DIR" "$WANDB_DIR" \
  "$VLLM_CACHE_ROOT" "$RV_CHECKPOINT_DIR" "$RV_OUTPUT_DIR"
MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
export MASTER_ADDR MASTER_PORT=$((20000 + SLURM_JOB_ID % 20000))
export OMP_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}"
# The user's variables come last, so they win; the file is read once and removed (later
# checkpoint segments inherit them through `sbatch --export=ALL`).
if [ -f "$RV_ENV_FILE" ]; then
  set -a
  # shellcheck source=/dev/null
  . "$RV_ENV_FILE"
  set +a
  rm -f "$RV_ENV_FILE"
fi
"#,
    );
    out
}

/// What the job does once it holds the claim.
fn body(job: &Job) -> String {
    let s = job.strategy;
    let retry_note = "[ -z \"${RV_RETRIED:-}\" ] || echo \"rv: job $SLURM_JOB_ID retries after a hardware error: ${RV_RETRY_REASON:-}\" >&2\n";
    let ray = if job.request.ray { RAY_START } else { "" };
    let Some(command) = job.request.command.as_deref() else {
        // A holder keeps the allocation for `rv attach`; a bare shell would exit at once.
        return format!("{ray}{HOLD}");
    };
    let cd = job
        .workdir
        .map(|d| format!("cd {} || exit 1\n", quote(d)))
        .unwrap_or_default();
    // Under Ray the command runs once, on the head, and Ray spreads the work.
    let run = if s.nodes > 1 && !job.request.ray {
        multi_node(command)
    } else {
        command.to_owned()
    };
    // Single quotes on purpose: each task (or the segment's shell) expands the variables.
    let literal = "# shellcheck disable=SC2016 # expanded where it runs\n";
    if s.segments <= 1 {
        let note = if s.nodes > 1 { literal } else { "" };
        return format!(
            "{ray}\n# --- run (in the background, so the event traps can run)\n{retry_note}{cd}{note}{{ {run}\n}} &\nrv_wait $!\nrv_rc=$?\n{HARDWARE_RETRY}if [ \"$rv_rc\" -eq 0 ]; then rv_notify COMPLETED 0; else rv_notify FAILED \"$rv_rc\"; fi\nexit \"$rv_rc\"\n"
        );
    }
    let segments = format!(
        r#"
# --- checkpointed segments: SIGUSR1 before the segment ends, resubmit only on timeout
{cd}export RV_SEGMENT="${{RV_SEGMENT:-1}}" RV_ELAPSED="${{RV_ELAPSED:-0}}"
rv_left=$((RV_TOTAL_SECONDS - RV_ELAPSED))
rv_warn=$((RV_SEGMENT_SECONDS / 10)); [ "$rv_warn" -gt {warn} ] && rv_warn={warn}
rv_kill=$((RV_SEGMENT_SECONDS / 20)); [ "$rv_kill" -gt {kill} ] && rv_kill={kill}
rv_budget=$((RV_SEGMENT_SECONDS - rv_warn - rv_kill))
[ "$rv_budget" -gt "$rv_left" ] && rv_budget=$rv_left
rv_start=$(date +%s)
{literal}timeout -s USR1 -k "$rv_kill" "$rv_budget" bash -c {run}
rv_rc=$?
rv_elapsed=$((RV_ELAPSED + $(date +%s) - rv_start))
echo "$RV_SEGMENT $SLURM_JOB_ID $rv_start $(date +%s) $rv_rc" >>"$RV_REQUEST_DIR/segments"
if [ "$rv_rc" -eq 124 ] && [ "$rv_elapsed" -lt "$RV_TOTAL_SECONDS" ]; then
  rv_next=$(sbatch --parsable --export=ALL,RV_SEGMENT=$((RV_SEGMENT + 1)),RV_ELAPSED="$rv_elapsed",RV_PREV_JOB="$SLURM_JOB_ID" "$RV_SCRIPT")
  echo "${{rv_next%%;*}}" | tee -a "$RV_REQUEST_DIR/continued" >>"$RV_REQUEST_DIR/jobs"
  echo "rv: segment $RV_SEGMENT timed out after $((rv_elapsed - RV_ELAPSED)) s; segment $((RV_SEGMENT + 1)) is job $rv_next" >&2
  rv_notify RESUBMITTED "$rv_rc"
  exit 0
fi
if [ "$rv_rc" -eq 0 ] || [ "$rv_rc" -eq 124 ]; then rv_notify COMPLETED "$rv_rc"; else rv_notify FAILED "$rv_rc"; fi
exit "$rv_rc"
"#,
        warn = CHECKPOINT_WARNING_SECS,
        kill = KILL_AFTER_SECS,
        run = quote(&run),
        literal = literal,
    );
    format!("{ray}{segments}")
}

/// The holder: keeps the allocation for a shell while its lease lasts (see [`crate::lease`]).
/// Every `RV_LEASE_CHECK_SECONDS` ([`crate::lease::check_every`]) it reads the lease's age; when that is
/// more than the lease and no step of the job is attached (anything but the batch script,
/// the extern and interactive steps and rv's own Ray steps), it says so in its log, sends
/// `LEASE_EXPIRED` and ends. When `squeue` cannot answer, a step counts as attached. The
/// first check comes at once, so a strategy that starts after its client is gone ends
/// there (having cancelled its siblings at the claim). Without a lease (`--keep`) it holds
/// until the walltime.
const HOLD: &str = r#"
# --- hold the allocation for an interactive shell while its lease lasts
rv_lease="$RV_REQUEST_DIR/lease"
rv_attached() {
  rv_steps=$(squeue -h -s -j "$SLURM_JOB_ID" -o '%i|%j' 2>/dev/null) || return 0
  printf '%s\n' "$rv_steps" | grep -vE '\.(batch|extern|interactive)\||\|rv-ray$' | grep -q .
}
if [ "$RV_LEASE_SECONDS" -gt 0 ]; then
  while :; do
    rv_age=$(($(date +%s) - $(stat -c %Y "$rv_lease" 2>/dev/null || echo 0)))
    if [ "$rv_age" -gt "$RV_LEASE_SECONDS" ] && ! rv_attached; then
      echo "rv: lease expired: no client renewed it for $rv_age s (lease $RV_LEASE_SECONDS s) and no shell is attached; ending job $SLURM_JOB_ID (rv up --keep keeps a job until its walltime)" >&2
      rv_notify LEASE_EXPIRED
      exit 0
    fi
    sleep "$RV_LEASE_CHECK_SECONDS" &
    rv_wait $!
  done
fi
sleep infinity &
rv_wait $!
"#;

/// Output that means the hardware failed, not the program (`grep -E`, case-insensitive).
pub const HARDWARE_ERRORS: &str = "CUDA error: unknown error|fallen off the bus|uncorrectable ECC|ECC error|NCCL (WARN|error).*(system error|unhandled system error)";

/// After a failure whose output shows a hardware error, the job resubmits itself once
/// (`RV_RETRIED`), excluding its nodes, and hands its claim on (`RV_PREV_JOB`). Only this
/// job's own logs count, that is what it printed since it started.
const HARDWARE_RETRY: &str = r#"if [ "$rv_rc" -ne 0 ] && [ -z "${RV_RETRIED:-}" ] &&
  grep -qiE "$RV_HARDWARE_ERRORS" "$RV_DIR/logs/$SLURM_JOB_NAME-$SLURM_JOB_ID.out" "$RV_DIR/logs/$SLURM_JOB_NAME-$SLURM_JOB_ID.err" 2>/dev/null; then
  rv_why=$(grep -hiE "$RV_HARDWARE_ERRORS" "$RV_DIR/logs/$SLURM_JOB_NAME-$SLURM_JOB_ID.out" "$RV_DIR/logs/$SLURM_JOB_NAME-$SLURM_JOB_ID.err" 2>/dev/null | tail -n 1)
  if rv_next=$(RV_RETRY_REASON="job $SLURM_JOB_ID failed on $SLURM_JOB_NODELIST: $rv_why" sbatch --parsable --export=ALL,RV_RETRIED=1,RV_PREV_JOB="$SLURM_JOB_ID" --exclude="$SLURM_JOB_NODELIST" "$RV_SCRIPT"); then
    echo "${rv_next%%;*}" | tee -a "$RV_REQUEST_DIR/continued" >>"$RV_REQUEST_DIR/jobs"
    echo "rv: hardware error on $SLURM_JOB_NODELIST (exit $rv_rc); retrying once on other nodes as job ${rv_next%%;*}" >&2
    rv_notify RESUBMITTED "$rv_rc"
    exit "$rv_rc"
  fi
fi
"#;

/// Starts a Ray cluster: the head on the first node, a worker on every other node, each as
/// a step sharing the job's resources (named `rv-ray`, so a lease does not count them as
/// attached shells); the command then finds it through `RAY_ADDRESS`.
const RAY_START: &str = r#"
# --- a Ray cluster over the job's nodes
rv_ray_head=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
rv_ray_port=$((6379 + SLURM_JOB_ID % 1000))
srun --overlap --job-name=rv-ray --nodes=1 --ntasks=1 -w "$rv_ray_head" ray start --head --node-ip-address="$rv_ray_head" --port="$rv_ray_port" --block &
sleep 10
if [ "$SLURM_JOB_NUM_NODES" -gt 1 ]; then
  srun --overlap --job-name=rv-ray --nodes=$((SLURM_JOB_NUM_NODES - 1)) --ntasks-per-node=1 --exclude="$rv_ray_head" \
    ray start --address="$rv_ray_head:$rv_ray_port" --block &
  sleep 5
fi
export RAY_ADDRESS="$rv_ray_head:$rv_ray_port"
"#;

/// Runs `command` once per node (one task each) with its rank: `srun` starts a `bash -c`
/// per task, so `$SLURM_PROCID` is expanded on each node, not once on the first.
/// `torchrun` gets its multi-node flags.
fn multi_node(command: &str) -> String {
    let command = match command.strip_prefix("torchrun ") {
        Some(rest) => format!(
            "torchrun --nnodes=\"$SLURM_NNODES\" --node-rank=\"$SLURM_NODEID\" --master-addr=\"$MASTER_ADDR\" --master-port=\"$MASTER_PORT\" {rest}"
        ),
        None => command.to_owned(),
    };
    let per_task = format!(
        "export RANK=\"$SLURM_PROCID\" NODE_RANK=\"$SLURM_NODEID\" WORLD_SIZE=\"$SLURM_NTASKS\" LOCAL_RANK=0; {command}"
    );
    format!(
        "srun --ntasks-per-node=1 --kill-on-bad-exit=1 --label bash -c {}",
        quote(&per_task)
    )
}

/// The env file: `export KEY='value'` lines, every value quoted for the shell, so `$`,
/// quotes, backticks and newlines arrive exactly.
pub fn env_file(vars: &[(String, String)]) -> Result<String, String> {
    let mut out = String::new();
    for (k, v) in vars {
        let ok = k
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            return Err(format!("{k:?} is not a variable name"));
        }
        out.push_str(&format!("{k}={}\n", quote(v)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
