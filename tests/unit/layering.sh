#!/bin/bash
# The layering of the agent, checked on the sources: hw gathers facts, core
# decides, act carries decisions out, ipc and the tools are front ends.
#   agent/act   may not include core, ipc or policy headers
#   agent/hw    may not include policy, core, act or ipc headers
#   agent/core  may not include ipc, tools or the agent's front ends
#   policy/     (a pure library) may not include agent or tool headers
# and core names no function of the IPC server (it reaches its front ends
# through callbacks). No thread of the agent changes namespace: setns() is
# called in agent/act/ns-spawn.c (the short child) and nowhere else.
# A project header is named with quotes, relative to include/ or agent/.
# Usage: layering.sh SOURCE_DIR        (fails, naming each violation)
#        layering.sh --self-test       (plants violations in a scratch
#                                       tree: every rule must catch its own)
set -euo pipefail

# check ROOT: prints violations, returns 1 if any
check() {
        local root=$1 bad=0 dir pattern line
        local -a rules=(
                'agent/act|"(core|ipc|policy)/|"devpass/policy\.h"'
                'agent/hw|"(core|act|ipc|policy)/|"devpass/(policy|act)\.h"'
                'agent/core|"(ipc|tools)/|"(ctl|metrics-http)\.h"'
                'policy|"(core|act|hw|ipc|tools)/|"devpass/(act|hw|container|runtime)\.h"'
        )
        for rule in "${rules[@]}"; do
                dir=${rule%%|*}
                pattern=${rule#*|}
                if [ ! -d "$root/$dir" ] || [ -z "$(ls "$root/$dir"/*.[ch] 2>/dev/null)" ]; then
                        echo "layering: no sources in $dir (rule broken?)"
                        bad=1
                        continue
                fi
                while IFS= read -r line; do
                        echo "layering: ${line#"$root"/}: $dir may not include this"
                        bad=1
                done < <(grep -EHn "^[[:space:]]*#[[:space:]]*include[[:space:]]+($pattern)" \
                        "$root/$dir"/*.[ch] || true)
        done
        # the IPC server is a front end: core reaches it through callbacks
        # only, never by name
        while IFS= read -r line; do
                echo "layering: ${line#"$root"/}: agent/core may not call the IPC server"
                bad=1
        done < <(grep -EHn '\bdp_ipc_(server|client|clients|broadcast|expire|lookup)' \
                "$root"/agent/core/*.[ch] 2>/dev/null || true)
        while IFS= read -r line; do
                echo "layering: ${line#"$root"/}: only agent/act/ns-spawn.c may call setns()"
                bad=1
        done < <(grep -rEHn --include='*.[ch]' '\bsetns[[:space:]]*\(' "$root"/agent 2>/dev/null |
                grep -v "^$root/agent/act/ns-spawn\.c:" |
                grep -Ev '^[^:]+:[0-9]+:[[:space:]]*(\*|/\*|//)' || true)
        return $bad
}

if [ "${1:-}" = --self-test ]; then
        tmp=$(mktemp -d)
        trap 'rm -rf "$tmp"' EXIT
        plant() { # DIR HEADER: a tree clean but for one include
                rm -rf "${tmp:?}"/*
                for d in agent/act agent/hw agent/core policy; do
                        mkdir -p "$tmp/$d"
                        echo '#include "devpass/util.h"' >"$tmp/$d/ok.c"
                done
                echo "#include \"$2\"" >>"$tmp/$1/ok.c"
        }
        plant agent/act devpass/act.h # allowed
        check "$tmp" >/dev/null || { echo "self-test: a clean tree fails"; exit 1; }
        echo 'void f(void) { dp_ipc_broadcast(0, 0); }' >>"$tmp/agent/core/ok.c"
        check "$tmp" >/dev/null && { echo "self-test: a call of the server from core not caught"; exit 1; }
        plant agent/act devpass/act.h
        echo 'void f(int fd) { (void)setns(fd, 0); }' >>"$tmp/agent/act/ok.c"
        check "$tmp" >/dev/null && { echo "self-test: a setns() outside ns-spawn.c not caught"; exit 1; }
        fails=0
        for v in "agent/act core/engine.h" "agent/act devpass/policy.h" \
                "agent/hw core/daemon.h" "agent/hw act/node-path.h" \
                "agent/hw devpass/policy.h" "agent/core ipc/server.h" \
                "agent/core ctl.h" "policy core/daemon.h" \
                "agent/core ipc/../core/x.h"; do
                # shellcheck disable=SC2086
                plant $v
                if check "$tmp" >/dev/null; then
                        echo "self-test: '$v' not caught"
                        fails=$((fails + 1))
                fi
        done
        [ $fails -eq 0 ] && echo "layering self-test: every planted include caught"
        exit $((fails > 0))
fi
check "${1:?usage: layering.sh SOURCE_DIR}"
echo "layering: act, hw, core and policy include only what their layer may"
