"""The accepted-findings baseline (suite/baseline.py, judged in result.judge): what it accepts, what
still fails (a finding not in it, an expired entry), what it reports fixed, how every writer shows
accepted findings apart, and one line for a file it cannot use."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from qflow_contracts.exitcodes import ExitCode
from qflow_contracts.rules import Rule
from qflow_contracts.suite.baseline import (
    Baseline,
    BaselineError,
    Entry,
    load,
    parse,
    starting_file,
    toml_string,
)
from qflow_contracts.suite.codes import mark
from qflow_contracts.suite.evidence import Evidence, Finding, Status
from qflow_contracts.suite.json_report import render_json
from qflow_contracts.suite.report import render_html, render_junit, render_markdown
from qflow_contracts.suite.result import RunResult, judge
from tests.suite.jsonreport import validated
from tests.suite.ledgers import LENIENCY, THREE, asked, exercised, info

TODAY = dt.date(2026, 12, 3)
LATER = dt.date(2027, 1, 31)


def _ledger(findings: tuple[Finding, ...] = THREE[:2]) -> tuple[Evidence, set[Rule]]:
    rules = asked()
    evidence = exercised(rules)
    for each in findings:
        evidence.failed(each)
    return evidence, rules


def _baseline(*findings: Finding, expires: dt.date = LATER) -> Baseline:
    return Baseline(
        "qflow-baseline.toml", tuple(Entry(mark(f).signature, "vendor ticket 7", expires) for f in findings)
    )


def _judge(baseline: Baseline, findings: tuple[Finding, ...] = THREE[:2], **facts: object) -> RunResult:
    evidence, rules = _ledger(findings)
    return judge(evidence, info(**facts), rules, baseline=baseline, today=TODAY)


def test_all_findings_accepted_is_conformant_except_them_with_their_expiry() -> None:
    result = _judge(_baseline(*THREE[:2]))
    assert result.exit_code is ExitCode.CONFORMANT and result.overall.name == "CONFORMANT"
    assert result.headline == "CONFORMANT except 2 accepted finding(s)"
    assert not result.findings and [a.finding for a in result.accepted] == list(THREE[:2])
    assert result.rule(Rule.PARTIAL_UPDATE).status is Status.ACCEPTED
    assert result.rule(Rule.PARTIAL_UPDATE).accepted == (THREE[0],)
    reasons = "\n".join(result.overall.reasons)
    for each in THREE[:2]:
        assert f"accepted until 2027-01-31: {mark(each).signature}: vendor ticket 7" in reasons


def test_a_finding_not_in_the_baseline_fails_and_is_named() -> None:
    result = _judge(_baseline(THREE[0]))
    assert result.exit_code is ExitCode.NOT_CONFORMANT
    assert result.findings == (THREE[1],) and [a.finding for a in result.accepted] == [THREE[0]]
    assert result.headline == "NOT CONFORMANT (besides 1 accepted finding(s))"
    assert result.failed_rules == ("rule-7",)


def test_an_expired_entry_fails_saying_which_and_when() -> None:
    result = _judge(_baseline(THREE[0], expires=TODAY - dt.timedelta(days=1)), (THREE[0],))
    assert result.exit_code is ExitCode.NOT_CONFORMANT and result.findings == (THREE[0],)
    assert any(
        f"baseline entry {mark(THREE[0]).signature} expired on 2026-12-02" in reason
        for reason in result.overall.reasons
    )


def test_an_entry_is_accepted_through_its_expiry_day() -> None:
    assert _judge(_baseline(THREE[0], expires=TODAY), (THREE[0],)).exit_code is ExitCode.CONFORMANT


def test_an_entry_that_no_longer_occurs_is_reported_fixed() -> None:
    result = _judge(_baseline(*THREE), THREE[:2])
    assert result.exit_code is ExitCode.CONFORMANT
    assert result.baseline is not None and [e.signature for e in result.baseline.fixed] == [
        mark(THREE[2]).signature
    ]
    assert any("no longer occurs: fixed, remove it" in reason for reason in result.overall.reasons)


def test_an_entry_whose_rule_was_not_checked_is_not_called_fixed() -> None:
    rules = asked(read_only=True)
    evidence = exercised(rules)
    found = Finding(Rule.PARTIAL_UPDATE, "rule-5:null-cleared:string", "a null cleared it")
    result = judge(evidence, info(read_only=True), rules, baseline=_baseline(found), today=TODAY)
    assert result.baseline is not None and not result.baseline.fixed
    assert [e.signature for e in result.baseline.unchecked] == [mark(found).signature]


def test_a_leniency_is_accepted_only_where_it_fails_a_strict_run() -> None:
    rules = asked()
    evidence = exercised(rules)
    evidence.lenient(LENIENCY)
    strict = judge(evidence, info(strict=True), rules, baseline=_baseline(LENIENCY), today=TODAY)
    assert strict.exit_code is ExitCode.CONFORMANT and [a.finding for a in strict.accepted] == [LENIENCY]
    lenient = judge(evidence, info(), rules, baseline=_baseline(LENIENCY), today=TODAY)
    assert lenient.exit_code is ExitCode.CONFORMANT and not lenient.accepted
    assert lenient.baseline is not None and not lenient.baseline.fixed  # it still occurs


def test_without_a_baseline_nothing_changes() -> None:
    evidence, rules = _ledger()
    result = judge(evidence, info(), rules)
    assert result.baseline is None and result.headline == "NOT CONFORMANT" and not result.accepted
    assert result.exit_code is ExitCode.NOT_CONFORMANT


def test_every_writer_shows_accepted_findings_apart_and_the_json_validates() -> None:
    result = _judge(_baseline(THREE[0]))
    markdown = render_markdown(result)
    accepted_part = markdown.split("## Accepted findings", 1)[1]
    assert THREE[0].summary in accepted_part and "Accepted until 2027-01-31: vendor ticket 7" in accepted_part
    findings_part = markdown.split("## Findings", 1)[1].split("## Accepted findings", 1)[0]
    assert THREE[0].summary not in findings_part and THREE[1].summary in findings_part
    assert "QF701" in findings_part and f"`{mark(THREE[1]).signature}`" in findings_part
    html = render_html(result)
    assert "<h2>Accepted findings</h2>" in html and 'class="accepted-finding"' in html
    suite = ET.fromstring(render_junit(result)).find("testsuite")
    assert suite is not None
    case = next(c for c in suite.iter("testcase") if c.get("classname") == "qflow.rule-5")
    assert case.find("failure") is None
    assert "Accepted by the baseline" in (case.findtext("system-out") or "")
    failed = next(c for c in suite.iter("testcase") if c.get("classname") == "qflow.rule-7")
    assert failed.find("failure") is not None and "QF701" in (failed.find("failure").get("message") or "")  # type: ignore[union-attr]
    lines = validated(render_json(result))
    finish = lines[-1]
    assert finish["headline"] == result.headline
    assert finish["baseline"]["accepted"] == [mark(THREE[0]).signature]
    rule5 = next(line for line in lines[1:-1] if line["rule"] == "rule-5")
    assert rule5["status"] == "accepted" and rule5["outcome"] == "passed" and not rule5["findings"]
    assert rule5["accepted"][0]["expires"] == "2027-01-31" and rule5["accepted"][0]["code"] == "QF502"
    rule7 = next(line for line in lines[1:-1] if line["rule"] == "rule-7")
    assert rule7["findings"][0]["signature"] == mark(THREE[1]).signature


# ---- the file -------------------------------------------------------------------------------------------

GOOD = """
[[accepted]]
signature = "rule-10/QF1001/PATCH:415"
reason = "form bodies are not bound; release 4.2"
expires = 2027-03-31

[[accepted]]
signature = "rule-8/QF803/400"
summary = "the 400 body is not ASP.NET's"
reason = "error bodies of another shape"
expires = "2027-02-28"
"""


def test_a_good_file_loads() -> None:
    baseline = parse(GOOD, "b.toml")
    assert [e.signature for e in baseline.entries] == ["rule-10/QF1001/PATCH:415", "rule-8/QF803/400"]
    assert baseline.entries[0].expires == dt.date(2027, 3, 31)
    assert baseline.entries[1].expires == dt.date(2027, 2, 28)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[[accepted]\nsignature = 1", "not valid TOML"),
        (
            '[[accepted]]\nsignature = "rule-8/QF803/400"\nreason = "r"\nexpires = "next year"',
            "expires must be a date",
        ),
        (
            '[[accepted]]\nsignature = "rule-8/QF803/400"\nreason = "r"\nexpires = 2027-13-01',
            "not valid TOML",
        ),
        (
            '[[accepted]]\nsignature = "rule-8/QF803/400"\nreason = "r"\nexpires = 2027-01-01T00:00:00Z',
            "not a date-time",
        ),
        (
            '[[accepted]]\nsignature = "rule-8/QF803/400"\nreason = "r"\nexpires = 2027-01-01\nowner = "x"',
            "unknown key 'owner'",
        ),
        (
            'version = 1\n[[accepted]]\nsignature = "rule-8/QF803/400"\nreason = "r"\nexpires = 2027-01-01',
            "unknown key 'version'",
        ),
        ('[[accepted]]\nsignature = "rule-8/QF803/400"\nexpires = 2027-01-01', "reason is missing"),
        (
            '[[accepted]]\nsignature = "rule-8/QF9999/400"\nreason = "r"\nexpires = 2027-01-01',
            "known code of that rule",
        ),
        (
            '[[accepted]]\nsignature = "rule-5/QF803/400"\nreason = "r"\nexpires = 2027-01-01',
            "known code of that rule",
        ),
        (
            '[[accepted]]\nsignature = "rule-8/QF803/400"\nreason = "FILL IN: why"\nexpires = 2027-01-01',
            "fill in",
        ),
        (
            '[[accepted]]\nsignature = "rule-8/QF803/400"\nreason = "r"\nexpires = "FILL IN: yyyy-mm-dd"',
            "fill in",
        ),
        (
            '[[accepted]]\nsignature = "rule-8/QF803/400"\nreason = "r"\nexpires = 2027-01-01\n' * 2,
            "listed twice",
        ),
        ("accepted = 3", "array of tables"),
    ],
)
def test_a_bad_file_is_one_line_naming_the_file(text: str, says: str) -> None:
    with pytest.raises(BaselineError) as raised:
        parse(text, "b.toml")
    message = str(raised.value)
    assert message.startswith("--baseline b.toml: ") and says in message and "\n" not in message


def test_an_unreadable_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match=r"cannot read it"):
        load(tmp_path / "absent.toml")
    (tmp_path / "latin1.toml").write_bytes(b"\xff\xfe")
    with pytest.raises(BaselineError, match=r"not UTF-8"):
        load(tmp_path / "latin1.toml")


def test_the_starting_file_lists_each_finding_and_does_not_load_until_filled_in() -> None:
    result = _judge(_baseline(THREE[0]))
    lines = [json.loads(line) for line in render_json(result).splitlines()]
    text = starting_file(lines, "run.jsonl")
    assert text.count("[[accepted]]") == 2 and "fill in every entry" in text
    with pytest.raises(BaselineError, match="fill in"):
        parse(text, "start.toml")
    filled = text.replace('"FILL IN: why this finding is accepted"', '"ticket 9"')
    filled = filled.replace('"FILL IN: yyyy-mm-dd"', "2027-06-30")
    baseline = parse(filled, "start.toml")
    assert {e.signature for e in baseline.entries} == {mark(f).signature for f in THREE[:2]}
    again = _judge(baseline)
    assert again.exit_code is ExitCode.CONFORMANT and len(again.accepted) == 2


@pytest.mark.parametrize(
    "text", ["plain", 'a "quoted" \\ path', "tab\tnew\nline\x1b[2J", "del\x7f", "lone \udc80", "Zoë 😀"]
)
def test_a_string_the_starting_file_writes_reads_back_as_toml(text: str) -> None:
    read = tomllib.loads(f"s = {toml_string(text)}")["s"]
    assert read == text.replace("\udc80", "\ufffd")
