"""Schemathesis hooks for scripts/schemathesis.sh: how requests to an emulator are
authenticated, which check failures are the emulator's deliberate differences from the spec
(exclusions.toml beside this file), and the figures of the run.

Configured by the environment (run.py sets it):
  EMULATOR_API         edgekv or linode
  EMULATOR_EXCLUSIONS  the exclusions file
  EMULATOR_STATS       where to write the figures (JSON) when the run ends
  EDGERC, EDGERC_SECTION  the .edgerc section of the EdgeKV emulator (edgekv only)

EdgeKV requests are signed by the official Python EdgeGrid library (edgegrid-python's
EdgeGridAuth) as requests prepares them, so that every request (those the checks send too) has
a fresh nonce and timestamp: the emulator refuses replays and stale signatures. The Linode
bearer token is in the schemathesis config that run.py writes.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
from collections import Counter
from pathlib import Path

import requests.adapters
import schemathesis

from exclusions import instance_text, load

API = os.environ["EMULATOR_API"]
STATS_FILE = os.environ["EMULATOR_STATS"]
EXCLUSIONS = [e for e in load(Path(os.environ["EMULATOR_EXCLUSIONS"])) if e.api == API]

_lock = threading.Lock()
_requests = 0
_responses: Counter = Counter()  # (operation, status)
_dropped: Counter = Counter()  # exclusion index
_kept: list[dict] = []


def _count_requests(send):
    def counted(self, request, *args, **kwargs):
        global _requests
        with _lock:
            _requests += 1
        return send(self, request, *args, **kwargs)

    return counted


# Every HTTP request schemathesis sends: the test cases', and those some checks add.
requests.adapters.HTTPAdapter.send = _count_requests(requests.adapters.HTTPAdapter.send)


if API == "edgekv":
    from akamai.edgegrid import EdgeGridAuth, EdgeRc

    schemathesis.auth.set_from_requests(
        EdgeGridAuth.from_edgerc(EdgeRc(os.environ["EDGERC"]), os.environ["EDGERC_SECTION"])
    )


@schemathesis.hook
def before_load_schema(context, raw_schema) -> None:
    # A typo in the Linode spec's links (GET /volumes/{volumeId} -> attach names the parameter
    # `volumeID`) makes schemathesis refuse its stateful phase; the parameter is `volumeId`.
    links = (
        raw_schema.get("paths", {})
        .get("/volumes/{volumeId}", {})
        .get("get", {})
        .get("responses", {})
        .get("200", {})
        .get("links", {})
    )
    attach = links.get("attach", {}).get("parameters", {})
    if "volumeID" in attach:
        attach["volumeId"] = attach.pop("volumeID")


def operation_id(case) -> str:
    raw = getattr(case.operation.definition, "raw", None) or {}
    return raw.get("operationId") or case.operation.label


def _mode(case) -> str:
    meta = getattr(case, "meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    return str(getattr(mode, "value", mode or "")).lower()


def _failure(failure, case, response) -> dict:
    """What the exclusions match a failure on, and what the summary shows of it."""
    headers = getattr(response, "headers", None) or {}
    content_type = headers.get("content-type") or headers.get("Content-Type") or [""]
    if isinstance(content_type, list):
        content_type = content_type[0] if content_type else ""
    schema_path = list(getattr(failure, "schema_path", None) or [])
    instance_path = list(getattr(failure, "instance_path", None) or [])
    names = [p for p in instance_path if isinstance(p, str)]
    content = getattr(response, "content", b"") or b""
    sent = getattr(getattr(response, "request", None), "body", None) or b""
    if isinstance(sent, str):
        sent = sent.encode("utf-8", "replace")
    return {
        "operation": operation_id(case),
        "method": case.method,
        "path": case.formatted_path,
        "checks": list(getattr(failure, "checks", ()) or ()),
        "code": getattr(failure, "code", ""),
        "title": getattr(failure, "title", ""),
        "status": getattr(response, "status_code", 0),
        "content_type": content_type.split(";")[0].strip(),
        "mode": _mode(case),
        "keyword": str(schema_path[-1]) if schema_path else None,
        "property": names[-1] if names else None,
        "instance_path": "/".join(map(str, instance_path)),
        "instance": instance_text(getattr(failure, "instance", None))
        if hasattr(failure, "instance")
        else "",
        "body": content.decode("utf-8", "replace"),
        "request": sent.decode("utf-8", "replace"),
        # The message of a response-schema failure is costly to render and not matched on.
        "message": "" if schema_path else str(getattr(failure, "message", "")),
    }


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    seen = _failure(failure, case, response)
    entry = next((e for e in EXCLUSIONS if e.matches(seen)), None)
    with _lock:
        if entry is not None:
            _dropped[entry.index] += 1
            return False
        seen["body"] = seen["body"][:300]
        seen["request"] = seen["request"][:300]
        seen["instance"] = seen["instance"][:120]
        seen["message"] = str(getattr(failure, "message", ""))[:600]
        _kept.append(seen)
    return True


@schemathesis.hook
def after_call(context, case, response) -> None:
    with _lock:
        _responses[(operation_id(case), getattr(response, "status_code", 0))] += 1


@atexit.register
def _write_stats() -> None:
    with _lock:
        stats = {
            "api": API,
            "requests": _requests,
            "responses": [
                {"operation": op, "status": status, "count": n}
                for (op, status), n in sorted(_responses.items())
            ],
            "dropped": {str(k): v for k, v in sorted(_dropped.items())},
            "kept": _kept,
        }
    with open(STATS_FILE, "w") as f:
        json.dump(stats, f, indent=1)
