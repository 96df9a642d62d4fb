"""The run as one self-contained HTML page a vendor can open: no script, no external asset."""

from __future__ import annotations

import re
from html import escape

from qflow_contracts.rules import CONTRACT_DOCUMENT as CONTRACT
from qflow_contracts.rules import Rule
from qflow_contracts.suite.contract import statements
from qflow_contracts.suite.evidence import Finding, Status
from qflow_contracts.suite.facts import run_facts
from qflow_contracts.suite.result import RunResult
from qflow_contracts.suite.text import one_line, printable
from qflow_contracts.suite.verdict import CONFORMANT, NOT_CONFORMANT, RuleVerdict

TITLE = "QFlow Customers API conformance report"

STYLE = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2127;
       max-width: 72rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #d0d7de; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { border: 1px solid #d0d7de; padding: .3rem .6rem; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f8fa; padding: .7rem; overflow-x: auto; white-space: pre-wrap;
      word-break: break-all; font: 13px/1.4 ui-monospace, Menlo, Consolas, monospace; }
.verdict { font-size: 1.3rem; font-weight: bold; padding: .6rem 1rem; border-radius: 6px; }
.CONFORMANT { background: #dafbe1; } .NOT-CONFORMANT { background: #ffebe9; }
.INCOMPLETE { background: #fff8c5; }
.failed { color: #b42318; font-weight: bold; } .passed { color: #1a7f37; }
.leniency, .incomplete { color: #9a6700; } .not-exercised, .not-asked { color: #57606a; }
.finding { border-left: 4px solid #b42318; padding-left: 1rem; margin: 1rem 0; }
.warning { border-left: 4px solid #9a6700; padding-left: 1rem; margin: 1rem 0; }
.accepted-finding { border-left: 4px solid #0e7490; padding-left: 1rem; margin: 1rem 0; }
"""


def _e(text: str) -> str:
    return escape(printable(text), quote=True)


def _prose(text: str) -> str:
    """Contract text: escaped, its `code` spans set as code, its lines kept."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", _e(text)).replace("\n", "<br>")


def _contract(rules: tuple[RuleVerdict, ...]) -> list[str]:
    texts = statements()
    if not texts:
        return []
    parts = ["<h2>The contract, rule by rule</h2>"]
    for verdict in rules:
        rule = verdict.rule
        parts.append(f'<h3 id="contract-{_e(rule.id)}">{_e(rule.id)}: {_e(rule.title)}</h3>')
        parts += [f"<p>{_prose(paragraph)}</p>" for paragraph in texts.get(rule.id, ())]
    parts.append(
        f"<p>The whole contract, with the reasons and the checks: <code>{_e(CONTRACT)}</code> in "
        "qflow-contracts.</p>"
    )
    return parts


def _css(name: str) -> str:
    return name.replace(" ", "-")


def _finding(finding: Finding, kind: str, result: RunResult, accepted: str = "") -> list[str]:
    code = result.mark(finding)
    parts = [
        f'<div class="{kind}">',
        f'<h3><a href="#{_e(finding.rule.id)}">{_e(finding.rule.id)}</a> {_e(code.code)}: '
        f"{_e(one_line(finding.summary))}</h3>",
        f"<p>Signature: <code>{_e(code.signature)}</code></p>",
    ]
    if accepted:
        parts.append(f"<p>{_e(accepted)}</p>")
    if finding.detail.strip():
        parts.append(f"<pre>{_e(finding.detail.rstrip())}</pre>")
    if finding.reproduction:
        parts.append(f"<p>Reproduce with (each line a command):</p><pre>{_e(finding.reproduction)}</pre>")
    parts.append("</div>")
    return parts


def _title_link(rule: Rule) -> str:
    return f"#contract-{_e(rule.id)}" if rule.id in statements() else _e(rule.link)


def _row(verdict: RuleVerdict) -> str:
    rule, status = verdict.rule, verdict.status.value
    found: int | str = len(verdict.findings) + (
        len(verdict.leniencies) if verdict.status is Status.FAILED else 0
    )
    if verdict.accepted:
        found = f"{found} (+{len(verdict.accepted)} accepted)"
    why = f"<br><small>{_e('; '.join(verdict.why))}</small>" if verdict.why else ""
    return (
        f'<tr id="{_e(rule.id)}"><td>{_e(rule.id)}</td>'
        f'<td><a href="{_title_link(rule)}">{_e(rule.title)}</a></td>'
        f'<td class="{_css(status)}">{_e(status)}{why}</td>'
        f'<td class="n">{verdict.checks}</td><td class="n">{_e(verdict.requests_shown)}</td>'
        f'<td class="n">{found}</td><td class="n">{verdict.seconds:.1f}</td></tr>'
    )


def _accepted(result: RunResult) -> list[str]:
    """The findings the baseline accepted, apart from the failures, each with its expiry."""
    if result.baseline is None or not result.accepted:
        return []
    path = _e(result.baseline.path)
    parts = [
        "<h2>Accepted findings</h2>",
        f"<p>Accepted by the baseline {path}: not failures of this run.</p>",
    ]
    for item in result.accepted:
        until = f"Accepted until {item.entry.expires}: {item.entry.reason}"
        parts += _finding(item.finding, "accepted-finding", result, until)
    return parts


def _restore(result: RunResult) -> list[str]:
    info = result.info
    parts = ["<h2>Restore</h2>", f"<p>{_e(info.restore)}</p>"]
    if result.restore:
        parts.append(
            "<table><tr><th>kind</th><th>customer</th><th>property</th><th>why</th><th>what to do</th></tr>"
        )
        for note in result.restore:
            who = "" if note.customer is None else str(note.customer)
            parts.append(
                f"<tr><td>{_e(note.kind)}</td><td>{_e(who)}</td><td>{_e(note.prop)}</td>"
                f"<td>{_e(note.why)}</td><td>{_e(note.todo)}</td></tr>"
            )
        parts.append("</table>")
    if info.journal:
        parts.append(f"<p>Journal: <code>{_e(info.journal)}</code></p>")
    if info.restore_command and not info.restore_ok:
        parts.append(f"<p>Finish the restore with:</p><pre>{_e(info.restore_command)}</pre>")
    return parts


def render_html(result: RunResult) -> str:
    """The report as one HTML page with inline CSS; every text from the run is escaped."""
    info, verdict, rules = result.info, result.overall, result.rules
    css_class = {CONFORMANT: "CONFORMANT", NOT_CONFORMANT: "NOT-CONFORMANT"}.get(verdict.name, "INCOMPLETE")
    page = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(TITLE)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{_e(TITLE)}</h1>",
        f'<p class="verdict {css_class}">Verdict: {_e(result.headline)}</p>',
        "<ul>",
        *(f"<li>{_e(reason)}</li>" for reason in verdict.reasons),
        "</ul><table>",
        *(
            f"<tr><th>{_e(label)}</th><td>{_e(value)}</td></tr>"
            for label, value in run_facts(info, result.requests)
        ),
        "</table>",
        "<h2>Verdict per rule</h2>",
        "<p>Requests: those sent for the rule; <em>all N</em> for a rule every request checks; "
        "<em>shared</em> for a rule whose checks ride on requests sent for other rules.</p><table>",
        "<tr><th>rule</th><th>title</th><th>status</th><th>checks</th><th>requests</th><th>findings</th>"
        "<th>time (s)</th></tr>",
        *(_row(rule_verdict) for rule_verdict in rules),
        "</table>",
        "<h2>Where the requests went</h2><table>",
        "<tr><th>for</th><th>requests</th><th>share</th></tr>",
        *(
            f'<tr><td>{_e(what)}</td><td class="n">{count}</td><td class="n">{share:.0f} %</td></tr>'
            for what, count, share in result.spent
        ),
        "</table>",
        "<h2>Findings</h2>",
    ]
    findings, leniencies = result.findings, result.leniencies
    shown = [part for finding in findings for part in _finding(finding, "finding", result)]
    page += shown or ["<p>None.</p>"]
    page += _accepted(result)
    if leniencies:
        counts = "failures: this run is strict" if info.strict else "warnings, not failures"
        page += ["<h2>Leniency</h2>", f"<p>What the server converted instead of refusing ({counts}).</p>"]
        page += [part for finding in leniencies for part in _finding(finding, "warning", result)]
    if result.warnings:
        page += ["<h2>Warnings</h2>", "<ul>", *(f"<li>{_e(w)}</li>" for w in result.warnings), "</ul>"]
    page += _restore(result)
    page += _contract(rules)
    page.append("</body></html>")
    return "\n".join(page) + "\n"
