#!/bin/bash
# The metrics endpoint end to end: devpassd --metrics-listen on loopback,
# scraped by curl and by a real Prometheus. promtool accepts the text; a
# policy grant, an unplug and a denied manual attach on real loop devices
# move the right series; the OpenMetrics variant ends in "# EOF"; the
# default address is loopback only; a unix socket is root's alone.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
dpt_require_root
for t in curl promtool; do
        command -v $t >/dev/null || { echo "SKIP: no $t"; exit 77; }
done

agent_setup
dpt_ctr_start --v1-deny
CTR=$DPT_PID
S=$((14336 + RANDOM % 2048)) SD=$((16384 + RANDOM % 2048))
cat >"$AGENT_DIR/policy/50-metrics.policy" <<POL
[Match]
Class=block
Attribute=size=$S
[Target]
Container=pid:$CTR

[Match]
Class=block
Attribute=size=$SD
[Grant]
Action=deny
POL
free_port() {
        local p
        for _ in $(seq 50); do
                p=$((20000 + RANDOM % 20000))
                ss -Hltn "sport = :$p" | grep -q . || { echo $p; return; }
        done
        dpt_fail "no free port"
}
PORT=$(free_port)
agent_start --metrics-listen "$PORT"
URL=http://127.0.0.1:$PORT/metrics
scrape() { curl -sf "$URL"; }
metric() { scrape | awk -v k="$1" '$1 == k { print $2 }'; }

ss -Hltn "sport = :$PORT" | awk '{print $4}' | grep -qx "127.0.0.1:$PORT" ||
        fail "default metrics address is not loopback: $(ss -Hltn "sport = :$PORT")"
scrape | promtool check metrics || fail "promtool rejects the metrics"
[ "$(metric 'devpass_grants_made_total{source="policy"}')" = 0 ] || fail "grants before any device"

# a policy grant on a real loop device
img=$(dpt_tmpdir)/m.img
head -c $((S * 512)) /dev/zero >"$img"
L=$(loop_add "$img")
dpt_wait_for 5000 in_ctr "$CTR" test -b "$L" || fail "$L not granted"
dpt_wait_for 2000 sh -c "curl -sf '$URL' | grep -qx 'devpass_grants{container=\"pid:$CTR\",class=\"block\"} 1'" ||
        fail "grant not counted: $(scrape | grep '^devpass_grants')"
[ "$(metric 'devpass_grants_made_total{source="policy"}')" = 1 ] || fail "grants_made not 1"
[ "$(metric devpass_containers)" -ge 1 ] || fail "no container counted"
[ "$(metric devpass_reconcile_seconds_count)" -ge 1 ] || fail "no reconcile observed"
[ "$(metric devpass_hotplug_seconds_count)" -ge 1 ] || fail "no hotplug observed"

# detach the loop: it stays in sysfs with size 0, which no rule grants
losetup -d "$L"
dpt_wait_for 5000 sh -c "[ \"\$(curl -sf '$URL' | awk '\$1 == \"devpass_revokes_total{reason=\\\"policy\\\"}\" {print \$2}')\" = 1 ]" ||
        fail "revoke not counted: $(scrape | grep '^devpass_revokes')"
scrape | grep -q "^devpass_grants{" && fail "a revoked grant is still a series"

# a denied manual attach is a refusal
imgd=$(dpt_tmpdir)/d.img
head -c $((SD * 512)) /dev/zero >"$imgd"
LD=$(loop_add "$imgd")
ctl attach "pid:$CTR" "$LD" --path /dev/dpmd 2>/dev/null && fail "denied attach succeeded"
[ "$(metric 'devpass_refusals_total{reason="denied"}')" = 1 ] || fail "denied attach not counted"
[ "$(metric devpass_ipc_clients)" = 0 ] || fail "ipc client gauge not back to 0"

# OpenMetrics on request; 404 elsewhere; POST refused
om=$(curl -sf -H 'Accept: application/openmetrics-text; version=1.0.0' "$URL")
[ "$(printf '%s\n' "$om" | tail -n1)" = "# EOF" ] || fail "OpenMetrics text lacks # EOF"
printf '%s\n' "$om" | grep -qx '# TYPE devpass_revokes counter' || fail "OpenMetrics counter family keeps _total"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")" = 404 ] || fail "/ is not 404"
curl -sf -X POST -d x "$URL" >/dev/null 2>&1 && fail "POST answered"

# a real Prometheus scrapes it, if Prometheus is installed
if command -v prometheus >/dev/null; then
        PD=$(dpt_tmpdir)
        PP=$(free_port)
        cat >"$PD/prom.yml" <<YML
global: {scrape_interval: 1s}
scrape_configs:
  - job_name: devpass
    static_configs: [{targets: ["127.0.0.1:$PORT"]}]
YML
        prometheus --config.file="$PD/prom.yml" --storage.tsdb.path="$PD/data" \
                --web.listen-address="127.0.0.1:$PP" >"$PD/log" 2>&1 &
        PROM=$!
        dpt_cleanup_add kill "$PROM"
        q="http://127.0.0.1:$PP/api/v1/query?query=devpass_refusals_total%7Breason%3D%22denied%22%7D"
        dpt_wait_for 30000 sh -c "curl -sf '$q' | grep -q '\"value\":\[[0-9.]*,\"1\"\]'" ||
                { tail -20 "$PD/log"; fail "Prometheus did not scrape the refusal"; }
        curl -sf "http://127.0.0.1:$PP/api/v1/targets" | grep -q '"health":"up"' ||
                fail "Prometheus target not up"
        echo "Prometheus scraped devpassd"
fi
agent_kill

# a unix socket, root's alone
MS=$AGENT_DIR/metrics.sock
agent_start --metrics-listen "unix:$MS"
[ "$(stat -c %a "$MS")" = 600 ] || fail "metrics socket mode $(stat -c %a "$MS")"
curl -sf --unix-socket "$MS" http://localhost/metrics | promtool check metrics ||
        fail "unix socket metrics rejected"
setpriv --reuid 65534 --regid 65534 --clear-groups curl -sf --unix-socket "$MS" http://localhost/metrics >/dev/null 2>&1 &&
        fail "another user read the metrics socket"
agent_kill
[ -e "$MS" ] && fail "metrics socket left behind"
echo "PASS: metrics endpoint"
