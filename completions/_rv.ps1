
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'rv' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'rv'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'rv' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('up', 'up', [CompletionResultType]::ParameterValue, 'Get GPUs: plan strategies, submit them all, keep the first to start, attach')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Sync the project and run a command on the cluster')
            [CompletionResult]::new('ps', 'ps', [CompletionResultType]::ParameterValue, 'List your requests, their strategies and jobs')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Cancel a job or a whole request')
            [CompletionResult]::new('attach', 'attach', [CompletionResultType]::ParameterValue, 'Open a shell inside a running job')
            [CompletionResult]::new('ssh', 'ssh', [CompletionResultType]::ParameterValue, 'Shell on a job''s node, or print an SSH config entry for editors')
            [CompletionResult]::new('logs', 'logs', [CompletionResultType]::ParameterValue, 'Show or follow a job''s output')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Connection, balance, storage, jobs and GPU availability at a glance')
            [CompletionResult]::new('forward', 'forward', [CompletionResultType]::ParameterValue, 'Forward local ports to a job''s node')
            [CompletionResult]::new('env', 'env', [CompletionResultType]::ParameterValue, 'Manage the encrypted secrets injected into jobs')
            [CompletionResult]::new('cost', 'cost', [CompletionResultType]::ParameterValue, 'Estimate the service units a request costs')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command on the login node')
            [CompletionResult]::new('gpu', 'gpu', [CompletionResultType]::ParameterValue, 'Show nvidia-smi for every node of a job')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'First-time setup: SSH key and config, account, storage, caches')
            [CompletionResult]::new('notify', 'notify', [CompletionResultType]::ParameterValue, 'Email notifications on job events')
            [CompletionResult]::new('upgrade', 'upgrade', [CompletionResultType]::ParameterValue, 'Install the latest rv over this one')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions (bash, zsh, fish, elvish, powershell)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'rv;up' {
            [CompletionResult]::new('--gpu', '--gpu', [CompletionResultType]::ParameterName, 'GPUs in all (0: a CPU-only job)')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'GPU type: a100, a6000, a40, h200, v100, rtx3090, mig, … (default: any)')
            [CompletionResult]::new('--vram', '--vram', [CompletionResultType]::ParameterName, 'Minimum memory per GPU, in GB')
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'Total time needed: 2h, 90m, 1.5h, 3d, 1d12h or 2:59:00 (default: the configured time, else 2:59:00)')
            [CompletionResult]::new('--nodes', '--nodes', [CompletionResultType]::ParameterName, 'Nodes (default: rv chooses among 1, 2 and 4)')
            [CompletionResult]::new('--cpus', '--cpus', [CompletionResultType]::ParameterName, 'CPUs per node')
            [CompletionResult]::new('--mem', '--mem', [CompletionResultType]::ParameterName, 'Memory per node: 64G, 256G, 1T, 500M')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Partitions to stay within (comma separated or repeated)')
            [CompletionResult]::new('--partition', '--partition', [CompletionResultType]::ParameterName, 'Partitions to stay within (comma separated or repeated)')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Account to charge')
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'Account to charge')
            [CompletionResult]::new('--constraint', '--constraint', [CompletionResultType]::ParameterName, 'An extra node feature constraint')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Nodes to avoid, as a host list (a[1-3],b2)')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'A name for the jobs (letters, digits, `.`, `_`, `-`)')
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'The command the job runs (default: hold the allocation for a shell)')
            [CompletionResult]::new('--max-strategies', '--max-strategies', [CompletionResultType]::ParameterName, 'Strategies to submit at most')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up waiting after this long: 30m, 2h')
            [CompletionResult]::new('--mig', '--mig', [CompletionResultType]::ParameterName, 'A free MIG slice (one GPU of 10 GB)')
            [CompletionResult]::new('--single-node', '--single-node', [CompletionResultType]::ParameterName, 'Only single-node topologies')
            [CompletionResult]::new('--ray', '--ray', [CompletionResultType]::ParameterName, 'Start a Ray cluster over the job''s nodes (head on the first) before the command')
            [CompletionResult]::new('--explain', '--explain', [CompletionResultType]::ParameterName, 'Show every strategy considered, kept or dropped, and why (on stderr)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show the plan and submit nothing (a table; NDJSON with --json)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the allocation as JSON and do not attach (the job keeps running)')
            [CompletionResult]::new('--keep', '--keep', [CompletionResultType]::ParameterName, 'Keep the job when the shell exits (or on Ctrl-C after it started)')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Run on this host (when rv runs on the login node)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'rv;run' {
            [CompletionResult]::new('--gpu', '--gpu', [CompletionResultType]::ParameterName, 'GPUs in all (0: a CPU-only job)')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'GPU type: a100, a6000, a40, h200, v100, rtx3090, mig, … (default: any)')
            [CompletionResult]::new('--vram', '--vram', [CompletionResultType]::ParameterName, 'Minimum memory per GPU, in GB')
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'Total time needed: 2h, 90m, 1.5h, 3d, 1d12h or 2:59:00 (default: the configured time, else 2:59:00)')
            [CompletionResult]::new('--nodes', '--nodes', [CompletionResultType]::ParameterName, 'Nodes (default: rv chooses among 1, 2 and 4)')
            [CompletionResult]::new('--cpus', '--cpus', [CompletionResultType]::ParameterName, 'CPUs per node')
            [CompletionResult]::new('--mem', '--mem', [CompletionResultType]::ParameterName, 'Memory per node: 64G, 256G, 1T, 500M')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Partitions to stay within (comma separated or repeated)')
            [CompletionResult]::new('--partition', '--partition', [CompletionResultType]::ParameterName, 'Partitions to stay within (comma separated or repeated)')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Account to charge')
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'Account to charge')
            [CompletionResult]::new('--constraint', '--constraint', [CompletionResultType]::ParameterName, 'An extra node feature constraint')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Nodes to avoid, as a host list (a[1-3],b2)')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'A name for the jobs (letters, digits, `.`, `_`, `-`)')
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'The command the job runs (default: hold the allocation for a shell)')
            [CompletionResult]::new('--max-strategies', '--max-strategies', [CompletionResultType]::ParameterName, 'Strategies to submit at most')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Copy these paths (relative to where the command runs) to `$RV_OUTPUT_DIR` when it ends; repeat or separate with commas')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up waiting for a start after this long: 30m, 2h (every job is cancelled)')
            [CompletionResult]::new('--mig', '--mig', [CompletionResultType]::ParameterName, 'A free MIG slice (one GPU of 10 GB)')
            [CompletionResult]::new('--single-node', '--single-node', [CompletionResultType]::ParameterName, 'Only single-node topologies')
            [CompletionResult]::new('--ray', '--ray', [CompletionResultType]::ParameterName, 'Start a Ray cluster over the job''s nodes (head on the first) before the command')
            [CompletionResult]::new('--explain', '--explain', [CompletionResultType]::ParameterName, 'Show every strategy considered, kept or dropped, and why (on stderr)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Follow the job''s output until it ends; exit with its exit code')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Follow the job''s output until it ends; exit with its exit code')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print records (NDJSON) instead of the job id')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Run from this host (when rv runs on the login node)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rv;ps' {
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Also jobs that ended in the last 7 days (from accounting)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the jobs as a JSON array')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Run on this host (when rv runs on the login node)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rv;stop' {
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Cancel every job of yours')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before `--all`')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before `--all`')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print what was cancelled as JSON')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Run on this host (when rv runs on the login node)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rv;attach' {
            [CompletionResult]::new('--node', '--node', [CompletionResultType]::ParameterName, 'Which node of a multi-node job (default: the first)')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Run on this host (when rv runs on the login node)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rv;ssh' {
            [CompletionResult]::new('--node', '--node', [CompletionResultType]::ParameterName, 'Which node of a multi-node job (default: the first)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Print an SSH config entry instead of connecting')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'With --config, print it as JSON')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Run on this host (when rv runs on the login node)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rv;logs' {
            [CompletionResult]::new('--tail', '--tail', [CompletionResultType]::ParameterName, 'Only the last N lines (with -f: before following; default 20 there)')
            [CompletionResult]::new('--node', '--node', [CompletionResultType]::ParameterName, 'Only the lines of this node of a multi-node job (0 is the first)')
            [CompletionResult]::new('--search', '--search', [CompletionResultType]::ParameterName, 'Search every rv log for a pattern (extended regular expression)')
            [CompletionResult]::new('--pull', '--pull', [CompletionResultType]::ParameterName, 'Download the job''s log files into DIR (default: ./rv-logs)')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Standard output (the default, unless --err)')
            [CompletionResult]::new('--err', '--err', [CompletionResultType]::ParameterName, 'Standard error')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Follow until the job ends; exit with its exit code')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Follow until the job ends; exit with its exit code')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Keep progress-bar redraws as they are')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'JSON on stdout (with -f: one object per line)')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Read on this host (when rv runs on the login node)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rv;status' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print everything as one JSON object')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Run on this host (when rv runs on the login node)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rv;forward' {
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'The job: an id, a unique part of one, or a request (default: pick, or the latest running)')
            [CompletionResult]::new('--job', '--job', [CompletionResultType]::ParameterName, 'The job: an id, a unique part of one, or a request (default: pick, or the latest running)')
            [CompletionResult]::new('--node', '--node', [CompletionResultType]::ParameterName, 'Which node of a multi-node job (default: the first)')
            [CompletionResult]::new('--auto', '--auto', [CompletionResultType]::ParameterName, 'Forward the well-known ports that are listening on the node')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List the recorded forwards')
            [CompletionResult]::new('--stop', '--stop', [CompletionResultType]::ParameterName, 'Remove the recorded forwards (of --job, else all)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'JSON on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rv;env' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set a variable. Without VALUE it is read from stdin (one trailing newline dropped), so it stays out of `ps` and shell history')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the variables, secrets masked')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove variables')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Import `NAME=value` lines from a .env file (`-` for stdin)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'rv;env;set' {
            [CompletionResult]::new('--secret', '--secret', [CompletionResultType]::ParameterName, 'Mask it in `list` even if the name does not look secret')
            [CompletionResult]::new('--plain', '--plain', [CompletionResultType]::ParameterName, 'Show it in `list` even if the name looks secret (KEY, TOKEN, PASS…)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'rv;env;list' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'rv;env;rm' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'rv;env;import' {
            [CompletionResult]::new('--secret', '--secret', [CompletionResultType]::ParameterName, 'Treat every imported variable as a secret')
            [CompletionResult]::new('--plain', '--plain', [CompletionResultType]::ParameterName, 'Treat none as secret')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'rv;env;help' {
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set a variable. Without VALUE it is read from stdin (one trailing newline dropped), so it stays out of `ps` and shell history')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the variables, secrets masked')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove variables')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Import `NAME=value` lines from a .env file (`-` for stdin)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'rv;env;help;set' {
            break
        }
        'rv;env;help;list' {
            break
        }
        'rv;env;help;rm' {
            break
        }
        'rv;env;help;import' {
            break
        }
        'rv;env;help;help' {
            break
        }
        'rv;cost' {
            [CompletionResult]::new('--gpu', '--gpu', [CompletionResultType]::ParameterName, 'GPUs (0: a CPU-only job, priced by --cpus)')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'GPU type (default: a table over every type)')
            [CompletionResult]::new('--cpus', '--cpus', [CompletionResultType]::ParameterName, 'CPU cores, for a CPU-only job')
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'How long: 2h, 90m, 1d12h, 2:59:00')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Do not read the balance from the cluster')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the estimate as JSON')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Run on this host (when rv runs on the login node)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rv;exec' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Kill it after this long: 30s, 5m, 1h')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print `{"stdout","stderr","exit_code"}` instead')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Run on this host (when rv runs on the login node)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rv;gpu' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print `{"job","nodes":[{"node","output"}]}` instead')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Run on this host (when rv runs on the login node)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rv;init' {
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'The login host')
            [CompletionResult]::new('--alias', '--alias', [CompletionResultType]::ParameterName, 'The SSH alias rv and your editor use for it')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Your user name on the cluster (UVA computing ID)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'The SSH port')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The private key (default: `~/.ssh/id_ed25519`, else `id_rsa`, else a new ed25519 key)')
            [CompletionResult]::new('--ssh-config', '--ssh-config', [CompletionResultType]::ParameterName, 'The SSH config file to update')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'The Slurm account (default: the only one, or ask)')
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'The Slurm account (default: the only one, or ask)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Ask nothing; fail instead of prompting (for scripts)')
            [CompletionResult]::new('--non-interactive', '--non-interactive', [CompletionResultType]::ParameterName, 'Ask nothing; fail instead of prompting (for scripts)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print what was set up as JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rv;notify' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'rv;upgrade' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Install this version instead of the latest (also an older one)')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Only say whether a newer release exists')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print `{"current","latest","upgraded","path"}` as JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rv;completions' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'rv;help' {
            [CompletionResult]::new('up', 'up', [CompletionResultType]::ParameterValue, 'Get GPUs: plan strategies, submit them all, keep the first to start, attach')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Sync the project and run a command on the cluster')
            [CompletionResult]::new('ps', 'ps', [CompletionResultType]::ParameterValue, 'List your requests, their strategies and jobs')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Cancel a job or a whole request')
            [CompletionResult]::new('attach', 'attach', [CompletionResultType]::ParameterValue, 'Open a shell inside a running job')
            [CompletionResult]::new('ssh', 'ssh', [CompletionResultType]::ParameterValue, 'Shell on a job''s node, or print an SSH config entry for editors')
            [CompletionResult]::new('logs', 'logs', [CompletionResultType]::ParameterValue, 'Show or follow a job''s output')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Connection, balance, storage, jobs and GPU availability at a glance')
            [CompletionResult]::new('forward', 'forward', [CompletionResultType]::ParameterValue, 'Forward local ports to a job''s node')
            [CompletionResult]::new('env', 'env', [CompletionResultType]::ParameterValue, 'Manage the encrypted secrets injected into jobs')
            [CompletionResult]::new('cost', 'cost', [CompletionResultType]::ParameterValue, 'Estimate the service units a request costs')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command on the login node')
            [CompletionResult]::new('gpu', 'gpu', [CompletionResultType]::ParameterValue, 'Show nvidia-smi for every node of a job')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'First-time setup: SSH key and config, account, storage, caches')
            [CompletionResult]::new('notify', 'notify', [CompletionResultType]::ParameterValue, 'Email notifications on job events')
            [CompletionResult]::new('upgrade', 'upgrade', [CompletionResultType]::ParameterValue, 'Install the latest rv over this one')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions (bash, zsh, fish, elvish, powershell)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'rv;help;up' {
            break
        }
        'rv;help;run' {
            break
        }
        'rv;help;ps' {
            break
        }
        'rv;help;stop' {
            break
        }
        'rv;help;attach' {
            break
        }
        'rv;help;ssh' {
            break
        }
        'rv;help;logs' {
            break
        }
        'rv;help;status' {
            break
        }
        'rv;help;forward' {
            break
        }
        'rv;help;env' {
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set a variable. Without VALUE it is read from stdin (one trailing newline dropped), so it stays out of `ps` and shell history')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the variables, secrets masked')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove variables')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Import `NAME=value` lines from a .env file (`-` for stdin)')
            break
        }
        'rv;help;env;set' {
            break
        }
        'rv;help;env;list' {
            break
        }
        'rv;help;env;rm' {
            break
        }
        'rv;help;env;import' {
            break
        }
        'rv;help;cost' {
            break
        }
        'rv;help;exec' {
            break
        }
        'rv;help;gpu' {
            break
        }
        'rv;help;init' {
            break
        }
        'rv;help;notify' {
            break
        }
        'rv;help;upgrade' {
            break
        }
        'rv;help;completions' {
            break
        }
        'rv;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
