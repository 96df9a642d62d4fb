"""The console: plain progress lines without a terminal, and the verdict block."""

from __future__ import annotations

import io

import pytest

from qflow_contracts.suite.console import Console
from qflow_contracts.suite.rules import Rule
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
    console.verdict(evidence, info(read_only=True), rules)
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
    for each in THREE:
        assert f"[{each.rule.id}] {each.summary}" in text
    assert "curl -X PATCH" in text and "Leniency warnings" in text
    assert "seed 4242" in text and info().restore in text


def test_progress_lines_are_rate_limited_and_findings_announced_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    stream, clock = io.StringIO(), Clock()
    console = Console(stream, live=False, clock=clock, interval=5.0)
    evidence = exercised(set())
    console.attach(evidence)
    for _ in range(50):
        evidence.request(Rule.PARTIAL_UPDATE)
    assert stream.getvalue().count("checking rule-5") == 1
    clock.now += 6
    evidence.held(Rule.ROUND_TRIP)
    assert "checking rule-7: Values round-trip exactly · 50 requests · 6 s elapsed" in stream.getvalue()
    evidence.failed(finding(Rule.ERRORS, "x", "a 500 on \x1b[2J a string"))
    assert "finding [rule-8] a 500 on \\x1b[2J a string" in stream.getvalue()
    console.close()
    evidence.held(Rule.DOB)
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
    console.verdict(evidence, info(), rules)
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
    console.verdict(evidence, info(), rules)
    console.close()
    assert "Verdict: NOT CONFORMANT" in stream.getvalue()
    assert not evidence.listeners


def test_no_local_path_is_printed() -> None:
    stream = io.StringIO()
    console = Console(stream, live=False)
    rules = asked(owned=False)
    console.verdict(exercised(rules), info(owned=False, journal="/home/me/.qflow/journal-1.jsonl"), rules)
    assert "/home/me" not in stream.getvalue()


def test_a_rule_that_passed_in_part_says_what_was_not_checked() -> None:
    stream = io.StringIO()
    rules = asked()
    evidence = exercised(rules)
    evidence.not_exercised(Rule.GET_LOOKUP, "no given customer has a PersonalId")
    Console(stream, live=False).verdict(evidence, info(), rules)
    row = next(line for line in stream.getvalue().splitlines() if line.startswith("  rule-3 "))
    assert "passed" in row and "not checked: no given customer has a PersonalId" in row
