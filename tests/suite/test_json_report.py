"""The `--json` report: JSON Lines in pytest-reportlog's shape, every file valid against the
committed schema, carrying the whole verdict (the same as every other writer's)."""

from __future__ import annotations

import json

import jsonschema
import pytest

from qflow_contracts.rules import Rule
from qflow_contracts.suite.json_report import SCHEMA, render_json
from qflow_contracts.suite.result import judge
from tests.suite.jsonreport import validated
from tests.suite.ledgers import LENIENCY, THREE, asked, exercised, info


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
