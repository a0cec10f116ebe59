#!/usr/bin/env bash
# What a dependent pays to compile the SDK: clean debug builds of a throw-away crate that depends
# on akamai-sdk with the default features (the child-account workflow and EdgeKV), and with
# `linode-all` (the whole Linode API). For each, prints
#
# * the clean build: its wall time and, from cargo's timings, the seconds spent on
#   akamai-sdk-generated and akamai-sdk (on 2 cores they share the machine with other crates);
# * the two crates alone: both rebuilt after `cargo clean -p` on the built dependencies, so
#   nothing else competes (the figure the budget is judged on).
#
#   scripts/compile-cost.sh            # both configurations
#   ROOT=/path/to/other/checkout CONFIGS=default scripts/compile-cost.sh   # a baseline revision
#
# Builds are not incremental (`CARGO_INCREMENTAL=0`), as for a dependency from a registry. Each
# configuration uses its own target directory under target/compile-cost, so run it on an
# otherwise idle machine.
set -euo pipefail
root=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
work="$(cd "$(dirname "$0")/.." && pwd)/target/compile-cost"
export CARGO_INCREMENTAL=0
mkdir -p "$work"

measure() {
  local name=$1 features=$2
  local dir="$work/$(basename "$root")-$name"
  rm -rf "$dir"
  mkdir -p "$dir/src"
  cat > "$dir/Cargo.toml" <<TOML
[package]
name = "dependent-$name"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
akamai-sdk = { path = "$root/sdk", features = [$features] }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }

[workspace]
TOML
  echo 'fn main() { let _ = akamai_sdk::linode::LinodeClient::new("t"); }' > "$dir/src/main.rs"
  cp "$root/Cargo.lock" "$dir/Cargo.lock"
  local start end
  start=$(date +%s.%N)
  build "$dir"
  end=$(date +%s.%N)
  report "$name clean build" "$dir" "$start" "$end"
  (cd "$dir" && CARGO_TARGET_DIR="$dir/target" cargo clean --quiet -p akamai-sdk-generated -p akamai-sdk)
  start=$(date +%s.%N)
  build "$dir"
  end=$(date +%s.%N)
  report "$name, the two crates alone" "$dir" "$start" "$end"
}

build() {
  local dir=$1
  (cd "$dir" && CARGO_TARGET_DIR="$dir/target" cargo build --quiet --timings=json -Z unstable-options 2>/dev/null > "$dir/timings.jsonl" \
    || CARGO_TARGET_DIR="$dir/target" cargo build --quiet --timings > /dev/null)
}

report() {
  python3 - "$@" <<'PY'
import glob, json, os, re, sys
label, d, start, end = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
units = {}
try:
    for line in open(f"{d}/timings.jsonl"):
        m = json.loads(line)
        if m.get("reason") == "timing-info":
            units[m["target"]["name"]] = m["duration"]
except (OSError, ValueError):
    pass
if not units:
    pages = sorted(glob.glob(f"{d}/target/cargo-timings/cargo-timing-*.html"), key=os.path.getmtime)
    for html in pages[-1:]:
        text = open(html).read()
        m = re.search(r"const UNIT_DATA = (\[.*?\]);", text, re.S)
        if m:
            for u in json.loads(m.group(1)):
                units[u["name"].replace("-", "_")] = u["duration"]
gen = units.get("akamai_sdk_generated", float("nan"))
sdk = units.get("akamai_sdk", float("nan"))
print(f"{label}: {end - start:.1f} s wall; akamai-sdk-generated {gen:.1f} s, akamai-sdk {sdk:.1f} s, together {gen + sdk:.1f} s")
PY
}

for config in ${CONFIGS:-default whole-linode}; do
  case $config in
    default) measure default '"linode", "edgekv"' ;;
    whole-linode) measure whole-linode '"linode-all", "edgekv"' ;;
    *) echo "unknown configuration $config (default, whole-linode)" >&2; exit 2 ;;
  esac
done
