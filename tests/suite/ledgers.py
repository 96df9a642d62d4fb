"""Hand-made evidence ledgers and run facts for the verdict, report and console tests."""

from __future__ import annotations

from qflow_contracts.rules import Rule, why_not_asked
from qflow_contracts.suite.evidence import Evidence, Finding, RunInfo

DIGEST = "0f" * 32


def asked(*, owned: bool = True, read_only: bool = False, credentials: bool = False) -> set[Rule]:
    """The rules a run of this kind asks (as `asked_rules` computes them from a Target)."""
    return {
        rule
        for rule in Rule
        if why_not_asked(rule, owned=owned, read_only=read_only, credentials=credentials) is None
    }


def info(**changes: object) -> RunInfo:
    """The facts of an embedded-mock run, with `changes` applied."""
    facts = RunInfo(
        base_url="http://127.0.0.1:8123/API",
        owned=True,
        seed=4242,
        started="2026-11-23T16:00:00Z",
        duration=12.34,
        project_version="0.1.0",
        spec_version="1.0.0",
        spec_digest=DIGEST,
        customer_ids=(101, 102),
        restore="restore: not needed (the embedded mock is discarded after the run)",
    )
    for name, value in changes.items():
        setattr(facts, name, value)
    return facts


def exercised(rules: set[Rule], checks: int = 2) -> Evidence:
    """A ledger where every rule of `rules` held `checks` checks, one request each."""
    evidence = Evidence()
    for rule in sorted(rules, key=lambda rule: rule.id):
        evidence.request(rule)
        evidence.held(rule, checks)
    return evidence


def finding(rule: Rule, key: str, summary: str, detail: str = "sent {}\nanswered 500") -> Finding:
    """A finding of `rule` with a curl reproduction."""
    curl = f"curl -X PATCH 'http://127.0.0.1:8123/API/Customers' -H 'Authorization: ***' --data '{key}'"
    return Finding(rule=rule, key=key, summary=summary, detail=detail, reproduction=curl)


THREE = (
    finding(Rule.PARTIAL_UPDATE, "rule-5:null-cleared:string", "a null FirstName cleared the stored value"),
    finding(Rule.ROUND_TRIP, "rule-7:altered:string", "FirstName ' Zoë ' read back as 'Zoë'"),
    finding(Rule.GET_LOOKUP, "lookup:extref", "idTypeExtRef was ignored: customer 102 answered for 101"),
)
"""Three findings of three different rules, their keys as the checks write them (codes QF502,
QF701, QF301)."""

LENIENCY = finding(Rule.LENIENCY, "sex-string", 'Sex "1" was accepted and stored as 1')
