"""The end of a run, for `qflow-contracts run` and plain `pytest contracts` alike: restore, judge
once (`judge`), write every report from that one result, print the verdict block last, and say
the exit code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from qflow_contracts.config import Settings
from qflow_contracts.exitcodes import ExitCode
from qflow_contracts.rules import Rule
from qflow_contracts.suite.console import Console
from qflow_contracts.suite.errors import Unavailable
from qflow_contracts.suite.json_report import render_json
from qflow_contracts.suite.lifecycle import Run, finish, signal_code
from qflow_contracts.suite.report import render_html, render_junit, render_markdown
from qflow_contracts.suite.result import RunResult, judge
from qflow_contracts.suite.target import Target, asked_rules


class ReportError(Exception):
    """A report that could not be written after the verdict: one line, exit 2."""


def console(stream: TextIO, *, live: bool, owns_stream: bool = False) -> Console:
    """The console that follows the ledger and prints the verdict block."""
    return Console(stream, live=live, owns_stream=owns_stream)


def write_reports(result: RunResult, target: Target, settings: Settings) -> None:
    """Write the asked reports from the one result, masked once more at write time (contract
    rule 12). A path that cannot be written is a ReportError naming its flag."""
    writers = (
        ("--report", settings.report, render_markdown),
        ("--junit-xml", settings.junit_xml, render_junit),
        ("--html", settings.html, render_html),
        ("--json", settings.json, render_json),
    )
    for flag, path, render in writers:
        if path is None:
            continue
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(target.mask(render(result)), encoding="utf-8")
        except OSError as error:
            raise ReportError(f"{flag} {path}: cannot write it ({error.strerror or error})") from None


def _stopped_early(run: Run, rules: set[Rule]) -> None:
    unfinished = [rule for rule in Rule if rule in rules and not run.evidence.tallies[rule].checks]
    for rule in unfinished:
        run.evidence.not_exercised(rule, f"the run stopped early: {run.info.stopped}")
    if unfinished:
        run.say(
            f"qflow-contracts: stopped ({run.info.stopped}); rules not finished: "
            + ", ".join(rule.id for rule in unfinished)
        )


def conclude(run: Run, settings: Settings | None, shown: Console | None) -> ExitCode:
    """Restore, judge, write the reports, then the verdict block (the last thing printed) and the
    exit code (a signal's when the restore held; 2 when a report could not be written)."""
    finish(run)
    rules = asked_rules(run.target)
    if run.info.stopped:
        _stopped_early(run, rules)
    result = judge(run.evidence, run.info, rules, restore=run.notes, baseline=run.baseline)
    failure: ReportError | None = None
    if settings is not None:
        try:
            write_reports(result, run.target, settings)
        except ReportError as error:
            failure = error
    if shown is None:
        shown = console(sys.stdout, live=False)
    shown.verdict(result)
    shown.close()
    if failure is not None:
        print(run.target.mask(f"qflow-contracts: {failure}"), file=sys.stderr, flush=True)
        return ExitCode.USAGE
    code = result.exit_code
    if isinstance(run.transport.stopped, Unavailable) and code in (ExitCode.CONFORMANT, ExitCode.INCOMPLETE):
        code = ExitCode.UNAVAILABLE  # a timeout is the server's availability, not the contract
    signalled = signal_code(run)
    if signalled is not None and code != ExitCode.RESTORE_INCOMPLETE:
        return signalled
    return code
