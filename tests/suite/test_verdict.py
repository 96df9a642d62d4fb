"""The verdict per rule and overall, the exit code, and the rules each kind of run asks."""

from __future__ import annotations

import pytest

from qflow_contracts.exitcodes import ExitCode
from qflow_contracts.rules import PATCH_RULES, Rule
from qflow_contracts.suite.evidence import Status
from qflow_contracts.suite.target import Target, asked_rules
from qflow_contracts.suite.verdict import (
    CONFORMANT,
    INCOMPLETE,
    NOT_CONFORMANT,
    exit_code,
    overall,
    rule_verdict,
)
from tests.suite.ledgers import LENIENCY, THREE, asked, exercised, info


def _target(*, owned: bool = False, read_only: bool = False, headers: dict[str, str] | None = None) -> Target:
    return Target(
        base_url="http://127.0.0.1:1/API",
        customer_ids=(1,),
        headers=headers or {},
        owned=owned,
        read_only=read_only,
    )


def test_a_read_only_run_asks_no_patch_rule() -> None:
    rules = asked_rules(_target(read_only=True))
    assert not rules & PATCH_RULES
    assert {Rule.WHOLE_RECORDS, Rule.GET_LOOKUP, Rule.ERRORS, Rule.SPEC_SCHEMA, Rule.PACED} <= rules
    assert Rule.RESTORED not in rules


def test_the_embedded_mock_is_not_asked_rules_13_and_15() -> None:
    rules = asked_rules(_target(owned=True))
    assert Rule.RESTORED not in rules and Rule.PACED not in rules
    assert rules >= PATCH_RULES


def test_a_deployment_is_asked_every_rule_but_12_without_credentials() -> None:
    assert asked_rules(_target()) == set(Rule) - {Rule.AUTHENTICATION}
    assert asked_rules(_target(headers={"X-Api-Key": "k"})) == set(Rule)


def test_every_asked_rule_exercised_and_none_failed_is_conformant() -> None:
    rules = asked()
    result = overall(exercised(rules), info(), asked=rules)
    assert result.name == CONFORMANT
    assert exit_code(result, info()) is ExitCode.CONFORMANT


def test_read_only_patch_rules_are_not_asked_never_passed() -> None:
    rules = asked(read_only=True)
    facts = info(read_only=True)
    evidence = exercised(rules)
    for rule in PATCH_RULES:
        verdict = rule_verdict(evidence, facts, rule, rules)
        assert verdict.status is Status.NOT_ASKED
        assert verdict.why == ("read-only run: no PATCH is sent",)
    result = overall(evidence, facts, asked=rules)
    assert result.name == CONFORMANT
    assert any("not asked" in reason and "rule-5" in reason for reason in result.reasons)


def test_an_asked_rule_not_exercised_makes_the_run_incomplete() -> None:
    rules = asked()
    evidence = exercised(rules - {Rule.GET_LOOKUP})
    evidence.not_exercised(Rule.GET_LOOKUP, "no given customer has a PersonalId")
    result = overall(evidence, info(), asked=rules)
    assert result.name == INCOMPLETE
    assert any("rule-3" in reason and "PersonalId" in reason for reason in result.reasons)
    assert exit_code(result, info()) is ExitCode.INCOMPLETE


def test_a_rule_with_no_evidence_at_all_is_not_exercised() -> None:
    rules = asked()
    verdict = rule_verdict(exercised(rules - {Rule.DOB}), info(), Rule.DOB, rules)
    assert verdict.status is Status.NOT_EXERCISED and verdict.why


def test_a_finding_fails_the_run_even_against_a_rule_not_asked() -> None:
    rules = asked(read_only=True)
    evidence = exercised(rules)
    evidence.failed(THREE[0])
    result = overall(evidence, info(read_only=True), asked=rules)
    assert result.name == NOT_CONFORMANT
    assert exit_code(result, info(read_only=True)) is ExitCode.NOT_CONFORMANT


def test_leniency_warns_and_fails_only_when_strict() -> None:
    rules = asked()
    evidence = exercised(rules)
    evidence.lenient(LENIENCY)
    lenient = overall(evidence, info(), asked=rules)
    assert lenient.name == CONFORMANT
    assert any("leniency" in reason for reason in lenient.reasons)
    strict = overall(evidence, info(strict=True), asked=rules)
    assert strict.name == NOT_CONFORMANT
    assert exit_code(strict, info(strict=True)) is ExitCode.NOT_CONFORMANT


def test_a_run_stopped_early_is_incomplete() -> None:
    rules = asked()
    facts = info(stopped="--max-time 60 reached")
    result = overall(exercised(rules), facts, asked=rules)
    assert result.name == INCOMPLETE
    assert exit_code(result, facts) is ExitCode.INCOMPLETE


@pytest.mark.parametrize("with_finding", [False, True])
def test_an_incomplete_restore_wins_the_exit_code(with_finding: bool) -> None:
    rules = asked(owned=False)
    evidence = exercised(rules)
    if with_finding:
        evidence.failed(THREE[1])
    facts = info(owned=False, restore_ok=False, restore="restore: customer 101 conflicts")
    result = overall(evidence, facts, asked=rules)
    assert "restore: customer 101 conflicts" in result.reasons
    assert exit_code(result, facts) is ExitCode.RESTORE_INCOMPLETE


def test_findings_outrank_an_unavailable_server_which_outranks_incomplete() -> None:
    rules = asked()
    facts = info(unavailable="timeout after 30 s", stopped="the server stopped answering")
    evidence = exercised(rules)
    assert exit_code(overall(evidence, facts, asked=rules), facts) is ExitCode.UNAVAILABLE
    evidence.failed(THREE[2])
    assert exit_code(overall(evidence, facts, asked=rules), facts) is ExitCode.NOT_CONFORMANT


def test_rules_13_and_15_are_proven_by_the_restore_and_the_paced_requests() -> None:
    rules = asked(owned=False)
    evidence = exercised(rules - {Rule.RESTORED, Rule.PACED})
    facts = info(owned=False, restore="restore: all 2 customers read back as they were")
    assert overall(evidence, facts, asked=rules).name == INCOMPLETE
    facts.restored = 2
    paced = rule_verdict(evidence, facts, Rule.PACED, rules)
    assert paced.status is Status.PASSED and paced.checks == evidence.requests
    assert rule_verdict(evidence, facts, Rule.RESTORED, rules).checks == 2
    assert overall(evidence, facts, asked=rules).name == CONFORMANT


def test_requests_to_the_embedded_mock_prove_nothing_about_pacing() -> None:
    rules = asked(owned=True)
    evidence = exercised(rules)
    verdict = rule_verdict(evidence, info(), Rule.PACED, rules)
    assert verdict.status is Status.NOT_ASKED and verdict.checks == 0


def test_rule_12_is_proven_by_the_requests_that_carried_the_credentials() -> None:
    rules = asked(credentials=True)
    evidence = exercised(rules - {Rule.AUTHENTICATION})
    verdict = rule_verdict(evidence, info(), Rule.AUTHENTICATION, rules)
    assert verdict.status is Status.PASSED and verdict.checks == evidence.requests
    assert rule_verdict(evidence, info(), Rule.AUTHENTICATION, asked()).status is Status.NOT_ASKED
