#!/usr/bin/env bash
# A guided tour of linkwatch on one machine: three simulated routers, the
# all-in-one `linkwatch run`, the status table, and an alert when a link
# goes down and comes back. Everything stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${LINKWATCH:-bin/linkwatch}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

cp deploy/demo/fleet.yaml "$work/fleet.yaml"
sed "s|data_dir: ../demo-data|data_dir: $work/data|" deploy/demo/linkwatch.yaml > "$work/linkwatch.yaml"
export DEMO_PASSWORD=demo

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "validate the configuration"
"$bin" validate --config "$work/linkwatch.yaml"

step "start the router simulator"
"$bin" sim --fleet "$work/fleet.yaml" > "$work/sim.log" 2>&1 &
sim=$!
sleep 1
cat "$work/sim.log"

step "probe every device once (linkwatch check)"
"$bin" check --config "$work/linkwatch.yaml"

step "start linkwatch run (scheduler + workers + notifier, embedded NATS and store)"
"$bin" run --config "$work/linkwatch.yaml" > "$work/run.out" 2> "$work/run.log" &
wait_status() { # wait until status shows $1 for $2
  for _ in $(seq 1 60); do
    if "$bin" status --config "$work/linkwatch.yaml" --output json 2>/dev/null | grep -q "\"target\":\"$2\".*\"state\":\"$1\"\|\"state\":\"$1\".*\"target\":\"$2\""; then return 0; fi
    sleep 1
  done
  echo "timed out waiting for $2 to be $1" >&2; return 1
}
for _ in $(seq 1 60); do  # every link measured once
  [ "$("$bin" status --config "$work/linkwatch.yaml" --output json 2>/dev/null | wc -l)" -ge 5 ] && break
  sleep 1
done
"$bin" status --config "$work/linkwatch.yaml"
echo "--- alerts so far (a link first seen in a bad state is reported once):"
cat "$work/run.out"
seen=$(wc -c < "$work/run.out")

step "take core1 -> 10.0.0.2 down (edit the fleet file, SIGHUP the simulator)"
sed -i 's/10.0.0.2: up/10.0.0.2: down/' "$work/fleet.yaml"
kill -HUP "$sim"
wait_status DOWN 10.0.0.2
sleep 1
echo "--- the alert (no smtp configured, so it is printed):"
tail -c +$((seen + 1)) "$work/run.out"
seen=$(wc -c < "$work/run.out")
"$bin" status --config "$work/linkwatch.yaml" --state DOWN

step "bring it back"
sed -i 's/10.0.0.2: down/10.0.0.2: up/' "$work/fleet.yaml"
kill -HUP "$sim"
wait_status UP 10.0.0.2
sleep 1
tail -c +$((seen + 1)) "$work/run.out"

step "history of core1"
"$bin" history core1 --config "$work/linkwatch.yaml"
