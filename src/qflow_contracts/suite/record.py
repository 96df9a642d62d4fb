"""The previous report, built from pytest's failures by test (`RunRecord`, `render`): the plugin's
until it reads the evidence ledger; `report.render_markdown` replaces it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qflow_contracts.suite.rules import RULES

RULE_TAG = re.compile(r"\[((?:rule|spec)-[a-z0-9-]+)\]")
# Schemathesis' failure titles, and the spec clause or NOTES rule each one breaks
TITLES = (
    ("Server error", "rule-8"),
    ("Undocumented HTTP status", "spec-status"),
    ("Undocumented Content-Type", "spec-content-type"),
    ("Malformed media type", "spec-content-type"),
    ("Response violates schema", "spec-schema"),
    ("JSON deserialization error", "spec-schema"),
    ("accepted schema-violating request", "spec-negative"),
    ("rejected schema-compliant request", "spec-positive"),
    ("Missing Content-Type", "spec-content-type"),
)


@dataclass
class Failure:
    """One failed test: the rules it names and its message (already redacted)."""

    test: str
    rules: list[str]
    message: str


@dataclass
class RunRecord:
    """What a run found, gathered while pytest runs."""

    base_url: str = ""
    seed: int | None = None
    passed: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    restore: str = "restore: not run"
    restore_ok: bool = True

    def add_failure(self, test: str, text: str) -> None:
        rules = sorted(set(RULE_TAG.findall(text)))
        rules = rules or sorted({rule for title, rule in TITLES if title.lower() in text.lower()})
        rules = rules or ["unclassified"]
        self.failures.append(Failure(test, rules, text))

    def failed_rules(self) -> set[str]:
        return {rule for failure in self.failures for rule in failure.rules}


def render(record: RunRecord) -> str:
    """The report as Markdown."""
    conformant = not record.failures and record.restore_ok
    lines = [
        "# QFlow Customers API conformance report",
        "",
        f"- Server: `{record.base_url}`",
        f"- Verdict: **{'conformant' if conformant else 'NOT conformant'}**",
        f"- Seed: `{record.seed}` (rerun with `--seed {record.seed}`)" if record.seed is not None else "",
        f"- {record.restore}",
        "",
        "## Verdict per rule",
        "",
        "| rule | clause | verdict |",
        "| --- | --- | --- |",
    ]
    failed = record.failed_rules()
    for rule in RULES.values():
        lines.append(f"| {rule.id} | {rule.title} | {'FAIL' if rule.id in failed else 'pass'} |")
    if "unclassified" in failed:
        lines.append("| unclassified | a failure that names no rule | FAIL |")
    lines += ["", "## Failures", ""]
    if not record.failures:
        lines.append("None.")
    for failure in record.failures:
        lines += [
            f"### {failure.test} ({', '.join(failure.rules)})",
            "",
            "```",
            failure.message.strip(),
            "```",
            "",
        ]
    return "\n".join(line for line in lines if line is not None) + "\n"
