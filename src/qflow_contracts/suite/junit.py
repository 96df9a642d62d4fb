"""The run as JUnit XML, one testcase per rule, for CI tools."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from qflow_contracts.suite.evidence import Finding, Status
from qflow_contracts.suite.facts import DISTRIBUTION
from qflow_contracts.suite.result import RunResult
from qflow_contracts.suite.text import one_line, printable
from qflow_contracts.suite.verdict import RuleVerdict

SUITE = "QFlow Customers API conformance"
MESSAGE_LIMIT = 500


def _text(finding: Finding, result: RunResult) -> str:
    parts = [f"[{finding.rule.id}] {result.mark(finding).code} {finding.summary}"]
    if finding.detail.strip():
        parts.append(finding.detail.rstrip())
    if finding.reproduction:
        parts.append(f"Reproduce with:\n  {finding.reproduction}")
    return printable("\n".join(parts))


def _message(findings: tuple[Finding, ...], result: RunResult) -> str:
    summaries = "; ".join(f"{result.mark(f).code} {one_line(f.summary)}" for f in findings)
    text = f"{len(findings)} finding(s): {summaries}"
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def _accepted(verdict: RuleVerdict, result: RunResult) -> list[str]:
    """The rule's findings the baseline accepted, for the testcase's output."""
    accepted = [item for item in result.accepted if item.finding.rule is verdict.rule]
    if not accepted:
        return []
    texts = (
        f"{_text(item.finding, result)}\nAccepted until {item.entry.expires}: {item.entry.reason}"
        for item in accepted
    )
    return ["Accepted by the baseline (not failures):\n\n", "\n\n".join(texts)]


def _testcase(parent: ET.Element, verdict: RuleVerdict, result: RunResult) -> None:
    strict, restore = result.info.strict, result.restore
    rule = verdict.rule
    case = ET.SubElement(
        parent,
        "testcase",
        classname=f"qflow.{rule.id}",
        name=printable(f"{rule.id}: {rule.title}"),
        time=f"{verdict.seconds:.3f}",
    )
    properties = ET.SubElement(case, "properties")
    for name, value in (
        ("status", verdict.status.value),
        ("checks", str(verdict.checks)),
        ("requests", verdict.requests_shown),
        ("contract", rule.link),
        ("leniencies", str(len(verdict.leniencies))),
        ("accepted", str(len(verdict.accepted))),
    ):
        ET.SubElement(properties, "property", name=name, value=value)
    if verdict.status is Status.FAILED:
        failing = verdict.findings + (verdict.leniencies if strict else ())
        failure = ET.SubElement(case, "failure", message=_message(failing, result), type="contract")
        failure.text = "\n\n".join(_text(finding, result) for finding in failing)
    elif verdict.status is Status.INCOMPLETE:
        notes = [note.line() for note in restore] or list(verdict.unproven)
        error = ET.SubElement(
            case,
            "error",
            message=one_line(f"not proven: {len(notes)} record(s) not as found"),
            type="restore",
        )
        error.text = printable("\n".join(notes))
    elif verdict.status in (Status.NOT_EXERCISED, Status.NOT_ASKED):
        ET.SubElement(case, "skipped", message=one_line(f"{verdict.status.value}: {'; '.join(verdict.why)}"))
    out = _accepted(verdict, result)
    if verdict.leniencies and not strict:
        out.append("Leniency warnings (contract rule 14):\n\n")
        out.append("\n\n".join(_text(finding, result) for finding in verdict.leniencies))
    if verdict.why and verdict.status in (Status.PASSED, Status.ACCEPTED):
        out.append("Not fully checked: " + "; ".join(verdict.why))
    if out:
        ET.SubElement(case, "system-out").text = printable("\n".join(out))


def render_junit(result: RunResult) -> str:
    """The run as JUnit XML: a testcase per rule, failed with its findings, an error when the
    restore left records not as found (each named), skipped when not exercised or not asked;
    leniency warnings in the testcase's output; each testcase's time the time spent on its rule."""
    info, verdict, rules = result.info, result.overall, result.rules
    failures = sum(rule_verdict.status is Status.FAILED for rule_verdict in rules)
    errors = sum(rule_verdict.status is Status.INCOMPLETE for rule_verdict in rules)
    skipped = sum(rule_verdict.status in (Status.NOT_EXERCISED, Status.NOT_ASKED) for rule_verdict in rules)
    counts = {
        "tests": str(len(rules)),
        "failures": str(failures),
        "errors": str(errors),
        "skipped": str(skipped),
        "time": f"{info.duration:.3f}",
    }
    root = ET.Element("testsuites", {"name": DISTRIBUTION, **counts})
    suite = ET.SubElement(root, "testsuite", {"name": SUITE, **counts})
    if info.started:
        suite.set("timestamp", printable(info.started))
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("verdict", verdict.name),
        ("headline", result.headline),
        ("accepted", str(len(result.accepted))),
        ("reasons", "; ".join(verdict.reasons)),
        ("base_url", info.base_url),
        ("seed", "" if info.seed is None else str(info.seed)),
        ("requests", str(result.requests)),
        ("command", info.command),
        *((f"setting.{name}", value) for name, value in info.settings.items()),
        ("project_version", info.project_version),
        ("spec_version", info.spec_version),
        ("spec_sha256", info.spec_digest),
        ("restore", info.restore),
        *(("restore_note", note.line()) for note in result.restore),
        *([("restore_command", info.restore_command)] if info.restore_command else []),
    ):
        ET.SubElement(properties, "property", name=name, value=one_line(value))
    for rule_verdict in rules:
        _testcase(suite, rule_verdict, result)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
