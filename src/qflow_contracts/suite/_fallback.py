"""Minimal stand-ins for the verdict, the reports and the console, used only where
`suite/verdict.py`, `suite/report.py` and `suite/console.py` do not provide them yet (see
`suite/outcome.py`). Same names and signatures; plain text, no styling."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TextIO

from qflow_contracts.exitcodes import ExitCode
from qflow_contracts.suite.evidence import Evidence, RunInfo, Status
from qflow_contracts.suite.rules import Rule
from qflow_contracts.suite.target import Target

CONFORMANT, NOT_CONFORMANT, INCOMPLETE = "CONFORMANT", "NOT CONFORMANT", "INCOMPLETE"
PATCH_RULES = {
    Rule.SPEC_POSITIVE,
    Rule.PATCH_TARGET,
    Rule.PARTIAL_UPDATE,
    Rule.PATCH_ANSWER,
    Rule.ROUND_TRIP,
    Rule.UNKNOWN_AND_LIMITS,
    Rule.FORM_BODIES,
    Rule.LENIENCY,
}


@dataclass(frozen=True)
class Overall:
    """The run's verdict and why."""

    name: str
    reasons: tuple[str, ...] = ()


def asked_rules(target: Target) -> set[Rule]:
    """The rules a run against `target` checks."""
    asked = set(Rule)
    if target.read_only:
        asked -= PATCH_RULES | {Rule.RESTORED}
    if not target.headers:
        asked.discard(Rule.AUTHENTICATION)
    if target.owned:
        asked -= {Rule.ONLY_GIVEN, Rule.RESTORED, Rule.PACED}
    return asked


def _status(evidence: Evidence, info: RunInfo, rule: Rule) -> Status:
    return evidence.status(rule, strict=info.strict)


def overall(evidence: Evidence, info: RunInfo, *, asked: set[Rule]) -> Overall:
    """NOT CONFORMANT on a finding, INCOMPLETE when an asked rule was not exercised or the run
    stopped early, else CONFORMANT."""
    failed = [rule.id for rule in Rule if _status(evidence, info, rule) is Status.FAILED]
    missing = [
        rule.id
        for rule in sorted(asked, key=list(Rule).index)
        if _status(evidence, info, rule) is Status.NOT_EXERCISED
    ]
    if failed:
        return Overall(NOT_CONFORMANT, (f"failed: {', '.join(failed)}",))
    if missing or info.stopped:
        reasons = [f"not exercised: {', '.join(missing)}"] if missing else []
        return Overall(INCOMPLETE, (*reasons, *([f"stopped: {info.stopped}"] if info.stopped else [])))
    return Overall(CONFORMANT, (f"all {len(asked)} rules asked were exercised, and none failed",))


def exit_code(result: Overall, info: RunInfo) -> ExitCode:
    """Restore first, then findings, then an unavailable server, then incompleteness."""
    if not info.restore_ok:
        return ExitCode.RESTORE_INCOMPLETE
    if result.name == NOT_CONFORMANT:
        return ExitCode.NOT_CONFORMANT
    if getattr(info, "unavailable", None):
        return ExitCode.UNAVAILABLE
    if result.name == INCOMPLETE:
        return ExitCode.INCOMPLETE
    return ExitCode.CONFORMANT


def _rows(evidence: Evidence, info: RunInfo, asked: set[Rule]) -> list[tuple[Rule, str, str]]:
    rows = []
    for rule in Rule:
        status = _status(evidence, info, rule).value if rule in asked else "not asked"
        tally = evidence.tallies[rule]
        rows.append((rule, status, f"{tally.checks} checks, {tally.requests} requests"))
    return rows


def render_markdown(evidence: Evidence, info: RunInfo, asked: set[Rule]) -> str:
    """The report as Markdown."""
    result = overall(evidence, info, asked=asked)
    lines = [
        "# QFlow Customers API conformance report",
        "",
        f"- Server: `{info.base_url}`",
        f"- Verdict: **{result.name}**",
        f"- Seed: `{info.seed}`",
        f"- Requests: {evidence.requests}",
        f"- {info.restore}",
        *([f"- Journal: `{info.journal}`"] if info.journal else []),
        *([f"- Stopped: {info.stopped}"] if info.stopped else []),
        "",
        "| rule | clause | verdict | evidence |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| {rule.id} | {rule.title} | {status} | {count} |"
        for rule, status, count in _rows(evidence, info, asked)
    ]
    lines += ["", "## Findings", ""]
    findings = evidence.findings()
    if not findings:
        lines.append("None.")
    for finding in findings:
        lines += [f"### [{finding.rule.id}] {finding.summary}", "", "```", finding.detail.strip(), "```", ""]
        if finding.reproduction:
            lines += ["```sh", finding.reproduction, "```", ""]
    return "\n".join(lines) + "\n"


def render_junit(evidence: Evidence, info: RunInfo, asked: set[Rule]) -> str:
    """One testcase per rule."""
    suite = ET.Element("testsuite", name="QFlow Customers API conformance")
    failures = skipped = 0
    for rule, status, count in _rows(evidence, info, asked):
        case = ET.SubElement(suite, "testcase", classname=f"qflow.{rule.id}", name=f"{rule.id}: {rule.title}")
        if status == Status.FAILED.value:
            failures += 1
            found = evidence.tallies[rule].findings
            failure = ET.SubElement(case, "failure", message="; ".join(f.summary for f in found)[:500])
            failure.text = "\n\n".join(f"{f.summary}\n{f.detail}\n{f.reproduction or ''}" for f in found)
        elif status != Status.PASSED.value:
            skipped += 1
            ET.SubElement(case, "skipped", message=f"{status}: {count}")
    suite.set("tests", str(len(Rule)))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


def render_html(evidence: Evidence, info: RunInfo, asked: set[Rule]) -> str:
    """The Markdown report in a self-contained page."""
    body = html.escape(render_markdown(evidence, info, asked))
    head = "<!doctype html><html><head><meta charset='utf-8'><title>QFlow report</title></head>"
    return f"{head}<body><pre>{body}</pre></body></html>\n"


class Console:
    """Plain lines: the verdict block at the end."""

    def __init__(self, stream: TextIO, *, live: bool) -> None:
        self.stream = stream
        self.live = live

    def attach(self, evidence: Evidence) -> None:
        """Nothing live in the stand-in."""

    def verdict(self, evidence: Evidence, info: RunInfo, asked: set[Rule]) -> None:
        """One line per rule, then the verdict."""
        result = overall(evidence, info, asked=asked)
        print(
            f"QFlow Customers API conformance: {info.base_url} · {evidence.requests} requests",
            file=self.stream,
        )
        for rule, status, count in _rows(evidence, info, asked):
            print(f"  {rule.id:<17} {status:<13} {count}", file=self.stream)
        for finding in evidence.findings():
            print(f"  [{finding.rule.id}] {finding.summary}", file=self.stream)
        print(info.restore, file=self.stream)
        print(f"Verdict: {result.name}", file=self.stream)
        for reason in result.reasons:
            print(f"  - {reason}", file=self.stream)

    def close(self) -> None:
        """Flush."""
        self.stream.flush()
