#!/usr/bin/env bash
# The semver verdict of `cargo xtask update` against a second opinion: for spec updates built
# from the pinned EdgeKV spec, `update` runs in a clone of HEAD, then cargo-semver-checks
# compares the generated crate's rustdoc before (HEAD) and after. The two must agree on whether
# the update breaks dependents (major) or not (minor or patch).
#
#   scripts/semver-crosscheck.sh [VARIANT...]   (default: every variant below)
#
# Variants: optional-field (a new optional field: minor), enum-value (a new enum value:
# minor), field-removed (a field removed: major). Not among them, on purpose: a required field
# added to a request body, which `update` rates major (a builder without it fails at run time)
# and cargo-semver-checks, which reads types only, minor.
#
# Needs cargo-semver-checks (`cargo install cargo-semver-checks --locked`), git, python3 and
# the offline spec mirror (SPECS_MIRROR, default ../shared/upstream).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
mirror=${SPECS_MIRROR:-$root/../shared/upstream}
mirror=$(cd "$mirror" && pwd)
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
export CARGO_TARGET_DIR=$target

variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(optional-field enum-value field-removed)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
upstream=$(find "$mirror" -path '*/apis/edgekv/v1/openapi.json' | head -n 1)
[ -n "$upstream" ] || { echo "no EdgeKV spec under $mirror" >&2; exit 2; }
next_url=https://raw.githubusercontent.com/akamai/akamai-apis/next/apis/edgekv/v1/openapi.json

status=0
for variant in "${variants[@]}"; do
  case "$variant" in
    optional-field | enum-value) expected=minor ;;
    field-removed) expected=major ;;
    *) echo "unknown variant $variant" >&2; exit 2 ;;
  esac
  ws="$work/$variant"
  git clone --quiet "$root" "$ws"
  changed="$work/mirror-$variant/${next_url#https://}"
  mkdir -p "$(dirname "$changed")"
  python3 - "$upstream" "$changed" "$variant" <<'PY'
import json, sys

src, dest, variant = sys.argv[1:]
doc = json.load(open(src))
# The auth group schema, and its inline copy in the listing of auth groups.
for path, method, rest in [
    ("/auth/groups/{groupId}", "get", []),
    ("/auth/groups", "get", ["properties", "groups", "items"]),
]:
    schema = doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
    for key in rest:
        schema = schema[key]
    if variant == "optional-field":
        schema["properties"]["description"] = {"type": "string"}
    elif variant == "enum-value":
        schema["properties"]["capabilities"]["items"]["enum"].append("PURGE_DATA")
    elif variant == "field-removed":
        del schema["properties"]["groupName"]
        schema["required"] = [name for name in schema["required"] if name != "groupName"]
json.dump(doc, open(dest, "w"), indent=2)
PY
  (
    cd "$ws"
    SPECS_MIRROR="$mirror" cargo xtask pull --api edgekv >"$work/update-$variant.log" 2>&1
    cargo xtask update --api edgekv --url "$next_url" --mirror "$work/mirror-$variant" --no-test \
      >>"$work/update-$variant.log" 2>&1
  ) || { cat "$work/update-$variant.log"; echo "$variant: cargo xtask update failed" >&2; exit 1; }
  ours=$(sed -n 's/^semver verdict: //p' "$work/update-$variant.log" | head -n 1)
  # Would a minor version do? `--release-type minor` ignores the version `update` wrote.
  theirs=minor
  if ! (cd "$ws" && cargo semver-checks check-release -p akamai-sdk-generated \
    --baseline-rev HEAD --release-type minor >"$work/checks-$variant.log" 2>&1); then
    if grep -q "semver requires new major version" "$work/checks-$variant.log"; then
      theirs=major
    else
      cat "$work/checks-$variant.log"
      echo "$variant: cargo-semver-checks did not run" >&2
      exit 1
    fi
  fi
  failures=$(grep -E '^--- failure' "$work/checks-$variant.log" | sed -e 's/^--- failure //' -e 's/:.*//' | paste -sd, - || true)
  breaks() { [ "$1" = major ] && echo yes || echo no; }
  line="$variant: update says $ours, cargo-semver-checks $theirs${failures:+ ($failures)}, expected $expected"
  if [ "$(breaks "$ours")" = "$(breaks "$theirs")" ] && [ "$(breaks "$ours")" = "$(breaks "$expected")" ]; then
    echo "agree: $line"
  else
    echo "DISAGREE: $line"
    sed -n '/^semver verdict: /,/^version: /p' "$work/update-$variant.log"
    status=1
  fi
  rm -rf "$ws"
done
exit "$status"
