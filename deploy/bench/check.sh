#!/usr/bin/env bash
# Times `linkwatch check` over a simulated fleet: N devices × 4 targets
# (up, down, drop 60, up), count 5, timeout 1s, at concurrency C, R runs.
# Usage: deploy/bench/check.sh [devices=200] [concurrency=50] [runs=3]
# Everything stays on 127.0.0.1 (ports 30000 + i).
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-200}; c=${2:-50}; runs=${3:-3}
bin=${LINKWATCH:-bin/linkwatch}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
platforms=(cisco_iosxe cisco_iosxr cisco_nxos arista_eos juniper_junos)
{
  echo "devices:"
  for i in $(seq 1 "$n"); do
    cat <<DEV
  - name: r$i
    port: $((30000 + i))
    platform: ${platforms[$((i % 5))]}
    username: admin
    password: bench
    targets: { 10.0.0.1: up, 10.0.0.2: down, 10.0.0.3: drop 60, 10.0.0.4: up }
DEV
  done
} > "$work/fleet.yaml"
{
  echo "interval: 5m"
  echo "credentials: { lab: { username: admin, password_env: BENCH_PASSWORD } }"
  echo "worker: { concurrency: $c }"
  echo "defaults: { credentials: lab, site: bench, ping: { count: 5, timeout: 1s } }"
  echo "devices:"
  for i in $(seq 1 "$n"); do
    echo "  - { name: r$i, host: 127.0.0.1, port: $((30000 + i)), platform: ${platforms[$((i % 5))]}, targets: [10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4] }"
  done
} > "$work/linkwatch.yaml"
export BENCH_PASSWORD=bench
"$bin" sim --fleet "$work/fleet.yaml" > "$work/sim.out" 2>&1 &
for _ in $(seq 1 100); do
  [ "$(grep -c 127.0.0.1 "$work/sim.out" || true)" -ge "$n" ] && break
  sleep 0.1
done
times=()
for r in $(seq 1 "$runs"); do
  start=$(date +%s.%N)
  "$bin" check --config "$work/linkwatch.yaml" --output json > "$work/rows.json"
  end=$(date +%s.%N)
  t=$(awk "BEGIN { printf \"%.2f\", $end - $start }")
  rows=$(wc -l < "$work/rows.json")
  bad=$(grep -c '"status":"UNKNOWN"' "$work/rows.json" || true)
  echo "run $r: ${t}s, $rows rows, $bad UNKNOWN"
  times+=("$t")
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print "median: " a[int((NR+1)/2)] "s over " NR " runs"}'
