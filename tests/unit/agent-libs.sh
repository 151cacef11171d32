#!/bin/bash
# devpassd does not link libnl: NIC moves live in the devpass-net module,
# loaded on first use (agent/act/net-load.c). The module links libnl-route
# and exports the entry points the loader looks up.
#   agent-libs.sh DEVPASSD MODULE
set -euo pipefail
AGENT=$1 MODULE=$2
fail() { echo "FAIL: $*" >&2; exit 1; }

needed=$(readelf -d "$AGENT" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
grep -q libudev <<<"$needed" || fail "readelf sees no NEEDED entries in $AGENT"
! grep -q libnl <<<"$needed" || fail "devpassd links libnl: $(tr '\n' ' ' <<<"$needed")"
grep -q "(NEEDED).*libnl-route-3" <<<"$(readelf -d "$MODULE")" ||
        fail "$MODULE does not link libnl-route-3"
syms=$(nm -D --defined-only "$MODULE")
for s in dp_net_identify dp_net_move_in dp_net_move_out dp_net_restore \
         dp_net_netns_open; do
        grep -qw "$s" <<<"$syms" || fail "$MODULE does not export $s"
done
echo "ok: devpassd without libnl; module exports its five entry points"
