"""One run's state and the request-and-check flows the machine's rules are made of.

`Session` holds the plain-data model (CustomerId -> record as the contract predicts it), the
server, the checks and the policy. Its flows (`lookup`, `accepted`, `refused`, `lenient`) send one
request, run the checks of the rules it is about, and move the model. Requests are spent where
they can find something: a customer another PATCH could have changed is read before it is used
(`verify`) and swept every few steps; a lookup already settled for the model's current record is
not sent again. After a failure the step stops and the model is read back from the server
(`resync`), so one broken rule does not cascade into others; a failing PATCH is reduced to the
fewest properties that still fail (`reduce`), within the same safety policy.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from qflow_client import Client
from qflow_client.types import UNSET, Unset

from qflow_contracts.suite import model
from qflow_contracts.suite.bodies import Bodies, Leniency, Refusal
from qflow_contracts.suite.checks import Broken, Checks
from qflow_contracts.suite.evidence import Evidence, Finding
from qflow_contracts.suite.exchange import Exchange, Server, clip, snippet
from qflow_contracts.suite.http import DeadlineReached, Unavailable, side_by_side
from qflow_contracts.suite.model import Difference, Facts, Record
from qflow_contracts.suite.policy import Policy
from qflow_contracts.suite.rules import Rule
from qflow_contracts.suite.target import Target

MAX_REDUCTION_REQUESTS = 8
"""The most extra requests spent reducing one failing PATCH."""


@dataclass
class Pending:
    """A given customer a request did not target since it was last read, and the rule a change
    to it would break (4 after an accepted PATCH, 8 after a refused one)."""

    rule: Rule
    requests: list[str] = field(default_factory=list)


@dataclass
class Reducible:
    """The PATCH being checked, kept so a failure can be reduced."""

    cid: int
    body: dict[str, Any]
    before: Record


class Session:
    """A run against one server: model, policy, checks, and the flows built from them."""

    def __init__(
        self,
        target: Target,
        client: Client,
        originals: Mapping[int, Any],
        evidence: Evidence,
        facts: Facts,
    ) -> None:
        records = {int(k): (v.to_dict() if hasattr(v, "to_dict") else dict(v)) for k, v in originals.items()}
        self.target = target
        self.facts = facts
        self.evidence = evidence
        self.policy = Policy(target, facts, records)
        if not self.policy.given:
            raise ValueError("none of the target's customers has an original record")
        self.server = Server(client, target, evidence)
        self.checks = Checks(
            evidence,
            facts,
            target,
            self.server.log,
            self.server.recent,
            reducer=self.reduce,
            another_user=self.another_user,
        )
        self.bodies = Bodies(facts, self.policy)
        self.model: dict[int, Record] = {
            cid: model.record_from(records[cid], facts) for cid in self.policy.given
        }
        self.pending: dict[int, Pending] = {}
        self.stale: set[int] = set()
        """Customers whose model is not to be trusted since a failure: read back before next use."""
        self.settled: set[str] = set()
        self.opened = False
        self.stopped: BaseException | None = None
        self.reducible: Reducible | None = None
        self.reducing = False

    # ---- reading ---------------------------------------------------------------------------------

    def read(
        self,
        cid: int,
        rule: Rule,
        what: str,
        kind: str = "checking reads",
        exchange: Exchange | None = None,
    ) -> tuple[Record, Exchange]:
        """GET `cid` by CustomerId (unless its `exchange` was already sent): its record, checked as
        a whole and for its identity."""
        if exchange is None:
            with self.evidence.spending(kind):
                exchange = self.server.get(rule, str(cid))
        where = f"{what}: GET Customers/{cid}"
        record = self.checks.whole_record(exchange, where)
        if record.get("CustomerId") != cid:
            self.checks.fail(
                Rule.GET_LOOKUP,
                "lookup:customer",
                f"{where} answered customer {record.get('CustomerId')}",
                exchange,
            )
        self.checks.identity_kept(cid, self.policy.originals[cid], record, exchange)
        return record, exchange

    def verify(self, cid: int) -> None:
        """Read `cid` when another request could have changed it since it was last read."""
        with self.evidence.spending("re-reads"):
            self._verify(cid)

    def _verify(self, cid: int, exchange: Exchange | None = None) -> None:
        if cid in self.stale:
            self.stale.discard(cid)
            self.pending.pop(cid, None)
            record = self._raw_read(cid)
            if record is not None:
                self.model[cid] = record
            return
        pending = self.pending.pop(cid, None)
        if pending is None:
            return
        record, exchange = self.read(
            cid, pending.rule, "re-reading a customer no PATCH since targeted", "re-reads", exchange
        )
        if pending.requests:
            self.checks.log[:] = pending.requests[-8:]
        self.checks.same_as_model(
            cid,
            self.model[cid],
            record,
            exchange,
            f"customer {cid} changed although no PATCH since it was last read targeted it",
            rule=pending.rule,
            key=f"untargeted-changed:{pending.rule.id}",
        )

    def another_user(self, cid: int, difference: Difference, sent: Mapping[str, Any] | None) -> bool:
        """Whether a difference is taken for another user's edit, not the server's doing.

        Only on a deployment, which has other users (contract rule 13): a property the checked PATCH
        did not write, now holding a value no request of this run ever carried. The model adopts
        it, the suite never writes that property again, and the restore leaves it as found; the
        rule it was checked for names it as a part not exercised.
        """
        if self.policy.owned or cid not in self.model:
            return False
        name, actual = difference.name, difference.actual
        if actual is None or (sent is not None and sent.get(name) is not None):
            return False
        if isinstance(actual, dict):
            expected = difference.expected if isinstance(difference.expected, dict) else {}
            new = {k: v for k, v in actual.items() if expected.get(k) != v}
            if not new or all(self.server.ever_sent(f"{name}[{k}]", v) for k, v in new.items()):
                return False
        elif self.server.ever_sent(name, actual):
            return False
        self.model[cid][name] = actual
        self.policy.foreign.add((cid, name))
        self.evidence.not_exercised(
            difference.rule,
            self.target.mask(
                f"customer {cid}'s {name} was changed by someone else during the run (found "
                f"{model.short(actual, 80)}): not written again, and left as found"
            ),
        )
        return True

    def sweep(self) -> None:
        """Read every customer another request could have changed (contract rules 4 and 8): the
        GETs side by side, then each checked in turn."""
        due = [cid for cid in sorted(self.pending) if cid not in self.stale]
        with self.evidence.spending("re-reads"):
            exchanges = side_by_side(
                [functools.partial(self.server.get, self.pending[cid].rule, str(cid)) for cid in due]
            )
        for cid, exchange in zip(due, exchanges, strict=True):
            self._verify(cid, exchange)

    def touched(self, target: int | None, rule: Rule, what: str) -> None:
        """A PATCH aimed at `target` was sent: every other given customer is now pending."""
        for cid in self.policy.given:
            if cid == target:
                continue
            pending = self.pending.setdefault(cid, Pending(rule))
            if rule is Rule.PATCH_TARGET:
                pending.rule = rule
            pending.requests.append(clip(what, 300))

    def resync(self) -> None:
        """After a failure: every given customer is read back into the model, as the server has
        it, before it is next used (only the ones used again cost a request)."""
        self.pending.clear()
        self.stale.update(self.policy.given)

    # ---- GET (contract rule 3) -----------------------------------------------------------------------

    def _settled(self, signature: str, cid: int | None) -> bool:
        """Whether this check already held for the model's current record (then it is not resent)."""
        state = json.dumps(self.model.get(cid) if cid is not None else None, sort_keys=True, default=str)
        key = f"{signature}|{state}"
        if key in self.settled:
            return True
        self.settled.add(key)
        return False

    def lookup(self, cid: int, id_value: str, id_type: int | Unset, ext_ref: str | Unset, what: str) -> None:
        """GET that must answer `cid`'s record as the model has it."""
        self.verify(cid)
        if self._settled(f"GET {id_value!r} {id_type!r} {ext_ref!r}", cid):
            return
        exchange = self.server.get(Rule.GET_LOOKUP, id_value, id_type=id_type, ext_ref=ext_ref)
        record = self.checks.whole_record(exchange, what)
        if record.get("CustomerId") != cid:
            self.checks.fail(
                Rule.GET_LOOKUP,
                f"lookup:{_mode(id_type, ext_ref)}",
                f"{what}: expected customer {cid}, got {record.get('CustomerId')}",
                exchange,
            )
        self.checks.same_as_model(
            cid, self.model[cid], record, exchange, what, rule=Rule.GET_LOOKUP, key="lookup:stale"
        )

    def lookup_refused(self, id_value: str, query: str | None, status: int, what: str, key: str) -> None:
        """GET that must be refused with `status` (contract rules 3 and 8); sent once per run."""
        if self._settled(f"GET {id_value!r} {query!r}", None):
            return
        if query is None:
            exchange = self.server.get(Rule.GET_LOOKUP, id_value)
        else:
            exchange = self.server.get_raw_query(Rule.GET_LOOKUP, id_value, query)
        self.checks.refusal(exchange, (status,), Rule.GET_LOOKUP, what, key)

    # ---- PATCH (contract rules 4 to 10) ------------------------------------------------------------

    def accepted(
        self,
        cid: int,
        sent: dict[str, Any],
        send: Callable[[], Exchange],
        what: str,
        status_rule: Rule,
        *,
        lower_type: int | None = None,
    ) -> Record | None:
        """A PATCH that must update `cid`: answered 200 with the record the model predicts, which is
        what the next GET returns (rules 4 to 7), nothing else changed (checked later).

        With `lower_type` (a PATCH by PersonalId alone, whose type is the lowest the server knows),
        404 or a record of that PersonalId in a type below `lower_type` is right too: the server
        may know a type no given customer has."""
        self.verify(cid)
        before = self.model[cid]
        exchange = send()
        self.touched(cid, Rule.PATCH_TARGET, f"{what} -> {exchange.status}")
        if lower_type is not None and self._lower_type_answered(cid, exchange, sent, lower_type, what):
            return None
        self.reducible = Reducible(cid, sent, before)
        try:
            if exchange.status == 404:
                self.checks.fail(
                    Rule.PATCH_TARGET,
                    "patch:404",
                    f"{what}: customer {cid} exists, yet the PATCH got 404",
                    exchange,
                )
            answer = self.checks.whole_record(exchange, what, status_rule=status_rule)
            if answer.get("CustomerId") != cid:
                self.touched(None, Rule.PATCH_TARGET, what)
                self.checks.fail(
                    Rule.PATCH_TARGET,
                    "patch:wrong-record",
                    f"{what}: targets customer {cid}, answered customer {answer.get('CustomerId')}",
                    exchange,
                )
            self.checks.held(Rule.PATCH_TARGET)
            current, _ = self.read(cid, Rule.PATCH_ANSWER, what)
            self.checks.answer_is_next_get(answer, current, exchange, what)
            self.model[cid] = model.apply_patch(before, sent, self.facts)
            self.checks.same_as_model(cid, self.model[cid], answer, exchange, what, sent=sent, before=before)
            return answer
        finally:
            self.reducible = None

    def _lower_type_answered(
        self, cid: int, exchange: Exchange, sent: Mapping[str, Any], lower_type: int, what: str
    ) -> bool:
        """Whether a PATCH by PersonalId alone found a record of a lower type than `cid`'s (or none)."""
        if exchange.status == 404:
            self.checks.refusal(exchange, (404,), Rule.PATCH_TARGET, what, "lowest-type")
            return True
        body = exchange.body if exchange.status == 200 and isinstance(exchange.body, dict) else {}
        other, type_id = body.get("CustomerId"), body.get("PersonalIdTypeId")
        if other == cid or not isinstance(type_id, int) or isinstance(type_id, bool):
            return False
        if (
            body.get("PersonalId") == sent.get("PersonalId")
            and type_id < lower_type
            and other not in self.model
        ):
            self.touched(None, Rule.PATCH_TARGET, what)
            self.checks.held(Rule.PATCH_TARGET)
            return True
        return False

    def refused(
        self,
        cid: int | None,
        send: Callable[[], Exchange],
        statuses: tuple[int, ...],
        rule: Rule,
        what: str,
        key: str,
    ) -> None:
        """A PATCH that must be refused with one of `statuses`, changing nothing (rules 4 and 8)."""
        if cid is not None:
            self.verify(cid)
        exchange = send()
        self.touched(cid, Rule.PATCH_TARGET if cid is None else Rule.ERRORS, f"{what} -> {exchange.status}")
        self.checks.refusal(exchange, statuses, rule, what, key)
        if cid is not None:
            self._unchanged(cid, exchange, what, f"refused-changed:{key}")
            self.checks.held(Rule.ERRORS)

    def _unchanged(self, cid: int, exchange: Exchange, what: str, key: str) -> None:
        """After a refused PATCH of `cid`: the next GET is the model's record (rule 8)."""
        current, _ = self.read(cid, Rule.ERRORS, what)
        self.checks.same_as_model(
            cid,
            self.model[cid],
            current,
            exchange,
            f"{what}: refused, so nothing may change",
            rule=Rule.ERRORS,
            key=key,
        )

    def refusal(self, cid: int, refusal: Refusal) -> None:
        """Send an invalid PATCH of `cid` (contract rule 8)."""
        text = clip(refusal.content.decode("utf-8", "replace"), 300)
        what = f"invalid PATCH ({refusal.kind}, {refusal.content_type}) of customer {cid}: {text}"
        self.refused(
            cid,
            lambda: self.server.patch_raw(Rule.ERRORS, refusal.content, refusal.content_type),
            refusal.statuses,
            Rule.ERRORS,
            what,
            refusal.key,
        )

    # ---- Json.NET's conversions (contract rule 14) -------------------------------------------------

    def lenient(self, cid: int, probe: Leniency) -> None:
        """A body with one Json.NET conversion: refused (400) and nothing changed, or accepted and
        the converted value stored (a leniency, a warning); anything else is a failure (rule 8)."""
        self.verify(cid)
        what = f"PATCH of customer {cid} with {probe.kind} ({probe.name}: {model.short(probe.sent, 80)})"
        exchange = self.server.patch_raw(Rule.LENIENCY, probe.content, "application/json")
        self.touched(cid, Rule.PATCH_TARGET, f"{what} -> {exchange.status}")
        self.checks.no_server_error(exchange, what)
        if exchange.status == 400:
            self.checks.refusal(exchange, (400,), Rule.ERRORS, what, f"lenient:{probe.kind}")
            self.checks.held(Rule.LENIENCY)
            self._unchanged(cid, exchange, what, "refused-changed:lenient")
            return
        if exchange.status != 200:
            self.checks.fail(
                Rule.ERRORS,
                f"lenient-status:{probe.kind}",
                f"{what}: expected 400, or 200 with the converted value",
                exchange,
            )
        answer = self.checks.whole_record(exchange, what)
        if answer.get("CustomerId") != cid:
            self.checks.fail(
                Rule.PATCH_TARGET,
                "patch:wrong-record",
                f"{what}: answered customer {answer.get('CustomerId')}",
                exchange,
            )
        current, _ = self.read(cid, Rule.PATCH_ANSWER, what)
        self.checks.answer_is_next_get(answer, current, exchange, what)
        before = self.model[cid]
        converted = [model.apply_patch(before, {probe.name: value}, self.facts) for value in probe.stored]
        kept = probe.name in answer or probe.name not in self.facts.required
        if kept and any(not model.differences(expected, answer, self.facts) for expected in converted):
            self.model[cid] = answer
            unchanged = not model.differences(before, answer, self.facts)
            if not unchanged or probe.kind != "name-in-another-case":
                self.checks.held(Rule.LENIENCY)
                self.evidence.lenient(
                    self.checks.finding(
                        Rule.LENIENCY,
                        f"lenient:{probe.kind}",
                        f"accepted {probe.kind} ({probe.name}: {model.short(probe.sent, 60)}) "
                        "and stored the value Json.NET converts it to",
                        exchange,
                    )
                )
            return
        if probe.kind == "name-in-another-case" and not model.differences(before, answer, self.facts):
            self.checks.held(Rule.UNKNOWN_AND_LIMITS)
            return
        self.model[cid] = answer
        self.checks.fail(
            Rule.ERRORS,
            f"lenient-stored-wrong:{probe.kind}",
            f"{what}: accepted, but {probe.name} was not stored as Json.NET converts it "
            f"({' or '.join(map(repr, probe.stored))})",
            exchange,
            f"stored {model.short(answer.get(probe.name))}",
        )

    # ---- reduced reproductions -----------------------------------------------------------------------

    def reduce(self, finding: Finding, exchange: Exchange, names: tuple[str, ...] = ()) -> Finding:
        """The finding with the smallest PATCH that still fails the same way (`_reduce`)."""
        with self.evidence.spending("reductions"):
            return self._reduce(finding, exchange, names)

    def _reduce(self, finding: Finding, exchange: Exchange, names: tuple[str, ...] = ()) -> Finding:
        """The finding with the smallest PATCH that still fails the same way as its reproduction.

        Tried only for a new finding on an accepted JSON PATCH: the body's record selector plus
        one of its other properties at a time (the ones the finding is about first), each sent
        from the record as read just before, within MAX_REDUCTION_REQUESTS extra requests. Every
        body tried is a part of one the safety policy already allowed.
        """
        work = self.reducible
        seen = any(f.key == finding.key for f in self.evidence.tallies[finding.rule].findings)
        if (
            work is None
            or self.reducing
            or seen
            or finding.rule not in (Rule.PARTIAL_UPDATE, Rule.ROUND_TRIP, Rule.DOB)
        ):
            return finding
        core_keys = model.patch_selector(work.body).keys()
        core = {k: work.body[k] for k in core_keys if k in work.body}
        others = [k for k in work.body if k not in core]
        if len(others) <= 1:
            return finding
        mentioned = [k for k in others if k in names]
        order = mentioned + [k for k in others if k not in mentioned]
        self.reducing = True
        budget = MAX_REDUCTION_REQUESTS
        try:
            now = self._raw_read(work.cid)
            budget -= 1
            for name in order:
                if budget < 1 or now is None:
                    break
                steps: list[Exchange] = []
                if now.get(name) != work.before.get(name) and work.before.get(name) is not None:
                    if budget < 2 or not self.policy.may_set(work.cid, name):
                        continue
                    setup = self.server.patch_json(finding.rule, {**core, name: work.before[name]})
                    budget -= 1
                    if setup.status != 200 or not isinstance(setup.body, dict):
                        break
                    now = model.record_from(setup.body, self.facts)
                    steps.append(setup)
                candidate = {**core, name: work.body[name]}
                tried = self.server.patch_json(finding.rule, candidate)
                budget -= 1
                if tried.status != 200 or not isinstance(tried.body, dict):
                    break
                answer = model.record_from(tried.body, self.facts)
                expected = model.apply_patch(now, candidate, self.facts)
                keys = {
                    f"{d.rule.id}:{d.category}:{d.kind}"
                    for d in model.differences(expected, answer, self.facts, candidate, now)
                }
                now = answer
                if finding.key in keys:
                    steps.append(tried)
                    note = (
                        f"\nReduced: the body of {len(work.body)} properties fails the same way with "
                        f"{len(candidate)} ({', '.join(candidate)})"
                        + (", after a PATCH that sets it back first" if len(steps) > 1 else "")
                        + "."
                    )
                    return replace(
                        finding, detail=finding.detail + note, reproduction=snippet(steps, self.target)
                    )
            return finding
        finally:
            self.reducing = False

    def _raw_read(self, cid: int) -> Record | None:
        """`cid` as the server has it now, without checks (after a failure, for a reduction)."""
        exchange = self.server.get(Rule.WHOLE_RECORDS, str(cid))
        if exchange.status != 200 or not isinstance(exchange.body, dict):
            return None
        return model.record_from(exchange.body, self.facts)

    # ---- guarding a step ------------------------------------------------------------------------------

    def step(self, action: Callable[[], None]) -> None:
        """Run one step's requests and checks; after a failure, read the model back from the server."""
        if self.stopped is not None:
            raise self.stopped
        try:
            action()
        except Broken:
            self.resync()
        except (Unavailable, DeadlineReached) as error:
            self.stopped = error
            raise


def _mode(id_type: int | Unset, ext_ref: str | Unset) -> str:
    if isinstance(ext_ref, str) and ext_ref:
        return "extref"
    if isinstance(id_type, int) and id_type > 0:
        return "type"
    return "customer"


__all__ = ["UNSET", "Session"]
