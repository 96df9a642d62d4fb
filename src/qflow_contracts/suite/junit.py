"""The run as JUnit XML, one testcase per rule, for CI tools."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from qflow_contracts.suite.evidence import Evidence, Finding, RunInfo, Status
from qflow_contracts.suite.facts import DISTRIBUTION
from qflow_contracts.suite.rules import Rule
from qflow_contracts.suite.text import one_line, printable
from qflow_contracts.suite.verdict import RuleVerdict, overall, verdicts

SUITE = "QFlow Customers API conformance"
MESSAGE_LIMIT = 500


def _text(finding: Finding) -> str:
    parts = [f"[{finding.rule.id}] {finding.summary}"]
    if finding.detail.strip():
        parts.append(finding.detail.rstrip())
    if finding.reproduction:
        parts.append(f"Reproduce with:\n  {finding.reproduction}")
    return printable("\n".join(parts))


def _message(findings: tuple[Finding, ...]) -> str:
    summaries = "; ".join(one_line(finding.summary) for finding in findings)
    text = f"{len(findings)} finding(s): {summaries}"
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def _testcase(parent: ET.Element, verdict: RuleVerdict, strict: bool) -> None:
    rule = verdict.rule
    case = ET.SubElement(
        parent,
        "testcase",
        classname=f"qflow.{rule.id}",
        name=printable(f"{rule.id}: {rule.title}"),
        time="0",
    )
    properties = ET.SubElement(case, "properties")
    for name, value in (
        ("status", verdict.status.value),
        ("checks", str(verdict.checks)),
        ("requests", str(verdict.requests)),
        ("contract", rule.link),
        ("leniencies", str(len(verdict.leniencies))),
    ):
        ET.SubElement(properties, "property", name=name, value=value)
    if verdict.status is Status.FAILED:
        failing = verdict.findings + (verdict.leniencies if strict else ())
        failure = ET.SubElement(case, "failure", message=_message(failing), type="contract")
        failure.text = "\n\n".join(_text(finding) for finding in failing)
    elif verdict.status in (Status.NOT_EXERCISED, Status.NOT_ASKED):
        ET.SubElement(case, "skipped", message=one_line(f"{verdict.status.value}: {'; '.join(verdict.why)}"))
    out = []
    if verdict.leniencies and not strict:
        out.append("Leniency warnings (contract rule 14):\n\n")
        out.append("\n\n".join(_text(finding) for finding in verdict.leniencies))
    if verdict.why and verdict.status is Status.PASSED:
        out.append("Not fully checked: " + "; ".join(verdict.why))
    if out:
        ET.SubElement(case, "system-out").text = printable("\n".join(out))


def render_junit(evidence: Evidence, info: RunInfo, asked: set[Rule]) -> str:
    """The run as JUnit XML: a testcase per rule, failed with its findings, skipped when not
    exercised or not asked; leniency warnings in the testcase's output."""
    rules = verdicts(evidence, info, asked)
    verdict = overall(evidence, info, asked=asked)
    failures = sum(rule_verdict.status is Status.FAILED for rule_verdict in rules)
    skipped = sum(rule_verdict.status in (Status.NOT_EXERCISED, Status.NOT_ASKED) for rule_verdict in rules)
    counts = {
        "tests": str(len(rules)),
        "failures": str(failures),
        "errors": "0",
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
        ("reasons", "; ".join(verdict.reasons)),
        ("base_url", info.base_url),
        ("seed", "" if info.seed is None else str(info.seed)),
        ("requests", str(evidence.requests)),
        ("project_version", info.project_version),
        ("spec_version", info.spec_version),
        ("spec_sha256", info.spec_digest),
        ("restore", info.restore),
    ):
        ET.SubElement(properties, "property", name=name, value=one_line(value))
    for rule_verdict in rules:
        _testcase(suite, rule_verdict, info.strict)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
