"""The run's reports: Markdown (here), JUnit XML and self-contained HTML, all from the evidence
ledger. Each says the verdict per rule with its evidence, every finding with its reproduction, the
leniency warnings, what was not exercised and why, and the restore's verdict."""

from __future__ import annotations

from qflow_contracts.suite.evidence import Evidence, Finding, RunInfo, Status
from qflow_contracts.suite.facts import project_version as project_version
from qflow_contracts.suite.facts import run_facts
from qflow_contracts.suite.facts import spec_facts as spec_facts
from qflow_contracts.suite.html_report import render_html as render_html
from qflow_contracts.suite.junit import render_junit as render_junit
from qflow_contracts.suite.rules import Rule
from qflow_contracts.suite.text import fence, markdown
from qflow_contracts.suite.verdict import RuleVerdict, overall, verdicts

TITLE = "QFlow Customers API conformance report"


def _count(verdict: RuleVerdict) -> str:
    return str(len(verdict.findings) + (len(verdict.leniencies) if verdict.status is Status.FAILED else 0))


def _status(verdict: RuleVerdict) -> str:
    return f"**{verdict.status.value.upper()}**" if verdict.status is Status.FAILED else verdict.status.value


def _finding(finding: Finding, heading: str) -> list[str]:
    lines = [f"{heading} {finding.rule.id}: {markdown(finding.summary)}", ""]
    lines += [f"[{markdown(finding.rule.title)}]({finding.rule.link})", ""]
    if finding.detail.strip():
        lines += [fence(finding.detail), ""]
    if finding.reproduction:
        lines += ["Reproduce with:", "", fence(finding.reproduction, "sh"), ""]
    return lines


def render_markdown(evidence: Evidence, info: RunInfo, asked: set[Rule]) -> str:
    """The report as Markdown."""
    verdict = overall(evidence, info, asked=asked)
    rules = verdicts(evidence, info, asked)
    lines = [f"# {TITLE}", "", f"**Verdict: {verdict.name}**", ""]
    lines += [f"- {markdown(reason)}" for reason in verdict.reasons]
    lines += ["", "| | |", "| --- | --- |"]
    lines += [f"| {label} | {markdown(value)} |" for label, value in run_facts(evidence, info)]
    lines += ["", "## Verdict per rule", ""]
    lines += [
        "| rule | title | status | checks | requests | findings |",
        "| --- | --- | --- | ---: | ---: | ---: |",
    ]
    for rule_verdict in rules:
        rule = rule_verdict.rule
        lines.append(
            f"| {rule.id} | [{markdown(rule.title)}]({rule.link}) | {_status(rule_verdict)} "
            f"| {rule_verdict.checks} | {rule_verdict.requests} | {_count(rule_verdict)} |"
        )
    lines += ["", "## Where the requests went", "", "| for | requests | share |", "| --- | ---: | ---: |"]
    for what, count, share in evidence.where_spent():
        lines.append(f"| {markdown(what)} | {count} | {share:.0f} % |")
    findings = [finding for rule_verdict in rules for finding in rule_verdict.findings]
    lines += ["", "## Findings", ""]
    if not findings:
        lines += ["None.", ""]
    for finding in findings:
        lines += _finding(finding, "###")
    leniencies = [finding for rule_verdict in rules for finding in rule_verdict.leniencies]
    if leniencies:
        counts = "failures: this run is strict" if info.strict else "warnings, not failures"
        lines += ["## Leniency", "", f"What the server converted instead of refusing ({counts}).", ""]
        for finding in leniencies:
            lines += _finding(finding, "###")
    unchecked = [rule_verdict for rule_verdict in rules if rule_verdict.why]
    if unchecked:
        lines += ["## Not exercised, not asked, not fully checked", ""]
        for rule_verdict in unchecked:
            why = "; ".join(markdown(reason) for reason in rule_verdict.why)
            lines.append(f"- {rule_verdict.rule.id} ({rule_verdict.status.value}): {why}")
        lines.append("")
    if info.throttled:
        lines += ["## Throttling", "", f"rule-15: {markdown(info.throttled)}", ""]
    lines += ["## Restore", "", markdown(info.restore), ""]
    if info.journal:
        lines += [f"Journal: {markdown(info.journal)}", ""]
    return "\n".join(lines)
