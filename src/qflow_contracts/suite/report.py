"""The run's Markdown report, from its `RunResult` (JUnit in `junit.py`, HTML in `html_report.py`,
JSON in `json_report.py`). It says the verdict per rule with its evidence, every finding with its
reproduction, the leniency warnings, what was not exercised and why, every record the restore
left not as found, the command line and settings that replay the run, and the contract's text of
each rule, so the report stands on its own outside the checkout."""

from __future__ import annotations

from qflow_contracts.rules import Rule
from qflow_contracts.suite.contract import statements
from qflow_contracts.suite.evidence import Finding, Status
from qflow_contracts.suite.facts import run_facts
from qflow_contracts.suite.html_report import render_html as render_html
from qflow_contracts.suite.junit import render_junit as render_junit
from qflow_contracts.suite.result import RunResult
from qflow_contracts.suite.text import fence, markdown
from qflow_contracts.suite.verdict import RuleVerdict

TITLE = "QFlow Customers API conformance report"


def rule_link(rule: Rule) -> str:
    """Where a report's mention of `rule` leads: the rule's text in the report itself, or the
    contract document when its text is not installed."""
    return f"#contract-{rule.id}" if rule.id in statements() else rule.link


def _count(verdict: RuleVerdict) -> str:
    found = len(verdict.findings) + (len(verdict.leniencies) if verdict.status is Status.FAILED else 0)
    return f"{found} (+{len(verdict.accepted)} accepted)" if verdict.accepted else str(found)


def _status(verdict: RuleVerdict) -> str:
    return f"**{verdict.status.value.upper()}**" if verdict.status is Status.FAILED else verdict.status.value


def _finding(finding: Finding, heading: str, result: RunResult, accepted: str = "") -> list[str]:
    code = result.mark(finding)
    lines = [f"{heading} {finding.rule.id} {code.code}: {markdown(finding.summary)}", ""]
    lines += [f"Signature: `{code.signature}`", ""]
    if accepted:
        lines += [markdown(accepted), ""]
    lines += [f"[{markdown(finding.rule.title)}]({rule_link(finding.rule)})", ""]
    if finding.detail.strip():
        lines += [fence(finding.detail), ""]
    if finding.reproduction:
        lines += ["Reproduce with (each line a command; paste into a shell):", ""]
        lines += [fence(finding.reproduction, "sh"), ""]
    return lines


def _accepted(result: RunResult) -> list[str]:
    """The findings the baseline accepted, apart from the failures, each with its expiry."""
    if result.baseline is None or not result.accepted:
        return []
    path = markdown(result.baseline.path)
    lines = ["## Accepted findings", "", f"Accepted by the baseline {path}: not failures of this run.", ""]
    for item in result.accepted:
        lines += _finding(
            item.finding, "###", result, f"Accepted until {item.entry.expires}: {item.entry.reason}"
        )
    return lines


def _restore(result: RunResult) -> list[str]:
    info = result.info
    lines = ["## Restore", "", markdown(info.restore), ""]
    for note in result.restore:
        who = f"customer {note.customer}" if note.customer is not None else "the run"
        what = f"{who}, {note.prop}" if note.prop else who
        lines.append(
            f"- **{note.kind}**: {markdown(what)}: {markdown(note.why)}. What to do: {markdown(note.todo)}"
        )
    if result.restore:
        lines.append("")
    if info.journal:
        lines += [f"Journal: {markdown(info.journal)}", ""]
    if info.restore_command and not info.restore_ok:
        lines += ["Finish the restore with:", "", fence(info.restore_command, "sh"), ""]
    return lines


def _contract(result: RunResult) -> list[str]:
    texts = statements()
    if not texts:
        return []
    lines = ["## The contract, rule by rule", ""]
    for verdict in result.rules:
        rule = verdict.rule
        lines += [f'<a id="contract-{rule.id}"></a>', f"### {rule.id}: {markdown(rule.title)}", ""]
        lines += [
            paragraph.replace("\n", "  \n") for part in texts.get(rule.id, ()) for paragraph in (part, "")
        ]
    document = Rule.DOB.link.split("#")[0]
    lines += [f"The whole contract, with its reasons and checks: `{document}` in qflow-contracts.", ""]
    return lines


def render_markdown(result: RunResult) -> str:
    """The report as Markdown."""
    info = result.info
    lines = [f"# {TITLE}", "", f"**Verdict: {result.headline}**", ""]
    lines += [f"- {markdown(reason)}" for reason in result.overall.reasons]
    lines += ["", "| | |", "| --- | --- |"]
    lines += [f"| {label} | {markdown(value)} |" for label, value in run_facts(info, result.requests)]
    lines += ["", "## Verdict per rule", ""]
    lines += [
        "Requests: those sent for the rule; `all N` for a rule every request checks; `shared` for a rule "
        "whose checks ride on requests sent for other rules (a request can check several rules).",
        "",
        "| rule | title | status | checks | requests | findings | time (s) |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for verdict in result.rules:
        rule = verdict.rule
        lines.append(
            f"| {rule.id} | [{markdown(rule.title)}]({rule_link(rule)}) | {_status(verdict)} "
            f"| {verdict.checks} | {verdict.requests_shown} | {_count(verdict)} | {verdict.seconds:.1f} |"
        )
    lines += ["", "## Where the requests went", "", "| for | requests | share |", "| --- | ---: | ---: |"]
    for what, count, share in result.spent:
        lines.append(f"| {markdown(what)} | {count} | {share:.0f} % |")
    lines += ["", "## Findings", ""]
    if not result.findings:
        lines += ["None.", ""]
    for finding in result.findings:
        lines += _finding(finding, "###", result)
    lines += _accepted(result)
    if result.leniencies:
        counts = "failures: this run is strict" if info.strict else "warnings, not failures"
        lines += ["## Leniency", "", f"What the server converted instead of refusing ({counts}).", ""]
        for finding in result.leniencies:
            lines += _finding(finding, "###", result)
    if result.warnings:
        lines += ["## Warnings", ""] + [f"- {markdown(warning)}" for warning in result.warnings] + [""]
    unchecked = [verdict for verdict in result.rules if verdict.why]
    if unchecked:
        lines += ["## Not exercised, not asked, not fully checked", ""]
        for verdict in unchecked:
            why = "; ".join(markdown(reason) for reason in verdict.why)
            lines.append(f"- {verdict.rule.id} ({verdict.status.value}): {why}")
        lines.append("")
    if info.throttled:
        lines += ["## Throttling", "", f"rule-15: {markdown(info.throttled)}", ""]
    lines += _restore(result)
    lines += _contract(result)
    return "\n".join(lines)
