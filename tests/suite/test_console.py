"""The console: plain progress lines without a terminal, and the verdict block."""

from __future__ import annotations

import io
import threading

import pytest

from qflow_contracts.rules import Rule
from qflow_contracts.suite.console import Console
from qflow_contracts.suite.evidence import Finding
from qflow_contracts.suite.result import judge
from tests.suite.ledgers import LENIENCY, THREE, asked, exercised, finding, info


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_without_a_terminal_the_verdict_block_is_plain_text() -> None:
    stream = io.StringIO()
    console = Console(stream, live=False)
    rules = asked(read_only=True)
    evidence = exercised(rules)
    console.attach(evidence)
    for each in THREE:
        evidence.failed(each)
    evidence.lenient(LENIENCY)
    console.verdict(judge(evidence, info(read_only=True), rules))
    console.close()
    text = stream.getvalue()
    assert "\x1b" not in text
    assert "Verdict: NOT CONFORMANT" in text
    lines = text.splitlines()
    for rule in Rule:
        assert sum(line.startswith(f"  {rule.id} ") for line in lines) == 1, rule
    row = next(line for line in lines if line.startswith("  rule-4 "))
    assert "not asked" in row and "read-only run: no PATCH is sent" in row
    row = next(line for line in lines if line.startswith("  rule-2 "))
    assert "passed" in row and "2 checks, 1 requests" in row
    assert next(line for line in lines if line.startswith("  rule-5 ")).count("FAILED") == 1
    for each, code in zip(THREE, ("QF502", "QF701", "QF301"), strict=True):
        assert f"[{each.rule.id}] {code} {each.summary}" in text
    assert "curl -X PATCH" in text and "Leniency warnings" in text
    assert "seed 4242" in text and info().restore in text


class Signalling(io.StringIO):
    """A stream that wakes a waiting test at each write."""

    def __init__(self) -> None:
        super().__init__()
        self.wrote = threading.Event()

    def write(self, text: str) -> int:
        count = super().write(text)
        self.wrote.set()
        return count


def test_the_progress_line_says_phase_rule_requests_findings_time_and_pacing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    clock = Clock()
    console = Console(io.StringIO(), live=False, clock=clock, interval=3600)
    evidence = exercised(set())
    console.attach(evidence, rate_limit=10, max_time=900)
    with evidence.spending("opening"):
        for _ in range(50):
            evidence.request(Rule.PARTIAL_UPDATE)
    evidence.failed(finding(Rule.ERRORS, "x", "a 500"))
    clock.now += 6
    line = console.progress_line()
    console.close()
    assert line == (
        "[opening] 50/9000 requests · 1 finding(s) · 6 s elapsed · paced at 10/s · checking rule-8 "
        "Bad input gets 400/404/415, an ASP.NET error body, no change, no 5xx"
    )


def test_without_a_terminal_a_line_comes_on_a_timer_even_when_nothing_is_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    stream = Signalling()
    console = Console(stream, live=False, interval=0.01)
    console.attach(exercised(set()))
    assert stream.wrote.wait(10)
    console.close()
    assert (
        "[preflight] 0 requests · 0 finding(s) · 0 s elapsed · unpaced · checking starting"
        in stream.getvalue()
    )
    assert "unpaced" in stream.getvalue()


def test_findings_are_announced_at_once_and_nothing_is_printed_after_close(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    stream = io.StringIO()
    console = Console(stream, live=False, interval=3600)
    evidence = exercised(set())
    console.attach(evidence)
    evidence.failed(finding(Rule.ERRORS, "x", "a 500 on \x1b[2J a string"))
    assert "finding [rule-8] QF000 a 500 on \\x1b[2J a string" in stream.getvalue()
    console.close()
    evidence.failed(finding(Rule.DOB, "y", "later"))
    assert "rule-1" not in stream.getvalue()


def test_ci_turns_the_live_display_into_plain_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    stream = io.StringIO()
    console = Console(stream, live=True)
    assert not console.live
    rules = asked()
    evidence = exercised(rules)
    console.attach(evidence)
    evidence.held(Rule.DOB)
    console.verdict(judge(evidence, info(), rules))
    console.close()
    assert "\x1b" not in stream.getvalue() and "Verdict: CONFORMANT" in stream.getvalue()


def test_a_live_display_ends_before_the_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    stream = io.StringIO()
    console = Console(stream, live=True)
    rules = asked()
    evidence = exercised(rules)
    console.attach(evidence)
    evidence.failed(THREE[0])
    console.verdict(judge(evidence, info(), rules))
    console.close()
    assert "Verdict: NOT CONFORMANT" in stream.getvalue()
    assert not evidence.listeners


def test_no_local_path_is_printed() -> None:
    stream = io.StringIO()
    console = Console(stream, live=False)
    rules = asked(owned=False)
    console.verdict(
        judge(exercised(rules), info(owned=False, journal="/home/me/.qflow/journal-1.jsonl"), rules)
    )
    assert "/home/me" not in stream.getvalue()


def test_a_rule_that_passed_in_part_says_what_was_not_checked() -> None:
    stream = io.StringIO()
    rules = asked()
    evidence = exercised(rules)
    evidence.not_exercised(Rule.GET_LOOKUP, "no given customer has a PersonalId")
    Console(stream, live=False).verdict(judge(evidence, info(), rules))
    row = next(line for line in stream.getvalue().splitlines() if line.startswith("  rule-3 "))
    assert "passed" in row and "not checked: no given customer has a PersonalId" in row


def test_on_a_terminal_a_reproduction_longer_than_the_screen_stays_one_line_to_paste(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    stream = io.StringIO()
    console = Console(stream, live=True)  # an unsized stream: rich's default width, 80
    rules = asked()
    evidence = exercised(rules)
    command = "curl -sS -X PATCH http://127.0.0.1:9/API/Customers --data-binary '" + "x" * 120 + "'"
    evidence.failed(Finding(Rule.ROUND_TRIP, key="long", summary="long", reproduction=command))
    console.verdict(judge(evidence, info(), rules))
    console.close()
    assert any(line.strip() == command for line in stream.getvalue().splitlines()), stream.getvalue()
