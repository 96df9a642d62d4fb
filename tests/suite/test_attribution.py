"""A finding lands under the rule whose check failed, and a rule that exercised the same broken
behaviour does not pass: rule 10 fails on a server whose forms honour no dictionary encoding
(not rule 5 for the entries that did not take), a server honouring only MVC's indexed form is
conformant and named as such, and a server that trims strings and clears on null gets each
finding under its own rule (7 and 5)."""

from __future__ import annotations

from typing import Any

import pytest

from qflow_contracts.rules import Rule
from qflow_contracts.suite.evidence import Evidence
from tests.suite.servers import describe, mock_server, mock_server_api, rules_failed, run

SEEDS = (1, 2, 3)


def _run(defect: str | None, seed: int, owned: bool, adjust: Any = None) -> Evidence:
    with mock_server(defect) as url:
        if adjust is not None:
            adjust(mock_server_api(url))
        return run(url, owned=owned, seed=seed, max_examples=4, steps=25)


@pytest.mark.parametrize("owned", [True, False])
@pytest.mark.parametrize("seed", SEEDS)
def test_forms_that_ignore_every_dictionary_field_fail_rule_10_not_rule_5(seed: int, owned: bool) -> None:
    evidence = _run("form-ignores-key-fields", seed, owned)
    assert rules_failed(evidence) == {"rule-10"}, describe(evidence)
    assert [f.key for f in evidence.tallies[Rule.FORM_BODIES].findings] == ["form-dictionary"]


def _indexed_only(api: Any) -> None:
    """The mock's form binding without `Name[key]=value`: only MVC's indexed form fills a dictionary."""
    parse = api.validators.parse_form

    def indexed_only(fields: list[tuple[str, str]], **options: bool) -> Any:
        return parse(fields, **{**options, "keyed": False})

    api.validators.parse_form = indexed_only


@pytest.mark.parametrize("seed", SEEDS)
def test_forms_that_honour_only_the_indexed_form_are_conformant_and_named(seed: int) -> None:
    evidence = _run(None, seed, False, _indexed_only)
    assert not evidence.findings(), describe(evidence)
    tally = evidence.tallies[Rule.FORM_BODIES]
    assert tally.checks >= 2
    assert any("honours the indexed form" in why for why in tally.not_exercised), tally.not_exercised


@pytest.mark.parametrize("seed", SEEDS)
def test_trimming_and_clearing_on_null_each_land_under_their_own_rule(seed: int) -> None:
    evidence = _run("trim-whitespace,null-clears", seed, False)
    assert {"rule-5", "rule-7"} <= rules_failed(evidence), describe(evidence)
    assert all(":null-cleared:" in f.key for f in evidence.tallies[Rule.PARTIAL_UPDATE].findings), describe(
        evidence
    )
    assert all(":altered:" in f.key for f in evidence.tallies[Rule.ROUND_TRIP].findings), describe(evidence)


@pytest.mark.parametrize(
    ("defect", "rule", "other"),
    [("trim-whitespace", "rule-7", "rule-5"), ("null-clears", "rule-5", "rule-7")],
)
def test_each_alone_fails_only_its_own_rule(defect: str, rule: str, other: str) -> None:
    for seed in SEEDS:
        failed = rules_failed(evidence := _run(defect, seed, False))
        assert rule in failed and other not in failed, describe(evidence)


@pytest.mark.parametrize(
    ("defect", "behaviour"),
    [("customerid-as-string,null-clears", "rule-5"), ("camelcase-keys,trim-whitespace", "rule-7")],
)
def test_a_server_failing_rule_2_on_every_answer_still_has_rules_5_to_7_explored(
    defect: str, behaviour: str
) -> None:
    correct = _run(None, 1, False)
    broken = _run(defect, 1, False)
    assert {"rule-2", behaviour} <= rules_failed(broken), describe(broken)
    for rule in (Rule.PARTIAL_UPDATE, Rule.PATCH_ANSWER, Rule.ROUND_TRIP):
        explored, baseline = broken.tallies[rule], correct.tallies[rule]
        assert explored.checks + len(explored.findings) >= baseline.checks // 2, (rule.id, describe(broken))
