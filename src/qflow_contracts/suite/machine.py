"""The stateful, model-based conformance test: a Hypothesis `RuleBasedStateMachine` over a `Session`.

Each rule draws what to send (its draws in `@rule(...)`, the ones that depend on an earlier draw
from `data`) and runs it as `Actions` (`suite/actions.py`): the session's flows send it, check it
against the plain-data model and record what they saw in the ledger. A finding does not stop the
run: the step ends, the model is read back from the server and the run goes on, so every distinct
failure is found in one run. The run opens, once, with every corner of the contract
(`suite/opening.py`); then come the random examples. Customers a PATCH did not target are read
before they are used, by the sweep rule every few steps and at the end of every example.

`run_machine` is the entry point; `Unavailable` and `DeadlineReached` propagate out of it
untouched, after the rules it could not check are marked not exercised.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from qflow_client import Client
from qflow_client.types import UNSET, Unset

from qflow_contracts.int32 import INT32_MIN
from qflow_contracts.rules import PATCH_RULES, Rule
from qflow_contracts.suite import strategies as vs
from qflow_contracts.suite.actions import MALFORMED_ID_TYPES, NOT_CUSTOMER_IDS, Action, Actions
from qflow_contracts.suite.conversions import LENIENCIES
from qflow_contracts.suite.errors import DeadlineReached, Unavailable
from qflow_contracts.suite.evidence import Evidence
from qflow_contracts.suite.model import DICTIONARY, Facts, load_facts
from qflow_contracts.suite.opening import run_opening
from qflow_contracts.suite.policy import Policy
from qflow_contracts.suite.refusals import REFUSALS
from qflow_contracts.suite.session import Session
from qflow_contracts.suite.target import Target

DEFAULT_STEPS = 25
"""Random steps per example."""

BUDGET_UNITS_PER_EXAMPLE = 2
"""Units of `Target.max_examples` per example of the machine."""

PACED_STEP_REQUESTS = 4
"""On a paced server, the most requests the random steps send per unit of `Target.max_examples`
(100 at the default 25): the opening already checks every corner once, so the random steps get
what is left of a run that ends in about 40 s at 10 requests a second."""

SWEEP_EVERY = 10
"""Steps after which the sweep of the customers a PATCH did not target may run again."""

MACHINE_RULES = (
    Rule.DOB,
    Rule.WHOLE_RECORDS,
    Rule.GET_LOOKUP,
    Rule.PATCH_TARGET,
    Rule.PARTIAL_UPDATE,
    Rule.PATCH_ANSWER,
    Rule.ROUND_TRIP,
    Rule.ERRORS,
    Rule.UNKNOWN_AND_LIMITS,
    Rule.FORM_BODIES,
    Rule.LENIENCY,
    Rule.SPEC_SCHEMA,
    Rule.SPEC_CONTENT_TYPE,
)
"""The rules the machine checks."""


def customers(
    pool: Callable[[Policy], Iterable[int]] = lambda policy: policy.given,
) -> st.SearchStrategy[int]:
    """A given customer of the running machine, of the policy's `pool` (all given customers by
    default); the rule's precondition keeps the pool non-empty."""
    return st.runner().flatmap(lambda machine: st.sampled_from(list(pool(machine.s.policy))))


def _patching(self: CustomersMachine) -> bool:
    return self.s.policy.may_patch


class CustomersMachine(RuleBasedStateMachine):
    """Model-based test of the Customers API; `build_machine` binds it to a session."""

    session: ClassVar[Session]
    custom_keys = Bundle("custom_keys")

    def __init__(self) -> None:
        super().__init__()
        self.s = type(self).session
        if self.s.stopped is not None:
            raise self.s.stopped
        self.act = Actions(self.s)
        self.since_sweep = 0

    def _run(self, *plan: Action) -> None:
        self.since_sweep += 1
        self.act.run(list(plan))

    @initialize(target=custom_keys)
    def known_custom_property_keys(self) -> Any:
        """Seed the bundle with each given customer's dictionary keys."""
        names, policy = self.s.facts.of_kind(DICTIONARY), self.s.policy
        return multiple(*[(c, n, k) for c in policy.given for n in names for k in policy.original_keys(c, n)])

    # ---- GET rules (contract rule 3) -------------------------------------------------------------------

    @rule(cid=customers(), id_type=st.sampled_from([UNSET, 0, -1, INT32_MIN]))
    def get_by_customer_id(self, cid: int, id_type: int | Unset) -> None:
        """GET by CustomerId with idType absent, 0 or negative: the model's record (rules 2, 3)."""
        self._run(functools.partial(self.act.by_customer_id, cid, id_type))

    @precondition(lambda self: bool(self.s.policy.lookups_by_type()))
    @rule(cid=customers(Policy.lookups_by_type), ext_ref=st.sampled_from([UNSET, ""]))
    def get_by_personal_id_and_type(self, cid: int, ext_ref: str | Unset) -> None:
        """GET by PersonalId within idType: that customer, even when another type shares the id."""
        self._run(functools.partial(self.act.by_type, cid, ext_ref))

    @precondition(lambda self: bool(self.s.policy.lookups_by_extref()))
    @rule(
        cid=customers(Policy.lookups_by_extref), id_type=st.sampled_from([UNSET, 0, -1, "shared", "shared"])
    )
    def get_by_personal_id_and_ext_ref(self, cid: int, id_type: int | str | Unset) -> None:
        """GET by PersonalId within the type with idTypeExtRef, whatever idType says ("shared":
        another type's id that has the same PersonalId, when one does)."""
        if id_type == "shared":
            shared = self.s.policy.shared_type_for(cid)
            id_type = UNSET if shared is None else shared
        assert not isinstance(id_type, str)
        self._run(functools.partial(self.act.by_extref, cid, id_type))

    @precondition(lambda self: bool(self.s.policy.lookups_by_type()))
    @rule(cid=customers(Policy.lookups_by_type))
    def get_with_unknown_ext_ref(self, cid: int) -> None:
        """A non-empty idTypeExtRef no type has wins over a valid idType: 404, no fallback."""
        self._run(functools.partial(self.act.unknown_ext_ref_lookup, cid))

    @rule(cid=customers(), query=st.sampled_from(MALFORMED_ID_TYPES))
    def get_with_malformed_id_type(self, cid: int, query: str) -> None:
        """`idType=abc`, empty or outside 32 bits: 400 with an error body (rules 3, 8)."""
        self._run(functools.partial(self.act.malformed_id_type, cid, query))

    @rule(text=st.sampled_from(NOT_CUSTOMER_IDS), id_type=st.sampled_from([UNSET, 0]))
    def get_by_customer_id_that_is_not_a_number(self, text: str, id_type: int | Unset) -> None:
        """In CustomerId mode an `id` that is no number names no customer: 404."""
        self._run(functools.partial(self.act.not_a_customer_id, text, id_type))

    # ---- PATCH rules (contract rules 4 to 10, 14) ------------------------------------------------------

    @precondition(_patching)
    @rule(cid=customers(), unknown=st.sampled_from([None, "ignored", {"nested": [1]}]), data=st.data())
    def patch_json(self, cid: int, unknown: Any, data: st.DataObject) -> None:
        """PATCH as application/json by any identifier mode: partial update per the model (rules 4-7, 9)."""
        body = {**self.s.bodies.identity(data, cid), **self.act.changes(data, cid)}
        what = f"PATCH Customers (JSON) targeting customer {cid}"
        self._run(self.act.json(cid, body, what, unknown=unknown))

    @precondition(_patching)
    @rule(
        cid=customers(),
        ascii=st.booleans(),
        media=st.sampled_from(["text/json", "text/json; charset=utf-8"]),
        data=st.data(),
    )
    def patch_text_json(self, cid: int, ascii: bool, media: str, data: st.DataObject) -> None:
        """PATCH as text/json, a documented request format: the same behaviour as JSON."""
        body = {**self.s.bodies.identity(data, cid), **self.act.changes(data, cid)}
        self._run(self.act.raw(cid, body, json.dumps(body, ensure_ascii=ascii).encode("utf-8"), media))

    @precondition(_patching)
    @rule(data=st.data())
    def patch_form(self, data: st.DataObject) -> None:
        """PATCH as a form body (rule 10)."""
        self._run(self.act.form(data))

    @precondition(_patching)
    @rule(entry=custom_keys, value=vs.custom_property_values())
    def patch_one_custom_property(self, entry: tuple[int, str, str], value: str) -> None:
        """PATCH one existing dictionary key alone: it changes, every other key stays (rule 5)."""
        cid, name, key = entry
        body = {"CustomerId": cid, name: {key: value}}
        self._run(self.act.json(cid, body, f"PATCH of {name}[{key!r}] alone on customer {cid}"))

    @precondition(
        lambda self: _patching(self) and self.s.policy.may_add_keys and bool(self.s.facts.of_kind(DICTIONARY))
    )
    @rule(
        target=custom_keys, cid=customers(), key=vs.custom_property_keys(), value=vs.custom_property_values()
    )
    def patch_new_custom_property(self, cid: int, key: str, value: str) -> tuple[int, str, str]:
        """PATCH a new dictionary key alone: it is added, every other key stays (rule 5; owned only)."""
        name = self.s.facts.of_kind(DICTIONARY)[0]
        body = {"CustomerId": cid, name: {key: value}}
        self._run(self.act.json(cid, body, f"PATCH adding {name}[{key!r}] to customer {cid}"))
        return (cid, name, key)

    @precondition(lambda self: _patching(self) and self.s.policy.owned and bool(self.s.policy.lowest))
    @rule(
        cid=customers(lambda policy: policy.lowest),
        type_id=st.sampled_from(["absent", None, 0]),
        data=st.data(),
    )
    def patch_by_personal_id_alone(self, cid: int, type_id: int | str | None, data: st.DataObject) -> None:
        """PATCH by PersonalId with no type: the type with the lowest id (rule 4; owned only).

        The server may know a lower type than any given customer's: then only a probe GET tells."""
        pid = self.s.policy.originals[cid]["PersonalId"]
        body: dict[str, Any] = {"PersonalId": pid, **self.s.bodies.no_customer_id(data)}
        if type_id != "absent":
            body["PersonalIdTypeId"] = type_id
        body.update(self.act.changes(data, cid))
        lower = self.s.policy.originals[cid]["PersonalIdTypeId"]
        self._run(self.act.json(cid, body, f"PATCH by PersonalId {pid!r} with no type", lower_type=lower))

    @precondition(_patching)
    @rule(cid=customers(), kind=st.sampled_from(tuple(REFUSALS)), data=st.data())
    def refused_patch(self, cid: int, kind: str, data: st.DataObject) -> None:
        """An invalid PATCH of a given customer, with valid changes beside: 400 and no change (rule 8)."""
        self._run(self.act.refusal(data, cid, kind))

    @precondition(_patching)
    @rule(cid=customers(), kind=st.sampled_from(tuple(LENIENCIES)), data=st.data())
    def lenient_patch(self, cid: int, kind: str, data: st.DataObject) -> None:
        """A body with one of Json.NET's conversions: refused, or converted and stored (rule 14)."""
        self._run(self.act.lenient(data, cid, kind))

    @precondition(_patching)
    @rule(data=st.data())
    def patch_without_identifier(self, data: st.DataObject) -> None:
        """A PATCH with no identifier: 400, nothing changed (rule 4)."""
        self._run(self.act.without_identifier(data))

    @precondition(lambda self: _patching(self) and self.s.policy.may_probe_unknown)
    @rule(
        kind=st.sampled_from(["customer", "ext-ref"]),
        number=st.integers(900_000_000, 1_000_000_000),
        data=st.data(),
    )
    def patch_unknown_customer(self, kind: str, number: int, data: st.DataObject) -> None:
        """A PATCH whose identifier names no record: 404 and nothing changed (rule 4; owned only)."""
        self._run(self.act.unknown_customer(data, kind, number))

    # ---- customers no request targeted -----------------------------------------------------------------

    @precondition(lambda self: self.since_sweep >= SWEEP_EVERY and bool(self.s.pending))
    @rule()
    def sweep_untargeted_customers(self) -> None:
        """The customers a request did not target since they were last read read back as the
        model says (rules 4, 8)."""
        self.since_sweep = 0
        self.act.run([self.s.sweep])

    def teardown(self) -> None:
        """At the end of an example, the customers a request did not target are read once more."""
        if self.s.stopped is None:
            self.s.step(self.s.sweep)


# --------------------------------------------------------------------------------------------
# Running it


OPENING_STEPS = sum(
    1 for value in vars(CustomersMachine).values() if hasattr(value, "hypothesis_stateful_initialize_rule")
)
"""The `@initialize` rules, which Hypothesis counts among an example's steps."""


def build_machine(session: Session) -> type[CustomersMachine]:
    """A subclass of `CustomersMachine` bound to this session."""
    return type("CustomersStateMachine", (CustomersMachine,), {"session": session})


def step_budget(target: Target) -> int | None:
    """The most requests the random steps send: on a paced server `PACED_STEP_REQUESTS` per unit
    of the budget; None (the examples alone bound them) on a server sent to unpaced."""
    return None if target.rate_limit is None else target.max_examples * PACED_STEP_REQUESTS


def default_examples(target: Target) -> int:
    """Examples for a run: half the target's budget (at least 2)."""
    return max(2, target.max_examples // BUDGET_UNITS_PER_EXAMPLE)


def machine_settings(
    target: Target, *, max_examples: int | None = None, stateful_step_count: int | None = None
) -> settings:
    """Hypothesis settings for a run: the budget, no deadline, no database, no shrinking.

    Shrinking replays examples, which a server whose state moved on cannot honour.
    """
    return settings(
        max_examples=max_examples if max_examples is not None else default_examples(target),
        stateful_step_count=OPENING_STEPS
        + (stateful_step_count if stateful_step_count is not None else DEFAULT_STEPS),
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        report_multiple_bugs=False,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
    )


def not_exercised(session: Session, why: str | None = None) -> None:
    """Mark each rule of the machine that no check ran for, with the reason."""
    evidence, policy = session.evidence, session.policy
    for rule_ in MACHINE_RULES:
        tally = evidence.tallies[rule_]
        if tally.checks or tally.findings or tally.leniencies:
            continue
        if why is not None:
            reason = why
        elif not policy.may_patch and rule_ in PATCH_RULES:
            reason = "read-only run: no PATCH was sent"
        else:
            reason = "no check of it could run with the given customers"
        evidence.not_exercised(rule_, reason)
    if not policy.lookups_by_type() and not policy.lookups_by_extref():
        evidence.not_exercised(
            Rule.GET_LOOKUP,
            "no given customer has a PersonalId unique within its type: "
            "GET by idType/idTypeExtRef not checked",
        )
    if policy.may_patch and not policy.by_type and not policy.by_extref:
        evidence.not_exercised(
            Rule.PATCH_TARGET,
            "no given customer has a PersonalId unique within its type: PATCH by PersonalId not checked",
        )


def run_machine(
    target: Target,
    client: Client,
    originals: Mapping[int, Any],
    evidence: Evidence,
    *,
    max_examples: int | None = None,
    stateful_step_count: int | None = None,
    facts: Facts | None = None,
) -> None:
    """Run the state machine against `target`, recording every check, finding and leniency in
    `evidence`; a finding does not stop the run. `Unavailable` and `DeadlineReached` propagate."""
    session = Session(target, client, originals, evidence, facts or load_facts())
    machine = build_machine(session)
    run_seed = target.seed if target.seed is not None else random.SystemRandom().randrange(2**32)
    try:
        run_opening(session, run_seed)
        budget = step_budget(target)
        session.step_limit = None if budget is None else evidence.requests + budget
        with evidence.spending("steps"):
            run_state_machine_as_test(
                seed(run_seed)(machine),
                settings=machine_settings(
                    target, max_examples=max_examples, stateful_step_count=stateful_step_count
                ),
            )
    except BaseException as error:
        stopped = session.stopped or (error if isinstance(error, (Unavailable, DeadlineReached)) else None)
        if stopped is None:
            raise
        what = (
            "the run's deadline was reached"
            if isinstance(stopped, DeadlineReached)
            else "the server became unavailable"
        )
        not_exercised(session, f"{what} before it was checked")
        raise stopped from None
    not_exercised(session)
    zone_caution(session)


def zone_caution(session: Session) -> None:
    """Say in the verdict when the server's offset could not be learned (contract rule 1): then a
    date that moved was judged a failure, with no conversion to explain it."""
    if session.zone.offset is None and not session.zone.keeps and session.policy.may_patch:
        session.evidence.caution(
            "the server's offset could not be learned (no date written with an offset was read): "
            "a moved date could not be told apart from the platform's time-zone conversion, "
            "and counts as a failure (contract rule 1)"
        )
