#!/usr/bin/env bash
# Runs every fuzz target of sdk/fuzz (or the ones named) for SECONDS each (60 by default), one
# after the other, and prints the runs and the crashes of each.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`) and a nightly toolchain (without one,
# RUSTC_BOOTSTRAP=1 lets a stable toolchain build with the sanitizer flags). Each target starts
# from its committed seeds (sdk/fuzz/corpus/<target>/, read only) and from what earlier runs
# found (sdk/fuzz/target/corpus/<target>/, where new inputs go). A crashing input is saved in
# sdk/fuzz/artifacts/<target>/ and ends that target's run: replay it with
# `cargo +nightly fuzz run <target> <file>`, fix the SDK, and add the file to the seeds.
# Logs: sdk/fuzz/target/logs/<target>.log. Exits 1 if any target crashed.
set -uo pipefail
cd "$(dirname "$0")/../sdk"

seconds=${1:-60}
shift || true
case $seconds in
  '' | *[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz is missing: cargo install cargo-fuzz --locked" >&2
  exit 2
fi
if cargo +nightly --version >/dev/null 2>&1; then
  fuzz=(cargo +nightly fuzz)
else
  echo "no nightly toolchain: building with RUSTC_BOOTSTRAP=1" >&2
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
fi

if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <("${fuzz[@]}" list)
fi

"${fuzz[@]}" build -O >&2 || exit 2

logs=fuzz/target/logs
mkdir -p "$logs"
printf '%-14s %8s %12s %10s %8s  %s\n' target seconds runs runs/s crashes artifact
failed=0
for target in "${targets[@]}"; do
  found=fuzz/target/corpus/$target
  artifacts=fuzz/artifacts/$target
  mkdir -p "$found" "$artifacts"
  before=$(ls "$artifacts" | wc -l)
  start=$(date +%s)
  "${fuzz[@]}" run -O "$target" "$found" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -timeout=20 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" >"$logs/$target.log" 2>&1
  status=$?
  elapsed=$(($(date +%s) - start))
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$target.log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logs/$target.log" | tail -1)
  artifact=$(ls -t "$artifacts" | head -1)
  crashes=0
  if [ "$status" -ne 0 ] || [ "$(ls "$artifacts" | wc -l)" -gt "$before" ]; then
    crashes=1
    failed=1
  fi
  printf '%-14s %8s %12s %10s %8s  %s\n' "$target" "$elapsed" "${runs:-?}" "${speed:-?}" \
    "$crashes" "$([ "$crashes" -eq 1 ] && echo "$artifacts/$artifact (log: $logs/$target.log)")"
done
exit "$failed"
