"""What a person sees while the suite runs: live progress, owned by the runner (not by pytest's
output capture), then the verdict block, which is the last thing printed.

On a terminal (and `CI` not set) progress is one updating line: the phase, the rule being
checked, the requests sent (and the most the pacing and deadline allow), the findings so far,
the time elapsed and the pacing. Otherwise (CI, a pipe, a file) it is a plain line at least every
`interval` seconds, from a timer, whether or not anything was recorded meanwhile, and each finding
as it is found.

The console writes to a duplicate of the terminal's file descriptor (`terminal`), taken before
pytest captures the descriptor itself, so progress reaches the person while the tests run.
Everything printed comes from the run's result or ledger, whose text is already masked; it is made
printable here (no control character from a server reaches the terminal) and never parsed as
markup.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, TextIO

from rich.console import Console as RichConsole
from rich.live import Live
from rich.text import Text

from qflow_contracts.rules import Rule
from qflow_contracts.suite.codes import mark
from qflow_contracts.suite.evidence import Evidence, Finding, Status
from qflow_contracts.suite.facts import target_kind
from qflow_contracts.suite.result import RunResult
from qflow_contracts.suite.text import one_line, printable
from qflow_contracts.suite.verdict import CONFORMANT, NOT_CONFORMANT, RuleVerdict


class Masking(Protocol):
    """What masks a text (a `Target`)."""

    def mask(self, text: str) -> str: ...


PLAIN_INTERVAL = 4.0
"""Seconds between two plain progress lines: under 5, so a CI log is never silent for 5 s."""

PHASES = {
    "preflight": "preflight",
    "stateless": "schemathesis",
    "opening": "opening",
    "steps": "random steps",
    "checking reads": "random steps",
    "re-reads": "random steps",
    "reductions": "reducing a finding",
    "restore": "restore",
}
"""The phase a kind of work (`evidence.KINDS`) belongs to, as the progress line names it."""

STYLES = {
    Status.FAILED: "bold red",
    Status.PASSED: "green",
    Status.LENIENT: "yellow",
    Status.ACCEPTED: "cyan",
    Status.INCOMPLETE: "bold yellow",
    Status.NOT_EXERCISED: "yellow",
    Status.NOT_ASKED: "dim",
}


class MaskedStream:
    """A text stream that masks every credential before writing (contract rule 12)."""

    def __init__(self, stream: TextIO, target: Masking) -> None:
        self._stream = stream
        self._target = target

    def write(self, text: str) -> int:
        self._stream.write(self._target.mask(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def terminal(stream: TextIO) -> TextIO:
    """A text stream on a duplicate of `stream`'s file descriptor (pytest's capture redirects the
    descriptor, not its duplicate); `stream` itself when it has no descriptor."""
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return stream
    stream.flush()
    return os.fdopen(os.dup(descriptor), "w", encoding="utf-8", errors="replace", buffering=1)


def _width(stream: TextIO) -> int | None:
    """The terminal's width in columns, or None (rich's own guess) when it cannot be told."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return None
    return columns if columns > 0 else None  # a pseudo-terminal nobody sized says 0


def _counts(verdict: RuleVerdict) -> str:
    if verdict.status is Status.FAILED:
        text = f"{len(verdict.findings)} finding(s)"
        return text + (f", {len(verdict.leniencies)} leniency(ies)" if verdict.leniencies else "")
    if verdict.status is Status.INCOMPLETE:
        return f"{verdict.checks} checks; {len(verdict.unproven)} record note(s) not proven, below"
    if verdict.status is Status.ACCEPTED:
        return f"{len(verdict.accepted)} accepted finding(s) (the baseline), {verdict.checks} checks held"
    if verdict.status in (Status.NOT_EXERCISED, Status.NOT_ASKED):
        return "; ".join(verdict.why)
    requests = verdict.requests_shown
    text = f"{verdict.checks} checks, " + (
        "on requests sent for other rules" if requests == "shared" else f"{requests} requests"
    )
    if verdict.leniencies:
        text += f", {len(verdict.leniencies)} warning(s)"
    if verdict.why:
        text += f"; not checked: {'; '.join(verdict.why)}"
    return text


class Console:
    """Progress and verdict on `stream`: a rich live line when `live` (and `CI` is not set), plain
    lines every `interval` seconds otherwise."""

    def __init__(
        self,
        stream: TextIO,
        *,
        live: bool,
        clock: Callable[[], float] = time.monotonic,
        interval: float = PLAIN_INTERVAL,
        owns_stream: bool = False,
    ) -> None:
        self.live = live and not os.environ.get("CI")
        self._stream = stream
        self._owns_stream = owns_stream
        self._out = RichConsole(
            file=stream,
            width=_width(stream) if self.live else None,
            force_terminal=self.live,
            no_color=not self.live,
            highlight=False,
            emoji=False,
            markup=False,
            soft_wrap=not self.live,
        )
        self._clock = clock
        self._interval = interval
        self._started = clock()
        self._lock = threading.RLock()
        self._rule: Rule | None = None
        self._seen: dict[Rule, tuple[int, int]] = {}
        self._display: Live | None = None
        self._evidence: Evidence | None = None
        self._ticker: threading.Thread | None = None
        self._stopping = threading.Event()
        self._rate: float | None = None
        self._ceiling: int | None = None
        self._closed = False

    # ---- progress -----------------------------------------------------------------------------

    def attach(
        self, evidence: Evidence, *, rate_limit: float | None = None, max_time: float | None = None
    ) -> None:
        """Follow `evidence`: show progress, and each new finding or leniency as it is recorded.
        `rate_limit` and `max_time` are the run's pacing and deadline (the line shows the most
        requests they allow)."""
        self._evidence = evidence
        self._started = self._clock()
        self._rate = rate_limit
        self._ceiling = int(rate_limit * max_time) if rate_limit and max_time else None
        evidence.listeners.append(self._changed)
        if self.live:
            self._display = Live(
                get_renderable=self._progress,
                console=self._out,
                refresh_per_second=4,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._display.start()
        else:
            self._ticker = threading.Thread(target=self._tick, name="qflow-progress", daemon=True)
            self._ticker.start()

    def progress_line(self) -> str:
        """The progress in one line."""
        evidence = self._evidence
        elapsed = self._clock() - self._started
        if evidence is None:
            return f"starting · {elapsed:.0f} s"
        phase = PHASES.get(evidence.phase, evidence.phase)
        rule = f"{self._rule.id} {self._rule.title}" if self._rule else "starting"
        sent = f"{evidence.requests}/{self._ceiling}" if self._ceiling else str(evidence.requests)
        findings = sum(len(tally.findings) for tally in evidence.tallies.values())
        pace = f"paced at {self._rate:g}/s" if self._rate else "unpaced"
        return (
            f"[{phase}] {sent} requests · {findings} finding(s) · {elapsed:.0f} s elapsed · {pace} · "
            f"checking {rule}"
        )

    def _progress(self) -> Text:
        return Text(one_line(self.progress_line()), overflow="ellipsis", no_wrap=True)

    def _tick(self) -> None:
        while not self._stopping.wait(self._interval):
            self._print(self._progress())

    def _changed(self, evidence: Evidence, rule: Rule) -> None:
        self._rule = rule
        tally = evidence.tallies[rule]
        findings, leniencies = self._seen.get(rule, (0, 0))
        for finding in tally.findings[findings:]:
            self._announce("finding", finding, "bold red")
        for finding in tally.leniencies[leniencies:]:
            self._announce("leniency", finding, "yellow")
        self._seen[rule] = (len(tally.findings), len(tally.leniencies))

    def _announce(self, kind: str, finding: Finding, style: str) -> None:
        code = mark(finding).code
        self._print(Text(f"{kind} [{finding.rule.id}] {code} {one_line(finding.summary)}", style=style))

    def _print(self, text: Text | str = "", *, soft_wrap: bool | None = None) -> None:
        with self._lock:
            if not self._closed:
                self._out.print(text, soft_wrap=soft_wrap)

    def started(self) -> None:
        """Say the run has started, at once (the timer's lines follow every `interval`)."""
        if not self.live:
            self._print(self._progress())

    def line(self, text: str) -> None:
        """A line for the person (already masked), above the live line on a terminal."""
        self._print(Text(one_line(text)))

    # ---- the verdict --------------------------------------------------------------------------

    def verdict(self, result: RunResult) -> None:
        """Print the verdict block: a line per rule, the findings with their reproductions, the
        leniency warnings, the restore's verdict with every record it left not as found, and the
        overall verdict with its reasons, last."""
        self._stop()
        info = result.info
        out = self._print
        out()
        out(Text(one_line(f"QFlow Customers API conformance: {info.base_url} ({target_kind(info)})")))
        seed = "" if info.seed is None else f"seed {info.seed} · "
        out(Text(f"{seed}{result.requests} requests · {info.duration:.1f} s"))
        width = max(len(rule.title) for rule in Rule)
        for verdict in result.rules:
            line = Text(f"  {verdict.rule.id:<17} {verdict.rule.title:<{width}}  ")
            status = verdict.status.value
            status = status.upper() if verdict.status is Status.FAILED else status
            line.append(f"{status:<13}", style=STYLES[verdict.status])
            line.append(" " + one_line(_counts(verdict)))
            out(line)
        self._findings("Findings", result.findings, "bold red", result)
        title = (
            "Leniency, platform and robustness warnings (failures: strict run)"
            if info.strict
            else "Leniency warnings (contract rule 14), platform and robustness warnings"
        )
        self._findings(title, result.leniencies, "yellow", result)
        self._accepted(result)
        for warning in result.warnings:
            out(Text(f"warning: {one_line(warning)}", style="yellow"))
        out(Text(one_line(info.restore), style="green" if info.restore_ok else "bold red"))
        for note in result.restore:
            out(Text(f"  {one_line(note.line())}"))
        if info.restore_command and not info.restore_ok:
            out(Text(f"  finish it with: {one_line(info.restore_command)}"), soft_wrap=True)
        name = result.overall.name
        style = {CONFORMANT: "bold green", NOT_CONFORMANT: "bold red"}.get(name, "bold yellow")
        out(Text(f"Verdict: {result.headline}", style=style))
        for reason in result.overall.reasons:
            out(Text(f"  - {one_line(reason)}"))

    def _accepted(self, result: RunResult) -> None:
        """The findings the baseline accepted, apart from the failures, each with its expiry."""
        if not result.accepted:
            return
        assert result.baseline is not None
        self._print(Text(f"Accepted by the baseline {result.baseline.path} (not failures):", style="cyan"))
        for item in result.accepted:
            finding, code = item.finding, result.mark(item.finding).code
            line = f"  [{finding.rule.id}] {code} {one_line(finding.summary)} (until {item.entry.expires})"
            self._print(Text(line))

    def _findings(self, title: str, findings: tuple[Finding, ...], style: str, result: RunResult) -> None:
        if not findings:
            return
        self._print(Text(f"{title}:", style=style))
        for finding in findings:
            code = result.mark(finding).code
            self._print(Text(f"  [{finding.rule.id}] {code} {one_line(finding.summary)}"))
            for command in printable(finding.reproduction or "").splitlines():
                if command.strip():  # never wrapped by the console: a pasted line stays one command
                    self._print(Text(f"    {command}"), soft_wrap=True)

    def _stop(self) -> None:
        self._stopping.set()
        if self._ticker is not None and self._ticker is not threading.current_thread():
            self._ticker.join(timeout=5)
            self._ticker = None
        if self._display is not None:
            self._display.stop()
            self._display = None
        if self._evidence is not None and self._changed in self._evidence.listeners:
            self._evidence.listeners.remove(self._changed)
            self._evidence = None

    def close(self) -> None:
        """Stop the progress display and stop following the ledger; close a stream of its own."""
        self._stop()
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._out.file.flush()
            if self._owns_stream:
                self._stream.close()
