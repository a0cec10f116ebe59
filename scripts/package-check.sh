#!/usr/bin/env bash
# The published crates as a dependent gets them: what each package holds (its code, licences
# and README; no tests, benches, snapshots, specs or fixtures; the generated clients in), then
# `cargo package` with verification (each crate built from its package alone).
set -euo pipefail
cd "$(dirname "$0")/.."

crates=(akamai-sdk-generated akamai-sdk akamai-sdk-testkit akamai-sdk-cli)
status=0
for crate in "${crates[@]}"; do
  list=$(cargo package -p "$crate" --list --locked --allow-dirty 2>/dev/null)
  bad=$(grep -E '(^|/)(tests|benches|fixtures|snapshots|specs|schemathesis|fuzz|corpus)/|\.snap$|\.py$|openapi\.(json|yaml)$' <<<"$list" || true)
  if [ -n "$bad" ]; then
    printf '%s packages files a dependent does not need:\n%s\n' "$crate" "$bad"
    status=1
  fi
  for license in LICENSE-MIT LICENSE-APACHE; do
    if ! grep -qx "$license" <<<"$list"; then
      echo "$crate does not package $license"
      status=1
    fi
  done
  printf '%-22s %3d files\n' "$crate" "$(wc -l <<<"$list")"
done
generated=$(cargo package -p akamai-sdk-generated --list --locked --allow-dirty 2>/dev/null)
for file in src/linode.rs src/edgekv.rs src/lib.rs; do
  if ! grep -qx "$file" <<<"$generated"; then
    echo "akamai-sdk-generated does not package $file"
    status=1
  fi
done
[ "$status" = 0 ] || exit "$status"

# Cargo unpacks each verified package into CARGO_HOME's registry/src once per name and version,
# and takes a registry package's build in the target directory for fresh by name and version:
# a package rebuilt under the same version (new generated code, 0.1.0 still) would be verified
# against a previous run's copy and build. Drop both.
cargo_home=${CARGO_HOME:-$HOME/.cargo}
clean=()
for crate in "${crates[@]}"; do
  rm -rf "$cargo_home"/registry/src/*/"$crate"-[0-9]*
  clean+=(-p "$crate")
done
cargo clean --quiet "${clean[@]}"

# Verified: each crate is built from its .crate file, against the others' packages.
cargo package --locked --allow-dirty --workspace --exclude xtask --exclude akamai-sdk-tests
