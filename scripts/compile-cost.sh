#!/usr/bin/env bash
# What a dependent pays to compile the SDK: clean debug builds of a throw-away crate that depends
# on akamai-sdk with the default features (the child-account workflow and EdgeKV), and with
# `linode-all` (the whole Linode API). Prints the wall time of each build and, from cargo's
# timings, the seconds spent on akamai-sdk-generated and akamai-sdk.
#
#   scripts/compile-cost.sh            # both configurations
#
# Each build uses its own target directory under target/compile-cost (dependencies included),
# so run it on an otherwise idle machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/target/compile-cost"
mkdir -p "$work"

measure() {
  local name=$1 features=$2
  local dir="$work/$name"
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
  (cd "$dir" && CARGO_TARGET_DIR="$dir/target" cargo build --quiet --timings=json -Z unstable-options 2>/dev/null > "$dir/timings.jsonl" \
    || CARGO_TARGET_DIR="$dir/target" cargo build --quiet --timings > /dev/null)
  end=$(date +%s.%N)
  python3 - "$name" "$start" "$end" "$dir" <<'PY'
import glob, json, re, sys
name, start, end, d = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
units = {}
try:
    for line in open(f"{d}/timings.jsonl"):
        m = json.loads(line)
        if m.get("reason") == "timing-info":
            units[m["target"]["name"]] = m["duration"]
except (OSError, ValueError):
    pass
if not units:
    for html in glob.glob(f"{d}/target/cargo-timings/cargo-timing-*.html"):
        text = open(html).read()
        m = re.search(r"const UNIT_DATA = (\[.*?\]);", text, re.S)
        if m:
            for u in json.loads(m.group(1)):
                units[u["name"].replace("-", "_")] = u["duration"]
gen = units.get("akamai_sdk_generated", float("nan"))
sdk = units.get("akamai_sdk", float("nan"))
print(f"{name}: clean build {end - start:.1f} s; akamai-sdk-generated {gen:.1f} s, akamai-sdk {sdk:.1f} s")
PY
}

measure default '"linode", "edgekv"'
measure whole-linode '"linode-all", "edgekv"'
