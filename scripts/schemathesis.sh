#!/usr/bin/env bash
# The test kit's emulators against the specs they emulate: schemathesis drives the EdgeKV
# emulator from specs/edgekv.json and the Linode emulator from specs/linode.json (the 23
# operations it implements), with every check: each answer has a documented status and matches
# its schema, no 500, no request over the time limit. What the emulators deliberately do
# differently from the specs is listed, each with its reason, in
# testkit/schemathesis/exclusions.toml; any other failure fails the run.
#
#   scripts/schemathesis.sh [--max-time SECS] [--max-examples N] [--seed N] [--api edgekv|linode]
#
# --max-time is each API's time budget (default 90 s; both run at once); SCHEMATHESIS_SEED
# replays a run (its seed is printed). Needs python3 (3.11 or later, with venv) and cargo; the
# pinned packages (testkit/schemathesis/requirements.txt) go into a venv under the target
# directory, the logs and reports of the last run into its schemathesis/run folder.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "schemathesis.sh: needs python 3.11 or later" >&2
  exit 2
}
for api in edgekv linode; do
  [ -f "specs/$api.json" ] || {
    echo "schemathesis.sh: no specs/$api.json; pull the specs first (SPECS_MIRROR=../shared/upstream cargo xtask pull)" >&2
    exit 2
  }
done
# No __pycache__ beside the hooks in the source tree.
export PYTHONDONTWRITEBYTECODE=1
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
dir="$target/schemathesis"
venv="$dir/venv"
requirements="$root/testkit/schemathesis/requirements.txt"

# The venv, made again when the pinned versions change.
if [ ! -x "$venv/bin/st" ] || ! cmp -s "$requirements" "$venv/requirements.txt"; then
  echo "schemathesis.sh: installing $(grep -E '^(schemathesis|edgegrid-python)==' "$requirements" | tr '\n' ' ')into $venv"
  python3 -m venv --clear "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/requirements.txt"
fi

cargo build --locked --quiet -p akamai-sdk-testkit --bin akamai-emulator
run="$dir/run"
rm -rf "$run"
mkdir -p "$run"

# The emulators: one JSON line each once they listen, and an .edgerc section for EdgeKV.
"$target/debug/akamai-emulator" --edgekv --linode --edgerc "$run/edgerc" --section schemathesis \
  >"$run/emulators.json" 2>"$run/emulator.log" &
emulator=$!
stop() {
  kill "$emulator" 2>/dev/null || true
  wait "$emulator" 2>/dev/null || true
}
trap stop EXIT
for _ in $(seq 100); do
  [ "$(grep -c '"api"' "$run/emulators.json" 2>/dev/null)" = 2 ] && break
  kill -0 "$emulator" 2>/dev/null || break
  sleep 0.1
done
if [ "$(grep -c '"api"' "$run/emulators.json" 2>/dev/null)" != 2 ]; then
  echo "schemathesis.sh: the emulators did not start" >&2
  cat "$run/emulator.log" >&2
  exit 1
fi

seed=()
if [ -n "${SCHEMATHESIS_SEED:-}" ]; then
  seed=(--seed "$SCHEMATHESIS_SEED")
fi
status=0
"$venv/bin/python" "$root/testkit/schemathesis/run.py" --emulators "$run/emulators.json" \
  --edgerc "$run/edgerc" --section schemathesis --out "$run" "${seed[@]}" "$@" || status=$?
if ! kill -0 "$emulator" 2>/dev/null; then
  echo "schemathesis.sh: the emulator process died during the run" >&2
  cat "$run/emulator.log" >&2
  status=1
fi
exit "$status"
