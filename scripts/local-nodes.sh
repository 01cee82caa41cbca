#!/usr/bin/env bash
# Two real "nodes" on one machine, for multi-node runs and tests (PLATFORM.md): network
# namespaces lsA and lsB joined by a veth pair, node-lsA at 10.254.0.1 and node-lsB at
# 10.254.0.2 (names in /etc/hosts while up), each entered with its own hostname and its own
# /tmp. Needs root.
#
#   scripts/local-nodes.sh up | down | status
#   scripts/local-nodes.sh run NODE CMD...     run CMD on node NODE (lsA, lsB, node-lsA,
#                                              10.254.0.1, ...), e.g. mpirun on node-lsA
#   scripts/local-nodes.sh hostfile [SLOTS]    an Open MPI hostfile of both nodes (default 2 slots)
#   scripts/local-nodes.sh agent HOST CMD...   mpirun's remote-launch agent (--mca
#                                              plm_rsh_agent): runs CMD on HOST, as ssh would
#
# Between the nodes Open MPI must use TCP on the nodes' subnet:
#   OMPI_MCA_btl=self,tcp OMPI_MCA_btl_tcp_if_include=10.254.0.0/24 \
#   OMPI_MCA_oob_tcp_if_include=10.254.0.0/24
# Keep files the ranks share outside /tmp: each node has its own.
set -euo pipefail
self=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")

namespace_of() {
  case $1 in
    lsA | node-lsA | 10.254.0.1) echo lsA ;;
    lsB | node-lsB | 10.254.0.2) echo lsB ;;
    *)
      echo "local-nodes: unknown node '$1' (use lsA, lsB, node-lsA, node-lsB or their address)" >&2
      exit 2
      ;;
  esac
}

# nsenter + unshare rather than `ip netns exec`, which remounts /sys and hides the cgroup tree
# that slurmd needs; the private /tmp keeps PMIx's per-node files apart. What lives under /tmp and
# every node must see (this checkout and its build, by default; more with LASYNTH_NODE_SHARE, a
# colon-separated list) is bound back into the private /tmp.
repo=$(cd "$(dirname "$self")/.." && pwd)
enter() {  # namespace, command words...
  local ns=$1
  shift
  [[ -e /run/netns/$ns ]] || { echo "local-nodes: $ns is not up (scripts/local-nodes.sh up)" >&2; exit 1; }
  exec nsenter --net="/run/netns/$ns" unshare --uts --mount --propagation private sh -c '
    ns=$0 share=$1
    shift
    hostname "node-$ns"
    mkdir -p /run/lasynth-host-tmp
    mount --rbind /tmp /run/lasynth-host-tmp
    mount -t tmpfs tmpfs /tmp
    IFS=:
    for path in $share; do
      case $path in
        /tmp/?*) mkdir -p "$path" && mount --bind "/run/lasynth-host-tmp/${path#/tmp/}" "$path" ;;
      esac
    done
    unset IFS
    exec "$@"' "$ns" "${LASYNTH_NODE_SHARE:-$repo}" "$@"
}

# In place (not sed -i, which renames: /etc/hosts is often a bind mount in containers).
forget_names() {
  local kept
  kept=$(grep -v '# lasynth local-nodes$' /etc/hosts || true)
  printf '%s\n' "$kept" > /etc/hosts
}

case ${1:-} in
  up)
    if [[ -e /run/netns/lsA && -e /run/netns/lsB ]]; then
      echo "local-nodes: already up"
      exit 0
    fi
    ip netns add lsA
    ip netns add lsB
    ip link add veth-lsA type veth peer name veth-lsB
    ip link set veth-lsA netns lsA
    ip link set veth-lsB netns lsB
    ip -n lsA addr add 10.254.0.1/24 dev veth-lsA
    ip -n lsB addr add 10.254.0.2/24 dev veth-lsB
    for ns in lsA lsB; do
      ip -n "$ns" link set lo up
      ip -n "$ns" link set "veth-$ns" up
    done
    # The nodes' names resolve on both nodes (and here), as on a cluster.
    forget_names
    printf '10.254.0.1 node-lsA # lasynth local-nodes\n10.254.0.2 node-lsB # lasynth local-nodes\n' >> /etc/hosts
    echo "local-nodes: node-lsA 10.254.0.1, node-lsB 10.254.0.2"
    ;;
  down)
    for ns in lsA lsB; do
      # Whatever still runs in a node goes first, or the namespace outlives `ip netns del`.
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
      ip netns del "$ns" 2>/dev/null || true
    done
    forget_names
    echo "local-nodes: down"
    ;;
  status)
    for ns in lsA lsB; do
      if [[ -e /run/netns/$ns ]]; then
        echo "node-$ns: up, $(ip -n "$ns" -4 -o addr show "veth-$ns" | awk '{print $4}')"
      else
        echo "node-$ns: down"
      fi
    done
    ;;
  run)
    [[ $# -ge 3 ]] || { echo "usage: $0 run NODE CMD..." >&2; exit 2; }
    ns=$(namespace_of "$2")
    shift 2
    enter "$ns" "$@"
    ;;
  hostfile)
    slots=${2:-2}
    printf '10.254.0.1 slots=%s\n10.254.0.2 slots=%s\n' "$slots" "$slots"
    ;;
  agent)
    [[ $# -ge 3 ]] || { echo "usage: $0 agent HOST CMD..." >&2; exit 2; }
    ns=$(namespace_of "$2")
    shift 2
    # Like ssh: the remaining words are one command line for a shell on the node.
    enter "$ns" sh -c "$*"
    ;;
  *)
    sed -n '2,17p' "$self" | sed 's/^# \{0,1\}//'
    [[ ${1:-} == -h || ${1:-} == --help ]] || exit 2
    ;;
esac
