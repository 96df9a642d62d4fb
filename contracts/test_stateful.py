"""Stateful, model-based conformance: the behaviour rules of the contract (spec/CONTRACT.md), checked
against a model of the given customers by a Hypothesis state machine (`qflow_contracts.suite.machine`).

The `target`, `client`, `originals` and `evidence` fixtures come from the suite's pytest plugin.
Against a server the suite did not start, the machine PATCHes only the given customers and only in
ways PATCH can undo; a read-only target gets GETs only (contract rules 11 and 13). Every finding is
recorded in the ledger; at the end the test raises `FindingsRecorded` (one short message) when
there is any: the findings are the run's verdict, which the plugin tells apart from the suite's own
errors.
"""

from __future__ import annotations

from typing import Any

from qflow_client import Client

from qflow_contracts.suite.evidence import Evidence, FindingsRecorded
from qflow_contracts.suite.machine import DEFAULT_STEPS, default_examples, run_machine
from qflow_contracts.suite.target import Target

SHOWN = 12
"""The most findings the failure message lists (the report has them all)."""


def summary(evidence: Evidence, *, strict: bool) -> str:
    """One line per finding (and per leniency, when strict), each with its reproduction."""
    found = evidence.findings()
    if strict:
        found += [f for tally in evidence.tallies.values() for f in tally.leniencies]
    lines = [f"{len(found)} finding(s):"]
    for finding in found[:SHOWN]:
        lines.append(f"[{finding.rule.id}] {finding.summary}")
        for command in (finding.reproduction or "").splitlines():
            lines.append(f"    {command}")
    if len(found) > SHOWN:
        lines.append(f"... and {len(found) - SHOWN} more in the report")
    return "\n".join(lines)


def test_customers_behave_as_the_model_predicts(
    target: Target, client: Client, originals: dict[int, Any], evidence: Evidence
) -> None:
    """GET in three lookup modes, PATCH in three targeting modes, partial updates, merges, exact
    round trips, refusals that change nothing, Json.NET's conversions: each finding names its rule."""
    run_machine(
        target,
        client,
        originals,
        evidence,
        max_examples=default_examples(target),
        stateful_step_count=DEFAULT_STEPS,
    )
    failed = bool(evidence.findings()) or (
        target.strict and any(tally.leniencies for tally in evidence.tallies.values())
    )
    if failed:
        raise FindingsRecorded(summary(evidence, strict=target.strict))
