# testbed/slurm-24.11.bash - sourced by testbed/cluster when RV_TESTBED_SLURM=24.11.
#
# The second testbed: the same Rivanna-shaped cluster, users, site tools and load scenarios,
# on Debian 13's Slurm 24.11 (built from shared/testbed-recipe-24.11). testbed/cluster itself
# runs *inside* a Debian trixie root ($RV_TESTBED_ROOT, made by debootstrap) in a network
# namespace of its own ($RV_TESTBED_NETNS), so every daemon keeps its usual port (6817, 6819,
# 3307, 17001-…, sshd on 2222) and its own munge socket, and both testbeds run at once.
#
# The host reaches the cluster only through its sshd: a socat in the namespace relays a unix
# socket in the cluster dir to 127.0.0.1:2222 there, and a socat on the host listens on
# 127.0.0.1:$RV_SSH_PORT (default 2422) and relays to that socket. So `cluster.env` in
# $RV_CLUSTER_DIR (default /tmp/rv-cluster-24.11) has RV_SSH_HOST=127.0.0.1 and that port,
# like the 22.05 one, and rv needs no `ip netns exec` in front of it. Slurm commands as root
# go through `testbed/cluster exec -- CMD…`.
#
# Nothing here leaves the machine: the namespace has loopback and a veth pair whose two
# ends both stay inside it (24.11 resolves addresses with AI_ADDRCONFIG, which fails with
# loopback alone); the host side is one loopback listener.
#
# Knobs: RV_TESTBED_ROOT [/var/tmp/rv-trixie], RV_TESTBED_NETNS [rv2411],
# RV_TESTBED_MIRROR [http://deb.debian.org/debian], RV_SSH_PORT [2422, else the first free
# port in 2423-2499], and testbed/cluster's own knobs, which are passed inside.

T_ROOT=${RV_TESTBED_ROOT:-/var/tmp/rv-trixie}
T_NS=${RV_TESTBED_NETNS:-rv2411}
T_MIRROR=${RV_TESTBED_MIRROR:-http://deb.debian.org/debian}
T_DIR=${RV_CLUSTER_DIR:-/tmp/rv-cluster-24.11}   # the host side: cluster.env, ssh client files
T_INNER=/tmp/rv-cluster                          # the cluster dir, as seen inside the root
T_RUN=$T_DIR/run
T_PORT_SET=${RV_SSH_PORT_GIVEN:+1}
T_PORT=${RV_SSH_PORT_GIVEN:-2422}
if [[ -z $T_PORT_SET && -s $T_RUN/ssh_port ]]; then T_PORT=$(cat "$T_RUN/ssh_port"); fi
T_SOCK=$T_ROOT$T_INNER/run/sshd.relay
T_PKGS=(slurmctld slurmd slurm-client slurmdbd slurm-wlm-mysql-plugin munge mariadb-server
  openssh-server openssh-client rsync python3 python3-venv iproute2 procps bsdutils
  ca-certificates git curl)
T_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# testbed/cluster's knobs that mean the same inside.
T_KNOBS=(RV_TESTBED_LAYOUT RV_NODES_PER_PART RV_DBD RV_GRES_CORES RV_BF_INTERVAL RV_FRESH RV_EXTERN RV_LOAD_SCALE RV_QUIET)

# t_in CMD...: CMD in the namespace and the root, as root, with a clean environment.
t_in() {
  ip netns exec "$T_NS" chroot "$T_ROOT" env -i PATH="$T_PATH" HOME=/root LANG=C.UTF-8 \
    SLURM_CONF="$T_INNER/etc/slurm.conf" "$@"
}

# t_cluster ARGS...: testbed/cluster inside (this checkout's copy of it and of the site
# tools), with the knobs that are set.
t_cluster() {
  rm -rf "$T_ROOT/opt/rv-testbed.new"; mkdir -p "$T_ROOT/opt/rv-testbed.new"
  cp -r "$HERE/cluster" "$HERE/site-tools" "$T_ROOT/opt/rv-testbed.new/"
  rm -rf "$T_ROOT/opt/rv-testbed"; mv "$T_ROOT/opt/rv-testbed.new" "$T_ROOT/opt/rv-testbed"
  local k env=(RV_TESTBED_INNER=1 RV_CLUSTER_DIR="$T_INNER" RV_SSH_PORT=2222 RV_LINK_ETC=1)
  for k in "${T_KNOBS[@]}"; do [[ -n ${!k:-} ]] && env+=("$k=${!k}"); done
  t_in "${env[@]}" bash /opt/rv-testbed/cluster "$@"
}

t_root() {
  if ! command -v debootstrap >/dev/null || ! command -v socat >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends debootstrap socat; } >/tmp/rv-testbed-host-apt.log 2>&1 ||
      die "apt-get install debootstrap socat failed, see /tmp/rv-testbed-host-apt.log"
  fi
  if [[ ! -x $T_ROOT/usr/bin/apt-get ]]; then
    log "debootstrap trixie into $T_ROOT"
    mkdir -p "$T_ROOT"
    debootstrap --variant=minbase trixie "$T_ROOT" "$T_MIRROR" >/tmp/rv-testbed-debootstrap.log 2>&1 ||
      die "debootstrap failed, see /tmp/rv-testbed-debootstrap.log"
  fi
  mountpoint -q "$T_ROOT/proc" || mount -t proc proc "$T_ROOT/proc"
  # A private devpts (ptys for sshd and srun --pty) and /dev/shm; the host's /dev is never
  # bound, so deleting the root is safe once these are unmounted.
  mkdir -p "$T_ROOT/dev/pts" "$T_ROOT/dev/shm"
  mountpoint -q "$T_ROOT/dev/pts" || mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$T_ROOT/dev/pts"
  [[ -L $T_ROOT/dev/ptmx ]] || { rm -f "$T_ROOT/dev/ptmx"; ln -s pts/ptmx "$T_ROOT/dev/ptmx"; }
  mountpoint -q "$T_ROOT/dev/shm" || mount -t tmpfs -o mode=1777,size=256m tmpfs "$T_ROOT/dev/shm"
  local missing=() p installed
  # shellcheck disable=SC2016 # dpkg-query's own ${field} format
  installed=$(chroot "$T_ROOT" dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' "${T_PKGS[@]}" 2>/dev/null || true)
  for p in "${T_PKGS[@]}"; do grep -qx "ii  $p" <<<"$installed" || missing+=("$p"); done
  if ((${#missing[@]})); then
    log "installing in the root: ${missing[*]}"
    printf '#!/bin/sh\nexit 101\n' >"$T_ROOT/usr/sbin/policy-rc.d"; chmod 755 "$T_ROOT/usr/sbin/policy-rc.d"
    chroot "$T_ROOT" env -i PATH="$T_PATH" DEBIAN_FRONTEND=noninteractive sh -c \
      "apt-get update -qq && apt-get install -y -qq --no-install-recommends ${missing[*]}" >/tmp/rv-testbed-root-apt.log 2>&1 ||
      die "apt-get in the root failed, see /tmp/rv-testbed-root-apt.log"
  fi
  # uv for `rv run` (the namespace has no network to fetch it, as rv would): the wheel is
  # fetched by the host's pip and installed from the file.
  if [[ ! -x $T_ROOT/opt/uv/bin/uv ]]; then
    rm -rf "$T_ROOT/opt/wheels"; mkdir -p "$T_ROOT/opt/wheels"
    python3 -m pip download -q --no-deps --only-binary=:all: -d "$T_ROOT/opt/wheels" uv >/dev/null 2>&1 ||
      die "cannot download the uv wheel with the host's pip"
    chroot "$T_ROOT" sh -c 'rm -rf /opt/uv && python3 -m venv /opt/uv && /opt/uv/bin/pip install -q --no-index /opt/wheels/uv-*.whl' >/dev/null ||
      die "cannot install uv in the root"
    ln -sfn /opt/uv/bin/uv "$T_ROOT/usr/local/bin/uv"
  fi
  grep -qw "$HOST" "$T_ROOT/etc/hosts" 2>/dev/null || echo "127.0.0.1 $HOST" >>"$T_ROOT/etc/hosts"
}

t_netns() {
  ip netns list | grep -qw "^$T_NS" || ip netns add "$T_NS"
  ip netns exec "$T_NS" ip link set lo up
  ip netns exec "$T_NS" ip link show rvtba >/dev/null 2>&1 || ip netns exec "$T_NS" ip link add rvtba type veth peer name rvtbb
  ip netns exec "$T_NS" ip addr replace 10.254.78.1/32 dev rvtba
  ip netns exec "$T_NS" ip link set rvtba up
  ip netns exec "$T_NS" ip link set rvtbb up
}

# The two relays: namespace socat (unix socket -> sshd) and host socat (loopback port ->
# unix socket).
t_relay() {
  mkdir -p "$T_RUN"
  if ! pid_ok "$T_RUN/relay-ns.pid" /usr/bin/socat; then
    rm -f "$T_SOCK"
    ip netns exec "$T_NS" setsid socat "UNIX-LISTEN:$T_SOCK,fork,mode=600" TCP:127.0.0.1:2222 \
      </dev/null >>"$T_RUN/relay.log" 2>&1 &
    echo $! >"$T_RUN/relay-ns.pid"
  fi
  if ! pid_ok "$T_RUN/relay-host.pid" /usr/bin/socat; then
    if port_busy "$T_PORT"; then
      [[ -n $T_PORT_SET ]] && die "RV_SSH_PORT=$T_PORT is already in use by another process"
      local p; for ((p = 2423; p < 2500; p++)); do port_busy "$p" || break; done
      log "port $T_PORT is taken by another process; using $p"
      T_PORT=$p
    fi
    echo "$T_PORT" >"$T_RUN/ssh_port"
    setsid socat "TCP-LISTEN:$T_PORT,bind=127.0.0.1,reuseaddr,fork" "UNIX-CONNECT:$T_SOCK" \
      </dev/null >>"$T_RUN/relay.log" 2>&1 &
    echo $! >"$T_RUN/relay-host.pid"
  fi
  local i
  for ((i = 0; i < 50; i++)); do port_busy "$T_PORT" && [[ -S $T_SOCK ]] && return 0; sleep 0.1; done
  die "the ssh relay did not start, see $T_RUN/relay.log"
}

# The client side on the host: the key, an ssh config with the rv-cluster alias, cluster.env.
t_client() {
  mkdir -p "$T_DIR/ssh"; chmod 755 "$T_DIR"
  touch "$T_DIR/.rv-cluster"
  install -m 600 "$T_ROOT$T_INNER/ssh/id_ed25519" "$T_DIR/ssh/id_ed25519"
  install -m 644 "$T_ROOT$T_INNER/ssh/id_ed25519.pub" "$T_DIR/ssh/id_ed25519.pub"
  # The cluster's host key, pinned (a new root has a new one).
  printf '[127.0.0.1]:%s %s\n' "$T_PORT" "$(cut -d' ' -f1,2 "$T_ROOT$T_INNER/ssh/ssh_host_ed25519_key.pub")" >"$T_DIR/ssh/known_hosts"
  cat >"$T_DIR/ssh/config" <<EOF
Host rv-cluster 127.0.0.1
  HostName 127.0.0.1
  Port $T_PORT
  User $RV_USER
  IdentityFile $T_DIR/ssh/id_ed25519
  IdentitiesOnly yes
  StrictHostKeyChecking yes
  UserKnownHostsFile $T_DIR/ssh/known_hosts
  LogLevel ERROR
  ControlMaster auto
  ControlPath $T_DIR/ssh/cm-%r@%h:%p
  ControlPersist 60
EOF
  if [[ -n ${SUDO_USER:-} && $SUDO_USER != root ]]; then
    chown "$SUDO_USER" "$T_DIR/ssh" "$T_DIR/ssh/id_ed25519" "$T_DIR/ssh/id_ed25519.pub" "$T_DIR/ssh/config" "$T_DIR/ssh/known_hosts"
  fi
  cat >"$T_DIR/cluster.env" <<EOF
export RV_TESTBED_SLURM=24.11
export RV_TESTBED_LAYOUT=$RV_TESTBED_LAYOUT
export RV_TESTBED_NETNS=$T_NS
export RV_CLUSTER_DIR=$T_DIR
export RV_SSH_HOST=127.0.0.1
export RV_SSH_PORT=$T_PORT
export RV_SSH_USER=$RV_USER
export RV_SSH_KEY=$T_DIR/ssh/id_ed25519
export RV_SSH_CONFIG=$T_DIR/ssh/config
EOF
}

t_up() {
  need_root
  local t0 ph t1; t0=$(now)
  for ph in t_root t_netns; do t1=$(now); "$ph"; log "  $ph: $(since "$t1")s"; done
  t_cluster up
  for ph in t_relay t_client; do t1=$(now); "$ph"; log "  $ph: $(since "$t1")s"; done
  ssh -F "$T_DIR/ssh/config" -o BatchMode=yes -o ControlPath=none rv-cluster true ||
    die "the 24.11 testbed does not answer over ssh on 127.0.0.1:$T_PORT"
  log "up (Slurm 24.11) finished in $(since "$t0")s"
  t_info
}

t_info() {
  cat <<EOF
rv-cluster (Slurm $(t_in sinfo --version 2>/dev/null | awk '{print $2}')) in $T_ROOT, namespace $T_NS; client files in $T_DIR
  ssh:  ssh -F $T_DIR/ssh/config rv-cluster sinfo
  root: sudo RV_TESTBED_SLURM=24.11 testbed/cluster exec -- squeue
  env:  source $T_DIR/cluster.env
EOF
}

t_stop_relays() {
  local f
  for f in "$T_RUN/relay-host.pid" "$T_RUN/relay-ns.pid"; do stop_pidfile "$f" /usr/bin/socat 5; done
  rm -f "$T_SOCK" "$T_RUN/ssh_port"
}

# Processes whose root is the testbed's root (a job, a slurmstepd).
t_left() {
  local p root out=()
  root=$(stat -c %d:%i "$T_ROOT")
  for p in /proc/[0-9]*; do
    [[ $(stat -Lc %d:%i "$p/root" 2>/dev/null) == "$root" ]] && out+=("${p#/proc/}")
  done
  echo "${out[*]}"
}

t_down() {
  need_root
  # ssh masters of the client config first, so sshd has no sessions left.
  local sock
  # A master that died with the machine leaves its socket behind: remove it.
  for sock in "$T_DIR"/ssh/cm-*; do
    [[ -S $sock ]] || continue
    ssh -S "$sock" -O exit x >/dev/null 2>&1 || rm -f "$sock"
  done
  if [[ -d $T_ROOT$T_INNER/run ]] && mountpoint -q "$T_ROOT/proc"; then t_cluster down || true; fi
  t_stop_relays
  local left; left=$(t_left)
  if [[ -n $left ]]; then
    log "WARNING: still running in $T_ROOT (not killed; mounts kept): $left"
  else
    local m; for m in dev/shm dev/pts proc; do mountpoint -q "$T_ROOT/$m" && umount "$T_ROOT/$m"; done
    if [[ -z $(ip netns pids "$T_NS" 2>/dev/null) ]]; then ip netns del "$T_NS" 2>/dev/null || true; fi
  fi
  log "down (Slurm 24.11) complete"
}

t_status() {
  local rc=0 f
  for f in "$T_RUN/relay-ns.pid" "$T_RUN/relay-host.pid"; do
    if pid_ok "$f" /usr/bin/socat; then printf '%-28s %-8s %s\n' "$(basename "$f" .pid)" "$(pid_of "$f")" running
    else printf '%-28s %-8s %s\n' "$(basename "$f" .pid)" "$(pid_of "$f")" DEAD; rc=1; fi
  done
  if ! mountpoint -q "$T_ROOT/proc" || ! ip netns list | grep -qw "^$T_NS"; then
    echo "the 24.11 root is not up"; return 1
  fi
  t_cluster status || rc=1
  echo; t_info
  return $rc
}

t_main() {
  case ${1:-} in
    up) t_up ;;
    down) t_down ;;
    status) t_status ;;
    env) cat "$T_DIR/cluster.env" ;;
    load) need_root; t_cluster load "${2:-}" ;;
    exec)
      need_root; shift
      [[ ${1:-} == -- ]] && shift
      (($#)) || die "usage: $0 exec -- COMMAND [ARGS...]"
      t_in "$@"
      ;;
    reset)
      t_down
      if mountpoint -q "$T_ROOT/proc"; then die "the root still has processes; not removing it"; fi
      rm -rf "${T_ROOT:?}$T_INNER"
      [[ -e $T_DIR/.rv-cluster ]] && rm -rf "${T_DIR:?}"
      log "removed $T_ROOT$T_INNER and $T_DIR (the Debian root stays; rm -rf $T_ROOT removes it)"
      ;;
    *) echo "usage: $0 up|down|status|env|load SCENARIO|exec -- CMD...|reset" >&2; exit 2 ;;
  esac
}
