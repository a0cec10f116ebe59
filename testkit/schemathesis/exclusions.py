"""Reads exclusions.toml and matches check failures against it (used by hooks.py and run.py)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

CHECKS = {
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
    "object_level_authorization",
    "max_response_time",
}
FIELDS = {
    "api",
    "operations",
    "check",
    "reason",
    "status",
    "mode",
    "content_type",
    "body",
    "keyword",
    "property",
    "value",
    "request",
    "message",
}


class Exclusion:
    """One [[exclusion]]: the failures of `check` on `operations` it drops, and why."""

    def __init__(self, index: int, entry: dict, where: str) -> None:
        unknown = set(entry) - FIELDS
        if unknown:
            raise ValueError(f"{where}: unknown fields {sorted(unknown)}")
        for field in ("api", "operations", "check", "reason"):
            if not entry.get(field):
                raise ValueError(f"{where}: `{field}` is required")
        if entry["api"] not in ("edgekv", "linode"):
            raise ValueError(f"{where}: api must be edgekv or linode")
        if entry["check"] not in CHECKS:
            raise ValueError(f"{where}: unknown check {entry['check']!r}")
        if not isinstance(entry["operations"], list):
            raise ValueError(f"{where}: operations is a list of operation ids")
        self.index = index
        self.api: str = entry["api"]
        self.operations: list[str] = entry["operations"]
        self.check: str = entry["check"]
        self.reason: str = " ".join(entry["reason"].split())
        self.status: list | None = entry.get("status")
        for s in self.status or []:
            if not (isinstance(s, int) or (isinstance(s, str) and re.fullmatch(r"[1-5]XX", s))):
                raise ValueError(f"{where}: a status is a number or 4XX-like, not {s!r}")
        self.mode: str | None = entry.get("mode")
        if self.mode not in (None, "positive", "negative"):
            raise ValueError(f"{where}: mode must be positive or negative")
        self.content_type: str | None = entry.get("content_type")
        self.body = re.compile(entry["body"]) if "body" in entry else None
        self.keyword: str | None = entry.get("keyword")
        self.property: list[str] | None = entry.get("property")
        if self.property is not None and not isinstance(self.property, list):
            raise ValueError(f"{where}: property is a list of property names")
        self.value = re.compile(entry["value"]) if "value" in entry else None
        self.request = re.compile(entry["request"]) if "request" in entry else None
        self.message = re.compile(entry["message"]) if "message" in entry else None

    def describe(self) -> str:
        parts = [self.check]
        if self.status:
            parts.append("status " + "/".join(map(str, self.status)))
        if self.mode:
            parts.append(f"{self.mode} cases")
        if self.content_type:
            parts.append(f"as {self.content_type}")
        if self.keyword:
            parts.append(f"keyword {self.keyword}")
        if self.property:
            parts.append("property " + "/".join(self.property))
        if self.value:
            parts.append(f"value ~ {self.value.pattern}")
        if self.body:
            parts.append(f"body ~ {self.body.pattern}")
        if self.request:
            parts.append(f"request ~ {self.request.pattern}")
        if self.message:
            parts.append(f"message ~ {self.message.pattern}")
        return ", ".join(parts)

    def matches(self, failure: dict) -> bool:
        """Whether it drops `failure` (operation, checks, status, mode, content_type, body,
        keyword, property, instance, request, message)."""
        if failure["operation"] not in self.operations or self.check not in failure["checks"]:
            return False
        if self.status and not any(_status_matches(s, failure["status"]) for s in self.status):
            return False
        if self.mode and failure["mode"] != self.mode:
            return False
        if self.content_type and failure["content_type"] != self.content_type:
            return False
        if self.body and not self.body.search(failure["body"]):
            return False
        if self.keyword and failure["keyword"] != self.keyword:
            return False
        if self.property and failure["property"] not in self.property:
            return False
        if self.value and not self.value.fullmatch(failure["instance"]):
            return False
        if self.request and not self.request.search(failure["request"]):
            return False
        if self.message and not self.message.search(failure["message"]):
            return False
        return True


def _status_matches(pattern: int | str, status: int) -> bool:
    if isinstance(pattern, int):
        return pattern == status
    return str(status)[0] == pattern[0]


def load(path: Path, operations: dict[str, set[str]] | None = None) -> list[Exclusion]:
    """Every exclusion of the file, checked; with `operations` (the operation ids of each
    API), an unknown operation id is an error too."""
    with open(path, "rb") as f:
        entries = tomllib.load(f).get("exclusion", [])
    loaded = []
    for i, entry in enumerate(entries):
        where = f"{path}: exclusion #{i + 1}"
        exclusion = Exclusion(i + 1, entry, where)
        if operations is not None:
            unknown = set(exclusion.operations) - operations[exclusion.api]
            if unknown:
                raise ValueError(f"{where}: no operation {sorted(unknown)} in the {exclusion.api} run")
        loaded.append(exclusion)
    return loaded


def instance_text(instance: object) -> str:
    """The failing value as matched by `value`: its JSON text."""
    try:
        return json.dumps(instance, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(instance)
