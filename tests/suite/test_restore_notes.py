"""Every record the restore left not as found is named (customer, property, why, what to do) in
the console, the Markdown, the HTML, the JUnit and the JSON; the restore command carries the run's
credential flags, never their values."""

from __future__ import annotations

import html
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from qflow_contracts.config import settings
from qflow_contracts.rules import Rule
from qflow_contracts.suite.console import Console
from qflow_contracts.suite.evidence import Status
from qflow_contracts.suite.json_report import render_json
from qflow_contracts.suite.lifecycle import restore_command
from qflow_contracts.suite.report import render_html, render_junit, render_markdown
from qflow_contracts.suite.restore import TODO, Problem, RestoreVerdict, Why
from qflow_contracts.suite.restore_notes import notes
from qflow_contracts.suite.result import RunResult, judge
from qflow_contracts.suite.target import Target
from tests.suite.ledgers import asked, exercised, info

JOURNAL = Path("/state/run-1.jsonl")
TARGET = Target(
    "http://127.0.0.1:9/API", (101,), credential_flags=("--header-env", "Authorization=QFLOW_AUTH")
)


def _problem(cid: int, name: str, before: str, after: str, why: Why) -> Problem:
    return Problem(cid, name, before, after, why, TODO[why])


def _incomplete() -> RunResult:
    verdict = RestoreVerdict(
        given=(101, 102, 103, 104),
        restored=[101],
        problems=[
            _problem(102, "Notes", '"as found"', '"set by someone else"', Why.CONFLICT),
            _problem(103, "DOB", '"1990-01-01T00:00:00"', '"1991-02-02T00:00:00+10:00"', Why.DOB_OFFSET),
            _problem(104, "FirstName", '"Ann"', '"Zed"', Why.NOT_TAKEN),
        ],
        notes=["restore: the journal could not be written (disk full)"],
        journal=str(JOURNAL),
    )
    found = notes(verdict)
    rules = asked(owned=False)
    evidence = exercised(rules)
    for note in found:
        evidence.unproven_by(Rule.RESTORED, note.line())
    facts = info(
        owned=False,
        restore=verdict.summary(),
        restore_ok=False,
        journal=str(JOURNAL),
        restore_command=restore_command(TARGET, JOURNAL),
    )
    return judge(evidence, facts, rules, restore=found)


NAMED = (
    ("102", "Notes", "conflict with another user", "someone else changed it after this run did"),
    ("103", "DOB", "DOB was read without an offset", "a PATCH needs DOB with an offset"),
    ("104", "FirstName", "the restore did not take", "the server answered the restore's PATCH but kept"),
)


def test_each_note_names_customer_property_why_and_what_to_do() -> None:
    result = _incomplete()
    assert [note.customer for note in result.restore] == [102, 103, 104, None]
    assert [note.kind for note in result.restore] == ["conflict", "problem", "problem", "note"]
    for customer, prop, why, todo in NAMED:
        line = next(note.line() for note in result.restore if note.customer == int(customer))
        assert f"customer {customer} {prop}: " in line and why in line and f"what to do: {todo}" in line
    assert "the journal could not be written (disk full)" in result.restore[-1].line()
    assert result.restore[-1].kind == "note"
    assert '"as found" -> "set by someone else"' in result.restore[0].line()


def test_rule_13_is_judged_from_the_restore_not_left_unexercised() -> None:
    result = _incomplete()
    verdict = result.rule(Rule.RESTORED)
    assert verdict.status is Status.INCOMPLETE and verdict.checks == 2
    assert len(verdict.unproven) == 4
    assert result.overall.name == "INCOMPLETE" and int(result.exit_code) == 4


def test_every_writer_names_every_note() -> None:
    result = _incomplete()
    stream = io.StringIO()
    Console(stream, live=False).verdict(result)
    junit = ET.fromstring(render_junit(result))
    case = next(c for c in junit.iter("testcase") if c.get("classname") == "qflow.rule-13")
    error = case.find("error")
    assert error is not None
    texts = {
        "console": stream.getvalue(),
        "markdown": render_markdown(result),
        "html": html.unescape(render_html(result)),
        "junit": error.text or "",
        "json": render_json(result),
    }
    for name, text in texts.items():
        for customer, prop, why, todo in NAMED:
            assert customer in text and prop in text and why in text and todo in text, (name, customer)
    finish = json.loads(texts["json"].splitlines()[-1])
    assert [n["customer"] for n in finish["restore"]["notes"]] == [102, 103, 104, None]
    assert finish["restore"]["command"].startswith("qflow-contracts restore --journal /state/run-1.jsonl")


def test_the_restore_command_repeats_the_credential_flags_without_values() -> None:
    chosen = settings(
        {"header_envs": ["Authorization=QFLOW_AUTH"], "headers": ["X-Api-Key: s3cr3t-value"]},
        {"QFLOW_AUTH": "Bearer abcdefgh"},
    )
    target = Target("http://127.0.0.1:9/API", (101,), credential_flags=chosen.credential_flags)
    command = restore_command(target, JOURNAL)
    assert command.startswith(
        "qflow-contracts restore --journal /state/run-1.jsonl --base-url http://127.0.0.1:9/API "
    )
    assert "--header-env Authorization=QFLOW_AUTH" in command
    assert "--header 'X-Api-Key: ***'" in command and "replace *** with the header's value" in command
    assert "s3cr3t" not in command and "abcdefgh" not in command


def test_the_console_prints_the_restore_command_and_ends_with_the_verdict() -> None:
    stream = io.StringIO()
    Console(stream, live=False).verdict(_incomplete())
    lines = stream.getvalue().rstrip().splitlines()
    assert any("finish it with: qflow-contracts restore --journal" in line for line in lines)
    verdict_at = next(i for i, line in enumerate(lines) if line.startswith("Verdict: "))
    assert all(line.startswith("  - ") for line in lines[verdict_at + 1 :])
