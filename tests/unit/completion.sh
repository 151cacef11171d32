#!/bin/bash
# The bash completion, sourced into bash with bash-completion loaded, gives
# the expected COMPREPLY for command lines split as readline splits them
# (at spaces, ':' and '='). Runtime tools are stubs on PATH that list
# dpk-* containers (one hangs, to check the time limit); devices come from
# the real devpassctl.
# Usage: completion.sh COMPLETION_FILE DEVPASSCTL DEVPASSD
set -uo pipefail
comp_file=$1 devpassctl=$2 devpassd=$3
for f in /usr/share/bash-completion/bash_completion; do
        [ -r "$f" ] || { echo "SKIP: bash-completion is not installed"; exit 77; }
        # shellcheck disable=SC1090
        . "$f"
done
# shellcheck disable=SC1090
. "$comp_file"

stubs=$(mktemp -d /tmp/dpk-comp.XXXXXX)
trap 'rm -rf "$stubs"' EXIT
stub() { printf '#!/bin/sh\n%s\n' "$2" >"$stubs/$1" && chmod +x "$stubs/$1"; }
stub lxc-ls 'echo dpk-web; echo dpk-build'
stub docker 'echo dpk-db'
stub incus 'echo dpk-inc'
stub machinectl 'echo "dpk-ns container systemd-nspawn debian 12 -"; echo "dpk-vm vm libvirt - - -"'
# podman hangs when asked to (a runtime whose daemon does not answer)
stub podman '[ -n "$DPK_HANG" ] && exec sleep 30; echo dpk-pod'
stub lxc 'echo dpk-lxd'
PATH=$stubs:$PATH

fails=0 passes=0
# complete CMD WORDS...: split as readline does, run the function
complete_line()
{
        local line="$*" w
        COMP_WORDS=()
        for w in "$@"; do
                if [ -z "$w" ]; then
                        COMP_WORDS+=("")
                else
                        # shellcheck disable=SC2206
                        COMP_WORDS+=($(sed 's/\([:=]\+\)/ \1 /g' <<<"$w"))
                fi
        done
        [[ ${*: -1} == *[:=] ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE=$line
        COMP_POINT=${#line}
        COMPREPLY=()
        case $1 in
        *devpassd) _devpassd ;;
        *) _devpassctl ;;
        esac
}
# expect MODE "EXPECTED WORDS" CMD WORDS...; MODE is exact or has
expect()
{
        local mode=$1 want=$2 got
        shift 2
        complete_line "$@"
        got=$(printf '%s\n' "${COMPREPLY[@]}" | sort -u | tr '\n' ' ')
        local ok=1 x
        if [ "$mode" = exact ]; then
                [ "$got" = "$(tr ' ' '\n' <<<"$want" | sed '/^$/d' | sort -u | tr '\n' ' ')" ] || ok=0
        else
                for x in $want; do [[ " $got " == *" $x "* ]] || ok=0; done
        fi
        if [ $ok = 1 ]; then
                passes=$((passes + 1))
                echo "ok: '$*' -> $got"
        else
                fails=$((fails + 1))
                echo "FAIL: '$*': want ($mode) '$want', got '$got'"
        fi
}

# verbs and options as --help lists them
c_help=$("$devpassctl" --help)
verbs=$(sed -n '/^Verbs:/,/^$/p' <<<"$c_help" | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
globals=$(sed -n '/^Global options:/,/^$/p' <<<"$c_help" | grep -o -- '--[a-z-]*\|-h')
attach_opts=$(sed -n '/^  attach /,/^  [a-z]/p' <<<"$c_help" | sed '$d' | grep -o -- '--[a-z-]*')
d_opts=$("$devpassd" --help | grep -o -- '--[a-z-]*\|-h')

C=$devpassctl
expect exact "$verbs" $C ''
expect exact "$globals" $C -
expect exact "$verbs" $C --socket /x ''
expect exact "attach" $C att
expect exact "check" $C policy ''
expect exact "$attach_opts --json" $C attach lxc:dpk-web --
expect exact "--json" $C list --
# containers of each runtime, with and without a runtime prefix; the LXD
# client is asked only where LXD's socket is
lxd=; [[ -S /var/lib/lxd/unix.socket || -S /var/snap/lxd/common/lxd/unix.socket ]] && lxd=lxd:dpk-lxd
expect has "lxc:dpk-web lxc:dpk-build docker:dpk-db incus:dpk-inc nspawn:dpk-ns podman:dpk-pod $lxd lxc: docker: pid: cgroup:" $C attach ''
start=$(date +%s%N)
export DPK_HANG=1
expect has "lxc:dpk-web docker:dpk-db" $C attach ''
unset DPK_HANG
ms=$((($(date +%s%N) - start) / 1000000))
if [ $ms -lt 5000 ]; then
        passes=$((passes + 1)); echo "ok: a hung runtime tool costs ${ms} ms"
else
        fails=$((fails + 1)); echo "FAIL: completion took ${ms} ms with a hung runtime tool"
fi
expect exact "dpk-web" $C attach lxc:dpk-w
expect exact "dpk-web dpk-build" $C detach lxc:dpk-
expect exact "dpk-db" $C attach docker:
expect exact "dpk-ns" $C attach nspawn:dpk
expect exact "dpk-web dpk-build dpk-db dpk-inc dpk-ns dpk-pod $(sed 's/lxd://' <<<"$lxd")" $C attach dpk-
expect has "$$" $C attach "pid:$$"
# devices: node paths from `devpassctl devices --json`, NICs, usb:, pci:
node=$("$devpassctl" devices --json | sed -n 's/^ *"path": "\(.*\)",\{0,1\}$/\1/p' | head -1)
if [ -n "$node" ]; then
        expect has "$node" $C attach lxc:dpk-web "${node%?}"
        expect has "$node" $C explain "${node%?}"
        expect has "$node" $C attach --mode 0660 lxc:dpk-web --path /dev/x "${node%?}"
fi
expect has "lo" $C attach lxc:dpk-web net:l
expect has "lo" $C attach lxc:dpk-web --name=eth9 net:l
expect exact "rw rwm" $C attach lxc:dpk-web --access rw
# devpassd
expect exact "$d_opts" "$devpassd" -
expect exact "debug" "$devpassd" --log-level d
expect exact "pid: cgroup:" "$devpassd" --watch ''
expect has "$$" "$devpassd" --watch "pid:$$"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
