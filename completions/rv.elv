
use builtin;
use str;

set edit:completion:arg-completer[rv] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'rv'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'rv'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand up 'Get GPUs: plan strategies, submit them all, keep the first to start, attach'
            cand run 'Sync the project and run a command on the cluster'
            cand ps 'List your requests, their strategies and jobs'
            cand stop 'Cancel a job or a whole request'
            cand attach 'Open a shell inside a running job'
            cand ssh 'Shell on a job''s node, or print an SSH config entry for editors'
            cand logs 'Show or follow a job''s output'
            cand status 'Connection, balance, storage, jobs and GPU availability at a glance'
            cand forward 'Forward local ports to a job''s node'
            cand env 'Manage the encrypted secrets injected into jobs'
            cand cost 'Estimate the service units a request costs'
            cand exec 'Run a command on the login node'
            cand gpu 'Show nvidia-smi for every node of a job'
            cand init 'First-time setup: SSH key and config, account, storage, caches'
            cand notify 'Email notifications on job events'
            cand upgrade 'Install the latest rv over this one'
            cand completions 'Print shell completions (bash, zsh, fish, elvish, powershell)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'rv;up'= {
            cand --gpu 'GPUs in all (0: a CPU-only job)'
            cand --type 'GPU type: a100, a6000, a40, h200, v100, rtx3090, mig, … (default: any)'
            cand --vram 'Minimum memory per GPU, in GB'
            cand --time 'Total time needed: 2h, 90m, 1.5h, 3d, 1d12h or 2:59:00 (default: the configured time, else 2:59:00)'
            cand --nodes 'Nodes (default: rv chooses among 1, 2 and 4)'
            cand --cpus 'CPUs per node'
            cand --mem 'Memory per node: 64G, 256G, 1T, 500M'
            cand -p 'Partitions to stay within (comma separated or repeated)'
            cand --partition 'Partitions to stay within (comma separated or repeated)'
            cand -A 'Account to charge'
            cand --account 'Account to charge'
            cand --constraint 'An extra node feature constraint'
            cand --exclude 'Nodes to avoid, as a host list (a[1-3],b2)'
            cand --name 'A name for the jobs (letters, digits, `.`, `_`, `-`)'
            cand --run 'The command the job runs (default: hold the allocation for a shell)'
            cand --max-strategies 'Strategies to submit at most'
            cand --timeout 'Give up waiting after this long: 30m, 2h'
            cand --mig 'A free MIG slice (one GPU of 10 GB)'
            cand --single-node 'Only single-node topologies'
            cand --ray 'Start a Ray cluster over the job''s nodes (head on the first) before the command'
            cand --explain 'Show every strategy considered, kept or dropped, and why (on stderr)'
            cand --dry-run 'Show the plan and submit nothing (a table; NDJSON with --json)'
            cand --json 'Print the allocation as JSON and do not attach (the job keeps running)'
            cand --keep 'Keep the job when the shell exits (or on Ctrl-C after it started)'
            cand --local 'Run on this host (when rv runs on the login node)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'rv;run'= {
            cand --gpu 'GPUs in all (0: a CPU-only job)'
            cand --type 'GPU type: a100, a6000, a40, h200, v100, rtx3090, mig, … (default: any)'
            cand --vram 'Minimum memory per GPU, in GB'
            cand --time 'Total time needed: 2h, 90m, 1.5h, 3d, 1d12h or 2:59:00 (default: the configured time, else 2:59:00)'
            cand --nodes 'Nodes (default: rv chooses among 1, 2 and 4)'
            cand --cpus 'CPUs per node'
            cand --mem 'Memory per node: 64G, 256G, 1T, 500M'
            cand -p 'Partitions to stay within (comma separated or repeated)'
            cand --partition 'Partitions to stay within (comma separated or repeated)'
            cand -A 'Account to charge'
            cand --account 'Account to charge'
            cand --constraint 'An extra node feature constraint'
            cand --exclude 'Nodes to avoid, as a host list (a[1-3],b2)'
            cand --name 'A name for the jobs (letters, digits, `.`, `_`, `-`)'
            cand --run 'The command the job runs (default: hold the allocation for a shell)'
            cand --max-strategies 'Strategies to submit at most'
            cand --output 'Copy these paths (relative to where the command runs) to `$RV_OUTPUT_DIR` when it ends; repeat or separate with commas'
            cand --timeout 'Give up waiting for a start after this long: 30m, 2h (every job is cancelled)'
            cand --mig 'A free MIG slice (one GPU of 10 GB)'
            cand --single-node 'Only single-node topologies'
            cand --ray 'Start a Ray cluster over the job''s nodes (head on the first) before the command'
            cand --explain 'Show every strategy considered, kept or dropped, and why (on stderr)'
            cand -f 'Follow the job''s output until it ends; exit with its exit code'
            cand --follow 'Follow the job''s output until it ends; exit with its exit code'
            cand --json 'Print records (NDJSON) instead of the job id'
            cand --local 'Run from this host (when rv runs on the login node)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rv;ps'= {
            cand --all 'Also jobs that ended in the last 7 days (from accounting)'
            cand --json 'Print the jobs as a JSON array'
            cand --local 'Run on this host (when rv runs on the login node)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rv;stop'= {
            cand --all 'Cancel every job of yours'
            cand -y 'Do not ask before `--all`'
            cand --yes 'Do not ask before `--all`'
            cand --json 'Print what was cancelled as JSON'
            cand --local 'Run on this host (when rv runs on the login node)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rv;attach'= {
            cand --node 'Which node of a multi-node job (default: the first)'
            cand --local 'Run on this host (when rv runs on the login node)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rv;ssh'= {
            cand --node 'Which node of a multi-node job (default: the first)'
            cand --config 'Print an SSH config entry instead of connecting'
            cand --json 'With --config, print it as JSON'
            cand --local 'Run on this host (when rv runs on the login node)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rv;logs'= {
            cand --tail 'Only the last N lines (with -f: before following; default 20 there)'
            cand --node 'Only the lines of this node of a multi-node job (0 is the first)'
            cand --search 'Search every rv log for a pattern (extended regular expression)'
            cand --pull 'Download the job''s log files into DIR (default: ./rv-logs)'
            cand --out 'Standard output (the default, unless --err)'
            cand --err 'Standard error'
            cand -f 'Follow until the job ends; exit with its exit code'
            cand --follow 'Follow until the job ends; exit with its exit code'
            cand --raw 'Keep progress-bar redraws as they are'
            cand --json 'JSON on stdout (with -f: one object per line)'
            cand --local 'Read on this host (when rv runs on the login node)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rv;status'= {
            cand --json 'Print everything as one JSON object'
            cand --local 'Run on this host (when rv runs on the login node)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rv;forward'= {
            cand -j 'The job: an id, a unique part of one, or a request (default: pick, or the latest running)'
            cand --job 'The job: an id, a unique part of one, or a request (default: pick, or the latest running)'
            cand --node 'Which node of a multi-node job (default: the first)'
            cand --auto 'Forward the well-known ports that are listening on the node'
            cand --list 'List the recorded forwards'
            cand --stop 'Remove the recorded forwards (of --job, else all)'
            cand --json 'JSON on stdout'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rv;env'= {
            cand --json 'Print JSON on stdout'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand set 'Set a variable. Without VALUE it is read from stdin (one trailing newline dropped), so it stays out of `ps` and shell history'
            cand list 'List the variables, secrets masked'
            cand rm 'Remove variables'
            cand import 'Import `NAME=value` lines from a .env file (`-` for stdin)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'rv;env;set'= {
            cand --secret 'Mask it in `list` even if the name does not look secret'
            cand --plain 'Show it in `list` even if the name looks secret (KEY, TOKEN, PASS…)'
            cand --json 'Print JSON on stdout'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'rv;env;list'= {
            cand --json 'Print JSON on stdout'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'rv;env;rm'= {
            cand --json 'Print JSON on stdout'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'rv;env;import'= {
            cand --secret 'Treat every imported variable as a secret'
            cand --plain 'Treat none as secret'
            cand --json 'Print JSON on stdout'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'rv;env;help'= {
            cand set 'Set a variable. Without VALUE it is read from stdin (one trailing newline dropped), so it stays out of `ps` and shell history'
            cand list 'List the variables, secrets masked'
            cand rm 'Remove variables'
            cand import 'Import `NAME=value` lines from a .env file (`-` for stdin)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'rv;env;help;set'= {
        }
        &'rv;env;help;list'= {
        }
        &'rv;env;help;rm'= {
        }
        &'rv;env;help;import'= {
        }
        &'rv;env;help;help'= {
        }
        &'rv;cost'= {
            cand --gpu 'GPUs (0: a CPU-only job, priced by --cpus)'
            cand --type 'GPU type (default: a table over every type)'
            cand --cpus 'CPU cores, for a CPU-only job'
            cand --time 'How long: 2h, 90m, 1d12h, 2:59:00'
            cand --offline 'Do not read the balance from the cluster'
            cand --json 'Print the estimate as JSON'
            cand --local 'Run on this host (when rv runs on the login node)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rv;exec'= {
            cand --timeout 'Kill it after this long: 30s, 5m, 1h'
            cand --json 'Print `{"stdout","stderr","exit_code"}` instead'
            cand --local 'Run on this host (when rv runs on the login node)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rv;gpu'= {
            cand --json 'Print `{"job","nodes":[{"node","output"}]}` instead'
            cand --local 'Run on this host (when rv runs on the login node)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rv;init'= {
            cand --host 'The login host'
            cand --alias 'The SSH alias rv and your editor use for it'
            cand --user 'Your user name on the cluster (UVA computing ID)'
            cand --port 'The SSH port'
            cand --identity 'The private key (default: `~/.ssh/id_ed25519`, else `id_rsa`, else a new ed25519 key)'
            cand --ssh-config 'The SSH config file to update'
            cand -A 'The Slurm account (default: the only one, or ask)'
            cand --account 'The Slurm account (default: the only one, or ask)'
            cand -y 'Ask nothing; fail instead of prompting (for scripts)'
            cand --non-interactive 'Ask nothing; fail instead of prompting (for scripts)'
            cand --json 'Print what was set up as JSON'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rv;notify'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'rv;upgrade'= {
            cand --to 'Install this version instead of the latest (also an older one)'
            cand --check 'Only say whether a newer release exists'
            cand --json 'Print `{"current","latest","upgraded","path"}` as JSON'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rv;completions'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'rv;help'= {
            cand up 'Get GPUs: plan strategies, submit them all, keep the first to start, attach'
            cand run 'Sync the project and run a command on the cluster'
            cand ps 'List your requests, their strategies and jobs'
            cand stop 'Cancel a job or a whole request'
            cand attach 'Open a shell inside a running job'
            cand ssh 'Shell on a job''s node, or print an SSH config entry for editors'
            cand logs 'Show or follow a job''s output'
            cand status 'Connection, balance, storage, jobs and GPU availability at a glance'
            cand forward 'Forward local ports to a job''s node'
            cand env 'Manage the encrypted secrets injected into jobs'
            cand cost 'Estimate the service units a request costs'
            cand exec 'Run a command on the login node'
            cand gpu 'Show nvidia-smi for every node of a job'
            cand init 'First-time setup: SSH key and config, account, storage, caches'
            cand notify 'Email notifications on job events'
            cand upgrade 'Install the latest rv over this one'
            cand completions 'Print shell completions (bash, zsh, fish, elvish, powershell)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'rv;help;up'= {
        }
        &'rv;help;run'= {
        }
        &'rv;help;ps'= {
        }
        &'rv;help;stop'= {
        }
        &'rv;help;attach'= {
        }
        &'rv;help;ssh'= {
        }
        &'rv;help;logs'= {
        }
        &'rv;help;status'= {
        }
        &'rv;help;forward'= {
        }
        &'rv;help;env'= {
            cand set 'Set a variable. Without VALUE it is read from stdin (one trailing newline dropped), so it stays out of `ps` and shell history'
            cand list 'List the variables, secrets masked'
            cand rm 'Remove variables'
            cand import 'Import `NAME=value` lines from a .env file (`-` for stdin)'
        }
        &'rv;help;env;set'= {
        }
        &'rv;help;env;list'= {
        }
        &'rv;help;env;rm'= {
        }
        &'rv;help;env;import'= {
        }
        &'rv;help;cost'= {
        }
        &'rv;help;exec'= {
        }
        &'rv;help;gpu'= {
        }
        &'rv;help;init'= {
        }
        &'rv;help;notify'= {
        }
        &'rv;help;upgrade'= {
        }
        &'rv;help;completions'= {
        }
        &'rv;help;help'= {
        }
    ]
    $completions[$command]
}
