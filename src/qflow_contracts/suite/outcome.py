"""The end of a run: the verdict, the reports and the console block, from the evidence ledger.

The verdict, report and console functions live in `suite/verdict.py`, `suite/report.py`,
`suite/console.py` and `rules.asked_rules`; where a module does not provide one, the minimal
stand-in of `suite/_fallback.py` is used under the same name.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, TextIO

from qflow_contracts.exitcodes import ExitCode
from qflow_contracts.suite import _fallback
from qflow_contracts.suite.evidence import Evidence, RunInfo
from qflow_contracts.suite.rules import Rule
from qflow_contracts.suite.target import Target


def _provided(module: str, name: str) -> Any:
    try:
        found = getattr(importlib.import_module(f"qflow_contracts.suite.{module}"), name, None)
    except ImportError:
        found = None
    return found if found is not None else getattr(_fallback, name)


def asked(target: Target) -> set[Rule]:
    """The rules this run is asked to check."""
    result: set[Rule] = _provided("rules", "asked_rules")(target)
    return result


def verdict_code(evidence: Evidence, info: RunInfo, rules: set[Rule]) -> ExitCode:
    """The exit code the evidence asks for (a signal is the runner's business)."""
    result = _provided("verdict", "overall")(evidence, info, asked=rules)
    return ExitCode(_provided("verdict", "exit_code")(result, info))


def console(stream: TextIO, *, live: bool) -> Any:
    """The console that follows the ledger and prints the verdict block."""
    return _provided("console", "Console")(stream, live=live)


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
    for path, name in ((markdown, "render_markdown"), (junit, "render_junit"), (html, "render_html")):
        if path is None:
            continue
        text = _provided("report", name)(evidence, info, rules)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(target.mask(text), encoding="utf-8")
