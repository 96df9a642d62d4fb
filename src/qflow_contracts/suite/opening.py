"""The opening of a run: every corner of the contract checked once, before the random steps.

Every lookup of every given customer, hard round trips, every length limit (PersonalId's too),
a dictionary key alone, every dictionary value shape, PATCHes in flight together, DOBs near
midnight, every kind of invalid body, each Json.NET conversion, PATCH by PersonalId, a body with
no identifier, form bodies, one with another identity, and GETs by numbers that name nobody. Sent
again, each would only check what it already settled, so the opening runs once per run
(`run_opening`), as a Hypothesis test of its own; its steps are the same `Actions` as the rules'.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from qflow_client.types import UNSET

from qflow_contracts.int32 import INT32_MAX
from qflow_contracts.rules import Rule
from qflow_contracts.suite import strategies as vs
from qflow_contracts.suite.actions import MALFORMED_ID_TYPES, NOT_CUSTOMER_IDS, Action, Actions
from qflow_contracts.suite.bodies import INDEXED, KEYED
from qflow_contracts.suite.conversions import LENIENCIES
from qflow_contracts.suite.model import DATE, DICTIONARY, INTEGER, STRING
from qflow_contracts.suite.refusals import REFUSALS, Refusal
from qflow_contracts.suite.session import Session
from qflow_contracts.suite.zone import LEARNING_PROBE, written_offset
from qflow_contracts.suite.zone import probes as zone_probes

NOBODY_IDS: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("0", (404,)),
    ("-1", (404,)),
    (str(INT32_MAX + 1), (400, 404)),
    (str(2**63), (400, 404)),
)
"""Numbers that name nobody in CustomerId mode (CustomerIds are positive int32s, contract rule 3),
however a server cuts them (`guard.names_nobody`), with the answers a server may give: 404, or 400
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


class Opening:
    """The opening's plan, drawn in full from one `data` before its first request."""

    def __init__(self, actions: Actions) -> None:
        self.a = actions
        self.s = actions.s

    @property
    def given(self) -> tuple[int, ...]:
        return self.a.given

    def plan(self, data: st.DataObject) -> list[Action]:
        """Every step of the opening; on a read-only run its GETs only."""
        plan: list[Action] = [functools.partial(self._every_lookup, c, n) for n, c in enumerate(self.given)]
        if self.s.policy.may_patch:
            plan += [*self._round_trips(data), *self._at_the_limits(data), *self._one_key_alone(data)]
            plan += self._identity_limits(data) + self._dictionary_shapes(data) + self._together(data)
            plan += self._dob_probes(data)
            refusals, limits = self._every_refusal(data)
            plan += refusals + limits + self._every_leniency(data) + self._by_personal_id(data)
            plan += [self.a.without_identifier(data), *self._form_encodings(data), self.a.form(data)]
            plan += [self._identity_decoy(data)]
        plan += [functools.partial(self.a.names_nobody, text, statuses) for text, statuses in NOBODY_IDS]
        return plan

    def _every_lookup(self, cid: int, number: int) -> None:
        self.a.malformed_id_type(cid, MALFORMED_ID_TYPES[number % len(MALFORMED_ID_TYPES)])
        self.a.not_a_customer_id(NOT_CUSTOMER_IDS[number % len(NOT_CUSTOMER_IDS)], UNSET)
        self.a.by_customer_id(cid, UNSET)
        if number == 0:
            what = f"GET Customers/{cid}?idTypeExtRef= (empty: the documented default)"
            self.s.lookup(cid, str(cid), UNSET, "", what)
        if cid in self.s.policy.lookups_by_type():
            self.a.by_type(cid, UNSET)
        if cid in self.s.policy.lookups_by_extref():
            shared = self.s.policy.shared_type_for(cid)
            self.a.by_extref(cid, UNSET if shared is None else shared)

    def _round_trips(self, data: st.DataObject) -> list[Action]:
        """Two PATCHes of one customer: half the properties set to hard values and half null, then
        the other way round (rules 1, 5, 6, 7)."""
        cid = self.a.customer(data)
        plan: list[Action] = []
        for turn in (0, 1):
            body: dict[str, Any] = {
                "CustomerId": cid,
                **self.s.bodies.hard_values(data, cid, self.s.policy.originals[cid], turn),
            }
            for name in self.s.facts.of_kind(DICTIONARY):
                body[name] = self.s.bodies.dictionary(data, cid, name, self.a.keys.get(cid, []), form=False)
            plan.append(self.a.json(cid, body, f"round trip {turn + 1} of customer {cid}"))
        return plan

    def _owner(self, first: int, name: str) -> int | None:
        """`first` when it may be given a value of `name`, else the first given customer that may."""
        return next((c for c in (first, *self.given) if self.s.policy.may_set(c, name)), None)

    def _at_the_limits(self, data: st.DataObject) -> list[Action]:
        """PATCHes with every string at its `maxLength` in astral characters (twice as many UTF-16
        units), every bounded integer at its upper bound, and an unknown property: accepted, stored
        exactly, the unknown one ignored (rule 9). Each property goes to the drawn customer, or, when
        that one may not be given a value of it, to the first that may: every limit in every run.

        A server that counts UTF-16 code units, as .NET does, refuses it: a platform warning, and
        then the same at the limit in UTF-16 units (astral characters and one BMP character for an
        odd limit), which every server must accept."""
        cid = self.a.customer(data)
        bodies: dict[int, dict[str, Any]] = {}
        units: dict[int, dict[str, Any]] = {}
        for name in self.s.facts.of_kind(STRING):
            limit, owner = self.s.facts.max_length(name), self._owner(cid, name)
            if limit is None or owner is None:
                continue
            value = data.draw(vs.astral_values(limit), label=name)
            bodies.setdefault(owner, {"CustomerId": owner})[name] = value
            units.setdefault(owner, {"CustomerId": owner})[name] = value[: limit // 2] + "x" * (limit % 2)
        for name in vs.invalid_names(self.s.facts, "out-of-range"):
            owner = self._owner(cid, name)
            if owner is not None:
                bodies.setdefault(owner, {"CustomerId": owner})[name] = self.s.facts.int_range(name)[1]
        unknown = data.draw(st.sampled_from(["ignored", {"nested": [1]}]), label="unknown")
        plan: list[Action] = []
        for owner, body in bodies.items():
            what = f"PATCH of customer {owner} at every length limit"
            plan.append(self.a.json(owner, body, what, unknown=unknown))
            if owner in units:
                second = self.a.json(owner, units[owner], f"{what} in UTF-16 units", unknown=unknown)
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
        facts, policy = self.s.facts, self.s.policy
        names = [n for n in facts.identity if facts.kind(n) == STRING and facts.max_length(n) is not None]
        safe = [c for c in self.given if policy.owned or policy.originals[c].get("PersonalId")]
        if not names or not safe:
            return []
        cid = self.a.customer(data, safe)
        plan: list[Action] = []
        for name in names:
            limit = facts.max_length(name)
            assert limit is not None
            body: dict[str, Any] = {"CustomerId": cid, name: (PROBE_TEXT * limit)[:limit]}
            for low in vs.invalid_names(facts, "out-of-range"):
                if policy.may_set(cid, low):
                    body[low] = facts.int_range(low)[0]
            plan.append(
                self.a.json(cid, body, f"PATCH of customer {cid} with a {name} at its limit ({limit})")
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
        cid = self.a.customer(data, pool)
        name = next(n for n in names if self.s.policy.may_set(cid, n))

        def send(value: str, what: str) -> Action:
            return self.a.json(
                cid, {"CustomerId": cid, name: value}, f"PATCH of customer {cid}: {name} {what}"
            )

        def probes() -> None:
            zone = self.s.zone
            if zone.offset is None and not zone.keeps:
                self.s.step(send(LEARNING_PROBE, "at noon UTC, to learn the server's offset"))
            offset = zone.offset
            if offset is None:
                offset = written_offset(self.s.policy.originals[cid].get(name)) or 0
            self.a.run([send(value, f"= {value}") for value in zone_probes(offset)])

        return [probes]

    def _most_keys(self, name: str) -> int:
        """The given customer with the most keys in dictionary `name`."""
        return max(self.given, key=lambda c: len(self.s.policy.original_keys(c, name)))

    def _one_key_alone(self, data: st.DataObject) -> list[Action]:
        """One dictionary key sent alone to a customer that has others: it changes, they stay (rule 5).

        The customer with the most keys; with none, a new key where the policy allows one."""
        plan: list[Action] = []
        for name in self.s.facts.of_kind(DICTIONARY):
            most = self._most_keys(name)
            keys = sorted(self.s.policy.original_keys(most, name))
            if keys:
                key = data.draw(st.sampled_from(keys), label=f"{name} key")
            elif self.s.policy.may_add_keys:
                key = data.draw(vs.custom_property_keys(), label=f"new {name} key")
            else:
                continue
            value = data.draw(vs.custom_property_values(), label="value")
            body = {"CustomerId": most, name: {key: value}}
            plan.append(self.a.json(most, body, f"PATCH of {name}[{key!r}] alone on customer {most}"))
        return plan

    def _together(self, data: st.DataObject) -> list[Action]:
        """`CONCURRENT` PATCHes of one given customer by its CustomerId, each setting another string
        property to a made-up ASCII value (no server may alter it), in flight together, then the GET
        that must show every one (rule 5: no lost update). Journaled and restored as any PATCH."""
        pool = [c for c in self.given if len(self.s.policy.settable(c, (STRING,))) >= 2]
        if not pool:
            return []
        cid = self.a.customer(data, pool)
        names = data.draw(st.permutations(self.s.policy.settable(cid, (STRING,))), label="together")
        token = data.draw(st.integers(0, 2**32 - 1), label="token")
        bodies = []
        for number, name in enumerate(names[:CONCURRENT]):
            limit = self.s.facts.max_length(name) or vs.UNBOUNDED_TEXT
            bodies.append({"CustomerId": cid, name: f"qflow-{number}-{token:08x}"[:limit]})
        shown = ", ".join(names[: len(bodies)])
        what = f"{len(bodies)} PATCHes of customer {cid} in flight together ({shown})"
        return [functools.partial(self.s.concurrent, cid, bodies, what)]

    def _dictionary_shapes(self, data: st.DataObject) -> list[Action]:
        """Every value shape of `DICTIONARY_SHAPES` written to a dictionary and read back as the same
        string (rules 5, 7; an answer with another type fails the spec's schema). On the embedded
        mock under new keys of one customer; on a deployment over the keys the customer with the
        most has, as few PATCHes as its keys allow."""
        plan: list[Action] = []
        for name in self.s.facts.of_kind(DICTIONARY):
            if self.s.policy.may_add_keys:
                cid = self.a.customer(data)
                keys = [f"qflow-shape-{label}" for label, _ in DICTIONARY_SHAPES]
            else:
                cid = self._most_keys(name)
                keys = self.s.policy.original_keys(cid, name)
            if not keys:
                continue
            for start in range(0, len(DICTIONARY_SHAPES), len(keys)):
                shapes = DICTIONARY_SHAPES[start : start + len(keys)]
                entries = {key: value for key, (_, value) in zip(keys, shapes, strict=False)}
                labels = ", ".join(label for label, _ in shapes)
                body = {"CustomerId": cid, name: entries}
                plan.append(self.a.json(cid, body, f"PATCH of customer {cid}: {name} values {labels}"))
        return plan

    def _every_refusal(self, data: st.DataObject) -> tuple[list[Action], list[Action]]:
        """Invalid PATCHes carrying a valid change, 400 (415) and nothing applied (rule 8): one of
        every kind, and one over the limit (length, range) of every property that has one."""
        cid = self.a.customer(data)
        strings = self.s.policy.settable(cid, (STRING,))
        change: dict[str, Any] = {}
        if strings:
            name = data.draw(st.sampled_from(strings), label="valid change")
            change[name] = data.draw(vs.value_for(self.s.facts, name, falsy=False), label=name)
        plan = [self.a.refusal(data, cid, kind, change) for kind in REFUSALS]
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
                limits += [self.a.refusal(data, owners[0], kind, beside, name, v) for v in values]
        return plan, [*limits, self._beyond_32_bits(cid, change)]

    def _beyond_32_bits(self, cid: int, change: dict[str, Any]) -> Action:
        """Every integer the body may carry (identity included: the body's CustomerId fixes its
        target) at 2**31, one past 32 bits, beside a valid change: 400 and nothing changed (rules 8, 9)."""
        facts = self.s.facts
        wide = {n: INT32_MAX + 1 for n in facts.identity if facts.kind(n) == INTEGER and n != "CustomerId"}
        wide |= {n: INT32_MAX + 1 for n in self.s.policy.settable(cid, (INTEGER,))}
        content = json.dumps({"CustomerId": cid, **change, **wide}, ensure_ascii=False).encode("utf-8")
        refusal = Refusal(content, "application/json", (400,), "overflow", "overflow:property")
        return functools.partial(self.s.refusal, cid, refusal)

    def _every_leniency(self, data: st.DataObject) -> list[Action]:
        """Each of Json.NET's conversions once (rule 14)."""
        cid = self.a.customer(data)
        return [self.a.lenient(data, cid, kind) for kind in LENIENCIES]

    def _by_personal_id(self, data: st.DataObject) -> list[Action]:
        """PATCH by PersonalId within its type, then within the type its ext ref names (rule 4);
        customers whose PersonalId another type shares, or another customer's equals but for case,
        first."""
        policy = self.s.policy
        plan: list[Action] = []
        for mode, pool in (("type", policy.by_type), ("extref", policy.by_extref)):
            shared = [c for c in pool if policy.shared_type_for(c) is not None or policy.collides(c)][:4]
            for cid in shared or ([self.a.customer(data, pool)] if pool else []):
                body = {**self.s.bodies.identity(data, cid, mode=mode), **self.a.changes(data, cid)}
                plan.append(self.a.json(cid, body, f"PATCH by PersonalId ({mode}) of customer {cid}"))
        return plan

    def _identity_decoy(self, data: st.DataObject) -> Action:
        """PATCH by CustomerId carrying another identity, which is never changed (rule 5).

        On a deployment only a made-up PersonalId goes with the target's own CustomerId."""
        if self.s.policy.owned:
            cid = self.a.customer(data)
            body = self.s.bodies.identity(data, cid, mode="customer", decoy=True)
        else:
            safe = [c for c in self.given if self.s.policy.originals[c].get("PersonalId")]
            cid = self.a.customer(data, safe or None)
            made_up = data.draw(st.integers(0, 2**32 - 1), label="made-up PersonalId")
            body = (
                {"CustomerId": cid, "PersonalId": f"{PROBE_TEXT}{made_up:08x}"}
                if safe
                else {"CustomerId": cid}
            )
        what = f"PATCH of customer {cid} with another identity"
        return self.a.json(cid, {**body, **self.a.changes(data, cid)}, what)

    def _form_encodings(self, data: st.DataObject) -> list[Action]:
        """One dictionary entry sent alone in a form, as `Name[key]=value` and then in MVC's indexed
        form: which the server honours, and rule 10 failed when neither (once per run). The
        customer with the most keys; with none, a new key where the policy allows one."""
        for name in self.s.facts.of_kind(DICTIONARY):
            most = self._most_keys(name)
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


def run_opening(session: Session, run_seed: int) -> None:
    """The opening, as a Hypothesis test of its own run once with the run's seed: the random
    examples that follow then draw alike, as Hypothesis requires. A failure is raised once, after
    it: Hypothesis would replay it, sending its requests twice."""
    failures: list[BaseException] = []

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
        if session.opened:
            return
        try:
            actions = Actions(session)
            plan = Opening(actions).plan(data)
            session.opened = True  # once all of it is drawn: a draw that runs out of data sent nothing
            with session.evidence.spending("opening"):
                actions.run(plan)
        except BaseException as error:  # raised below
            failures.append(error)

    if session.stopped is not None:
        raise session.stopped
    opening()
    if failures:
        raise failures[0]
