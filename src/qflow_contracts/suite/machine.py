"""The stateful, model-based conformance test: a Hypothesis `RuleBasedStateMachine` over a `Session`.

The machine's rules draw what to send and hand it to the session's flows (`suite/session.py`),
which send it, check it against the plain-data model and record what they saw in the ledger. The
run opens, once (`run_opening`), with every lookup of every given customer, hard round trips, every
length limit, a dictionary key alone, every kind of invalid body, each Json.NET conversion, PATCH
by PersonalId, a form body and a body with no identifier; then come the random examples. Customers
a PATCH did not target are read before they are used and swept every few steps. A finding does not
stop the run: the step ends, the model is read back from the server and the run goes on, so every
distinct failure is found in one run.

`run_machine` is the entry point; `Unavailable` and `DeadlineReached` propagate out of it
untouched, after the rules it could not check are marked not exercised.
"""

from __future__ import annotations

import functools
import json
import random
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from qflow_client import Client
from qflow_client.models.customer_update import CustomerUpdate
from qflow_client.types import UNSET, Unset

from qflow_contracts.rules import PATCH_RULES, Rule
from qflow_contracts.suite import strategies as vs
from qflow_contracts.suite.bodies import (
    INDEXED,
    KEYED,
    LENIENCIES,
    REFUSALS,
    UNKNOWN_EXT_REF,
    UNKNOWN_PROPERTY,
    Refusal,
    form_applied,
    form_pairs,
)
from qflow_contracts.suite.evidence import Evidence
from qflow_contracts.suite.exchange import Exchange
from qflow_contracts.suite.http import DeadlineReached, Unavailable
from qflow_contracts.suite.model import DATE, DICTIONARY, INTEGER, STRING, Facts, load_facts
from qflow_contracts.suite.session import Session
from qflow_contracts.suite.target import Target
from qflow_contracts.suite.zone import LEARNING_PROBE, written_offset
from qflow_contracts.suite.zone import probes as zone_probes

MALFORMED_ID_TYPES = ("idType=abc", "idType=", "idType=2147483648", "idType=-2147483649")
"""Queries whose idType is not a 32-bit integer: 400 (contract rule 3)."""

NOT_CUSTOMER_IDS = ("abc", "no-such-customer", "x1")
"""`id` values that name no customer in CustomerId mode: 404 (contract rule 3)."""

NOBODY_IDS: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("0", (404,)),
    ("-1", (404,)),
    (str(2**31), (400, 404)),
    (str(2**63), (400, 404)),
)
"""Numbers that name nobody in CustomerId mode (CustomerIds are positive int32s, contract rule 3),
however a server cuts them (`http.names_nobody`), with the answers a server may give: 404, or 400
for a number beyond 32 bits; never a 5xx (rule 8). Sent once per run, on a deployment too."""

DICTIONARY_SHAPES: tuple[tuple[str, str], ...] = (
    ("digits", "0042"),
    ("true", "true"),
    ("null", "null"),
    ("empty", ""),
    ("long", ("qflow-long-value " * 236)[:4001]),
    ("astral", "\U0001f600\U0001d11e\U0010fffd"),
)
"""Dictionary values a server could take for another type or cut (contract rules 7 and 8): digits
with a leading zero and words JSON reads as literals (a string, never a number, boolean or null),
empty, one over SQL Server's longest `nvarchar(4000)`, and characters outside the BMP."""

CONCURRENT = 3
"""PATCHes of one customer sent together to look for a lost update (contract rule 5)."""

PROBE_TEXT = "qflow-probe-"
"""Made-up identity text, repeated to a limit: no PersonalId of a real person looks like it."""

DEFAULT_STEPS = 25
"""Random steps per example."""

BUDGET_UNITS_PER_EXAMPLE = 2
"""Units of `Target.max_examples` per example of the machine."""

PACED_STEP_REQUESTS = 4
"""On a paced server, the most requests the random steps send per unit of `Target.max_examples`
(100 at the default 25): the opening already checks every corner once, so the random steps get
what is left of a run that ends in about 40 s at 10 requests a second."""

SWEEP_EVERY = 10
"""Steps between two sweeps of the customers a PATCH did not target."""

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


Action = Callable[[], None]
"""A step's requests and checks, drawn in full before it runs."""


def _nothing() -> None:
    """A step the policy leaves nothing to send for."""


Step = TypeVar("Step", bound=Callable[..., None])


def guarded(method: Step) -> Step:
    """A rule that draws everything before its first request; a failure ends the step (its finding
    is in the ledger) and the model is read back from the server."""

    @functools.wraps(method)
    def wrapper(self: CustomersMachine, **kwargs: Any) -> None:
        if not self.spent:
            self.session.step(lambda: method(self, **kwargs))

    return wrapper  # type: ignore[return-value]


def _patching(self: CustomersMachine) -> bool:
    return self.session.policy.may_patch


class CustomersMachine(RuleBasedStateMachine):
    """Model-based test of the Customers API; `build_machine` binds it to a session."""

    session: ClassVar[Session]
    custom_keys = Bundle("custom_keys")

    def __init__(self) -> None:
        super().__init__()
        self.s = type(self).session
        if self.s.stopped is not None:
            raise self.s.stopped
        self.steps = 0
        # Draws depend only on the originals and on this example's own draws, never on what the
        # server answered or held (earlier examples changed it): Hypothesis needs consistent
        # generation, so every rule draws all it sends before it sends anything.
        self.keys: dict[int, list[str]] = {}

    @property
    def given(self) -> tuple[int, ...]:
        return self.s.policy.given

    def _customer(self, data: st.DataObject, pool: tuple[int, ...] | list[int] | None = None) -> int:
        return data.draw(st.sampled_from(list(pool or self.given)), label="customer")

    @property
    def spent(self) -> bool:
        """Whether the random steps have sent all the requests they may (`step_budget`)."""
        limit = self.s.step_limit
        return self.s.opened and limit is not None and self.s.evidence.requests >= limit

    def _run(self, plan: list[Action]) -> None:
        for action in plan:
            if not self.spent:
                self.s.step(action)

    # ---- the opening, once per run --------------------------------------------------------------

    @initialize(target=custom_keys)
    def known_custom_property_keys(self) -> Any:
        """Seed the bundle with each given customer's dictionary keys."""
        names = self.s.facts.of_kind(DICTIONARY)
        return multiple(
            *[(c, n, k) for c in self.given for n in names for k in self.s.policy.original_keys(c, n)]
        )

    def opening(self, data: st.DataObject) -> None:
        """Every lookup, hard round trips, every kind of invalid body, every property at its limit
        and one past it (PersonalId's too), every dictionary value shape, PATCHes in flight
        together, each of Json.NET's conversions, PATCH by PersonalId, a form body, a body with no
        identifier and one with another identity, and GETs by numbers that name nobody: sent once
        per run (`run_opening`), before the random steps; sent again, each would only check what it
        already settled."""
        if self.s.opened:
            return
        plan: list[Action] = [functools.partial(self._every_lookup, c, n) for n, c in enumerate(self.given)]
        if self.s.policy.may_patch:
            plan += [*self._round_trips(data), *self._at_the_limits(data), *self._one_key_alone(data)]
            plan += self._identity_limits(data) + self._dictionary_shapes(data) + self._together(data)
            plan += self._dob_probes(data)
            refusals, limits = self._every_refusal(data)
            plan += refusals + limits + self._every_leniency(data) + self._by_personal_id(data)
            plan += [self._without_identifier(data), *self._form_encodings(data), self._form(data)]
            plan += [self._identity_decoy(data)]
        plan += [functools.partial(self._names_nobody, text, statuses) for text, statuses in NOBODY_IDS]
        self.s.opened = True  # once all of it is drawn: a draw that runs out of data sent nothing
        with self.s.evidence.spending("opening"):
            self._run(plan)

    def _every_lookup(self, cid: int, number: int) -> None:
        self._malformed_id_type(cid, MALFORMED_ID_TYPES[number % len(MALFORMED_ID_TYPES)])
        self._not_a_customer_id(NOT_CUSTOMER_IDS[number % len(NOT_CUSTOMER_IDS)], UNSET)
        self._by_customer_id(cid, UNSET)
        if number == 0:
            what = f"GET Customers/{cid}?idTypeExtRef= (empty: the documented default)"
            self.s.lookup(cid, str(cid), UNSET, "", what)
        if cid in self.s.policy.lookups_by_type():
            self._by_type(cid, UNSET)
        if cid in self.s.policy.lookups_by_extref():
            shared = self.s.policy.shared_type_for(cid)
            self._by_extref(cid, UNSET if shared is None else shared)

    def _round_trips(self, data: st.DataObject) -> list[Action]:
        """Two PATCHes of one customer: half the properties set to hard values and half null, then
        the other way round (rules 1, 5, 6, 7)."""
        cid = self._customer(data)
        plan: list[Action] = []
        for turn in (0, 1):
            body: dict[str, Any] = {
                "CustomerId": cid,
                **self.s.bodies.hard_values(data, cid, self.s.policy.originals[cid], turn),
            }
            for name in self.s.facts.of_kind(DICTIONARY):
                body[name] = self.s.bodies.dictionary(data, cid, name, self._known(cid), form=False)
            plan.append(self._json(cid, body, f"round trip {turn + 1} of customer {cid}"))
        return plan

    def _owner(self, first: int, name: str) -> int | None:
        """`first` when it may be given a value of `name`, else the first given customer that may."""
        pool = [first, *self.given]
        return next((c for c in pool if self.s.policy.may_set(c, name)), None)

    def _at_the_limits(self, data: st.DataObject) -> list[Action]:
        """PATCHes with every string at its `maxLength` in astral characters (twice as many UTF-16
        units), every bounded integer at its upper bound, and an unknown property: accepted, stored
        exactly, the unknown one ignored (rule 9). Each property goes to the drawn customer, or, when
        that one may not be given a value of it, to the first that may: every limit in every run.

        A server that counts UTF-16 code units, as .NET does, refuses it: a platform warning, and
        then the same at the limit in UTF-16 units (astral characters and one BMP character for an
        odd limit), which every server must accept."""
        cid = self._customer(data)
        bodies: dict[int, dict[str, Any]] = {}
        units: dict[int, dict[str, Any]] = {}
        for name in self.s.facts.of_kind(STRING):
            limit = self.s.facts.max_length(name)
            owner = self._owner(cid, name)
            if limit is None or owner is None:
                continue
            value = data.draw(vs.astral_values(limit), label=name)
            bodies.setdefault(owner, {"CustomerId": owner})[name] = value
            units.setdefault(owner, {"CustomerId": owner})[name] = value[: limit // 2] + (
                "x" if limit % 2 else ""
            )
        for name in vs.invalid_names(self.s.facts, "out-of-range"):
            owner = self._owner(cid, name)
            if owner is not None:
                bodies.setdefault(owner, {"CustomerId": owner})[name] = self.s.facts.int_range(name)[1]
        unknown = data.draw(st.sampled_from(["ignored", {"nested": [1]}]), label="unknown")
        plan: list[Action] = []
        for owner, body in bodies.items():
            plan.append(
                self._json(owner, body, f"PATCH of customer {owner} at every length limit", unknown=unknown)
            )
            if owner in units:
                second = self._json(
                    owner,
                    units[owner],
                    f"PATCH of customer {owner} at every length limit in UTF-16 units",
                    unknown=unknown,
                )
                plan.append(functools.partial(self._if_utf16_refused, second))
        return plan

    def _if_utf16_refused(self, action: Action) -> None:
        if self.s.utf16_refused:
            action()

    def _identity_limits(self, data: st.DataObject) -> list[Action]:
        """Each identity string with a `maxLength` (PersonalId), sent with the record's own CustomerId
        so the target is fixed: at its limit, with every bounded integer at its lower bound, accepted
        and the identity unchanged (rules 5, 9); one character over it, refused with 400 and nothing
        changed (rule 8). On a deployment only to a customer with a PersonalId, as the decoy does."""
        names = [
            n
            for n in self.s.facts.identity
            if self.s.facts.kind(n) == STRING and self.s.facts.max_length(n) is not None
        ]
        safe = [c for c in self.given if self.s.policy.owned or self.s.policy.originals[c].get("PersonalId")]
        if not names or not safe:
            return []
        cid = self._customer(data, safe)
        plan: list[Action] = []
        for name in names:
            limit = self.s.facts.max_length(name)
            assert limit is not None
            at_limit = (PROBE_TEXT * limit)[:limit]
            body: dict[str, Any] = {"CustomerId": cid, name: at_limit}
            for low in vs.invalid_names(self.s.facts, "out-of-range"):
                if self.s.policy.may_set(cid, low):
                    body[low] = self.s.facts.int_range(low)[0]
            plan.append(
                self._json(cid, body, f"PATCH of customer {cid} with a {name} at its limit ({limit})")
            )
            over = {"CustomerId": cid, name: (PROBE_TEXT * (limit + 1))[: limit + 1]}
            content = json.dumps(over).encode("utf-8")
            refusal = Refusal(content, "application/json", (400,), "too-long", "too-long:identity")
            plan.append(functools.partial(self.s.refusal, cid, refusal))
        return plan

    def _dob_probes(self, data: st.DataObject) -> list[Action]:
        """DOBs in the server's offset near midnight (their date must stay), one far from it near
        midnight (moved only by a conversion that keeps the instant), and the boundary dates
        0001-01-01, 1752-12-31, 1753-01-01 and 9999-12-31, which must not get a 5xx (rules 1, 8).

        The offset is the one the given customers' dates are written in; when none carries one, a
        date at noon UTC is sent first and the answer teaches it. Where the server keeps each date's
        offset, the customer's own offset is used. Built when they run, from what was learned."""
        names = self.s.facts.of_kind(DATE)
        pool = [c for c in self.given if any(self.s.policy.may_set(c, n) for n in names)]
        if not names or not pool:
            return []
        cid = self._customer(data, pool)
        name = next(n for n in names if self.s.policy.may_set(cid, n))

        def send(value: str, what: str) -> Action:
            body = {"CustomerId": cid, name: value}
            return self._json(cid, body, f"PATCH of customer {cid}: {name} {what}")

        def probes() -> None:
            zone = self.s.zone
            if zone.offset is None and not zone.keeps:
                self.s.step(send(LEARNING_PROBE, "at noon UTC, to learn the server's offset"))
            offset = zone.offset
            if offset is None:
                offset = written_offset(self.s.policy.originals[cid].get(name)) or 0
            self._run([send(value, f"= {value}") for value in zone_probes(offset)])

        return [probes]

    def _one_key_alone(self, data: st.DataObject) -> list[Action]:
        """One dictionary key sent alone to a customer that has others: it changes, they stay (rule 5).

        The customer with the most keys; with none, a new key where the policy allows one."""
        plan: list[Action] = []
        for name in self.s.facts.of_kind(DICTIONARY):
            most = max(self.given, key=lambda c: len(self.s.policy.original_keys(c, name)))
            keys = sorted(self.s.policy.original_keys(most, name))
            if keys:
                key = data.draw(st.sampled_from(keys), label=f"{name} key")
            elif self.s.policy.may_add_keys:
                key = data.draw(vs.custom_property_keys(), label=f"new {name} key")
            else:
                continue
            value = data.draw(vs.custom_property_values(), label="value")
            body = {"CustomerId": most, name: {key: value}}
            plan.append(self._json(most, body, f"PATCH of {name}[{key!r}] alone on customer {most}"))
        return plan

    def _together(self, data: st.DataObject) -> list[Action]:
        """`CONCURRENT` PATCHes of one given customer by its CustomerId, each setting another string
        property to a made-up ASCII value (no server may alter it), in flight together, then the GET
        that must show every one (rule 5: no lost update). Journaled and restored as any PATCH."""
        pool = [c for c in self.given if len(self.s.policy.settable(c, (STRING,))) >= 2]
        if not pool:
            return []
        cid = self._customer(data, pool)
        names = data.draw(st.permutations(self.s.policy.settable(cid, (STRING,))), label="together")
        token = data.draw(st.integers(0, 2**32 - 1), label="token")
        bodies = []
        for number, name in enumerate(names[:CONCURRENT]):
            limit = self.s.facts.max_length(name) or vs.UNBOUNDED_TEXT
            bodies.append({"CustomerId": cid, name: f"qflow-{number}-{token:08x}"[:limit]})
        what = (
            f"{len(bodies)} PATCHes of customer {cid} in flight together ({', '.join(names[: len(bodies)])})"
        )
        return [functools.partial(self.s.concurrent, cid, bodies, what)]

    def _dictionary_shapes(self, data: st.DataObject) -> list[Action]:
        """Every value shape of `DICTIONARY_SHAPES` written to a dictionary and read back as the same
        string (rules 5, 7; an answer with another type fails the spec's schema). On the embedded
        mock under new keys of one customer; on a deployment over the keys the customer with the
        most has, as few PATCHes as its keys allow."""
        plan: list[Action] = []
        for name in self.s.facts.of_kind(DICTIONARY):
            if self.s.policy.may_add_keys:
                cid = self._customer(data)
                keys = [f"qflow-shape-{label}" for label, _ in DICTIONARY_SHAPES]
            else:
                cid = max(self.given, key=lambda c: len(self.s.policy.original_keys(c, name)))
                keys = self.s.policy.original_keys(cid, name)
            if not keys:
                continue
            for start in range(0, len(DICTIONARY_SHAPES), len(keys)):
                shapes = DICTIONARY_SHAPES[start : start + len(keys)]
                entries = {key: value for key, (_, value) in zip(keys, shapes, strict=False)}
                labels = ", ".join(label for label, _ in shapes)
                body = {"CustomerId": cid, name: entries}
                plan.append(self._json(cid, body, f"PATCH of customer {cid}: {name} values {labels}"))
        return plan

    def _every_refusal(self, data: st.DataObject) -> tuple[list[Action], list[Action]]:
        """Invalid PATCHes carrying a valid change, 400 (415) and nothing applied (rule 8): one of
        every kind, and one over the limit (length, range) of every property that has one."""
        cid = self._customer(data)
        strings = self.s.policy.settable(cid, (STRING,))
        change: dict[str, Any] = {}
        if strings:
            name = data.draw(st.sampled_from(strings), label="valid change")
            change[name] = data.draw(vs.value_for(self.s.facts, name, falsy=False), label=name)
        plan = [self._refusal(data, cid, kind, change) for kind in REFUSALS]
        limits: list[Action] = []
        for kind in ("too-long", "out-of-range"):
            for name in vs.invalid_names(self.s.facts, kind):
                owners = [c for c in (cid, *self.given) if name in self.s.bodies.invalid_names(c, kind)]
                if not owners:
                    continue
                beside = change if owners[0] == cid else {}
                values: list[st.SearchStrategy[Any]]
                if kind == "too-long":
                    limit = self.s.facts.max_length(name)
                    assert limit is not None
                    values = [vs.one_over(limit)]
                else:
                    values = [st.just(v) for v in vs.just_outside(*self.s.facts.int_range(name))]
                limits += [self._refusal(data, owners[0], kind, beside, name, v) for v in values]
        return plan, [*limits, self._beyond_32_bits(cid, change)]

    def _beyond_32_bits(self, cid: int, change: dict[str, Any]) -> Action:
        """Every integer the body may carry (identity included: the body's CustomerId fixes its
        target) at 2**31, one past 32 bits, beside a valid change: 400 and nothing changed (rules 8, 9)."""
        wide = {
            n: 2**31 for n in self.s.facts.identity if self.s.facts.kind(n) == INTEGER and n != "CustomerId"
        }
        wide |= {n: 2**31 for n in self.s.policy.settable(cid, (INTEGER,))}
        content = json.dumps({"CustomerId": cid, **change, **wide}, ensure_ascii=False).encode("utf-8")
        refusal = Refusal(content, "application/json", (400,), "overflow", "overflow:property")
        return functools.partial(self.s.refusal, cid, refusal)

    def _every_leniency(self, data: st.DataObject) -> list[Action]:
        """Each of Json.NET's conversions once (rule 14)."""
        cid = self._customer(data)
        return [self._lenient(data, cid, kind) for kind in LENIENCIES]

    def _by_personal_id(self, data: st.DataObject) -> list[Action]:
        """PATCH by PersonalId within its type, then within the type its ext ref names (rule 4);
        customers whose PersonalId another type shares, or another customer's equals but for case,
        first."""
        plan: list[Action] = []
        for mode, pool in (("type", self.s.policy.by_type), ("extref", self.s.policy.by_extref)):
            shared = [
                c for c in pool if self.s.policy.shared_type_for(c) is not None or self.s.policy.collides(c)
            ][:4]
            for cid in shared or ([self._customer(data, pool)] if pool else []):
                body = {**self.s.bodies.identity(data, cid, mode=mode), **self._changes(data, cid)}
                plan.append(self._json(cid, body, f"PATCH by PersonalId ({mode}) of customer {cid}"))
        return plan

    def _identity_decoy(self, data: st.DataObject) -> Action:
        """PATCH by CustomerId carrying another identity, which is never changed (rule 5).

        On a deployment only a made-up PersonalId goes with the target's own CustomerId."""
        if self.s.policy.owned:
            cid = self._customer(data)
            body = self.s.bodies.identity(data, cid, mode="customer", decoy=True)
        else:
            safe = [c for c in self.given if self.s.policy.originals[c].get("PersonalId")]
            cid = self._customer(data, safe or None)
            made_up = data.draw(st.integers(0, 2**32 - 1), label="made-up PersonalId")
            body = (
                {"CustomerId": cid, "PersonalId": f"qflow-probe-{made_up:08x}"}
                if safe
                else {"CustomerId": cid}
            )
        return self._json(
            cid, {**body, **self._changes(data, cid)}, f"PATCH of customer {cid} with another identity"
        )

    # ---- GET rules (contract rule 3) -------------------------------------------------------------------

    def _by_customer_id(self, cid: int, id_type: int | Unset) -> None:
        what = f"GET Customers/{cid}?idType={'(absent)' if id_type is UNSET else id_type}"
        self.s.lookup(cid, str(cid), id_type, UNSET, what)

    def _by_type(self, cid: int, ext_ref: str | Unset) -> None:
        record = self.s.policy.originals[cid]
        pid, type_id = record["PersonalId"], record["PersonalIdTypeId"]
        self.s.lookup(cid, pid, type_id, ext_ref, f"GET Customers/{pid!r}?idType={type_id}: customer {cid}")

    def _by_extref(self, cid: int, id_type: int | Unset) -> None:
        record = self.s.policy.originals[cid]
        pid, ext = record["PersonalId"], record["PersonalIdTypeExtRef"]
        shown = "" if id_type is UNSET else f"&idType={id_type}"
        what = f"GET Customers/{pid!r}?idTypeExtRef={ext!r}{shown}: customer {cid}, idTypeExtRef wins"
        self.s.lookup(cid, pid, id_type, ext, what)

    def _malformed_id_type(self, cid: int, query: str) -> None:
        self.s.lookup_malformed(cid, query, f"GET Customers/{cid}?{query}: a malformed idType")

    def _not_a_customer_id(self, text: str, id_type: int | Unset) -> None:
        query = None if id_type is UNSET else f"idType={id_type}"
        self.s.lookup_refused(
            text, query, (404,), f"GET Customers/{text}: not a CustomerId", "not-a-customer-id"
        )

    def _names_nobody(self, text: str, statuses: tuple[int, ...]) -> None:
        what = f"GET Customers/{text}: a number that names nobody (CustomerIds are positive int32s)"
        self.s.lookup_refused(text, None, statuses, what, "nobody-id")

    @rule(data=st.data())
    @guarded
    def get_by_customer_id(self, data: st.DataObject) -> None:
        """GET by CustomerId with idType absent, 0 or negative: the model's record (rules 2, 3)."""
        choices: list[int | Unset] = [UNSET, 0, -1, -(2**31)]
        self._by_customer_id(self._customer(data), data.draw(st.sampled_from(choices), label="idType"))

    @precondition(lambda self: bool(self.s.policy.lookups_by_type()))
    @rule(data=st.data())
    @guarded
    def get_by_personal_id_and_type(self, data: st.DataObject) -> None:
        """GET by PersonalId within idType: that customer, even when another type shares the id."""
        choices: list[str | Unset] = [UNSET, ""]
        cid = self._customer(data, self.s.policy.lookups_by_type())
        self._by_type(cid, data.draw(st.sampled_from(choices), label="idTypeExtRef"))

    @precondition(lambda self: bool(self.s.policy.lookups_by_extref()))
    @rule(data=st.data())
    @guarded
    def get_by_personal_id_and_ext_ref(self, data: st.DataObject) -> None:
        """GET by PersonalId within the type with idTypeExtRef, whatever idType says."""
        cid = self._customer(data, self.s.policy.lookups_by_extref())
        shared = self.s.policy.shared_type_for(cid)
        decoys: list[int | Unset] = [UNSET, 0, -1]
        if shared is not None:
            decoys += [shared, shared]
        self._by_extref(cid, data.draw(st.sampled_from(decoys), label="idType"))

    @precondition(lambda self: bool(self.s.policy.lookups_by_type()))
    @rule(data=st.data())
    @guarded
    def get_with_unknown_ext_ref(self, data: st.DataObject) -> None:
        """A non-empty idTypeExtRef no type has wins over a valid idType: 404, no fallback."""
        record = self.s.policy.originals[self._customer(data, self.s.policy.lookups_by_type())]
        ext = self._unknown_ext_ref()
        query = urllib.parse.urlencode({"idType": record["PersonalIdTypeId"], "idTypeExtRef": ext})
        what = f"GET Customers/{record['PersonalId']!r}?{query}: no type has this ext ref"
        self.s.lookup_refused(record["PersonalId"], query, (404,), what, "unknown-ext-ref")

    @rule(data=st.data())
    @guarded
    def get_with_malformed_id_type(self, data: st.DataObject) -> None:
        """`idType=abc`, empty or outside 32 bits: 400 with an error body (rules 3, 8)."""
        self._malformed_id_type(
            self._customer(data), data.draw(st.sampled_from(MALFORMED_ID_TYPES), label="query")
        )

    @rule(data=st.data())
    @guarded
    def get_by_customer_id_that_is_not_a_number(self, data: st.DataObject) -> None:
        """In CustomerId mode an `id` that is no number names no customer: 404."""
        choices: list[int | Unset] = [UNSET, 0]
        text = data.draw(st.sampled_from(NOT_CUSTOMER_IDS), label="id")
        self._not_a_customer_id(text, data.draw(st.sampled_from(choices), label="idType"))

    # ---- PATCH rules (contract rules 4 to 10, 14) ------------------------------------------------------

    def _known(self, cid: int) -> list[str]:
        return self.keys.get(cid, [])

    def _changes(self, data: st.DataObject, cid: int, *, form: bool = False) -> dict[str, Any]:
        changes = self.s.bodies.changes(data, cid, self._known(cid), form=form)
        for name in self.s.facts.of_kind(DICTIONARY):
            for key in changes.get(name) or {}:
                if key not in self.s.policy.original_keys(cid, name) and key not in self._known(cid):
                    self.keys.setdefault(cid, []).append(key)
        return changes

    def _json(
        self, cid: int, body: dict[str, Any], what: str, *, unknown: Any = None, lower_type: int | None = None
    ) -> Action:
        """PATCH `body` as JSON through the generated client; checked against the model."""
        update = CustomerUpdate.from_dict(body)
        if unknown is not None:
            update.additional_properties[UNKNOWN_PROPERTY] = unknown
        sent = update.to_dict()
        status_rule = Rule.UNKNOWN_AND_LIMITS if unknown is not None else self._refusal_rule(sent)

        def action() -> None:
            if self.s.policy.allowed(body):
                send = functools.partial(self.s.server.patch_typed, Rule.PARTIAL_UPDATE, update)
                self.s.accepted(cid, sent, send, what, status_rule, lower_type=lower_type)
                if status_rule is Rule.UNKNOWN_AND_LIMITS:
                    self.s.checks.held(Rule.UNKNOWN_AND_LIMITS)

        return action

    def _accept(
        self, cid: int, body: dict[str, Any], send: Callable[[], Exchange], what: str, rule_: Rule
    ) -> None:
        self.s.accepted(cid, body, send, what, rule_)

    def _refusal_rule(self, sent: Mapping[str, Any]) -> Rule:
        """The rule a refusal of this valid body breaks: code-point lengths (9), dates (1), the spec."""
        for name in self.s.facts.of_kind(STRING):
            value, limit = sent.get(name), self.s.facts.max_length(name)
            if isinstance(value, str) and limit is not None and len(value.encode("utf-16-le")) // 2 > limit:
                return Rule.UNKNOWN_AND_LIMITS
        if any(sent.get(n) is not None for n in self.s.facts.of_kind(DATE)):
            return Rule.DOB
        return Rule.SPEC_POSITIVE

    def _refusal(
        self,
        data: st.DataObject,
        cid: int,
        kind: str,
        change: dict[str, Any] | None = None,
        name: str | None = None,
        values: st.SearchStrategy[Any] | None = None,
    ) -> Action:
        changes = {k: v for k, v in self._changes(data, cid).items() if v is not None}
        body = {"CustomerId": cid, **changes, **(change or {})}
        refusal = self.s.bodies.refusal(data, cid, kind, body, name, values)
        return functools.partial(self.s.refusal, cid, refusal) if refusal is not None else _nothing

    def _lenient(self, data: st.DataObject, cid: int, kind: str) -> Action:
        probe = self.s.bodies.leniency(data, cid, kind, self._known(cid))
        return functools.partial(self.s.lenient, cid, probe) if probe is not None else _nothing

    def _unknown_ext_ref(self) -> str:
        known = {str(self.s.policy.originals[c].get("PersonalIdTypeExtRef")) for c in self.given}
        return next(e for e in (UNKNOWN_EXT_REF, UNKNOWN_EXT_REF + "-2") if e not in known)

    def _without_identifier(self, data: st.DataObject) -> Action:
        """A PATCH with neither a positive CustomerId nor a PersonalId: 400, nothing changed (rule 4)."""
        cid = self._customer(data)
        shapes: list[dict[str, Any]] = [{}, {"CustomerId": 0}, {"CustomerId": None, "PersonalId": None}]
        body: dict[str, Any] = dict(data.draw(st.sampled_from(shapes), label="identifiers"))
        if bool(self.s.policy.by_type) and data.draw(st.booleans(), label="with type"):
            body["PersonalIdTypeId"] = self.s.policy.originals[self._customer(data, self.s.policy.by_type)][
                "PersonalIdTypeId"
            ]
        if data.draw(st.booleans(), label="negative CustomerId"):
            body["CustomerId"] = -data.draw(st.integers(1, 2**31), label="negative")
        changes = self._changes(data, cid)
        body.update(changes if self.s.policy.owned else dict.fromkeys(changes))
        content = json.dumps(body).encode("utf-8")
        send = functools.partial(self.s.server.patch_raw, Rule.PATCH_TARGET, content, "application/json")
        what = f"PATCH with no identifier: {content.decode()[:300]}"
        return functools.partial(self.s.refused, None, send, (400,), Rule.PATCH_TARGET, what, "no-identifier")

    def _form_encodings(self, data: st.DataObject) -> list[Action]:
        """One dictionary entry sent alone in a form, as `Name[key]=value` and then in MVC's indexed
        form: which the server honours, and rule 10 failed when neither (once per run). The
        customer with the most keys; with none, a new key where the policy allows one."""
        for name in self.s.facts.of_kind(DICTIONARY):
            most = max(self.given, key=lambda c: len(self.s.policy.original_keys(c, name)))
            # a key a form can name: no brackets, and not blank (a blank field is absent, rule 10)
            keys = [
                k
                for k in self.s.policy.original_keys(most, name)
                if "[" not in k and "]" not in k and k.strip()
            ]
            if keys:
                key = data.draw(st.sampled_from(keys), label=f"form {name} key")
            elif self.s.policy.may_add_keys:
                key = data.draw(vs.custom_property_keys(form_safe=True), label=f"new form {name} key")
            else:
                self.s.evidence.not_exercised(
                    Rule.FORM_BODIES,
                    f"no given customer has a {name} key a form can name: a form's dictionary not checked",
                )
                continue
            values = [data.draw(vs.custom_property_values(empty=False), label="value") for _ in (0, 1)]
            return [
                functools.partial(self.s.form_dictionary, most, name, key, value, encoding)
                for value, encoding in zip(values, (KEYED, INDEXED), strict=True)
            ] + [self.s.form_verdict]
        return []

    def _form(self, data: st.DataObject) -> Action:
        """PATCH as a form body: one field per property, the dictionary in the encoding the server
        honours (none when it honours neither), an empty or blank field absent (rule 10)."""
        cid = self._customer(data)
        body = {k: v for k, v in self.s.bodies.identity(data, cid).items() if v is not None}
        body.update({k: v for k, v in self._changes(data, cid, form=True).items() if v is not None})

        def action() -> None:
            encoding = self.s.form_encoding
            sent = {k: v for k, v in body.items() if encoding is not None or not isinstance(v, dict)}
            if not self.s.policy.allowed(sent):
                return
            content = urllib.parse.urlencode(form_pairs(sent, encoding or KEYED)).encode("ascii")
            send = functools.partial(
                self.s.server.patch_raw, Rule.FORM_BODIES, content, "application/x-www-form-urlencoded"
            )
            applied, blank = form_applied(sent)
            what = f"PATCH Customers (form) of customer {cid}"
            if self.s.accepted(cid, applied, send, what, Rule.FORM_BODIES, blank=frozenset(blank)):
                self.s.checks.held(Rule.FORM_BODIES)

        return action

    @precondition(_patching)
    @rule(data=st.data())
    def patch_json(self, data: st.DataObject) -> None:
        """PATCH as application/json by any identifier mode: partial update per the model (rules 4-7, 9)."""
        cid = self._customer(data)
        body = {**self.s.bodies.identity(data, cid), **self._changes(data, cid)}
        unknown = data.draw(
            st.one_of(st.none(), st.just("ignored"), st.just({"nested": [1]})), label="unknown"
        )
        self._run(
            [self._json(cid, body, f"PATCH Customers (JSON) targeting customer {cid}", unknown=unknown)]
        )

    @precondition(_patching)
    @rule(data=st.data())
    def patch_text_json(self, data: st.DataObject) -> None:
        """PATCH as text/json, a documented request format: the same behaviour as JSON."""
        cid = self._customer(data)
        body = {**self.s.bodies.identity(data, cid), **self._changes(data, cid)}
        content = json.dumps(body, ensure_ascii=data.draw(st.booleans(), label="ascii")).encode("utf-8")
        media = data.draw(st.sampled_from(["text/json", "text/json; charset=utf-8"]), label="type")
        send = functools.partial(self.s.server.patch_raw, Rule.PARTIAL_UPDATE, content, media)
        if self.s.policy.allowed(body):
            what = f"PATCH Customers ({media}) of customer {cid}"
            self._run([lambda: self._accept(cid, body, send, what, Rule.SPEC_POSITIVE)])

    @precondition(_patching)
    @rule(data=st.data())
    def patch_form(self, data: st.DataObject) -> None:
        """PATCH as a form body (rule 10)."""
        self._run([self._form(data)])

    @precondition(_patching)
    @rule(entry=custom_keys, data=st.data())
    def patch_one_custom_property(self, entry: tuple[int, str, str], data: st.DataObject) -> None:
        """PATCH one existing dictionary key alone: it changes, every other key stays (rule 5)."""
        cid, name, key = entry
        value = data.draw(vs.custom_property_values(), label="value")
        self._run(
            [
                self._json(
                    cid,
                    {"CustomerId": cid, name: {key: value}},
                    f"PATCH of {name}[{key!r}] alone on customer {cid}",
                )
            ]
        )

    @precondition(
        lambda self: _patching(self) and self.s.policy.may_add_keys and bool(self.s.facts.of_kind(DICTIONARY))
    )
    @rule(target=custom_keys, data=st.data())
    def patch_new_custom_property(self, data: st.DataObject) -> tuple[int, str, str]:
        """PATCH a new dictionary key alone: it is added, every other key stays (rule 5; owned only)."""
        cid = self._customer(data)
        name = self.s.facts.of_kind(DICTIONARY)[0]
        key = data.draw(vs.custom_property_keys(), label="new key")
        value = data.draw(vs.custom_property_values(), label="value")
        self._run(
            [
                self._json(
                    cid,
                    {"CustomerId": cid, name: {key: value}},
                    f"PATCH adding {name}[{key!r}] to customer {cid}",
                )
            ]
        )
        return (cid, name, key)

    @precondition(lambda self: _patching(self) and self.s.policy.owned and bool(self.s.policy.lowest))
    @rule(data=st.data())
    def patch_by_personal_id_alone(self, data: st.DataObject) -> None:
        """PATCH by PersonalId with no type: the type with the lowest id (rule 4; owned only).

        The server may know a lower type than any given customer's: then only a probe GET tells."""
        cid = self._customer(data, self.s.policy.lowest)
        pid = self.s.policy.originals[cid]["PersonalId"]
        body: dict[str, Any] = {"PersonalId": pid, **self.s.bodies.no_customer_id(data)}
        if data.draw(st.booleans(), label="PersonalIdTypeId null"):
            body["PersonalIdTypeId"] = data.draw(st.sampled_from([None, 0]), label="PersonalIdTypeId")
        body.update(self._changes(data, cid))
        lower = self.s.policy.originals[cid]["PersonalIdTypeId"]
        self._run([self._json(cid, body, f"PATCH by PersonalId {pid!r} with no type", lower_type=lower)])

    @precondition(_patching)
    @rule(data=st.data())
    def refused_patch(self, data: st.DataObject) -> None:
        """An invalid PATCH of a given customer, with valid changes beside: 400 and no change (rule 8)."""
        cid = self._customer(data)
        self._run([self._refusal(data, cid, data.draw(st.sampled_from(REFUSALS), label="invalid by"))])

    @precondition(_patching)
    @rule(data=st.data())
    def lenient_patch(self, data: st.DataObject) -> None:
        """A body with one of Json.NET's conversions: refused, or converted and stored (rule 14)."""
        cid = self._customer(data)
        self._run([self._lenient(data, cid, data.draw(st.sampled_from(LENIENCIES), label="conversion"))])

    @precondition(_patching)
    @rule(data=st.data())
    def patch_without_identifier(self, data: st.DataObject) -> None:
        """A PATCH with no identifier: 400, nothing changed (rule 4)."""
        self._run([self._without_identifier(data)])

    @precondition(lambda self: _patching(self) and self.s.policy.may_probe_unknown)
    @rule(data=st.data())
    def patch_unknown_customer(self, data: st.DataObject) -> None:
        """A PATCH whose identifier names no record: 404 and nothing changed (rule 4; owned only)."""
        kind = data.draw(st.sampled_from(["customer", "ext-ref"]), label="unknown by")
        changes = {k: v for k, v in self._changes(data, self.given[0]).items() if v is not None}
        body: dict[str, Any] = {
            "CustomerId": data.draw(st.integers(900_000_000, 1_000_000_000), label="unknown id")
        }
        holders = [c for c in self.given if self.s.policy.originals[c].get("PersonalId")]
        if kind == "ext-ref" and holders:
            pid = self.s.policy.originals[self._customer(data, holders)]["PersonalId"]
            body = {"PersonalId": pid, "PersonalIdTypeExtRef": self._unknown_ext_ref()}
        elif body["CustomerId"] in self.given:
            return
        content = json.dumps({**body, **changes}).encode("utf-8")
        send = functools.partial(self.s.server.patch_raw, Rule.PATCH_TARGET, content, "application/json")

        def action() -> None:
            if (
                "CustomerId" in body
                and self.s.server.get(Rule.PATCH_TARGET, str(body["CustomerId"])).status != 404
            ):
                return  # a record this suite was not given: never PATCHed
            self.s.refused(
                None, send, (404,), Rule.PATCH_TARGET, f"PATCH naming no record ({kind})", f"unknown-{kind}"
            )

        self._run([action])

    # ---- what must always hold --------------------------------------------------------------------------

    @invariant()
    def untargeted_customers_are_unchanged(self) -> None:
        """Every few steps, the customers a request did not target read back as the model says."""
        self.steps += 1
        if self.steps % SWEEP_EVERY == 0:
            self.s.step(self.s.sweep)

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


def run_opening(machine: type[CustomersMachine], run_seed: int) -> None:
    """The opening (`CustomersMachine.opening`), as a Hypothesis test of its own run once: the
    random examples that follow then draw alike, as Hypothesis requires."""

    @seed(run_seed)
    @settings(
        max_examples=1,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def opening(data: st.DataObject) -> None:
        try:
            machine().opening(data)
        except BaseException as error:  # raised below: Hypothesis would replay it, sending it twice
            failures.append(error)

    failures: list[BaseException] = []
    opening()
    if failures:
        raise failures[0]


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
        run_opening(machine, run_seed)
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
