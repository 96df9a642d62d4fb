"""The requests a step of the state machine sends, built from what it drew: `Action`s.

An `Action` is drawn in full before it runs (Hypothesis needs consistent generation: what a rule
draws depends only on the given customers' originals and its own earlier draws, never on what a
server answered). `Actions.run` is the one step guard: each action runs as a step of the session
(`Session.step`: a failure ends it, its finding is in the ledger, the model is read back), and none
runs once the random steps have spent their request budget. The opening (`opening.py`) and the
machine's rules (`machine.py`) build their steps from the same actions.
"""

from __future__ import annotations

import functools
import json
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import strategies as st
from qflow_client.models.customer_update import CustomerUpdate
from qflow_client.types import UNSET, Unset

from qflow_contracts.int32 import INT32_MIN
from qflow_contracts.rules import Rule
from qflow_contracts.suite.bodies import KEYED, UNKNOWN_EXT_REF, UNKNOWN_PROPERTY, form_applied, form_pairs
from qflow_contracts.suite.exchange import Exchange
from qflow_contracts.suite.model import DATE, DICTIONARY, STRING, utf16
from qflow_contracts.suite.session import Session

Action = Callable[[], None]
"""A step's requests and checks, drawn in full before it runs."""

MALFORMED_ID_TYPES = ("idType=abc", "idType=", "idType=2147483648", "idType=-2147483649")
"""Queries whose idType is not a 32-bit integer: 400 (contract rule 3)."""

NOT_CUSTOMER_IDS = ("abc", "no-such-customer", "x1")
"""`id` values that name no customer in CustomerId mode: 404 (contract rule 3)."""


def nothing() -> None:
    """A step the policy leaves nothing to send for."""


class Actions:
    """Builds and runs the steps of one example against a session."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self.keys: dict[int, list[str]] = {}
        """Dictionary keys this example's own draws added, by customer (never the server's)."""

    @property
    def given(self) -> tuple[int, ...]:
        return self.s.policy.given

    def customer(self, data: st.DataObject, pool: tuple[int, ...] | list[int] | None = None) -> int:
        """A given customer (of `pool`, when given and not empty)."""
        return data.draw(st.sampled_from(list(pool or self.given)), label="customer")

    @property
    def spent(self) -> bool:
        """Whether the random steps have sent all the requests they may (`machine.step_budget`)."""
        limit = self.s.step_limit
        return self.s.opened and limit is not None and self.s.evidence.requests >= limit

    def run(self, plan: list[Action]) -> None:
        """Each action of `plan` as a step of the session, until the request budget is spent."""
        for action in plan:
            if not self.spent:
                self.s.step(action)

    # ---- GETs (contract rule 3) --------------------------------------------------------------------

    def by_customer_id(self, cid: int, id_type: int | Unset) -> None:
        what = f"GET Customers/{cid}?idType={'(absent)' if id_type is UNSET else id_type}"
        self.s.lookup(cid, str(cid), id_type, UNSET, what)

    def by_type(self, cid: int, ext_ref: str | Unset) -> None:
        record = self.s.policy.originals[cid]
        pid, type_id = record["PersonalId"], record["PersonalIdTypeId"]
        self.s.lookup(cid, pid, type_id, ext_ref, f"GET Customers/{pid!r}?idType={type_id}: customer {cid}")

    def by_extref(self, cid: int, id_type: int | Unset) -> None:
        record = self.s.policy.originals[cid]
        pid, ext = record["PersonalId"], record["PersonalIdTypeExtRef"]
        shown = "" if id_type is UNSET else f"&idType={id_type}"
        what = f"GET Customers/{pid!r}?idTypeExtRef={ext!r}{shown}: customer {cid}, idTypeExtRef wins"
        self.s.lookup(cid, pid, id_type, ext, what)

    def malformed_id_type(self, cid: int, query: str) -> None:
        self.s.lookup_malformed(cid, query, f"GET Customers/{cid}?{query}: a malformed idType")

    def not_a_customer_id(self, text: str, id_type: int | Unset) -> None:
        query = None if id_type is UNSET else f"idType={id_type}"
        self.s.lookup_refused(
            text, query, (404,), f"GET Customers/{text}: not a CustomerId", "not-a-customer-id"
        )

    def names_nobody(self, text: str, statuses: tuple[int, ...]) -> None:
        what = f"GET Customers/{text}: a number that names nobody (CustomerIds are positive int32s)"
        self.s.lookup_refused(text, None, statuses, what, "nobody-id")

    def unknown_ext_ref_lookup(self, cid: int) -> None:
        """GET by a given customer's PersonalId with a valid idType and an idTypeExtRef no type has."""
        record = self.s.policy.originals[cid]
        query = urllib.parse.urlencode(
            {"idType": record["PersonalIdTypeId"], "idTypeExtRef": self.unknown_ext_ref()}
        )
        what = f"GET Customers/{record['PersonalId']!r}?{query}: no type has this ext ref"
        self.s.lookup_refused(record["PersonalId"], query, (404,), what, "unknown-ext-ref")

    def unknown_ext_ref(self) -> str:
        """An ext ref no given customer's type has."""
        known = {str(self.s.policy.originals[c].get("PersonalIdTypeExtRef")) for c in self.given}
        return next(e for e in (UNKNOWN_EXT_REF, UNKNOWN_EXT_REF + "-2") if e not in known)

    # ---- PATCHes (contract rules 4 to 10, 14) ------------------------------------------------------

    def changes(self, data: st.DataObject, cid: int, *, form: bool = False) -> dict[str, Any]:
        """Mutable properties to send to `cid` (`Bodies.changes`); new dictionary keys are kept."""
        known = self.keys.get(cid, [])
        changes = self.s.bodies.changes(data, cid, known, form=form)
        for name in self.s.facts.of_kind(DICTIONARY):
            for key in changes.get(name) or {}:
                if key not in self.s.policy.original_keys(cid, name) and key not in known:
                    self.keys.setdefault(cid, []).append(key)
        return changes

    def json(
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

    def raw(self, cid: int, body: dict[str, Any], content: bytes, media: str) -> Action:
        """PATCH `body`, already encoded as `content` in `media`; checked against the model."""
        send = functools.partial(self.s.server.patch_raw, Rule.PARTIAL_UPDATE, content, media)
        what = f"PATCH Customers ({media}) of customer {cid}"

        def action() -> None:
            if self.s.policy.allowed(body):
                self.s.accepted(cid, body, send, what, Rule.SPEC_POSITIVE)

        return action

    def _refusal_rule(self, sent: Mapping[str, Any]) -> Rule:
        """The rule a refusal of this valid body breaks: code-point lengths (9), dates (1), the spec."""
        for name in self.s.facts.of_kind(STRING):
            value, limit = sent.get(name), self.s.facts.max_length(name)
            if isinstance(value, str) and limit is not None and utf16(value) > limit:
                return Rule.UNKNOWN_AND_LIMITS
        if any(sent.get(n) is not None for n in self.s.facts.of_kind(DATE)):
            return Rule.DOB
        return Rule.SPEC_POSITIVE

    def refusal(
        self,
        data: st.DataObject,
        cid: int,
        kind: str,
        change: dict[str, Any] | None = None,
        name: str | None = None,
        values: st.SearchStrategy[Any] | None = None,
    ) -> Action:
        """An invalid PATCH of `cid` of this kind (`refusals.REFUSALS`), valid changes beside."""
        changes = {k: v for k, v in self.changes(data, cid).items() if v is not None}
        body = {"CustomerId": cid, **changes, **(change or {})}
        refusal = self.s.bodies.refusal(data, cid, kind, body, name, values)
        return functools.partial(self.s.refusal, cid, refusal) if refusal is not None else nothing

    def lenient(self, data: st.DataObject, cid: int, kind: str) -> Action:
        """A PATCH of `cid` with one of Json.NET's conversions (`conversions.LENIENCIES`)."""
        probe = self.s.bodies.leniency(data, cid, kind, self.keys.get(cid, []))
        return functools.partial(self.s.lenient, cid, probe) if probe is not None else nothing

    def without_identifier(self, data: st.DataObject) -> Action:
        """A PATCH with neither a positive CustomerId nor a PersonalId: 400, nothing changed (rule 4)."""
        cid = self.customer(data)
        shapes: list[dict[str, Any]] = [{}, {"CustomerId": 0}, {"CustomerId": None, "PersonalId": None}]
        body: dict[str, Any] = dict(data.draw(st.sampled_from(shapes), label="identifiers"))
        policy = self.s.policy
        if bool(policy.by_type) and data.draw(st.booleans(), label="with type"):
            body["PersonalIdTypeId"] = policy.originals[self.customer(data, policy.by_type)][
                "PersonalIdTypeId"
            ]
        if data.draw(st.booleans(), label="negative CustomerId"):
            body["CustomerId"] = -data.draw(st.integers(1, -INT32_MIN), label="negative")
        changes = self.changes(data, cid)
        body.update(changes if policy.owned else dict.fromkeys(changes))
        content = json.dumps(body).encode("utf-8")
        send = functools.partial(self.s.server.patch_raw, Rule.PATCH_TARGET, content, "application/json")
        what = f"PATCH with no identifier: {content.decode()[:300]}"
        return functools.partial(self.s.refused, None, send, (400,), Rule.PATCH_TARGET, what, "no-identifier")

    def unknown_customer(self, data: st.DataObject, kind: str, number: int) -> Action:
        """A PATCH whose identifier names no record (`kind`: by a CustomerId `number` no given
        customer has, which a GET first shows is nobody's; or by an ext ref no type has): 404 and
        nothing changed (rule 4)."""
        changes = {k: v for k, v in self.changes(data, self.given[0]).items() if v is not None}
        body: dict[str, Any] = {"CustomerId": number}
        holders = [c for c in self.given if self.s.policy.originals[c].get("PersonalId")]
        if kind == "ext-ref" and holders:
            pid = self.s.policy.originals[self.customer(data, holders)]["PersonalId"]
            body = {"PersonalId": pid, "PersonalIdTypeExtRef": self.unknown_ext_ref()}
        elif number in self.given:
            return nothing
        content = json.dumps({**body, **changes}).encode("utf-8")
        send = functools.partial(self.s.server.patch_raw, Rule.PATCH_TARGET, content, "application/json")

        def action() -> None:
            if "CustomerId" in body and self.s.server.get(Rule.PATCH_TARGET, str(number)).status != 404:
                return  # a record this suite was not given: never PATCHed
            what = f"PATCH naming no record ({kind})"
            self.s.refused(None, send, (404,), Rule.PATCH_TARGET, what, f"unknown-{kind}")

        return action

    def form(self, data: st.DataObject) -> Action:
        """PATCH as a form body: one field per property, the dictionary in the encoding the server
        honours (none when it honours neither), an empty or blank field absent (rule 10)."""
        cid = self.customer(data)
        body = {k: v for k, v in self.s.bodies.identity(data, cid).items() if v is not None}
        body.update({k: v for k, v in self.changes(data, cid, form=True).items() if v is not None})

        def action() -> None:
            encoding = self.s.form_encoding
            sent = {k: v for k, v in body.items() if encoding is not None or not isinstance(v, dict)}
            if not self.s.policy.allowed(sent):
                return
            content = urllib.parse.urlencode(form_pairs(sent, encoding or KEYED)).encode("ascii")
            send: Callable[[], Exchange] = functools.partial(
                self.s.server.patch_raw, Rule.FORM_BODIES, content, "application/x-www-form-urlencoded"
            )
            applied, blank = form_applied(sent)
            what = f"PATCH Customers (form) of customer {cid}"
            if self.s.accepted(cid, applied, send, what, Rule.FORM_BODIES, blank=frozenset(blank)):
                self.s.checks.held(Rule.FORM_BODIES)

        return action
