"""The end of a run: the verdict, the reports and the console block, from the evidence ledger."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from qflow_contracts.exitcodes import ExitCode
from qflow_contracts.suite import verdict
from qflow_contracts.suite.console import Console
from qflow_contracts.suite.evidence import Evidence, RunInfo
from qflow_contracts.suite.report import render_html, render_junit, render_markdown
from qflow_contracts.suite.rules import Rule, asked_rules
from qflow_contracts.suite.target import Target


def asked(target: Target) -> set[Rule]:
    """The rules this run is asked to check."""
    return asked_rules(target)


def verdict_code(evidence: Evidence, info: RunInfo, rules: set[Rule]) -> ExitCode:
    """The exit code the evidence asks for (a signal is the runner's business)."""
    return verdict.exit_code(verdict.overall(evidence, info, asked=rules), info)


def console(stream: TextIO, *, live: bool) -> Console:
    """The console that follows the ledger and prints the verdict block."""
    return Console(stream, live=live)


def write_reports(
    evidence: Evidence,
    info: RunInfo,
    rules: set[Rule],
    target: Target,
    *,
    markdown: Path | None,
    junit: Path | None,
    html: Path | None,
) -> None:
    """Write the asked reports, masked once more at write time (contract rule 12)."""
    for path, render in ((markdown, render_markdown), (junit, render_junit), (html, render_html)):
        if path is None:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(target.mask(render(evidence, info, rules)), encoding="utf-8")
