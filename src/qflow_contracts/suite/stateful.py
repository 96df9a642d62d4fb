"""The stateful, model-based conformance test: a Hypothesis `RuleBasedStateMachine`.

The machine keeps a model of the customers it was given (plain data: CustomerId -> record, see
`suite/model.py`), sends the two documented operations through the generated client, and checks
every behaviour rule of NOTES.md against the model: GET in its three lookup modes (rule 3), PATCH
by CustomerId, by PersonalId with PersonalIdTypeId and with PersonalIdTypeExtRef (rule 4), partial
updates with null and falsy values and the CustomProperties merge (rule 5), the PATCH answer equal
to the next GET (rule 6), exact round-trips of strings and of DOB's calendar date (rules 7 and 1),
refused PATCHes that change nothing (rule 8), unknown properties (rule 9), form bodies (rule 10),
and that no PATCH touches a customer it did not target.

Safety (NOTES rules 11 and 13): only `GET Customers/{id}` and `PATCH Customers` are sent; every
PATCH names one of the given customers (or no customer at all, and then changes nothing); on a
server the suite did not start (`Target.owned` false) it never sets a property that was null in
`originals`, never adds a CustomProperties key, never sends another record's identity, and never
PATCHes an unknown id; its only reads beyond the given customers use ids that name no customer
(`abc`) or an ext ref no type has. A `read_only` target gets GETs only.

Each example starts by reading the given customers (the model), runs a deterministic opening
(`@initialize` rules: every lookup, a round trip of hard values with nulls and falsy values, every
kind of invalid body, PATCH by PersonalId, a form body, no identifier, another identity), then
random rules; after every rule the customers a PATCH did not target are read back. The server
keeps its state between examples, so a failure is reported as first seen, with the requests that
led to it and the run's seed, rather than replayed or shrunk.
"""

from __future__ import annotations

import json
import random
import re
import shlex
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
from hypothesis import HealthCheck, Phase, seed, settings
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
from qflow_client.api.customers import get_customer, patch_customer
from qflow_client.models.customer_update import CustomerUpdate
from qflow_client.models.customer_update_form import CustomerUpdateForm
from qflow_client.types import UNSET, Unset

from qflow_contracts.suite import model
from qflow_contracts.suite import strategies as vs
from qflow_contracts.suite.model import IDENTITY, MUTABLE, STRING_LIMITS, Record
from qflow_contracts.suite.rules import ContractViolation
from qflow_contracts.suite.target import Target

UNKNOWN_EXT_REF = "qflow-contracts-no-such-type"
"""An external reference no customer-id type has (checked against the given customers')."""

UNKNOWN_PROPERTY = "QflowContractsUnknownProperty"
"""A property no Customer has: a server ignores it (NOTES rule 9)."""

_NOT_JSON: Any = object()

MAX_REREAD = 12
"""The most given customers re-read after one PATCH (all of them when there are no more)."""

EXAMPLES_PER_BUDGET_UNIT = 2
"""Examples per unit of `Target.max_examples`: each example is an opening plus DEFAULT_STEPS rules."""

REFUSALS = (
    "too-long",
    "out-of-range",
    "wrong-type",
    "numeric-string",
    "not-object",
    "not-json",
    "overflow",
    "media-type",
)
"""The ways a PATCH body is invalid (NOTES rule 8): a bad property, then the whole body."""

MALFORMED_ID_TYPES = ("idType=abc", "idType=", "idType=2147483648", "idType=-2147483649")
"""Queries whose idType is not a 32-bit integer: 400 (NOTES rule 3)."""

NOT_CUSTOMER_IDS = ("abc", "no-such-customer", "x1")
"""`id` values that name no customer in CustomerId mode: 404 (NOTES rule 3)."""

HISTORY = 12
"""How many of an example's last requests a failure message lists."""

DEFAULT_STEPS = 20
"""Rules per example after the opening; with `Target.max_examples` examples (see `run_machine`)."""


# --------------------------------------------------------------------------------------------
# Talking to the server


@dataclass(frozen=True)
class Exchange:
    """One request and its answer: the status, the parsed JSON body and a masked curl line."""

    status: int
    body: Any
    text: str
    curl: str
    content_type: str = ""

    def brief(self) -> str:
        """The answer, shortened for a failure message."""
        text = self.text if len(self.text) <= 600 else self.text[:600] + "..."
        return f"HTTP {self.status}: {text}"


def curl_line(request: httpx.Request) -> str:
    """A curl command that repeats `request`, every header value but Content-Type shown as `***`."""
    parts = ["curl", "-sS", "-X", request.method, shlex.quote(str(request.url))]
    skipped = {"host", "accept", "accept-encoding", "connection", "user-agent", "content-length"}
    for name, value in request.headers.items():
        if name.lower() in skipped:
            continue
        shown = value if name.lower() == "content-type" else "***"
        parts += ["-H", shlex.quote(f"{name}: {shown}")]
    content = request.content
    if content:
        parts += ["--data-binary", shlex.quote(content.decode("utf-8", "backslashreplace"))]
    return " ".join(parts)


class Server:
    """Sends the two documented operations, through the generated client's request builders."""

    def __init__(self, client: Client) -> None:
        self.http = client.get_httpx_client()
        self.log: list[str] = []

    def _exchange(self, response: httpx.Response) -> Exchange:
        try:
            body = response.json()
        except ValueError:
            body = _NOT_JSON
        request = response.request
        content = request.content.decode("utf-8", "backslashreplace")
        shown = content if len(content) <= 160 else content[:160] + "..."
        self.log.append(f"{request.method} {request.url} {shown} -> {response.status_code}")
        content_type = response.headers.get("content-type", "")
        return Exchange(response.status_code, body, response.text, curl_line(request), content_type)

    def get(self, id_value: str, id_type: int | Unset = UNSET, ext_ref: str | Unset = UNSET) -> Exchange:
        """`GET Customers/{id}` with the optional query parameters (absent when UNSET)."""
        kwargs = get_customer._get_kwargs(id_value, id_type=id_type, id_type_ext_ref=ext_ref)
        return self._exchange(self.http.request(**kwargs))

    def get_raw_query(self, id_value: str, query: str) -> Exchange:
        """`GET Customers/{id}?<query>` with a query the typed client cannot write (`idType=abc`)."""
        path = "Customers/" + urllib.parse.quote(id_value, safe="")
        return self._exchange(self.http.request("GET", f"{path}?{query}"))

    def patch(self, body: CustomerUpdate | CustomerUpdateForm) -> Exchange:
        """`PATCH Customers` with a typed body (JSON or form, as the generated client writes it)."""
        kwargs = patch_customer._get_kwargs(body=body)
        return self._exchange(self.http.request(**kwargs))

    def patch_raw(self, content: bytes, content_type: str) -> Exchange:
        """`PATCH Customers` with a body the typed client cannot write (text/json, nested form keys)."""
        return self._exchange(
            self.http.request("PATCH", "Customers", content=content, headers={"Content-Type": content_type})
        )


# --------------------------------------------------------------------------------------------
# Bodies


def form_pairs(body: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A body as form fields (NOTES rule 10): decimal integers, `true`/`false`, `CustomProperties[k]`."""
    pairs: list[tuple[str, str]] = []
    for name, value in body.items():
        if value is None:
            continue
        if isinstance(value, dict):
            pairs += [(f"{name}[{key}]", str(item)) for key, item in value.items()]
        elif isinstance(value, bool):
            pairs.append((name, "true" if value else "false"))
        else:
            pairs.append((name, str(value)))
    return pairs


def _path_safe(value: object) -> bool:
    """Whether `value` can be an `{id}` path segment on any server (no slash, dot segment or control)."""
    if not isinstance(value, str) or not value or value in (".", ".."):
        return False
    return not any(ch in value for ch in "/\\%?#") and all(ch.isprintable() for ch in value)


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


@dataclass
class Context:
    """What one run of the machine works with: the target, its server and the given records."""

    target: Target
    server: Server
    originals: dict[int, Record]
    given: tuple[int, ...] = field(init=False)
    by_type: tuple[int, ...] = field(init=False)
    by_extref: tuple[int, ...] = field(init=False)
    lowest: tuple[int, ...] = field(init=False)
    violation: ContractViolation | None = field(init=False, default=None)
    examples: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.given = tuple(cid for cid in self.target.customer_ids if cid in self.originals)
        records = [self.originals[cid] for cid in self.given]

        def unique(cid: int, selector: model.Selector) -> bool:
            return [r["CustomerId"] for r in model.candidates(records, selector)] == [cid]

        self.by_type = tuple(
            cid
            for cid in self.given
            if _positive_int(self.originals[cid].get("PersonalIdTypeId"))
            and isinstance(self.originals[cid].get("PersonalId"), str)
            and self.originals[cid]["PersonalId"]
            and unique(cid, _type_selector(self.originals[cid]))
        )
        self.by_extref = tuple(
            cid
            for cid in self.given
            if isinstance(self.originals[cid].get("PersonalIdTypeExtRef"), str)
            and self.originals[cid]["PersonalIdTypeExtRef"]
            and isinstance(self.originals[cid].get("PersonalId"), str)
            and self.originals[cid]["PersonalId"]
            and unique(cid, _extref_selector(self.originals[cid]))
        )
        lowest = model.lowest_type_id(records)
        self.lowest = tuple(
            cid
            for cid in self.by_type
            if self.originals[cid]["PersonalIdTypeId"] == lowest
            and unique(cid, model.Selector("lowest", personal_id=self.originals[cid]["PersonalId"]))
        )

    def sample(self, cids: tuple[int, ...] | set[int], first: int | None = None) -> list[int]:
        """At most MAX_REREAD of `cids`: `first`'s PersonalId sharers first, then in id order.

        Many given customers would make every step slow; the ones a PATCH aimed at `first`
        could most plausibly hit by mistake (same PersonalId) are read back first.
        """
        ordered = sorted(cids)
        if first is not None:
            pid = self.originals[first].get("PersonalId")
            ordered.sort(key=lambda c: (self.originals[c].get("PersonalId") != pid, c))
        return ordered[:MAX_REREAD]

    @property
    def owned(self) -> bool:
        """Whether the suite started this server itself (then anything valid may be sent)."""
        return self.target.owned

    def may_set(self, cid: int, name: str) -> bool:
        """Whether a value of `name` may be written to `cid`: PATCH could put the original back.

        A DOB read back without an offset (NOTES rule 1 allows it in answers) cannot be sent back
        (requests need RFC 3339 with an offset), so it is not changed either.
        """
        if self.owned:
            return True
        value = self.originals[cid].get(name)
        return value is not None and (name != "DOB" or sendable_dob(value))

    def original_keys(self, cid: int) -> list[str]:
        """The CustomProperties keys `cid` had before the run."""
        return sorted((self.originals[cid].get("CustomProperties") or {}).keys())


def _type_selector(record: Mapping[str, Any]) -> model.Selector:
    return model.Selector("type", personal_id=record["PersonalId"], type_id=record["PersonalIdTypeId"])


def _extref_selector(record: Mapping[str, Any]) -> model.Selector:
    return model.Selector("extref", personal_id=record["PersonalId"], extref=record["PersonalIdTypeExtRef"])


# --------------------------------------------------------------------------------------------
# The machine


def sendable_dob(value: object) -> bool:
    """Whether a DOB as read back is also a valid request DOB (an RFC 3339 date-time with offset)."""
    return isinstance(value, str) and bool(OFFSET.search(value))


OFFSET = re.compile(r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})$")


class CustomersMachine(RuleBasedStateMachine):
    """Model-based test of the Customers API; `build_machine` binds it to a target."""

    context: ClassVar[Context]
    custom_keys = Bundle("custom_keys")

    def __init__(self) -> None:
        super().__init__()
        self.ctx = type(self).context
        if self.ctx.violation is not None:
            # The server's state moved on since the failing example: replaying it would prove
            # nothing, so the replay fails at once with the violation seen (see `run_machine`).
            raise self.ctx.violation
        self.server = self.ctx.server
        self.server.log.clear()
        self.model: dict[int, Record] = {}
        self.pending: set[int] = set()
        self.pending_rule = "rule-4"
        self.last = "no request yet"
        self.recent: list[str] = []
        self.last_exchange: Exchange | None = None
        self.last_target: int | None = None
        # Draws depend only on the originals and on this example's own steps, never on what the
        # server holds (earlier examples changed it): Hypothesis needs consistent generation.
        self.added_keys: dict[int, list[str]] = {}
        for cid in self.ctx.given:
            exchange = self.server.get(str(cid))
            record = self._record(exchange, "rule-3", f"GET of given customer {cid} by CustomerId")
            self._check_identity(cid, record, exchange)
            self.model[cid] = record

    # ---- checks ------------------------------------------------------------------------------

    def _fail(self, rule_id: str, message: str, exchange: Exchange) -> None:
        """Raise the violation, with the requests this example made before it, and remember it."""
        steps = self.server.log[-HISTORY:]
        history = "\n  ".join(steps)
        text = (
            f"{message}\nServer answered {exchange.brief()}\n"
            f"The last {len(steps)} requests of this example:\n  {history}"
        )
        violation = ContractViolation(rule_id, text, exchange.curl)
        if self.ctx.violation is None:
            self.ctx.violation = violation
        raise violation

    def _no_5xx(self, exchange: Exchange, what: str) -> None:
        if exchange.status >= 500:
            self._fail("rule-8", f"{what}: no input ever gets a 5xx", exchange)

    def _record(self, exchange: Exchange, status_rule: str, what: str) -> Record:
        """The 200 answer's record: whole (rule 2), a spec-shaped DOB (rule 1), typed as the spec says."""
        self._no_5xx(exchange, what)
        if 200 < exchange.status < 300:
            self._fail("rule-6", f"{what}: expected 200 with the whole record", exchange)
        if exchange.status != 200:
            self._fail(status_rule, f"{what}: expected 200", exchange)
        self._media_type(exchange, what)
        problems = model.shape_problems(exchange.body)
        if problems:
            self._fail(
                "rule-2", f"{what}: the answer is not a whole Customer: {'; '.join(problems)}", exchange
            )
        dob = model.dob_problems(exchange.body)
        if dob:
            self._fail("rule-1", f"{what}: {dob[0]}", exchange)
        wrong = model.schema_problems(exchange.body)
        if wrong:
            self._fail("spec-schema", f"{what}: {'; '.join(wrong)}", exchange)
        record: Record = {name: exchange.body[name] for name in model.PROPERTIES}
        return record

    def _error(self, exchange: Exchange, statuses: tuple[int, ...], status_rule: str, what: str) -> None:
        """A refusal with one of `statuses` and, for 400/404, the ASP.NET error body (rule 8)."""
        self._no_5xx(exchange, what)
        if exchange.status not in statuses:
            self._fail(status_rule, f"{what}: expected {' or '.join(map(str, statuses))}", exchange)
        if exchange.status in (400, 404):
            self._media_type(exchange, what)
            body = exchange.body
            if not isinstance(body, dict) or not isinstance(body.get("Message"), str):
                self._fail("rule-8", f"{what}: an error body carries {{'Message': '...'}}", exchange)
            state = body.get("ModelState")
            if state is not None and not (
                isinstance(state, dict)
                and all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in state.values())
            ):
                self._fail("rule-8", f"{what}: ModelState maps each property to a list of messages", exchange)

    def _media_type(self, exchange: Exchange, what: str) -> None:
        """A body in a documented response format: application/json or text/json (the vendor pages)."""
        media = exchange.content_type.split(";", 1)[0].strip().lower()
        if media not in ("application/json", "text/json"):
            self._fail(
                "spec-content-type",
                f"{what}: answered as {exchange.content_type!r}, not application/json or text/json",
                exchange,
            )

    def _check_identity(self, cid: int, record: Mapping[str, Any], exchange: Exchange) -> None:
        original = self.ctx.originals[cid]
        changed = [name for name in IDENTITY if record.get(name) != original.get(name)]
        if changed:
            detail = ", ".join(f"{n}: {original.get(n)!r} -> {record.get(n)!r}" for n in changed)
            self._fail(
                "rule-5", f"customer {cid}'s identity changed since the run began ({detail})", exchange
            )

    def _compare(
        self,
        cid: int,
        actual: Mapping[str, Any],
        exchange: Exchange,
        what: str,
        sent: Mapping[str, Any] | None = None,
        before: Mapping[str, Any] | None = None,
        force_rule: str | None = None,
    ) -> None:
        """Fail unless `actual` is the model's record of `cid`, naming the rule of the first difference."""
        found = model.differences(self.model[cid], actual, sent, before)
        if found:
            lines = "\n  ".join(d.describe() for d in found)
            rule_id = force_rule or found[0].rule
            sent_text = f"\nSent: {_short_json(sent)}" if sent else ""
            self._fail(
                rule_id, f"{what}: customer {cid} differs from the model:\n  {lines}{sent_text}", exchange
            )

    def _get_by_customer_id(self, cid: int, what: str) -> tuple[Record, Exchange]:
        exchange = self.server.get(str(cid))
        return self._record(exchange, "rule-3", f"{what}: GET Customers/{cid}"), exchange

    def _accepted_patch(
        self,
        cid: int,
        sent: dict[str, Any],
        exchange: Exchange,
        what: str,
        refusal_rule: str,
    ) -> Record:
        """Checks after a PATCH that must succeed on `cid`: rules 4, 2, 1, 6, 5, 7; then the model moves."""
        self.last = f"{what} (sent {_short_json(sent)})"
        self.recent.append(self.last)
        self.last_target = cid
        self.last_exchange = exchange
        if exchange.status == 404:
            self._fail(
                "rule-4", f"{what}: the body names customer {cid}, which exists, yet got 404", exchange
            )
        answer = self._record(exchange, refusal_rule, what)
        if answer["CustomerId"] != cid:
            self.pending |= set(self.ctx.given)
            self._fail(
                "rule-4",
                f"{what}: the body targets customer {cid} but the answer is customer {answer['CustomerId']}",
                exchange,
            )
        current, _ = self._get_by_customer_id(cid, what)
        if current != answer:
            diff = [n for n in model.PROPERTIES if current.get(n) != answer.get(n)]
            self._fail(
                "rule-6",
                f"{what}: the PATCH answer differs from the next GET in {diff}: "
                f"answer {_short_json(answer, 2000)}, GET {_short_json(current, 2000)}",
                exchange,
            )
        before = self.model[cid]
        self.model[cid] = model.apply_patch(before, sent)
        for key in sent.get("CustomProperties") or {}:
            if key not in self.ctx.original_keys(cid) and key not in self.added_keys.setdefault(cid, []):
                self.added_keys[cid].append(key)
        self._compare(cid, answer, exchange, what, sent, before)
        self.pending |= set(self.ctx.given) - {cid}
        self.pending_rule = "rule-4"
        return answer

    def _refused_patch(
        self, cid: int | None, exchange: Exchange, statuses: tuple[int, ...], rule_id: str, what: str
    ) -> None:
        """A PATCH that must be refused: the status (rule `rule_id`) and then nothing changed (rule 8)."""
        self.last = what
        self.recent.append(what)
        self.last_target = cid
        self.last_exchange = exchange
        self.pending |= set(self.ctx.given)
        self.pending_rule = "rule-8" if rule_id != "rule-4" else "rule-4"
        self._error(exchange, statuses, rule_id, what)
        if cid is not None:
            current, _ = self._get_by_customer_id(cid, what)
            self._compare(
                cid, current, exchange, f"{what}, refused, must change nothing", force_rule=self.pending_rule
            )
            self.pending.discard(cid)

    def _patch(self, body: CustomerUpdate | CustomerUpdateForm) -> Exchange:
        """Send a PATCH through the generated client."""
        return self.server.patch(body)

    def _patch_raw(self, content: bytes, content_type: str) -> Exchange:
        """Send a PATCH with a raw body."""
        return self.server.patch_raw(content, content_type)

    # ---- drawing bodies ------------------------------------------------------------------------

    def _draw_changes(self, data: st.DataObject, cid: int, *, form: bool = False) -> dict[str, Any]:
        """Mutable properties to send: each absent, null, falsy or another valid value."""
        body: dict[str, Any] = {}
        for name in MUTABLE:
            if name == "CustomProperties":
                continue
            choices = ["skip", "skip", "value", "value", "falsy"] + ([] if form else ["null", "null"])
            how = data.draw(st.sampled_from(choices), label=f"{name} is")
            if how == "null":
                body[name] = None
            elif how != "skip" and self.ctx.may_set(cid, name):
                if how == "falsy" and name != "DOB":
                    body[name] = {"Sex": 0, "NotificationConsent": False, "IsActive": False}.get(name, "")
                    if form and body[name] == "":
                        body[name] = data.draw(vs.string_values(name, falsy=False), label=name)
                else:
                    strategy = (
                        vs.string_values(name, falsy=not form)
                        if name in STRING_LIMITS
                        else vs.value_for(name)
                    )
                    body[name] = data.draw(strategy, label=name)
        properties = self._draw_custom_properties(data, cid, form=form)
        if properties is not None or (not form and data.draw(st.booleans(), label="CustomProperties null")):
            body["CustomProperties"] = properties
        return body

    def _draw_custom_properties(self, data: st.DataObject, cid: int, *, form: bool) -> dict[str, str] | None:
        """Some keys of the record with new values (a strict subset when it can), new keys when owned."""
        keys = sorted(set(self.ctx.original_keys(cid)) | set(self.added_keys.get(cid, ())))
        if form:
            keys = [k for k in keys if "[" not in k and "]" not in k]
        chosen: list[str] = []
        if keys:
            size = data.draw(st.integers(0, max(0, len(keys) - 1) if len(keys) > 1 else 1), label="keys sent")
            chosen = data.draw(st.permutations(keys), label="key order")[:size]
        added: dict[str, str] = {}
        if self.ctx.owned:
            added = data.draw(vs.custom_properties(form_safe=form, max_size=2), label="new keys")
        values = vs.custom_property_values(empty=not form)
        sent = {key: data.draw(values, label=f"CustomProperties[{key!r}]") for key in chosen}
        sent.update({key: value for key, value in added.items() if key not in sent})
        return sent or None

    def _draw_identity(
        self, data: st.DataObject, cid: int, mode: str | None = None, decoy: bool | None = None
    ) -> dict[str, Any]:
        """The identifiers of a body that targets `cid`, in one of the modes NOTES rule 4 allows.

        `mode` (`customer`, `type`, `extref`) is drawn when None; a `customer` body carries
        another record's or made-up identity values when `decoy` (drawn when None; owned only).
        """
        record = self.ctx.originals[cid]
        if mode is None:
            modes = ["customer", "customer"]
            if cid in self.ctx.by_type:
                modes.append("type")
            if cid in self.ctx.by_extref:
                modes.append("extref")
            mode = data.draw(st.sampled_from(modes), label="target by")
        body: dict[str, Any] = {}
        if mode == "customer":
            body["CustomerId"] = cid
            for name in IDENTITY[1:]:
                if data.draw(st.booleans(), label=f"echo {name}"):
                    body[name] = record.get(name)
            if decoy is None:
                decoy = data.draw(st.booleans(), label="decoy identity")
            if self.ctx.owned and decoy:
                body.update(self._draw_decoy(data, cid))
        elif mode == "type":
            body["PersonalId"] = record["PersonalId"]
            body["PersonalIdTypeId"] = record["PersonalIdTypeId"]
            body.update(self._draw_no_customer_id(data))
            ext = data.draw(st.sampled_from(["absent", "own", "decoy"]), label="PersonalIdTypeExtRef")
            if ext == "own":
                body["PersonalIdTypeExtRef"] = record.get("PersonalIdTypeExtRef")
            elif ext == "decoy" and self.ctx.owned:
                body["PersonalIdTypeExtRef"] = data.draw(self._other_extrefs(cid), label="decoy ext ref")
        else:
            body["PersonalId"] = record["PersonalId"]
            body["PersonalIdTypeExtRef"] = record["PersonalIdTypeExtRef"]
            body.update(self._draw_no_customer_id(data))
            type_id = data.draw(st.sampled_from(["absent", None, 0, -1]), label="PersonalIdTypeId")
            if type_id != "absent":
                body["PersonalIdTypeId"] = type_id
        return body

    def _draw_no_customer_id(self, data: st.DataObject) -> dict[str, Any]:
        choice = data.draw(st.sampled_from(["absent", None, 0, -7]), label="CustomerId")
        return {} if choice == "absent" else {"CustomerId": choice}

    def _other_extrefs(self, cid: int) -> st.SearchStrategy[str]:
        others = sorted(
            {
                str(self.ctx.originals[o]["PersonalIdTypeExtRef"])
                for o in self.ctx.given
                if o != cid and self.ctx.originals[o].get("PersonalIdTypeExtRef")
            }
        )
        return st.sampled_from(others) if others else vs.text_values(20, min_size=1)

    def _draw_decoy(self, data: st.DataObject, cid: int) -> dict[str, Any]:
        """Identity values of another record, or made up: a CustomerId body must ignore them (owned only)."""
        own = self.ctx.originals[cid].get("PersonalId")
        others = [o for o in self.ctx.given if self.ctx.originals[o].get("PersonalId") != own]
        from_other: bool = data.draw(st.booleans(), label="decoy from another customer")
        if others and from_other:
            other = self.ctx.originals[data.draw(st.sampled_from(others), label="decoy customer")]
            return {name: other.get(name) for name in IDENTITY[1:]}
        return {
            "PersonalId": data.draw(
                vs.text_values(model.PERSONAL_ID_LIMIT, min_size=1), label="decoy PersonalId"
            ),
            "PersonalIdTypeId": data.draw(vs.int32_values(), label="decoy PersonalIdTypeId"),
            "PersonalIdTypeExtRef": data.draw(vs.text_values(20, min_size=1), label="decoy ext ref"),
        }

    # ---- the opening: every lookup of every given customer, once per example ------------------

    @initialize(target=custom_keys)
    def known_custom_property_keys(self) -> Any:
        """Seed the bundle with each given customer's CustomProperties keys."""
        return multiple(*[(cid, key) for cid in self.ctx.given for key in self.ctx.original_keys(cid)])

    @initialize()
    def every_lookup_of_every_customer(self) -> None:
        """GET each given customer by CustomerId, by (PersonalId, idType) and by idTypeExtRef (rule 3).

        The first example looks every given customer up (at most MAX_REREAD of them); later ones
        take turns, two customers each, so the opening stays cheap.
        """
        self.ctx.examples += 1
        chosen = self.ctx.sample(self.ctx.given)
        if self.ctx.examples > 1:
            start = (2 * self.ctx.examples) % len(self.ctx.given)
            chosen = [
                self.ctx.given[(start + k) % len(self.ctx.given)] for k in range(min(2, len(self.ctx.given)))
            ]
        turn = self.ctx.examples
        self._malformed_id_type(chosen[0], MALFORMED_ID_TYPES[turn % len(MALFORMED_ID_TYPES)])
        self._not_a_number(NOT_CUSTOMER_IDS[turn % len(NOT_CUSTOMER_IDS)], UNSET)
        for cid in chosen:
            self._lookup_by_customer_id(cid, UNSET)
            if cid in self.ctx.by_type and _path_safe(self.ctx.originals[cid]["PersonalId"]):
                self._lookup_by_type(cid, UNSET)
            if cid in self.ctx.by_extref and _path_safe(self.ctx.originals[cid]["PersonalId"]):
                self._lookup_by_extref(cid, self._decoy_type_for(cid))

    def _decoy_type_for(self, cid: int) -> int | Unset:
        """Another given customer's type sharing this PersonalId, the strongest idType decoy, else UNSET."""
        record = self.ctx.originals[cid]
        for other in self.ctx.given:
            o = self.ctx.originals[other]
            if (
                other != cid
                and o.get("PersonalId") == record["PersonalId"]
                and _positive_int(o.get("PersonalIdTypeId"))
                and o.get("PersonalIdTypeId") != record.get("PersonalIdTypeId")
            ):
                return int(o["PersonalIdTypeId"])
        return UNSET

    @initialize(data=st.data())
    def opening_round_trip(self, data: st.DataObject) -> None:
        """Two PATCHes of one customer: first half the properties set and half null, then the other way.

        Every settable string gets a hard case (white space, combining marks, astral characters),
        DOB an hour whose UTC date is another day, booleans and Sex their falsy values where they
        are truthy, and a CustomProperties key alone (rules 1, 5, 6, 7).
        """
        if self.ctx.target.read_only:
            return
        cid = data.draw(st.sampled_from(self.ctx.given), label="opening customer")
        settable = [name for name in MUTABLE if name != "CustomProperties" and self.ctx.may_set(cid, name)]
        halves = (settable[0::2], settable[1::2])
        for turn, (to_set, to_null) in enumerate((halves, halves[::-1])):
            body: dict[str, Any] = {"CustomerId": cid}
            for name in to_null:
                body[name] = None
            for name in to_set:
                current = self.model[cid].get(name)
                if name in STRING_LIMITS:
                    body[name] = data.draw(
                        st.sampled_from([text[: STRING_LIMITS[name]] for text in vs.TRICKY]),
                        label=name,
                    )
                    if turn == 0 and name == next(n for n in to_set if n in STRING_LIMITS):
                        body[name] = vs.HARDEST
                    if turn == 1 and current:
                        body[name] = ""
                elif name == "DOB":
                    body[name] = data.draw(vs.dob_values(shifted=True), label=name)
                elif name == "Sex":
                    body[name] = 0 if current != 0 else 2
                else:
                    body[name] = current is not True
            properties = self._draw_custom_properties(data, cid, form=False)
            if properties is not None:
                body["CustomProperties"] = properties
            self._send_json(cid, body, f"opening PATCH {turn + 1} of customer {cid}")

    @initialize(data=st.data())
    def opening_refusal(self, data: st.DataObject) -> None:
        """Invalid PATCHes of every kind, carrying valid changes: 400 (415), nothing applied (rule 8)."""
        if self.ctx.target.read_only:
            return
        cid = data.draw(st.sampled_from(self.ctx.given), label="customer")
        settable = [n for n in STRING_LIMITS if self.ctx.may_set(cid, n)]
        change: dict[str, Any] = {}
        if settable:
            name = data.draw(st.sampled_from(settable), label="valid change")
            change[name] = data.draw(vs.string_values(name, falsy=False), label=name)
        for kind in REFUSALS:
            self._refused(data, cid, kind, change)

    @initialize(data=st.data())
    def opening_by_personal_id(self, data: st.DataObject) -> None:
        """PATCH by PersonalId within its type, then within the type named by its ext ref (rule 4).

        A customer whose PersonalId another given customer holds in another type is chosen
        first: a server that ignores the type then updates the wrong one.
        """
        if self.ctx.target.read_only:
            return
        for mode, pool in (("type", self.ctx.by_type), ("extref", self.ctx.by_extref)):
            if not pool:
                continue
            shared = [c for c in pool if self._decoy_type_for(c) is not UNSET][:4]
            chosen = shared or [data.draw(st.sampled_from(pool), label=f"customer by {mode}")]
            for cid in chosen:
                body = self._draw_identity(data, cid, mode=mode)
                body.update(self._draw_changes(data, cid))
                self._send_json(cid, body, f"opening PATCH by PersonalId ({mode}) of customer {cid}")

    @initialize(data=st.data())
    def opening_without_identifier(self, data: st.DataObject) -> None:
        """One PATCH with no identifier: 400 and no customer changed (rule 4)."""
        if not self.ctx.target.read_only:
            self.patch_without_identifier(data)

    @initialize(data=st.data())
    def opening_form(self, data: st.DataObject) -> None:
        """One PATCH as a form body (rule 10)."""
        if not self.ctx.target.read_only:
            self.patch_form(data)

    @initialize(data=st.data())
    def opening_identity_decoy(self, data: st.DataObject) -> None:
        """PATCH by CustomerId carrying another identity: the identity is never changed (rule 5).

        On a deployment only a made-up PersonalId goes with the target's own CustomerId: a
        conformant server ignores it, and the restore sends the original back to one that does not.
        """
        if self.ctx.target.read_only:
            return
        if self.ctx.owned:
            cid = data.draw(st.sampled_from(self.ctx.given), label="customer")
            body = self._draw_identity(data, cid, mode="customer", decoy=True)
        else:
            safe = [c for c in self.ctx.given if self.ctx.originals[c].get("PersonalId")]
            if not safe:
                return
            cid = data.draw(st.sampled_from(safe), label="customer")
            probe = data.draw(st.integers(0, 2**32 - 1), label="made-up PersonalId")
            body = {"CustomerId": cid, "PersonalId": f"qflow-probe-{probe:08x}"}
        body.update(self._draw_changes(data, cid))
        self._send_json(cid, body, f"opening PATCH of customer {cid} with another identity")

    # ---- GET rules ------------------------------------------------------------------------------

    def _lookup_by_customer_id(self, cid: int, id_type: int | Unset) -> None:
        what = f"GET Customers/{cid}?idType={id_type if id_type is not UNSET else '(absent)'}"
        exchange = self.server.get(str(cid), id_type=id_type)
        record = self._record(exchange, "rule-3", what)
        if record["CustomerId"] != cid:
            self._fail("rule-3", f"{what}: idType <= 0 looks up the CustomerId {cid}", exchange)
        self._compare(cid, record, exchange, what)

    def _lookup_by_type(self, cid: int, ext_ref: str | Unset) -> None:
        original = self.ctx.originals[cid]
        pid, type_id = original["PersonalId"], original["PersonalIdTypeId"]
        what = f"GET Customers/{pid!r}?idType={type_id}"
        exchange = self.server.get(pid, id_type=type_id, ext_ref=ext_ref)
        record = self._record(exchange, "rule-3", f"{what}: customer {cid} has this PersonalId in this type")
        if record["CustomerId"] != cid:
            self._fail("rule-3", f"{what}: expected customer {cid}, got {record['CustomerId']}", exchange)
        self._compare(cid, record, exchange, what)

    def _lookup_by_extref(self, cid: int, id_type: int | Unset) -> None:
        original = self.ctx.originals[cid]
        pid, ext = original["PersonalId"], original["PersonalIdTypeExtRef"]
        shown = "" if id_type is UNSET else f"&idType={id_type}"
        what = f"GET Customers/{pid!r}?idTypeExtRef={ext!r}{shown}"
        exchange = self.server.get(pid, id_type=id_type, ext_ref=ext)
        record = self._record(
            exchange, "rule-3", f"{what}: customer {cid} has this PersonalId in the type with this ext ref"
        )
        if record["CustomerId"] != cid:
            self._fail(
                "rule-3",
                f"{what}: a non-empty idTypeExtRef wins over idType; expected customer {cid}, "
                f"got {record['CustomerId']}",
                exchange,
            )
        self._compare(cid, record, exchange, what)

    @rule(data=st.data())
    def get_by_customer_id(self, data: st.DataObject) -> None:
        """GET by CustomerId with idType absent, 0 or negative: the model's record (rules 2, 3)."""
        cid = data.draw(st.sampled_from(self.ctx.given), label="customer")
        choices: list[int | Unset] = [UNSET, 0, -1, -(2**31)]
        id_type = data.draw(st.sampled_from(choices), label="idType")
        self._lookup_by_customer_id(cid, id_type)

    @precondition(lambda self: any(_path_safe(self.ctx.originals[c]["PersonalId"]) for c in self.ctx.by_type))
    @rule(data=st.data())
    def get_by_personal_id_and_type(self, data: st.DataObject) -> None:
        """GET by PersonalId within idType (rule 3): that customer, even when another type shares the id."""
        cids = [c for c in self.ctx.by_type if _path_safe(self.ctx.originals[c]["PersonalId"])]
        cid = data.draw(st.sampled_from(cids), label="customer")
        choices: list[str | Unset] = [UNSET, ""]
        self._lookup_by_type(cid, data.draw(st.sampled_from(choices), label="idTypeExtRef"))

    @precondition(
        lambda self: any(_path_safe(self.ctx.originals[c]["PersonalId"]) for c in self.ctx.by_extref)
    )
    @rule(data=st.data())
    def get_by_personal_id_and_ext_ref(self, data: st.DataObject) -> None:
        """GET by PersonalId within the type with idTypeExtRef, whatever idType says (rule 3)."""
        cids = [c for c in self.ctx.by_extref if _path_safe(self.ctx.originals[c]["PersonalId"])]
        cid = data.draw(st.sampled_from(cids), label="customer")
        decoys: list[int | Unset] = [UNSET, 0, -1]
        shared = self._decoy_type_for(cid)
        if shared is not UNSET:
            decoys += [shared, shared]
        types = {int(self.ctx.originals[c]["PersonalIdTypeId"]) for c in self.ctx.by_type}
        decoys += sorted(types)
        self._lookup_by_extref(cid, data.draw(st.sampled_from(decoys), label="idType"))

    @precondition(lambda self: any(_path_safe(self.ctx.originals[c]["PersonalId"]) for c in self.ctx.by_type))
    @rule(data=st.data())
    def get_with_unknown_ext_ref(self, data: st.DataObject) -> None:
        """A non-empty idTypeExtRef no type has wins over a valid idType: 404, no fallback (rule 3)."""
        cids = [c for c in self.ctx.by_type if _path_safe(self.ctx.originals[c]["PersonalId"])]
        cid = data.draw(st.sampled_from(cids), label="customer")
        original = self.ctx.originals[cid]
        known = {str(self.ctx.originals[c].get("PersonalIdTypeExtRef")) for c in self.ctx.given}
        ext = next(e for e in (UNKNOWN_EXT_REF, UNKNOWN_EXT_REF + "-2") if e not in known)
        pid, type_id = original["PersonalId"], original["PersonalIdTypeId"]
        exchange = self.server.get(pid, id_type=type_id, ext_ref=ext)
        what = f"GET Customers/{pid!r}?idType={type_id}&idTypeExtRef={ext}: no type has this ext ref"
        self._error(exchange, (404,), "rule-3", what)

    @rule(data=st.data())
    def get_with_malformed_id_type(self, data: st.DataObject) -> None:
        """`idType=abc`, `idType=` empty or outside 32 bits: 400 with an error body (rules 3, 8)."""
        cid = data.draw(st.sampled_from(self.ctx.given), label="customer")
        self._malformed_id_type(cid, data.draw(st.sampled_from(MALFORMED_ID_TYPES), label="query"))

    def _malformed_id_type(self, cid: int, query: str) -> None:
        exchange = self.server.get_raw_query(str(cid), query)
        self._error(exchange, (400,), "rule-3", f"GET Customers/{cid}?{query}: a malformed idType gets 400")

    @rule(data=st.data())
    def get_by_customer_id_that_is_not_a_number(self, data: st.DataObject) -> None:
        """In CustomerId mode an `id` that is no number names no customer: 404 (rule 3)."""
        text = data.draw(st.sampled_from(NOT_CUSTOMER_IDS), label="id")
        choices: list[int | Unset] = [UNSET, 0]
        self._not_a_number(text, data.draw(st.sampled_from(choices), label="idType"))

    def _not_a_number(self, text: str, id_type: int | Unset) -> None:
        exchange = self.server.get(text, id_type=id_type)
        self._error(exchange, (404,), "rule-3", f"GET Customers/{text}: not a CustomerId, so 404")

    # ---- PATCH rules ----------------------------------------------------------------------------

    def _send_json(self, cid: int, body: dict[str, Any], what: str, *, unknown: Any = None) -> None:
        """PATCH `body` as JSON through the generated client and check it against the model."""
        update = CustomerUpdate.from_dict(body)
        if unknown is not None:
            update.additional_properties[UNKNOWN_PROPERTY] = unknown
        sent = update.to_dict()
        exchange = self._patch(update)
        rule_id = "rule-9" if unknown is not None else self._refusal_rule(sent)
        self._accepted_patch(cid, sent, exchange, what, rule_id)

    def _refusal_rule(self, sent: Mapping[str, Any]) -> str:
        """The rule a refusal of this valid body breaks: code-point lengths (9), DOB (1), else the spec."""
        for name, limit in STRING_LIMITS.items():
            value = sent.get(name)
            if isinstance(value, str) and len(value.encode("utf-16-le")) // 2 > limit:
                return "rule-9"
        if sent.get("DOB") is not None:
            return "rule-1"
        return "spec-positive"

    @precondition(lambda self: not self.ctx.target.read_only)
    @rule(data=st.data())
    def patch_json(self, data: st.DataObject) -> None:
        """PATCH as application/json by any identifier mode: partial update per the model (rules 4-7, 9)."""
        cid = data.draw(st.sampled_from(self.ctx.given), label="customer")
        body = self._draw_identity(data, cid)
        body.update(self._draw_changes(data, cid))
        unknown = data.draw(
            st.one_of(st.none(), st.just("ignored"), st.just({"nested": [1]})), label="unknown"
        )
        self._send_json(cid, body, f"PATCH Customers (JSON) targeting customer {cid}", unknown=unknown)

    @precondition(lambda self: not self.ctx.target.read_only)
    @rule(data=st.data())
    def patch_text_json(self, data: st.DataObject) -> None:
        """PATCH as text/json, a documented request format: same behaviour as JSON (spec, rules 5-7)."""
        cid = data.draw(st.sampled_from(self.ctx.given), label="customer")
        body = self._draw_identity(data, cid)
        body.update(self._draw_changes(data, cid))
        ascii_only = data.draw(st.booleans(), label="ensure_ascii")
        content = json.dumps(body, ensure_ascii=ascii_only).encode("utf-8")
        content_type = data.draw(st.sampled_from(["text/json", "text/json; charset=utf-8"]), label="type")
        exchange = self._patch_raw(content, content_type)
        self._accepted_patch(
            cid, body, exchange, f"PATCH Customers ({content_type}) of customer {cid}", "spec-positive"
        )

    @precondition(lambda self: not self.ctx.target.read_only)
    @rule(data=st.data())
    def patch_form(self, data: st.DataObject) -> None:
        """PATCH as a form body: one field per property, `CustomProperties[key]=value` (rule 10)."""
        cid = data.draw(st.sampled_from(self.ctx.given), label="customer")
        identity = self._draw_identity(data, cid)
        body = {k: v for k, v in identity.items() if v is not None}
        body.update({k: v for k, v in self._draw_changes(data, cid, form=True).items() if v is not None})
        what = f"PATCH Customers (form) of customer {cid}"
        if "CustomProperties" not in body and data.draw(st.booleans(), label="typed form"):
            form = CustomerUpdateForm.from_dict(body)
            exchange = self._patch(form)
            sent = dict(body)
            if form.dob is not UNSET and not isinstance(form.dob, Unset):
                sent["DOB"] = form.dob.isoformat()
        else:
            sent = body
            content = urllib.parse.urlencode(form_pairs(body)).encode("ascii")
            exchange = self._patch_raw(content, "application/x-www-form-urlencoded")
        if exchange.status == 415:
            self._fail("rule-10", f"{what}: form bodies are a documented request format", exchange)
        self._accepted_patch(cid, sent, exchange, what, "rule-10")

    @precondition(lambda self: not self.ctx.target.read_only)
    @rule(entry=custom_keys, data=st.data())
    def patch_one_custom_property(self, entry: tuple[int, str], data: st.DataObject) -> None:
        """PATCH one existing CustomProperties key alone: it changes, every other key stays (rule 5)."""
        cid, key = entry
        value = data.draw(vs.custom_property_values(), label="value")
        body = {"CustomerId": cid, "CustomProperties": {key: value}}
        self._send_json(cid, body, f"PATCH of CustomProperties[{key!r}] alone on customer {cid}")

    @precondition(lambda self: not self.ctx.target.read_only and self.ctx.owned)
    @rule(target=custom_keys, data=st.data())
    def patch_new_custom_property(self, data: st.DataObject) -> tuple[int, str]:
        """PATCH a new CustomProperties key alone: it is added, every other key stays (rule 5; owned only)."""
        cid = data.draw(st.sampled_from(self.ctx.given), label="customer")
        key = data.draw(vs.custom_property_keys(), label="new key")
        value = data.draw(vs.custom_property_values(), label="value")
        self._send_json(
            cid, {"CustomerId": cid, "CustomProperties": {key: value}}, f"PATCH adding key {key!r}"
        )
        return (cid, key)

    @precondition(lambda self: not self.ctx.target.read_only and self.ctx.owned and bool(self.ctx.lowest))
    @rule(data=st.data())
    def patch_by_personal_id_alone(self, data: st.DataObject) -> None:
        """PATCH by PersonalId with no type: the type with the lowest id (rule 4; owned only).

        The server may know a type with a lower id than any given customer's: then the answer is
        404 or a record of that lower type, never a given customer of another type.
        """
        cid = data.draw(st.sampled_from(self.ctx.lowest), label="customer")
        original = self.ctx.originals[cid]
        body: dict[str, Any] = {"PersonalId": original["PersonalId"]}
        body.update(self._draw_no_customer_id(data))
        if data.draw(st.booleans(), label="PersonalIdTypeId null"):
            body["PersonalIdTypeId"] = data.draw(st.sampled_from([None, 0]), label="PersonalIdTypeId")
        body.update(self._draw_changes(data, cid))
        update = CustomerUpdate.from_dict(body)
        sent = update.to_dict()
        exchange = self._patch(update)
        what = f"PATCH by PersonalId {original['PersonalId']!r} with no type"
        self._no_5xx(exchange, what)
        if exchange.status == 404:
            self._refused_patch(None, exchange, (404,), "rule-4", what)
            return
        answer = self._record(exchange, "rule-4", what)
        other = answer["CustomerId"]
        if other == cid or other in self.model:
            self._accepted_patch(cid, sent, exchange, what, "rule-4")
            return
        lowest = original["PersonalIdTypeId"]
        if answer["PersonalId"] != original["PersonalId"] or not (
            isinstance(answer["PersonalIdTypeId"], int) and answer["PersonalIdTypeId"] < lowest
        ):
            self._fail(
                "rule-4", f"{what}: answered a record of neither this PersonalId nor a lower type", exchange
            )
        self.pending |= set(self.ctx.given)
        self.pending_rule = "rule-4"
        self.last, self.last_target, self.last_exchange = what, None, exchange
        self.recent.append(what)

    @precondition(lambda self: not self.ctx.target.read_only)
    @rule(data=st.data())
    def refused_patch(self, data: st.DataObject) -> None:
        """An invalid PATCH of a given customer, with valid changes beside: 400 and no change (rule 8)."""
        cid = data.draw(st.sampled_from(self.ctx.given), label="customer")
        self._refused(data, cid, data.draw(st.sampled_from(REFUSALS), label="invalid by"))

    def _refused(
        self, data: st.DataObject, cid: int, kind: str, change: dict[str, Any] | None = None
    ) -> None:
        """Send an invalid PATCH of `cid` (invalid by `kind`) carrying valid changes and `change`."""
        body: dict[str, Any] = {"CustomerId": cid}
        body.update({k: v for k, v in self._draw_changes(data, cid).items() if v is not None})
        body.update(change or {})
        content_type = "application/json"
        statuses: tuple[int, ...] = (400,)
        if kind in vs.INVALID_FLAVOURS:
            flavour = kind
            names = [
                n for n in vs.INVALID_FLAVOURS[flavour] if n == "CustomProperties" or self.ctx.may_set(cid, n)
            ]
            if not names:
                flavour, names = "wrong-type", ["CustomProperties"]
            name = data.draw(st.sampled_from(names), label="invalid property")
            body[name] = data.draw(vs.invalid_value_for(name, flavour), label=f"invalid {name}")
            content = json.dumps(body).encode("utf-8")
        elif kind == "numeric-string":
            if not self.ctx.may_set(cid, "Sex"):
                return  # a server that wrongly accepts it would set a value PATCH cannot undo
            body["Sex"] = data.draw(st.sampled_from(["1", "0", "2"]), label="Sex as a string")
            content = json.dumps(body).encode("utf-8")
        elif kind == "not-object":
            shape = data.draw(st.sampled_from(["array", "string", "number"]), label="shape")
            document: Any = {"array": [body], "string": json.dumps(body), "number": cid}[shape]
            content = json.dumps(document).encode("utf-8")
        elif kind == "not-json":
            content = json.dumps(body).encode("utf-8")[:-1]
        elif kind == "overflow":
            body["CustomerId"] = cid + 2**32
            content = json.dumps(body).encode("utf-8")
        else:
            content = json.dumps(body).encode("utf-8")
            content_type = data.draw(
                st.sampled_from(["text/plain", "application/octet-stream"]), label="media type"
            )
            statuses = (415,)
        exchange = self._patch_raw(content, content_type)
        what = f"invalid PATCH ({kind}, {content_type}) of customer {cid}: {content.decode()[:300]}"
        self._refused_patch(cid, exchange, statuses, "rule-8", what)

    @precondition(lambda self: not self.ctx.target.read_only)
    @rule(data=st.data())
    def patch_without_identifier(self, data: st.DataObject) -> None:
        """A PATCH with neither a positive CustomerId nor a PersonalId: 400, nothing changed (rule 4)."""
        cid = data.draw(st.sampled_from(self.ctx.given), label="changes drawn for")
        shapes: list[dict[str, Any]] = [{}, {"CustomerId": 0}, {"CustomerId": None, "PersonalId": None}]
        body: dict[str, Any] = dict(data.draw(st.sampled_from(shapes), label="identifiers"))
        if data.draw(st.booleans(), label="with type") and self.ctx.by_type:
            some = self.ctx.originals[data.draw(st.sampled_from(self.ctx.by_type), label="type of")]
            body["PersonalIdTypeId"] = some["PersonalIdTypeId"]
        if data.draw(st.booleans(), label="negative CustomerId"):
            body["CustomerId"] = -data.draw(st.integers(1, 2**31), label="negative")
        changes = self._draw_changes(data, cid)
        if not self.ctx.owned:
            changes = {name: None for name in changes}
        body.update(changes)
        content = json.dumps(body).encode("utf-8")
        exchange = self._patch_raw(content, "application/json")
        what = f"PATCH with no identifier: {content.decode()[:300]}"
        self._refused_patch(None, exchange, (400,), "rule-4", what)

    @precondition(lambda self: not self.ctx.target.read_only and self.ctx.owned)
    @rule(data=st.data())
    def patch_unknown_customer(self, data: st.DataObject) -> None:
        """A PATCH whose identifier names no record: 404 and nothing changed (rule 4; owned only).

        By a CustomerId GET does not find, by a PersonalId GET does not find in its type, or by
        a PersonalId within an ext ref no type has (which must not fall back to another type).
        """
        kinds = ["customer"] + (["personal-id"] if self.ctx.by_type else []) + ["ext-ref"]
        kind = data.draw(st.sampled_from(kinds), label="unknown by")
        changes = {k: v for k, v in self._draw_changes(data, self.ctx.given[0]).items() if v is not None}
        probe: Exchange | None = None
        if kind == "customer":
            cid = max(self.ctx.given) + data.draw(st.integers(1000, 10**6), label="offset")
            if cid > model.INT32_MAX:
                cid = data.draw(st.integers(900_000_000, 1_000_000_000), label="unknown id")
            body: dict[str, Any] = {"CustomerId": cid}
            probe = self.server.get(str(cid))
        elif kind == "personal-id":
            type_id = self.ctx.originals[data.draw(st.sampled_from(self.ctx.by_type), label="type of")][
                "PersonalIdTypeId"
            ]
            pid = "qflow-no-such-id-" + data.draw(st.text("0123456789abcdef", min_size=4, max_size=8))
            body = {"PersonalId": pid, "PersonalIdTypeId": type_id}
            probe = self.server.get(pid, id_type=type_id)
        else:
            holders = [c for c in self.ctx.given if self.ctx.originals[c].get("PersonalId")]
            if not holders:
                return
            pid = self.ctx.originals[data.draw(st.sampled_from(holders), label="PersonalId of")]["PersonalId"]
            known = {str(self.ctx.originals[c].get("PersonalIdTypeExtRef")) for c in self.ctx.given}
            ext = next(e for e in (UNKNOWN_EXT_REF, UNKNOWN_EXT_REF + "-2") if e not in known)
            body = {"PersonalId": pid, "PersonalIdTypeExtRef": ext}
        if probe is not None:
            self._no_5xx(probe, "GET probe of an unknown identifier")
            if probe.status != 404:
                return
        body.update(changes)
        exchange = self._patch_raw(json.dumps(body).encode("utf-8"), "application/json")
        what = f"PATCH by an identifier that names no record ({kind}): {_short_json(body, 200)}"
        self._refused_patch(None, exchange, (404,), "rule-4", what)

    # ---- what must always hold ------------------------------------------------------------------

    @invariant(check_during_init=True)
    def untargeted_customers_are_unchanged(self) -> None:
        """Every given customer a request did not target still reads back as the model says.

        Checked after every rule, the opening's too: the PATCHes of one rule share the rule a
        change breaks (rule 4 after accepted ones, rule 8 after refused ones), and the message
        lists them all.
        """
        if not self.pending:
            return
        cids = self.ctx.sample(self.pending, self.last_target)
        self.pending.clear()
        recent, self.recent = self.recent, []
        for cid in cids:
            record, exchange = self._get_by_customer_id(
                cid, "re-reading a customer the last PATCH did not target"
            )
            rule_id = self.pending_rule
            found = model.differences(self.model[cid], record)
            if found:
                lines = "\n  ".join(d.describe() for d in found)
                self._fail(
                    rule_id,
                    f"customer {cid} changed although no PATCH since the last check targeted it:\n  "
                    + "\n  ".join(recent)
                    + f"\nDifferences:\n  {lines}\nGET Customers/{cid} answered {exchange.brief()}",
                    self.last_exchange or exchange,
                )


def _short_json(value: object, limit: int = 600) -> str:
    """`value` as JSON, cut to `limit` characters, for a failure message."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "..."


# --------------------------------------------------------------------------------------------
# Running it


OPENING_STEPS = sum(
    1 for value in vars(CustomersMachine).values() if hasattr(value, "hypothesis_stateful_initialize_rule")
)
"""The `@initialize` rules, which Hypothesis counts among an example's steps."""


def build_machine(target: Target, client: Client, originals: Mapping[int, Any]) -> type[CustomersMachine]:
    """A subclass of `CustomersMachine` bound to this target, client and originals.

    `originals` maps each given CustomerId to its record as first read: a JSON dict or a
    generated `Customer`.
    """
    records = {int(k): (v.to_dict() if hasattr(v, "to_dict") else dict(v)) for k, v in originals.items()}
    context = Context(target, Server(client), records)
    if not context.given:
        raise ValueError("none of the target's customers has an original record")
    return type("CustomersStateMachine", (CustomersMachine,), {"context": context})


def default_examples(target: Target) -> int:
    """Examples for a run: twice the target's budget (about 15 s against the mock on two cores)."""
    return max(3, EXAMPLES_PER_BUDGET_UNIT * target.max_examples)


def machine_settings(
    target: Target,
    *,
    max_examples: int | None = None,
    stateful_step_count: int | None = None,
) -> settings:
    """Hypothesis settings for a run: the target's budget, no deadline, no database, no shrinking.

    Shrinking replays examples, which a server whose state moved on cannot honour.
    """
    phases = [Phase.explicit, Phase.generate]
    return settings(
        max_examples=max_examples if max_examples is not None else default_examples(target),
        stateful_step_count=OPENING_STEPS
        + (stateful_step_count if stateful_step_count is not None else DEFAULT_STEPS),
        deadline=None,
        database=None,
        phases=phases,
        report_multiple_bugs=False,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
    )


def run_machine(
    target: Target,
    client: Client,
    originals: Mapping[int, Any],
    *,
    max_examples: int | None = None,
    stateful_step_count: int | None = None,
) -> None:
    """Run the state machine against `target`; raises `ContractViolation` naming the broken rule.

    A server keeps its state between Hypothesis's examples, so the example that failed cannot
    be replayed faithfully (Hypothesis then reports a flaky failure): the first violation seen
    is raised instead, its message listing the requests of the example that led to it.
    """
    machine = build_machine(target, client, originals)
    run_seed = target.seed if target.seed is not None else random.SystemRandom().randrange(2**32)
    machine = seed(run_seed)(machine)
    try:
        run_state_machine_as_test(
            machine,
            settings=machine_settings(
                target, max_examples=max_examples, stateful_step_count=stateful_step_count
            ),
        )
    except Exception:
        violation = machine.context.violation
        if violation is None:
            raise
        detail = (
            f"{violation.detail}\nHypothesis seed {run_seed}: the same seed against a server in the same "
            "starting state sends the same requests."
        )
        raise ContractViolation(violation.rule.id, detail, violation.reproduction) from None
