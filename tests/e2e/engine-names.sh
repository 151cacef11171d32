#!/bin/bash
# Bare container names against real engines: a bare NAME means a running
# container, so a stopped Docker container does not make a running Podman
# one of the same name ambiguous; two running ones are refused, naming the
# runtimes; nspawn:NAME without systemd-machined says so. Each without an
# agent and through the agent.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
source "$HERE/../harness/engines.sh"
dpt_require_root
eng_podman_setup
eng_docker_start

sfx=$(printf '%04x' $((RANDOM % 65536)))
agent_setup
N=dpt-nm$sfx
LOOP=$(dpt_loop_add)

# docker N stopped, podman N running: N is the Podman one
eng_docker_run "$N"
eng_docker stop -t 0 "$N" >/dev/null
eng_podman_run "$N"
check_stopped_vs_running() {
        local out
        out=$(ctl attach "$N" "$LOOP" 2>&1) || fail "$1: bare $N refused: $out"
        [[ "$out" == "podman:$N "* ]] || fail "$1: bare $N went elsewhere: $out"
        podman exec "$N" test -b "$LOOP" || fail "$1: node not in the Podman container"
        ctl detach "podman:$N" "$LOOP" >/dev/null || fail "$1: detach"
}
check_stopped_vs_running "without an agent"

# both running: ambiguous, and the message names both runtimes
eng_docker start "$N" >/dev/null
check_ambiguous() {
        local out
        out=$(ctl attach "$N" "$LOOP" 2>&1) && fail "$1: ambiguous $N was attached: $out"
        [[ "$out" == *ambiguous*docker*podman* ]] || fail "$1: message does not name the runtimes: $out"
        echo "$1: $out"
}
check_ambiguous "without an agent"

# nspawn: no machined on this machine
check_nspawn() {
        local out
        out=$(ctl attach "nspawn:$N" "$LOOP" 2>&1) && fail "$1: nspawn:$N attached"
        [[ "$out" == *"machined is not running"* ]] || fail "$1: nspawn error: $out"
}
if [[ -x /usr/bin/systemd-nspawn && ! -d /run/systemd/machines ]]; then
        check_nspawn "without an agent"
fi

agent_start
check_ambiguous "through the agent"
eng_docker stop -t 0 "$N" >/dev/null
check_stopped_vs_running "through the agent"
if [[ -x /usr/bin/systemd-nspawn && ! -d /run/systemd/machines ]]; then
        check_nspawn "through the agent"
fi
echo "engine-names: all checks passed"
