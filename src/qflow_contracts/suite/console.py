"""What a person sees while the suite runs: progress from the evidence ledger (a live line on a
terminal, a few plain lines otherwise), then the verdict block.

Everything printed comes from the ledger or the run's facts, whose text is already masked; it is
made printable here (no control character from a server reaches the terminal) and never parsed as
markup.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TextIO

from rich.console import Console as RichConsole
from rich.live import Live
from rich.text import Text

from qflow_contracts.suite.evidence import Evidence, Finding, RunInfo, Status
from qflow_contracts.suite.facts import target_kind
from qflow_contracts.suite.rules import Rule
from qflow_contracts.suite.text import one_line
from qflow_contracts.suite.verdict import CONFORMANT, NOT_CONFORMANT, RuleVerdict, overall, verdicts

PLAIN_INTERVAL = 5.0
"""Seconds between two plain progress lines, at least."""

STYLES = {
    Status.FAILED: "bold red",
    Status.PASSED: "green",
    Status.LENIENT: "yellow",
    Status.NOT_EXERCISED: "yellow",
    Status.NOT_ASKED: "dim",
}


def _counts(verdict: RuleVerdict) -> str:
    if verdict.status is Status.FAILED:
        text = f"{len(verdict.findings)} finding(s)"
        return text + (f", {len(verdict.leniencies)} leniency(ies)" if verdict.leniencies else "")
    if verdict.status in (Status.NOT_EXERCISED, Status.NOT_ASKED):
        return "; ".join(verdict.why)
    text = f"{verdict.checks} checks, {verdict.requests} requests"
    if verdict.leniencies:
        text += f", {len(verdict.leniencies)} warning(s)"
    if verdict.why:
        text += f"; not checked: {'; '.join(verdict.why)}"
    return text


class Console:
    """Progress and verdict on `stream`: a rich live line when `live` (and `CI` is not set), plain
    rate-limited lines otherwise."""

    def __init__(
        self,
        stream: TextIO,
        *,
        live: bool,
        clock: Callable[[], float] = time.monotonic,
        interval: float = PLAIN_INTERVAL,
    ) -> None:
        self.live = live and not os.environ.get("CI")
        self._out = RichConsole(
            file=stream,
            force_terminal=self.live,
            no_color=not self.live,
            highlight=False,
            emoji=False,
            markup=False,
            soft_wrap=True,
        )
        self._clock = clock
        self._interval = interval
        self._started = clock()
        self._last_line: float | None = None
        self._rule: Rule | None = None
        self._requests = 0
        self._seen: dict[Rule, tuple[int, int]] = {}
        self._display: Live | None = None
        self._evidence: Evidence | None = None

    def attach(self, evidence: Evidence) -> None:
        """Follow `evidence`: show the rule being checked, the requests sent and the time elapsed,
        and each new finding or leniency as it is recorded."""
        self._evidence = evidence
        self._started = self._clock()
        evidence.listeners.append(self._changed)
        if self.live:
            self._display = Live(
                get_renderable=self._progress,
                console=self._out,
                refresh_per_second=4,
                transient=True,
            )
            self._display.start()

    def _progress(self) -> Text:
        elapsed = self._clock() - self._started
        rule = f"checking {self._rule.id}: {self._rule.title}" if self._rule else "starting"
        return Text(f"{rule} · {self._requests} requests · {elapsed:.0f} s elapsed")

    def _changed(self, evidence: Evidence, rule: Rule) -> None:
        self._rule, self._requests = rule, evidence.requests
        tally = evidence.tallies[rule]
        findings, leniencies = self._seen.get(rule, (0, 0))
        for finding in tally.findings[findings:]:
            self._announce("finding", finding, "bold red")
        for finding in tally.leniencies[leniencies:]:
            self._announce("leniency", finding, "yellow")
        self._seen[rule] = (len(tally.findings), len(tally.leniencies))
        now = self._clock()
        if not self.live and (self._last_line is None or now - self._last_line >= self._interval):
            self._last_line = now
            self._out.print(self._progress())

    def _announce(self, kind: str, finding: Finding, style: str) -> None:
        self._out.print(Text(f"{kind} [{finding.rule.id}] {one_line(finding.summary)}", style=style))

    def verdict(self, evidence: Evidence, info: RunInfo, asked: set[Rule]) -> None:
        """Print the verdict block: a line per rule, the findings with their reproductions, the
        leniency warnings, the restore's verdict, and the overall verdict with its reasons."""
        self._stop()
        rules = verdicts(evidence, info, asked)
        result = overall(evidence, info, asked=asked)
        out = self._out
        out.print()
        out.print(Text(one_line(f"QFlow Customers API conformance: {info.base_url} ({target_kind(info)})")))
        seed = "" if info.seed is None else f"seed {info.seed} · "
        out.print(Text(f"{seed}{evidence.requests} requests · {info.duration:.1f} s"))
        width = max(len(rule.title) for rule in Rule)
        for verdict in rules:
            line = Text(f"  {verdict.rule.id:<17} {verdict.rule.title:<{width}}  ")
            status = verdict.status.value
            status = status.upper() if verdict.status is Status.FAILED else status
            line.append(f"{status:<13}", style=STYLES[verdict.status])
            line.append(" " + one_line(_counts(verdict)))
            out.print(line)
        self._findings("Findings", [f for verdict in rules for f in verdict.findings], "bold red")
        leniency = [finding for verdict in rules for finding in verdict.leniencies]
        title = (
            "Leniency, platform and robustness warnings (failures: strict run)"
            if info.strict
            else "Leniency warnings (contract rule 14), platform and robustness warnings"
        )
        self._findings(title, leniency, "yellow")
        out.print(Text(one_line(info.restore), style="green" if info.restore_ok else "bold red"))
        style = {CONFORMANT: "bold green", NOT_CONFORMANT: "bold red"}.get(result.name, "bold yellow")
        out.print(Text(f"Verdict: {result.name}", style=style))
        for reason in result.reasons:
            out.print(Text(f"  - {one_line(reason)}"))

    def _findings(self, title: str, findings: list[Finding], style: str) -> None:
        if not findings:
            return
        self._out.print(Text(f"{title}:", style=style))
        for finding in findings:
            self._out.print(Text(f"  [{finding.rule.id}] {one_line(finding.summary)}"))
            if finding.reproduction:
                self._out.print(Text(f"    {one_line(finding.reproduction)}"))

    def _stop(self) -> None:
        if self._display is not None:
            self._display.stop()
            self._display = None
        if self._evidence is not None and self._changed in self._evidence.listeners:
            self._evidence.listeners.remove(self._changed)
            self._evidence = None

    def close(self) -> None:
        """Stop the progress display and stop following the ledger."""
        self._stop()
        self._out.file.flush()
