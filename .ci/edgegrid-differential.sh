#!/usr/bin/env bash
# EdgeGrid conformance: installs the official Python and Node EdgeGrid libraries (PyPI, npm),
# checks the edgegrid_sign example against the official vectors, and runs the signing tests:
# tests/it/signing.rs and the differential runs of tests/external/signing.rs against both
# libraries (CI set, so that a library missing fails them instead of leaving them ignored).
#
#   bash .ci/edgegrid-differential.sh            (from the repository root; ../shared beside it)
#
# EDGEGRID_ORACLE_DIR (default target/edgegrid-oracle) is where the libraries go; an existing
# install is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${EDGEGRID_SHARED:-$PWD/../shared}/edgegrid
export EDGEGRID_ORACLE_DIR=${EDGEGRID_ORACLE_DIR:-$PWD/target/edgegrid-oracle}
if [ ! -x "$EDGEGRID_ORACLE_DIR/venv/bin/python" ] || [ ! -d "$EDGEGRID_ORACLE_DIR/node/node_modules/akamai-edgegrid" ]; then
  sh "$SHARED/oracle/setup.sh" "$EDGEGRID_ORACLE_DIR"
fi
cargo build --locked --release -p akamai-sdk --example edgegrid_sign
python3 "$SHARED/oracle/check_vectors.py" --impl "$PWD/target/release/examples/edgegrid_sign"
cargo test --locked -p akamai-sdk-tests --test it signing:: -- --nocapture
CI=true cargo test --locked -p akamai-sdk-tests --test external signing::
