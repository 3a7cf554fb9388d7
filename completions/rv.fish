# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_rv_global_optspecs
    string join \n h/help V/version
end

function __fish_rv_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_rv_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_rv_using_subcommand
    set -l cmd (__fish_rv_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c rv -n "__fish_rv_needs_command" -s h -l help -d 'Print help'
complete -c rv -n "__fish_rv_needs_command" -s V -l version -d 'Print version'
complete -c rv -n "__fish_rv_needs_command" -f -a "up" -d 'Get GPUs: plan strategies, submit them all, keep the first to start, attach'
complete -c rv -n "__fish_rv_needs_command" -f -a "run" -d 'Sync the project and run a command on the cluster'
complete -c rv -n "__fish_rv_needs_command" -f -a "ps" -d 'List your requests, their strategies and jobs'
complete -c rv -n "__fish_rv_needs_command" -f -a "stop" -d 'Cancel a job or a whole request'
complete -c rv -n "__fish_rv_needs_command" -f -a "attach" -d 'Open a shell inside a running job'
complete -c rv -n "__fish_rv_needs_command" -f -a "ssh" -d 'Shell on a job\'s node, or print an SSH config entry for editors'
complete -c rv -n "__fish_rv_needs_command" -f -a "logs" -d 'Show or follow a job\'s output'
complete -c rv -n "__fish_rv_needs_command" -f -a "status" -d 'Connection, balance, storage, jobs and GPU availability at a glance'
complete -c rv -n "__fish_rv_needs_command" -f -a "forward" -d 'Forward local ports to a job\'s node'
complete -c rv -n "__fish_rv_needs_command" -f -a "env" -d 'Manage the encrypted secrets injected into jobs'
complete -c rv -n "__fish_rv_needs_command" -f -a "cost" -d 'Estimate the service units a request costs'
complete -c rv -n "__fish_rv_needs_command" -f -a "exec" -d 'Run a command on the login node'
complete -c rv -n "__fish_rv_needs_command" -f -a "gpu" -d 'Show nvidia-smi for every node of a job'
complete -c rv -n "__fish_rv_needs_command" -f -a "init" -d 'First-time setup: SSH key and config, account, storage, caches'
complete -c rv -n "__fish_rv_needs_command" -f -a "notify" -d 'Email notifications on job events'
complete -c rv -n "__fish_rv_needs_command" -f -a "upgrade" -d 'Install the latest rv over this one'
complete -c rv -n "__fish_rv_needs_command" -f -a "completions" -d 'Print shell completions (bash, zsh, fish, elvish, powershell)'
complete -c rv -n "__fish_rv_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rv -n "__fish_rv_using_subcommand up" -l gpu -d 'GPUs in all (0: a CPU-only job)' -r
complete -c rv -n "__fish_rv_using_subcommand up" -l type -d 'GPU type: a100, a6000, a40, h200, v100, rtx3090, mig, … (default: any)' -r
complete -c rv -n "__fish_rv_using_subcommand up" -l vram -d 'Minimum memory per GPU, in GB' -r
complete -c rv -n "__fish_rv_using_subcommand up" -l time -d 'Total time needed: 2h, 90m, 1.5h, 3d, 1d12h or 2:59:00 (default: the configured time, else 2:59:00)' -r
complete -c rv -n "__fish_rv_using_subcommand up" -l nodes -d 'Nodes (default: rv chooses among 1, 2 and 4)' -r
complete -c rv -n "__fish_rv_using_subcommand up" -l cpus -d 'CPUs per node' -r
complete -c rv -n "__fish_rv_using_subcommand up" -l mem -d 'Memory per node: 64G, 256G, 1T, 500M' -r
complete -c rv -n "__fish_rv_using_subcommand up" -s p -l partition -d 'Partitions to stay within (comma separated or repeated)' -r
complete -c rv -n "__fish_rv_using_subcommand up" -s A -l account -d 'Account to charge' -r
complete -c rv -n "__fish_rv_using_subcommand up" -l constraint -d 'An extra node feature constraint' -r
complete -c rv -n "__fish_rv_using_subcommand up" -l exclude -d 'Nodes to avoid, as a host list (a[1-3],b2)' -r
complete -c rv -n "__fish_rv_using_subcommand up" -l name -d 'A name for the jobs (letters, digits, `.`, `_`, `-`)' -r
complete -c rv -n "__fish_rv_using_subcommand up" -l run -d 'The command the job runs (default: hold the allocation for a shell)' -r
complete -c rv -n "__fish_rv_using_subcommand up" -l max-strategies -d 'Strategies to submit at most' -r
complete -c rv -n "__fish_rv_using_subcommand up" -l timeout -d 'Give up waiting after this long: 30m, 2h' -r
complete -c rv -n "__fish_rv_using_subcommand up" -l mig -d 'A free MIG slice (one GPU of 10 GB)'
complete -c rv -n "__fish_rv_using_subcommand up" -l single-node -d 'Only single-node topologies'
complete -c rv -n "__fish_rv_using_subcommand up" -l ray -d 'Start a Ray cluster over the job\'s nodes (head on the first) before the command'
complete -c rv -n "__fish_rv_using_subcommand up" -l explain -d 'Show every strategy considered, kept or dropped, and why (on stderr)'
complete -c rv -n "__fish_rv_using_subcommand up" -l dry-run -d 'Show the plan and submit nothing (a table; NDJSON with --json)'
complete -c rv -n "__fish_rv_using_subcommand up" -l json -d 'Print the allocation as JSON and do not attach (the job keeps running)'
complete -c rv -n "__fish_rv_using_subcommand up" -l keep -d 'Keep the job when the shell exits (or on Ctrl-C after it started)'
complete -c rv -n "__fish_rv_using_subcommand up" -l local -d 'Run on this host (when rv runs on the login node)'
complete -c rv -n "__fish_rv_using_subcommand up" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rv -n "__fish_rv_using_subcommand up" -s V -l version -d 'Print version'
complete -c rv -n "__fish_rv_using_subcommand run" -l gpu -d 'GPUs in all (0: a CPU-only job)' -r
complete -c rv -n "__fish_rv_using_subcommand run" -l type -d 'GPU type: a100, a6000, a40, h200, v100, rtx3090, mig, … (default: any)' -r
complete -c rv -n "__fish_rv_using_subcommand run" -l vram -d 'Minimum memory per GPU, in GB' -r
complete -c rv -n "__fish_rv_using_subcommand run" -l time -d 'Total time needed: 2h, 90m, 1.5h, 3d, 1d12h or 2:59:00 (default: the configured time, else 2:59:00)' -r
complete -c rv -n "__fish_rv_using_subcommand run" -l nodes -d 'Nodes (default: rv chooses among 1, 2 and 4)' -r
complete -c rv -n "__fish_rv_using_subcommand run" -l cpus -d 'CPUs per node' -r
complete -c rv -n "__fish_rv_using_subcommand run" -l mem -d 'Memory per node: 64G, 256G, 1T, 500M' -r
complete -c rv -n "__fish_rv_using_subcommand run" -s p -l partition -d 'Partitions to stay within (comma separated or repeated)' -r
complete -c rv -n "__fish_rv_using_subcommand run" -s A -l account -d 'Account to charge' -r
complete -c rv -n "__fish_rv_using_subcommand run" -l constraint -d 'An extra node feature constraint' -r
complete -c rv -n "__fish_rv_using_subcommand run" -l exclude -d 'Nodes to avoid, as a host list (a[1-3],b2)' -r
complete -c rv -n "__fish_rv_using_subcommand run" -l name -d 'A name for the jobs (letters, digits, `.`, `_`, `-`)' -r
complete -c rv -n "__fish_rv_using_subcommand run" -l run -d 'The command the job runs (default: hold the allocation for a shell)' -r
complete -c rv -n "__fish_rv_using_subcommand run" -l max-strategies -d 'Strategies to submit at most' -r
complete -c rv -n "__fish_rv_using_subcommand run" -l output -d 'Copy these paths (relative to where the command runs) to `$RV_OUTPUT_DIR` when it ends; repeat or separate with commas' -r
complete -c rv -n "__fish_rv_using_subcommand run" -l timeout -d 'Give up waiting for a start after this long: 30m, 2h (every job is cancelled)' -r
complete -c rv -n "__fish_rv_using_subcommand run" -l mig -d 'A free MIG slice (one GPU of 10 GB)'
complete -c rv -n "__fish_rv_using_subcommand run" -l single-node -d 'Only single-node topologies'
complete -c rv -n "__fish_rv_using_subcommand run" -l ray -d 'Start a Ray cluster over the job\'s nodes (head on the first) before the command'
complete -c rv -n "__fish_rv_using_subcommand run" -l explain -d 'Show every strategy considered, kept or dropped, and why (on stderr)'
complete -c rv -n "__fish_rv_using_subcommand run" -s f -l follow -d 'Follow the job\'s output until it ends; exit with its exit code'
complete -c rv -n "__fish_rv_using_subcommand run" -l json -d 'Print records (NDJSON) instead of the job id'
complete -c rv -n "__fish_rv_using_subcommand run" -l local -d 'Run from this host (when rv runs on the login node)'
complete -c rv -n "__fish_rv_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rv -n "__fish_rv_using_subcommand ps" -l all -d 'Also jobs that ended in the last 7 days (from accounting)'
complete -c rv -n "__fish_rv_using_subcommand ps" -l json -d 'Print the jobs as a JSON array'
complete -c rv -n "__fish_rv_using_subcommand ps" -l local -d 'Run on this host (when rv runs on the login node)'
complete -c rv -n "__fish_rv_using_subcommand ps" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rv -n "__fish_rv_using_subcommand stop" -l all -d 'Cancel every job of yours'
complete -c rv -n "__fish_rv_using_subcommand stop" -s y -l yes -d 'Do not ask before `--all`'
complete -c rv -n "__fish_rv_using_subcommand stop" -l json -d 'Print what was cancelled as JSON'
complete -c rv -n "__fish_rv_using_subcommand stop" -l local -d 'Run on this host (when rv runs on the login node)'
complete -c rv -n "__fish_rv_using_subcommand stop" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rv -n "__fish_rv_using_subcommand attach" -l node -d 'Which node of a multi-node job (default: the first)' -r
complete -c rv -n "__fish_rv_using_subcommand attach" -l local -d 'Run on this host (when rv runs on the login node)'
complete -c rv -n "__fish_rv_using_subcommand attach" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rv -n "__fish_rv_using_subcommand ssh" -l node -d 'Which node of a multi-node job (default: the first)' -r
complete -c rv -n "__fish_rv_using_subcommand ssh" -l config -d 'Print an SSH config entry instead of connecting'
complete -c rv -n "__fish_rv_using_subcommand ssh" -l json -d 'With --config, print it as JSON'
complete -c rv -n "__fish_rv_using_subcommand ssh" -l local -d 'Run on this host (when rv runs on the login node)'
complete -c rv -n "__fish_rv_using_subcommand ssh" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rv -n "__fish_rv_using_subcommand logs" -l tail -d 'Only the last N lines (with -f: before following; default 20 there)' -r
complete -c rv -n "__fish_rv_using_subcommand logs" -l node -d 'Only the lines of this node of a multi-node job (0 is the first)' -r
complete -c rv -n "__fish_rv_using_subcommand logs" -l search -d 'Search every rv log for a pattern (extended regular expression)' -r
complete -c rv -n "__fish_rv_using_subcommand logs" -l pull -d 'Download the job\'s log files into DIR (default: ./rv-logs)' -r -F
complete -c rv -n "__fish_rv_using_subcommand logs" -l out -d 'Standard output (the default, unless --err)'
complete -c rv -n "__fish_rv_using_subcommand logs" -l err -d 'Standard error'
complete -c rv -n "__fish_rv_using_subcommand logs" -s f -l follow -d 'Follow until the job ends; exit with its exit code'
complete -c rv -n "__fish_rv_using_subcommand logs" -l raw -d 'Keep progress-bar redraws as they are'
complete -c rv -n "__fish_rv_using_subcommand logs" -l json -d 'JSON on stdout (with -f: one object per line)'
complete -c rv -n "__fish_rv_using_subcommand logs" -l local -d 'Read on this host (when rv runs on the login node)'
complete -c rv -n "__fish_rv_using_subcommand logs" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rv -n "__fish_rv_using_subcommand status" -l json -d 'Print everything as one JSON object'
complete -c rv -n "__fish_rv_using_subcommand status" -l local -d 'Run on this host (when rv runs on the login node)'
complete -c rv -n "__fish_rv_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rv -n "__fish_rv_using_subcommand forward" -s j -l job -d 'The job: an id, a unique part of one, or a request (default: pick, or the latest running)' -r
complete -c rv -n "__fish_rv_using_subcommand forward" -l node -d 'Which node of a multi-node job (default: the first)' -r
complete -c rv -n "__fish_rv_using_subcommand forward" -l auto -d 'Forward the well-known ports that are listening on the node'
complete -c rv -n "__fish_rv_using_subcommand forward" -l list -d 'List the recorded forwards'
complete -c rv -n "__fish_rv_using_subcommand forward" -l stop -d 'Remove the recorded forwards (of --job, else all)'
complete -c rv -n "__fish_rv_using_subcommand forward" -l json -d 'JSON on stdout'
complete -c rv -n "__fish_rv_using_subcommand forward" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rv -n "__fish_rv_using_subcommand env; and not __fish_seen_subcommand_from set list rm import help" -l json -d 'Print JSON on stdout'
complete -c rv -n "__fish_rv_using_subcommand env; and not __fish_seen_subcommand_from set list rm import help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rv -n "__fish_rv_using_subcommand env; and not __fish_seen_subcommand_from set list rm import help" -f -a "set" -d 'Set a variable. Without VALUE it is read from stdin (one trailing newline dropped), so it stays out of `ps` and shell history'
complete -c rv -n "__fish_rv_using_subcommand env; and not __fish_seen_subcommand_from set list rm import help" -f -a "list" -d 'List the variables, secrets masked'
complete -c rv -n "__fish_rv_using_subcommand env; and not __fish_seen_subcommand_from set list rm import help" -f -a "rm" -d 'Remove variables'
complete -c rv -n "__fish_rv_using_subcommand env; and not __fish_seen_subcommand_from set list rm import help" -f -a "import" -d 'Import `NAME=value` lines from a .env file (`-` for stdin)'
complete -c rv -n "__fish_rv_using_subcommand env; and not __fish_seen_subcommand_from set list rm import help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rv -n "__fish_rv_using_subcommand env; and __fish_seen_subcommand_from set" -l secret -d 'Mask it in `list` even if the name does not look secret'
complete -c rv -n "__fish_rv_using_subcommand env; and __fish_seen_subcommand_from set" -l plain -d 'Show it in `list` even if the name looks secret (KEY, TOKEN, PASS…)'
complete -c rv -n "__fish_rv_using_subcommand env; and __fish_seen_subcommand_from set" -l json -d 'Print JSON on stdout'
complete -c rv -n "__fish_rv_using_subcommand env; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help'
complete -c rv -n "__fish_rv_using_subcommand env; and __fish_seen_subcommand_from list" -l json -d 'Print JSON on stdout'
complete -c rv -n "__fish_rv_using_subcommand env; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c rv -n "__fish_rv_using_subcommand env; and __fish_seen_subcommand_from rm" -l json -d 'Print JSON on stdout'
complete -c rv -n "__fish_rv_using_subcommand env; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c rv -n "__fish_rv_using_subcommand env; and __fish_seen_subcommand_from import" -l secret -d 'Treat every imported variable as a secret'
complete -c rv -n "__fish_rv_using_subcommand env; and __fish_seen_subcommand_from import" -l plain -d 'Treat none as secret'
complete -c rv -n "__fish_rv_using_subcommand env; and __fish_seen_subcommand_from import" -l json -d 'Print JSON on stdout'
complete -c rv -n "__fish_rv_using_subcommand env; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help'
complete -c rv -n "__fish_rv_using_subcommand env; and __fish_seen_subcommand_from help" -f -a "set" -d 'Set a variable. Without VALUE it is read from stdin (one trailing newline dropped), so it stays out of `ps` and shell history'
complete -c rv -n "__fish_rv_using_subcommand env; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the variables, secrets masked'
complete -c rv -n "__fish_rv_using_subcommand env; and __fish_seen_subcommand_from help" -f -a "rm" -d 'Remove variables'
complete -c rv -n "__fish_rv_using_subcommand env; and __fish_seen_subcommand_from help" -f -a "import" -d 'Import `NAME=value` lines from a .env file (`-` for stdin)'
complete -c rv -n "__fish_rv_using_subcommand env; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rv -n "__fish_rv_using_subcommand cost" -l gpu -d 'GPUs (0: a CPU-only job, priced by --cpus)' -r
complete -c rv -n "__fish_rv_using_subcommand cost" -l type -d 'GPU type (default: a table over every type)' -r
complete -c rv -n "__fish_rv_using_subcommand cost" -l cpus -d 'CPU cores, for a CPU-only job' -r
complete -c rv -n "__fish_rv_using_subcommand cost" -l time -d 'How long: 2h, 90m, 1d12h, 2:59:00' -r
complete -c rv -n "__fish_rv_using_subcommand cost" -l offline -d 'Do not read the balance from the cluster'
complete -c rv -n "__fish_rv_using_subcommand cost" -l json -d 'Print the estimate as JSON'
complete -c rv -n "__fish_rv_using_subcommand cost" -l local -d 'Run on this host (when rv runs on the login node)'
complete -c rv -n "__fish_rv_using_subcommand cost" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rv -n "__fish_rv_using_subcommand exec" -l timeout -d 'Kill it after this long: 30s, 5m, 1h' -r
complete -c rv -n "__fish_rv_using_subcommand exec" -l json -d 'Print `{"stdout","stderr","exit_code"}` instead'
complete -c rv -n "__fish_rv_using_subcommand exec" -l local -d 'Run on this host (when rv runs on the login node)'
complete -c rv -n "__fish_rv_using_subcommand exec" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rv -n "__fish_rv_using_subcommand gpu" -l json -d 'Print `{"job","nodes":[{"node","output"}]}` instead'
complete -c rv -n "__fish_rv_using_subcommand gpu" -l local -d 'Run on this host (when rv runs on the login node)'
complete -c rv -n "__fish_rv_using_subcommand gpu" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rv -n "__fish_rv_using_subcommand init" -l host -d 'The login host' -r
complete -c rv -n "__fish_rv_using_subcommand init" -l alias -d 'The SSH alias rv and your editor use for it' -r
complete -c rv -n "__fish_rv_using_subcommand init" -l user -d 'Your user name on the cluster (UVA computing ID)' -r
complete -c rv -n "__fish_rv_using_subcommand init" -l port -d 'The SSH port' -r
complete -c rv -n "__fish_rv_using_subcommand init" -l identity -d 'The private key (default: `~/.ssh/id_ed25519`, else `id_rsa`, else a new ed25519 key)' -r -F
complete -c rv -n "__fish_rv_using_subcommand init" -l ssh-config -d 'The SSH config file to update' -r -F
complete -c rv -n "__fish_rv_using_subcommand init" -s A -l account -d 'The Slurm account (default: the only one, or ask)' -r
complete -c rv -n "__fish_rv_using_subcommand init" -s y -l non-interactive -d 'Ask nothing; fail instead of prompting (for scripts)'
complete -c rv -n "__fish_rv_using_subcommand init" -l json -d 'Print what was set up as JSON'
complete -c rv -n "__fish_rv_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rv -n "__fish_rv_using_subcommand notify" -s h -l help -d 'Print help'
complete -c rv -n "__fish_rv_using_subcommand upgrade" -l to -d 'Install this version instead of the latest (also an older one)' -r
complete -c rv -n "__fish_rv_using_subcommand upgrade" -l check -d 'Only say whether a newer release exists'
complete -c rv -n "__fish_rv_using_subcommand upgrade" -l json -d 'Print `{"current","latest","upgraded","path"}` as JSON'
complete -c rv -n "__fish_rv_using_subcommand upgrade" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rv -n "__fish_rv_using_subcommand completions" -s h -l help -d 'Print help'
complete -c rv -n "__fish_rv_using_subcommand help; and not __fish_seen_subcommand_from up run ps stop attach ssh logs status forward env cost exec gpu init notify upgrade completions help" -f -a "up" -d 'Get GPUs: plan strategies, submit them all, keep the first to start, attach'
complete -c rv -n "__fish_rv_using_subcommand help; and not __fish_seen_subcommand_from up run ps stop attach ssh logs status forward env cost exec gpu init notify upgrade completions help" -f -a "run" -d 'Sync the project and run a command on the cluster'
complete -c rv -n "__fish_rv_using_subcommand help; and not __fish_seen_subcommand_from up run ps stop attach ssh logs status forward env cost exec gpu init notify upgrade completions help" -f -a "ps" -d 'List your requests, their strategies and jobs'
complete -c rv -n "__fish_rv_using_subcommand help; and not __fish_seen_subcommand_from up run ps stop attach ssh logs status forward env cost exec gpu init notify upgrade completions help" -f -a "stop" -d 'Cancel a job or a whole request'
complete -c rv -n "__fish_rv_using_subcommand help; and not __fish_seen_subcommand_from up run ps stop attach ssh logs status forward env cost exec gpu init notify upgrade completions help" -f -a "attach" -d 'Open a shell inside a running job'
complete -c rv -n "__fish_rv_using_subcommand help; and not __fish_seen_subcommand_from up run ps stop attach ssh logs status forward env cost exec gpu init notify upgrade completions help" -f -a "ssh" -d 'Shell on a job\'s node, or print an SSH config entry for editors'
complete -c rv -n "__fish_rv_using_subcommand help; and not __fish_seen_subcommand_from up run ps stop attach ssh logs status forward env cost exec gpu init notify upgrade completions help" -f -a "logs" -d 'Show or follow a job\'s output'
complete -c rv -n "__fish_rv_using_subcommand help; and not __fish_seen_subcommand_from up run ps stop attach ssh logs status forward env cost exec gpu init notify upgrade completions help" -f -a "status" -d 'Connection, balance, storage, jobs and GPU availability at a glance'
complete -c rv -n "__fish_rv_using_subcommand help; and not __fish_seen_subcommand_from up run ps stop attach ssh logs status forward env cost exec gpu init notify upgrade completions help" -f -a "forward" -d 'Forward local ports to a job\'s node'
complete -c rv -n "__fish_rv_using_subcommand help; and not __fish_seen_subcommand_from up run ps stop attach ssh logs status forward env cost exec gpu init notify upgrade completions help" -f -a "env" -d 'Manage the encrypted secrets injected into jobs'
complete -c rv -n "__fish_rv_using_subcommand help; and not __fish_seen_subcommand_from up run ps stop attach ssh logs status forward env cost exec gpu init notify upgrade completions help" -f -a "cost" -d 'Estimate the service units a request costs'
complete -c rv -n "__fish_rv_using_subcommand help; and not __fish_seen_subcommand_from up run ps stop attach ssh logs status forward env cost exec gpu init notify upgrade completions help" -f -a "exec" -d 'Run a command on the login node'
complete -c rv -n "__fish_rv_using_subcommand help; and not __fish_seen_subcommand_from up run ps stop attach ssh logs status forward env cost exec gpu init notify upgrade completions help" -f -a "gpu" -d 'Show nvidia-smi for every node of a job'
complete -c rv -n "__fish_rv_using_subcommand help; and not __fish_seen_subcommand_from up run ps stop attach ssh logs status forward env cost exec gpu init notify upgrade completions help" -f -a "init" -d 'First-time setup: SSH key and config, account, storage, caches'
complete -c rv -n "__fish_rv_using_subcommand help; and not __fish_seen_subcommand_from up run ps stop attach ssh logs status forward env cost exec gpu init notify upgrade completions help" -f -a "notify" -d 'Email notifications on job events'
complete -c rv -n "__fish_rv_using_subcommand help; and not __fish_seen_subcommand_from up run ps stop attach ssh logs status forward env cost exec gpu init notify upgrade completions help" -f -a "upgrade" -d 'Install the latest rv over this one'
complete -c rv -n "__fish_rv_using_subcommand help; and not __fish_seen_subcommand_from up run ps stop attach ssh logs status forward env cost exec gpu init notify upgrade completions help" -f -a "completions" -d 'Print shell completions (bash, zsh, fish, elvish, powershell)'
complete -c rv -n "__fish_rv_using_subcommand help; and not __fish_seen_subcommand_from up run ps stop attach ssh logs status forward env cost exec gpu init notify upgrade completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rv -n "__fish_rv_using_subcommand help; and __fish_seen_subcommand_from env" -f -a "set" -d 'Set a variable. Without VALUE it is read from stdin (one trailing newline dropped), so it stays out of `ps` and shell history'
complete -c rv -n "__fish_rv_using_subcommand help; and __fish_seen_subcommand_from env" -f -a "list" -d 'List the variables, secrets masked'
complete -c rv -n "__fish_rv_using_subcommand help; and __fish_seen_subcommand_from env" -f -a "rm" -d 'Remove variables'
complete -c rv -n "__fish_rv_using_subcommand help; and __fish_seen_subcommand_from env" -f -a "import" -d 'Import `NAME=value` lines from a .env file (`-` for stdin)'
