#!/bin/bash
# devpassd links neither libnl nor libsystemd: NIC moves live in the
# devpass-net module, loaded on first use (agent/act/net-load.c), grants
# through systemd in devpass-systemd (agent/act/systemd-load.c, loaded only
# where systemd is PID 1), and the audit trail looks sd_journal_sendv() up
# when a journal is there. Each module links its library and exports the
# entry points its loader looks up.
#   agent-libs.sh DEVPASSD NET-MODULE SYSTEMD-MODULE
set -euo pipefail
AGENT=$1 MODULE=$2 SDMODULE=$3
fail() { echo "FAIL: $*" >&2; exit 1; }

needed=$(readelf -d "$AGENT" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
grep -q libudev <<<"$needed" || fail "readelf sees no NEEDED entries in $AGENT"
! grep -q libnl <<<"$needed" || fail "devpassd links libnl: $(tr '\n' ' ' <<<"$needed")"
! grep -q libsystemd <<<"$needed" || fail "devpassd links libsystemd: $(tr '\n' ' ' <<<"$needed")"
grep -q "(NEEDED).*libsystemd" <<<"$(readelf -d "$SDMODULE")" ||
        fail "$SDMODULE does not link libsystemd"
sdsyms=$(nm -D --defined-only "$SDMODULE")
for s in dp_sdbus_unit_by_pid dp_sdbus_allow_get dp_sdbus_allow_add dp_sdbus_allow_set; do
        grep -qw "$s" <<<"$sdsyms" || fail "$SDMODULE does not export $s"
done
grep -q "(NEEDED).*libnl-route-3" <<<"$(readelf -d "$MODULE")" ||
        fail "$MODULE does not link libnl-route-3"
syms=$(nm -D --defined-only "$MODULE")
for s in dp_net_identify dp_net_move_in dp_net_move_out dp_net_restore \
         dp_net_netns_open; do
        grep -qw "$s" <<<"$syms" || fail "$MODULE does not export $s"
done
echo "ok: devpassd without libnl and libsystemd; the modules export their entry points"
