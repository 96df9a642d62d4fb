"""The `--json` report: JSON Lines in pytest-reportlog's shape, every file valid against the
committed schema, carrying the whole verdict (the same as every other writer's)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from qflow_contracts.rules import Rule
from qflow_contracts.suite.baseline import read_report
from qflow_contracts.suite.json_report import SCHEMA, render_json
from qflow_contracts.suite.result import judge
from tests.suite.jsonreport import validated
from tests.suite.ledgers import LENIENCY, THREE, asked, exercised, finding, info


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(json.loads(SCHEMA.read_text(encoding="utf-8")))


@pytest.mark.parametrize("kind", ["conformant", "findings", "read-only", "not-exercised"])
def test_every_kind_of_run_writes_a_valid_file_with_the_whole_verdict(kind: str) -> None:
    rules = asked(read_only=kind == "read-only")
    evidence = exercised(rules - ({Rule.GET_LOOKUP} if kind == "not-exercised" else set()))
    if kind == "findings":
        for each in THREE:
            evidence.failed(each)
        evidence.lenient(LENIENCY)
    facts = info(
        read_only=kind == "read-only", command="qflow-contracts run --seed 4242", settings={"seed": "4242"}
    )
    result = judge(evidence, facts, rules)
    lines = validated(render_json(result))
    start, reports, finish = lines[0], lines[1:-1], lines[-1]
    assert start["seed"] == 4242 and start["command"] == "qflow-contracts run --seed 4242"
    assert start["versions"]["qflow-contracts"] == "0.1.0" and start["settings"] == {"seed": "4242"}
    assert [report["rule"] for report in reports] == [rule.id for rule in Rule]
    assert finish["verdict"] == result.overall.name and finish["exitstatus"] == int(result.exit_code)
    assert finish["failed_rules"] == list(result.failed_rules)
    found = [f for report in reports for f in report["findings"]]
    assert [f["summary"] for f in found] == [f.summary for f in result.findings]
    assert all(f["reproduction"] and "***" in f["reproduction"] for f in found)
    for report in reports:
        assert report["status"] == result.rule(Rule.by_id(report["rule"])).status.value


def test_a_record_holding_line_separators_still_gives_one_object_a_line(tmp_path: Path) -> None:
    """A server's value may hold NEL or U+2028, which JSON leaves raw and `str.splitlines` (and
    older JavaScript) takes for line ends: the report escapes them, and reads back whole."""
    rules = asked()
    evidence = exercised(rules)
    odd = finding(
        Rule.ROUND_TRIP, "rule-7:altered:string", "Notes 'a\u0085b\u2028c\u2029d' read back as 'abcd'"
    )
    evidence.failed(odd)
    text = render_json(judge(evidence, info(), rules))
    assert not {"\u0085", "\u2028", "\u2029"} & set(text)
    assert text.splitlines() == text.split("\n")[:-1]
    found = [f for line in validated(text)[1:-1] for f in line["findings"]]
    assert [f["summary"] for f in found] == [odd.summary]
    report = tmp_path / "run.jsonl"
    report.write_text(text, encoding="utf-8")
    assert len(read_report(report)) == len(text.split("\n")) - 1
