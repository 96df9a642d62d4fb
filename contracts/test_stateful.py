"""Stateful, model-based conformance: every behaviour rule of the contract, checked against a model
of the given customers by a Hypothesis state machine (`qflow_contracts.suite.stateful`).

The `target`, `client`, `originals` and `evidence` fixtures come from the suite's pytest plugin.
Against a server the suite did not start, the machine PATCHes only the given customers and only in
ways PATCH can undo; a read-only target gets GETs only (contract rules 11 and 13).
"""

from __future__ import annotations

import inspect
from typing import Any

from qflow_client import Client

from qflow_contracts.suite.evidence import Evidence
from qflow_contracts.suite.stateful import DEFAULT_STEPS, default_examples, run_machine
from qflow_contracts.suite.target import Target


def test_customers_behave_as_the_model_predicts(
    target: Target, client: Client, originals: dict[int, Any], evidence: Evidence
) -> None:
    """GET in three lookup modes, PATCH in three targeting modes, partial updates, merges, exact
    round-trips, refusals that change nothing: a failure names the contract rule it breaks."""
    budget: dict[str, Any] = {"max_examples": default_examples(target), "stateful_step_count": DEFAULT_STEPS}
    if "evidence" in inspect.signature(run_machine).parameters:
        run_machine(target, client, originals, evidence, **budget)  # type: ignore[call-arg,arg-type,unused-ignore]
    else:
        run_machine(target, client, originals, **budget)
