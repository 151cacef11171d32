#!/bin/bash
# The devpassctl client links none of the device libraries (and nothing at
# all when it is built static), and what it does not do itself it hands to
# devpassctl-local with the unchanged command line: every command here must
# print and exit exactly as devpassctl-local does. As root, also with an
# agent (private socket, state and an empty policy dir).
set -uo pipefail
CTL=${1:?devpassctl}
LOCAL=${2:?devpassctl-local}
STATIC=${3:?ON or OFF}
INSTALLED_LOCAL=${4:?installed devpassctl-local path}
EXAMPLES=${5:?examples dir}
DEVPASSD=${6:?devpassd}
tmp=$(mktemp -d)
agent=
cleanup() {
        if [ -n "$agent" ]; then
                kill "$agent" 2>/dev/null
                wait "$agent" 2>/dev/null
        fi
        rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# ---- linkage
needed=$(readelf -d "$CTL" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
for lib in libudev libevdev libdrm libusb libnl; do
        if echo "$needed" | grep -q "^$lib"; then
                fail "devpassctl links $lib"
        fi
done
grep -q "(NEEDED).*libudev" <<<"$(readelf -d "$LOCAL")" ||
        fail "devpassctl-local shows no libudev: this check cannot see one"
if [ "$STATIC" = ON ]; then
        [ -z "$needed" ] || fail "static devpassctl needs: $needed"
        if grep -q INTERP <<<"$(readelf -l "$CTL")"; then
                fail "static devpassctl names a program interpreter"
        fi
fi

# ---- the same output and exit status as devpassctl-local
# same ARGS...: both programs under the one argv[0] (getopt prints it), run
# through the command prefix in $as
as=(env)
same() {
        "${as[@]}" bash -c 'exec -a devpassctl "$@"' - "$CTL" "$@" \
                >"$tmp/c.out" 2>"$tmp/c.err"
        local crc=$?
        "${as[@]}" bash -c 'exec -a devpassctl "$@"' - "$LOCAL" "$@" \
                >"$tmp/l.out" 2>"$tmp/l.err"
        local lrc=$?
        [ $crc -eq $lrc ] || fail "'$*': exit $crc, devpassctl-local $lrc"
        cmp -s "$tmp/c.out" "$tmp/l.out" ||
                fail "'$*': stdout differs: $(diff "$tmp/c.out" "$tmp/l.out" | head -5)"
        cmp -s "$tmp/c.err" "$tmp/l.err" ||
                fail "'$*': stderr differs: $(cat "$tmp/c.err") / $(cat "$tmp/l.err")"
        return $crc
}
mkdir -p "$tmp/broken" "$tmp/state"
printf '[Match]\nClass=usb\nVendor=zz12\n[Target]\nContainer=lxc:x\n' >"$tmp/broken/55-broken.policy"
none=$tmp/no.sock
long=$tmp/$(printf 'x%.0s' $(seq 120))
nopid=$(($(cat /proc/sys/kernel/pid_max) + 1))
same --help
same --version
same
same --frobnicate status
same frobnicate
same policy check "$EXAMPLES" || fail "policy check exits $?"
grep -q "^policy OK" "$tmp/c.out" || fail "policy check: $(cat "$tmp/c.out")"
same policy check --json "$EXAMPLES"
same policy check "$tmp/broken"
same policy frobnicate
same policy
same --socket "$none" status
same --socket "$none" monitor
same --socket "$none" reload
same --socket "$none" --state-dir "$tmp/state" list || fail "offline list exits $?"
same --socket "$none" --state-dir "$tmp/state" list --json
# attach/detach only where they fail before acting: nothing is granted
off=(--state-dir "$tmp/state")
same --socket "$none" "${off[@]}" attach pid:1 /dev/null --path dev/rel
same --socket "$none" "${off[@]}" attach pid:1 /dev/null --mode 99999
same --socket "$long" "${off[@]}" attach pid:1 /dev/null --name a:b
same --socket "$long" status
same --socket "$none" "${off[@]}" detach "pid:$nopid" /dev/null
same --socket "$none" --policy-dir "$EXAMPLES" explain /dev/null
same --socket "$none" explain /dev/null --json

# devices: the host may change between two enumerations; the header and the
# exit status are enough to see the hand-off work
(exec -a devpassctl "$CTL" devices) >"$tmp/c.out" 2>"$tmp/c.err" ||
        fail "devices exits $?: $(cat "$tmp/c.err")"
head -n1 "$tmp/c.out" | grep -q "^CLASS  *NAME  *ID  *DRIVER  *SYSPATH$" ||
        fail "devices: $(head -n1 "$tmp/c.out")"
"$CTL" devices --json >"$tmp/c.out" || fail "devices --json exits $?"
head -n1 "$tmp/c.out" | grep -q '^\[' || fail "devices --json"

# ---- the hand-off: the program next to the client, the unchanged argv
mkdir "$tmp/bin" "$tmp/lonely"
cp "$CTL" "$tmp/bin/devpassctl"
cp "$CTL" "$tmp/lonely/devpassctl"
printf '#!/bin/sh\nprintf "%%s\\n" "$@"\n' >"$tmp/bin/devpassctl-local"
chmod +x "$tmp/bin/devpassctl-local"
out=$("$tmp/bin/devpassctl" --policy-dir /nowhere policy check a 'b c' --json)
[ "$out" = "$(printf '%s\n' --policy-dir /nowhere policy check a 'b c' --json)" ] ||
        fail "hand-off argv: $out"
if [ ! -e "$INSTALLED_LOCAL" ]; then
        "$tmp/lonely/devpassctl" devices >/dev/null 2>"$tmp/err"
        rc=$?
        [ $rc -eq 1 ] || fail "without devpassctl-local: exit $rc"
        if [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q "devpassctl-local" "$tmp/err"; then
                fail "without devpassctl-local: $(cat "$tmp/err")"
        fi
fi

# ---- with an agent
if [ "$(id -u)" -ne 0 ]; then
        echo "cli-client: not root, agent checks skipped"
        echo "cli-client: all checks passed"
        exit 0
fi
mkdir -p "$tmp/a/policy" "$tmp/a/state"
sock=$tmp/a/sock
"$DEVPASSD" --policy-dir "$tmp/a/policy" --state-dir "$tmp/a/state" \
        --socket "$sock" >"$tmp/a/log" 2>&1 &
agent=$!
for _ in $(seq 100); do
        "$CTL" --socket "$sock" status >/dev/null 2>&1 && break
        sleep 0.05
done
"$CTL" --socket "$sock" status >/dev/null || fail "devpassd did not come up: $(tail -5 "$tmp/a/log")"
grep -q '"pid": *'"$agent" <<<"$("$CTL" --socket "$sock" status --json)" ||
        fail "status does not come from the agent"
same --socket "$sock" list || fail "list via the agent exits $?"
same --socket "$sock" list --json
same --socket "$sock" explain /dev/null
same --socket "$sock" explain /dev/null --json
same --socket "$sock" reload
same --socket "$sock" attach pid:1 /dev/null --path dev/rel
[ $? -eq 2 ] || fail "invalid --path via the agent is not a usage error"
same --socket "$sock" attach pid:1 /dev/null --name a:b
same --socket "$sock" attach pid:1 /dev/null --access rwx
same --socket "$sock" attach pid:1 /dev/null --owner 4294967295
same --socket "$sock" detach "pid:$nopid" /dev/null
# a user the socket refuses: one line and exit 1, or the usage error first
as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
if command -v setpriv >/dev/null && "${as[@]}" test -x "$CTL" -a -x "$LOCAL"; then
        for verb in status list reload "explain /dev/null"; do
                # shellcheck disable=SC2086
                same --socket "$sock" $verb
                rc=$?
                if [ $rc -ne 1 ] || [ "$(wc -l <"$tmp/c.err")" -ne 1 ] ||
                        ! grep -q "permission denied" "$tmp/c.err"; then
                        fail "$verb as nobody: exit $rc: $(cat "$tmp/c.err")"
                fi
        done
        same --socket "$sock" attach pid:1 /dev/null --path dev/rel
        [ $? -eq 2 ] || fail "invalid --path as nobody is not a usage error"
fi
echo "cli-client: all checks passed"
