"""The run as JSON Lines in pytest-reportlog's shape, for machines (CI, dashboards, the bench).

One JSON object per line, each with its `$report_type`:

- `SessionStart`: the versions (project, spec and its sha256, Python, pytest, Schemathesis,
  Hypothesis), the target, the command line (masked) and every setting;
- `TestReport`, one per rule: `nodeid` `qflow::<rule id>`, `outcome` (passed, failed, skipped),
  `when` "call", `duration` (the time spent on the rule), `longrepr` (its findings as text), and
  the rule's `status`, checks, requests, findings and leniencies, each finding with its masked
  reproduction, code (`QF101`...) and signature, and the findings the baseline accepted, each
  with its reason and expiry;
- `SessionFinish`: `exitstatus`, the verdict and its reasons, the warnings, the restore with every
  record it left not as found, where the requests went, and what the `--baseline` file did (the
  signatures it accepted, its expired entries, the fixed ones to remove), or null without one.

The schema every file follows is `report.schema.json` beside this module (`SCHEMA`).
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
from pathlib import Path
from typing import Any

from qflow_contracts.suite.baseline import Entry
from qflow_contracts.suite.evidence import Finding, Status
from qflow_contracts.suite.result import Accepted, BaselineOutcome, RunResult
from qflow_contracts.suite.verdict import RuleVerdict

SCHEMA = Path(__file__).with_name("report.schema.json")
"""The JSON Schema of one line of the file."""

OUTCOMES = {
    Status.PASSED: "passed",
    Status.LENIENT: "passed",
    Status.ACCEPTED: "passed",
    Status.FAILED: "failed",
    Status.INCOMPLETE: "failed",
    Status.NOT_EXERCISED: "skipped",
    Status.NOT_ASKED: "skipped",
}
"""A rule's status as a pytest outcome (a report reader that knows only pytest's three)."""


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _finding(finding: Finding, result: RunResult) -> dict[str, Any]:
    found = result.mark(finding)
    return {
        "rule": finding.rule.id,
        "code": found.code,
        "signature": found.signature,
        "key": finding.key,
        "summary": finding.summary,
        "detail": finding.detail,
        "reproduction": finding.reproduction,
    }


def _accepted(item: Accepted, result: RunResult) -> dict[str, Any]:
    entry = item.entry
    return {**_finding(item.finding, result), "reason": entry.reason, "expires": entry.expires.isoformat()}


def _entry(entry: Entry) -> dict[str, Any]:
    return {"signature": entry.signature, "reason": entry.reason, "expires": entry.expires.isoformat()}


def _baseline(outcome: BaselineOutcome | None) -> dict[str, Any] | None:
    if outcome is None:
        return None
    return {
        "path": outcome.path,
        "today": outcome.today.isoformat(),
        "accepted": sorted({a.entry.signature for a in outcome.accepted}),
        "expired": [_entry(entry) for entry in dict.fromkeys(a.entry for a in outcome.expired)],
        "fixed": [_entry(entry) for entry in outcome.fixed],
        "unchecked": [_entry(entry) for entry in outcome.unchecked],
    }


def _rule(verdict: RuleVerdict, result: RunResult) -> dict[str, Any]:
    rule = verdict.rule
    failing = verdict.findings if verdict.findings else ()
    longrepr = (
        "\n".join(f"[{f.rule.id}] {result.mark(f).code} {f.summary}" for f in failing)
        or "\n".join(verdict.unproven)
        or None
    )
    return {
        "$report_type": "TestReport",
        "nodeid": f"qflow::{rule.id}",
        "location": ["spec/CONTRACT.md", 0, rule.id],
        "keywords": {rule.id: 1, "qflow": 1},
        "outcome": OUTCOMES[verdict.status],
        "longrepr": longrepr,
        "when": "call",
        "user_properties": [["status", verdict.status.value], ["checks", verdict.checks]],
        "sections": [],
        "duration": round(verdict.seconds, 3),
        "rule": rule.id,
        "title": rule.title,
        "status": verdict.status.value,
        "asked": verdict.asked,
        "checks": verdict.checks,
        "requests": verdict.requests,
        "requests_shown": verdict.requests_shown,
        "why": list(verdict.why),
        "unproven": list(verdict.unproven),
        "findings": [_finding(f, result) for f in verdict.findings],
        "leniencies": [_finding(f, result) for f in verdict.leniencies],
        "accepted": [_accepted(a, result) for a in result.accepted if a.finding.rule is rule],
    }


def lines(result: RunResult) -> list[dict[str, Any]]:
    """The file's objects, in order."""
    info = result.info
    start = {
        "$report_type": "SessionStart",
        "pytest_version": _version("pytest"),
        "versions": {
            "qflow-contracts": info.project_version or "unknown",
            "spec": info.spec_version or "unknown",
            "spec_sha256": info.spec_digest,
            "python": platform.python_version(),
            "pytest": _version("pytest"),
            "schemathesis": _version("schemathesis"),
            "hypothesis": _version("hypothesis"),
        },
        "started": info.started,
        "target": {
            "base_url": info.base_url,
            "owned": info.owned,
            "read_only": info.read_only,
            "strict": info.strict,
            "customer_ids": list(info.customer_ids),
            "witness_ids": list(info.witness_ids),
        },
        "command": info.command,
        "settings": dict(info.settings),
        "seed": info.seed,
    }
    return [start, *(_rule(verdict, result) for verdict in result.rules), _finish(result)]


def _finish(result: RunResult) -> dict[str, Any]:
    """The SessionFinish line: the verdict, the restore, where the requests went, the baseline."""
    info = result.info
    return {
        "$report_type": "SessionFinish",
        "exitstatus": int(result.exit_code),
        "verdict": result.overall.name,
        "headline": result.headline,
        "reasons": list(result.overall.reasons),
        "failed_rules": list(result.failed_rules),
        "requests": result.requests,
        "duration": round(info.duration, 3),
        "spent": [
            {"for": what, "requests": count, "share": round(share, 1)} for what, count, share in result.spent
        ],
        "warnings": list(result.warnings),
        "restore": {
            "summary": info.restore,
            "ok": info.restore_ok,
            "journal": info.journal,
            "command": info.restore_command or None,
            "notes": [
                {"kind": n.kind, "customer": n.customer, "property": n.prop, "why": n.why, "todo": n.todo}
                for n in result.restore
            ],
        },
        "baseline": _baseline(result.baseline),
    }


LINE_BREAKS = {"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}
"""Characters some readers take for the end of a line (Python's `str.splitlines`, JavaScript's
older parsers) that JSON leaves raw in a string: a server's record can hold them."""


def _line(value: Any) -> str:
    """One JSON line, the characters of `LINE_BREAKS` escaped (they only ever stand in strings)."""
    text = json.dumps(value, ensure_ascii=False)
    for char, escaped in LINE_BREAKS.items():
        text = text.replace(char, escaped)
    return text + "\n"


def render_json(result: RunResult) -> str:
    """The run as JSON Lines (one object a line, whatever reader splits them)."""
    return "".join(_line(line) for line in lines(result))
