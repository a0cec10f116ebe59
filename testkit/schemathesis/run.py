"""Runs schemathesis against the running test-kit emulators, each from the processed spec it
emulates, and sums up. Started by scripts/schemathesis.sh (which starts the emulators and
passes their JSON lines in --emulators); exits 1 when a check failed that exclusions.toml does
not exclude, or when schemathesis itself failed (an error, a timeout).

Both APIs run at once, each under its own time budget (--max-time), with every check of
schemathesis; a request that takes longer than --request-timeout fails the run (a hang).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from exclusions import load  # noqa: E402

ROOT = HERE.parent.parent

# The operations of specs/linode.json the Linode emulator implements (LinodeApi::operation in
# testkit/src/linode/mod.rs and OPERATIONS in testkit/src/linode/resources/mod.rs); the spec's
# other ~370 operations answer 404 from the emulator and are not run.
LINODE_OPERATIONS = [
    "get-account",
    "get-child-accounts",
    "get-child-account",
    "post-child-account-token",
    "get-profile",
    "get-profile-grants",
    "get-user-grants",
    "delete-personal-access-token",
    "get-linode-instances",
    "post-linode-instance",
    "get-linode-instance",
    "put-linode-instance",
    "delete-linode-instance",
    "get-volumes",
    "post-volume",
    "get-volume",
    "put-volume",
    "delete-volume",
    "get-domains",
    "post-domain",
    "get-domain",
    "put-domain",
    "delete-domain",
]


def toml_string(s: str) -> str:
    return json.dumps(s)


def config_text(api: str, emulator: dict, args: argparse.Namespace) -> str:
    lines = [
        f"generation.max-examples = {args.max_examples}",
        'generation.database = "none"',
        f"request-timeout = {args.request_timeout}",
        "request-retries = 0",
        # Advice on the spec itself (missing examples, unused links) is not a result here.
        "warnings = false",
    ]
    if api == "edgekv":
        # The spec's server is https://{hostname}/edgekv/v1 (no variable declared).
        lines += ["", "[servers.variables]", f"hostname = {toml_string(emulator['host'])}"]
    else:
        lines += [
            "",
            "[auth.openapi.personalAccessToken]",
            f"bearer = {toml_string(emulator['token'])}",
        ]
    return "\n".join(lines) + "\n"


def start(api: str, emulator: dict, args: argparse.Namespace, out: Path) -> tuple:
    config = out / f"{api}.toml"
    config.write_text(config_text(api, emulator, args))
    command = [
        str(Path(sys.executable).parent / "st"),
        "--no-color",
        "--config-file",
        str(config),
        "run",
        str(ROOT / "specs" / f"{api}.json"),
        "--url",
        emulator["url"],
        "--checks",
        "all",
        "--max-time",
        str(args.max_time),
        "--seed",
        str(args.seed),
        "--workers",
        str(args.workers),
        "--report",
        "junit",
        "--report-dir",
        str(out / f"{api}-report"),
    ]
    if api == "linode":
        for op in LINODE_OPERATIONS:
            command += ["--include-operation-id", op]
    env = dict(os.environ)
    env.update(
        {
            "SCHEMATHESIS_HOOKS": "hooks",
            "PYTHONPATH": str(HERE),
            "EMULATOR_API": api,
            "EMULATOR_EXCLUSIONS": str(args.exclusions),
            "EMULATOR_STATS": str(out / f"{api}-stats.json"),
        }
    )
    if api == "edgekv":
        env["EDGERC"] = str(args.edgerc)
        env["EDGERC_SECTION"] = args.section
    log = open(out / f"{api}.log", "w")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=out)
    return process, log


def summarise(api: str, out: Path, status: int, elapsed: float, exclusions: list) -> bool:
    """Prints the figures of one API; whether it passed."""
    stats_file = out / f"{api}-stats.json"
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else None
    print(f"\n==> schemathesis: {api} (exit status {status}, {elapsed:.0f} s)")
    if stats is None:
        print("    no figures: schemathesis stopped before its hooks wrote them")
        print_log_tail(out / f"{api}.log")
        return False
    operations = {r["operation"] for r in stats["responses"]}
    statuses = Counter()
    for r in stats["responses"]:
        statuses[r["status"]] += r["count"]
    print(f"    operations exercised: {len(operations)}")
    print(f"    requests: {stats['requests']}")
    print("    statuses: " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())))
    mine = [e for e in exclusions if e.api == api]
    dropped = stats["dropped"]
    print(f"    exclusions: {len(mine)}; failures they dropped: {sum(dropped.values())}")
    for e in mine:
        n = dropped.get(str(e.index), 0)
        print(f"      #{e.index:<3}{n:>6} x {e.describe()} on {', '.join(e.operations)}")
    kept = Counter()
    example = {}
    for k in stats["kept"]:
        key = (k["operation"], k["method"], k["code"], k["title"], k["status"])
        kept[key] += 1
        example.setdefault(key, k)
    if kept:
        print(f"    FAILURES not excluded ({sum(kept.values())} before deduplication):")
        for key, n in sorted(kept.items(), key=str):
            op, method, code, title, st = key
            k = example[key]
            print(f"      {n:>5} x {op}: {code} {title} [{st}] ({method} {k['path']})")
            for line in k["message"].splitlines()[:6]:
                if line.strip():
                    print(f"              {line.strip()[:160]}")
            if k["body"]:
                print(f"              body: {k['body'][:160]}")
    passed = status == 0 and not kept
    if not passed:
        print(f"    schemathesis output: {out / (api + '.log')}")
        if not kept:
            print_log_tail(out / f"{api}.log")
    return passed


def print_log_tail(path: Path, lines: int = 60) -> None:
    if path.exists():
        text = path.read_text(errors="replace").splitlines()
        for line in text[-lines:]:
            print(f"    | {line[:300]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--emulators", type=Path, required=True, help="akamai-emulator's JSON lines")
    parser.add_argument("--edgerc", type=Path, required=True)
    parser.add_argument("--section", required=True)
    parser.add_argument("--out", type=Path, required=True, help="a folder for configs, logs, reports")
    parser.add_argument("--exclusions", type=Path, default=HERE / "exclusions.toml")
    parser.add_argument("--api", choices=["edgekv", "linode"], action="append")
    parser.add_argument("--max-examples", type=int, default=30)
    parser.add_argument("--max-time", type=int, default=90, help="each API's time budget (s)")
    parser.add_argument("--request-timeout", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    for name in ("emulators", "edgerc", "out", "exclusions"):
        setattr(args, name, getattr(args, name).resolve())
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(2**31)
    args.out.mkdir(parents=True, exist_ok=True)
    emulators = {}
    for line in args.emulators.read_text().splitlines():
        if line.strip():
            e = json.loads(line)
            emulators[e["api"]] = e
    spec_operations = {
        api: {
            op["operationId"]
            for item in json.loads((ROOT / "specs" / f"{api}.json").read_text())["paths"].values()
            for op in item.values()
            if isinstance(op, dict) and "operationId" in op
        }
        for api in ("edgekv", "linode")
    }
    missing = set(LINODE_OPERATIONS) - spec_operations["linode"]
    if missing:
        print(f"not in specs/linode.json: {sorted(missing)}")
        return 1
    try:
        run_operations = {"edgekv": spec_operations["edgekv"], "linode": set(LINODE_OPERATIONS)}
        exclusions = load(args.exclusions, run_operations)
    except ValueError as e:
        print(e)
        return 1
    apis = args.api or ["edgekv", "linode"]
    print(f"schemathesis seed {args.seed} (replay with SCHEMATHESIS_SEED={args.seed})", flush=True)
    began = time.monotonic()
    running = {api: start(api, emulators[api], args, args.out) for api in apis}
    results = {}
    # A hang of schemathesis itself: well past its own budget.
    deadline = began + args.max_time + 90
    while len(results) < len(running):
        for api, (process, log) in running.items():
            if api in results:
                continue
            status = process.poll()
            if status is None and time.monotonic() > deadline:
                process.kill()
                process.wait()
                print(f"schemathesis: {api} killed at {time.monotonic() - began:.0f} s")
                status = 1
            if status is not None:
                log.close()
                results[api] = (status, time.monotonic() - began)
        time.sleep(0.2)
    passed = True
    for api in apis:
        status, elapsed = results[api]
        passed &= summarise(api, args.out, status, elapsed, exclusions)
    verdict = "passed" if passed else "FAILED"
    print(f"\nschemathesis: {verdict} in {time.monotonic() - began:.0f} s (seed {args.seed})")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
