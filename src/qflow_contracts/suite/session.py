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
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from qflow_client import Client
from qflow_client.types import UNSET, Unset

from qflow_contracts.rules import Rule
from qflow_contracts.suite import model
from qflow_contracts.suite.bodies import FORM_ENCODINGS, INDEXED, KEYED, Bodies, form_pairs
from qflow_contracts.suite.checks import Broken, Checks
from qflow_contracts.suite.conversions import Leniency
from qflow_contracts.suite.errors import DeadlineReached, Unavailable
from qflow_contracts.suite.evidence import Evidence, Finding
from qflow_contracts.suite.exchange import Exchange, Server, clip, read_line, snippet
from qflow_contracts.suite.guard import named_customers
from qflow_contracts.suite.http import side_by_side
from qflow_contracts.suite.model import Difference, Facts, Record
from qflow_contracts.suite.policy import Policy
from qflow_contracts.suite.refusals import Refusal
from qflow_contracts.suite.target import Target
from qflow_contracts.suite.targets import Selector, patch_selector
from qflow_contracts.suite.zone import Judgement, Zone

FORM = "application/x-www-form-urlencoded"

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
        records = {
            int(k): model.normalized(v.to_dict() if hasattr(v, "to_dict") else dict(v), facts)
            for k, v in originals.items()
        }
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
        self._learned(records)

    def _learned(self, records: Mapping[int, Record]) -> None:
        """What the run learns as it goes, empty at its start (the zone from the originals' DOBs)."""
        self.pending: dict[int, Pending] = {}
        self.stale: set[int] = set()
        """Customers whose model is not to be trusted since a failure: read back before next use."""
        self.settled: set[str] = set()
        self.opened = False
        self.step_limit: int | None = None
        """The run's request count at which the random steps stop sending (`machine.step_budget`)."""
        self.stopped: BaseException | None = None
        self.reducible: Reducible | None = None
        self.reducing = False
        self.zone = Zone.learn([records[cid] for cid in self.policy.given], self.facts.of_kind(model.DATE))
        """The server's offset, as its DOBs are written (contract rule 1)."""
        self.utf16_refused = False
        """Whether a PATCH was refused for lengths counted in UTF-16 code units (contract rule 9)."""
        self.proven: dict[tuple[int, str], bool] = {}
        """(customer, mode) -> whether its PersonalId pair was proven to target it (a deployment)."""
        self.form_encodings: dict[str, bool] = {}
        """Dictionary encoding of a form -> whether an entry sent in it took (learned once)."""
        self.form_exchanges: dict[str, Exchange] = {}
        self.unsafe_modes: set[str] = set()
        """Modes of PATCH by PersonalId (`type`, `extref`) stopped for the run: an answer by a pair
        named another customer."""

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

    def lookup_refused(
        self, id_value: str, query: str | None, statuses: tuple[int, ...], what: str, key: str
    ) -> None:
        """GET that must be refused with one of `statuses` (contract rules 3 and 8); sent once per run."""
        if self._settled(f"GET {id_value!r} {query!r}", None):
            return
        if query is None:
            exchange = self.server.get(Rule.GET_LOOKUP, id_value)
        else:
            exchange = self.server.get_raw_query(Rule.GET_LOOKUP, id_value, query)
        self.checks.refusal(exchange, statuses, Rule.GET_LOOKUP, what, key)

    def lookup_malformed(self, cid: int, query: str, what: str) -> None:
        """GET `cid` by CustomerId with a malformed `idType` (contract rule 3): 400 with an error
        body; or `cid`'s record, as if `idType` were its default 0, which is how ASP.NET binds it
        for an action that does not check ModelState: leniency (a warning). Sent once per run."""
        self.verify(cid)
        if self._settled(f"GET {str(cid)!r} {query!r}", None):
            return
        exchange = self.server.get_raw_query(Rule.GET_LOOKUP, str(cid), query)
        if exchange.status != 200:
            self.checks.refusal(exchange, (400,), Rule.GET_LOOKUP, what, "malformed-idtype")
            return
        record = self.checks.whole_record(exchange, what)
        if record.get("CustomerId") != cid:
            self.checks.fail(
                Rule.GET_LOOKUP,
                "malformed-idtype:wrong-record",
                f"{what}: expected 400, or customer {cid} as if idType were 0; got customer "
                f"{record.get('CustomerId')}",
                exchange,
            )
        self.checks.same_as_model(
            cid, self.model[cid], record, exchange, what, rule=Rule.GET_LOOKUP, key="lookup:stale"
        )
        self.evidence.lenient(
            self.checks.finding(
                Rule.GET_LOOKUP,
                "lenient:idtype-default",
                f"a malformed idType ({query}) was read as the default 0, as ASP.NET's model binding "
                "does, instead of refused with 400. A client must send idType as a 32-bit integer",
                exchange,
            )
        )

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
        blank: frozenset[str] = frozenset(),
    ) -> Record | None:
        """A PATCH that must update `cid`: answered 200 with the record the model predicts, which is
        what the next GET returns (rules 4 to 7), nothing else changed (checked later).

        With `lower_type` (a PATCH by PersonalId alone, whose type is the lowest the server knows),
        404 or a record of that PersonalId in a type below `lower_type` is right too: the server
        may know a type no given customer has. `blank` names the form fields sent empty or blank,
        which are absent (contract rule 10): a server that set them fails rule 10."""
        if not self.target_proven(cid, sent):
            return None
        self.verify(cid)
        before = self.model[cid]
        exchange = send()
        self.touched(cid, Rule.PATCH_TARGET, f"{what} -> {exchange.status}")
        if lower_type is not None and self._lower_type_answered(cid, exchange, sent, lower_type, what):
            return None
        if exchange.status == 400 and self._utf16_refusal(cid, sent, exchange, what):
            return None
        selector = patch_selector(sent)
        if selector.kind in ("type", "extref") and _named(exchange) not in ([], [cid]):
            self._stop_mode(selector.kind, f"a PATCH by it answered customer {_named(exchange)[0]}")
        self.reducible = Reducible(cid, sent, before)
        try:
            answer = self._targeted(cid, exchange, what, status_rule)
            current, _ = self.read(cid, Rule.PATCH_ANSWER, what)
            self.checks.answer_is_next_get(answer, current, exchange, what)
            self.model[cid] = model.apply_patch(before, sent, self.facts)
            self._dates(cid, sent, answer, exchange, what)
            self._blank_fields(cid, blank, before, answer, exchange, what)
            self.checks.same_as_model(cid, self.model[cid], answer, exchange, what, sent=sent, before=before)
            return answer
        finally:
            self.reducible = None

    def _targeted(self, cid: int, exchange: Exchange, what: str, status_rule: Rule) -> Record:
        """The record a PATCH of `cid` answered: the whole record of that customer (contract rules 2,
        4 and 6), else a failure."""
        if exchange.status == 404:
            self.checks.fail(
                Rule.PATCH_TARGET,
                "patch:404",
                f"{what}: customer {cid} exists, yet the PATCH got 404",
                exchange,
            )
        answer = self._record_of(cid, exchange, what, status_rule)
        self.checks.held(Rule.PATCH_TARGET)
        return answer

    def _record_of(
        self, cid: int, exchange: Exchange, what: str, status_rule: Rule = Rule.GET_LOOKUP
    ) -> Record:
        """The whole record a PATCH of `cid` answered (contract rules 2 and 6); the record of another
        customer fails rule 4, and every given customer is read again before its next use."""
        answer = self.checks.whole_record(exchange, what, status_rule=status_rule)
        if answer.get("CustomerId") != cid:
            self.touched(None, Rule.PATCH_TARGET, what)
            self.checks.fail(
                Rule.PATCH_TARGET,
                "patch:wrong-record",
                f"{what}: targets customer {cid}, answered customer {answer.get('CustomerId')}",
                exchange,
            )
        return answer

    def _blank_fields(
        self, cid: int, blank: frozenset[str], before: Record, answer: Record, exchange: Exchange, what: str
    ) -> None:
        """A form field sent empty or blank is absent (contract rule 10): one it changed fails rule 10
        (the model takes the answer's value, so rule 5 does not fail it again)."""
        for name in sorted(blank):
            if name in answer and answer[name] != before.get(name):
                self.model[cid][name] = answer[name]
                self.checks.fail(
                    Rule.FORM_BODIES,
                    "form-blank-field",
                    f"{what}: {name} was sent as an empty or blank form field, which is absent, "
                    f"yet it changed to {model.short(answer[name], 60)}",
                    exchange,
                    stop=False,
                )

    # ---- the platform: the server's time zone and UTF-16 lengths (contract rules 1 and 9) ----------

    def _dates(
        self, cid: int, sent: Mapping[str, Any], answer: Record, exchange: Exchange, what: str
    ) -> None:
        """Each date sent, as the answer wrote it (contract rule 1): a date moved only by the
        server's conversion to its own offset (the same instant) is a platform warning, any other
        move a failure; either way the model takes the answer's value, so the move is reported
        once, here, and the rest of the record is still compared."""
        for name in self.facts.of_kind(model.DATE):
            value, got = sent.get(name), answer.get(name)
            if not isinstance(value, str) or not isinstance(got, str):
                continue
            self.zone.observe(got)
            judgement = self.zone.judge(value, got)
            if judgement is None:
                continue
            self.model[cid][name] = got
            server = self.zone.text
            if judgement is Judgement.CONVERTED:
                self.checks.held(Rule.DOB)
                self.evidence.lenient(
                    replace(
                        self.checks.finding(
                            Rule.DOB,
                            "platform:dob-converted",
                            f"platform (the server's time zone, {server}): {name} sent as {value} was "
                            f"stored as {got}, the same instant in the server's offset, on another "
                            f"calendar date. A client must send {name} in the offset the server writes "
                            f"back ({server}) to keep its date",
                            exchange,
                        ),
                        kind="platform",
                    )
                )
                continue
            why = {
                Judgement.MOVED_IN_OWN_OFFSET: f"sent in the server's own offset {server}, yet moved",
                Judgement.INSTANT_MOVED: f"its date moved, the instant changed (the server writes {server})",
                Judgement.NOT_THE_SERVER_OFFSET: (
                    f"moved to an offset the server does not write its records in (it writes {server})"
                ),
                Judgement.MOVED: f"its date moved, and no conversion explains it ({self.zone.how})",
            }[judgement]
            self.evidence.failed(
                self.checks.finding(
                    Rule.DOB,
                    f"dob:{judgement.value}",
                    f"{what}: customer {cid}'s {name} sent as {value} read back as {got}: {why}",
                    exchange,
                )
            )

    def _utf16_over(self, sent: Mapping[str, Any]) -> list[str]:
        """The strings of `sent` within their limit in code points but over it in UTF-16 units."""
        over = []
        for name in self.facts.of_kind(model.STRING):
            value, limit = sent.get(name), self.facts.max_length(name)
            if isinstance(value, str) and limit is not None and len(value) <= limit < model.utf16(value):
                over.append(name)
        return over

    def _utf16_refusal(self, cid: int, sent: Mapping[str, Any], exchange: Exchange, what: str) -> bool:
        """A 400 for a valid body whose strings are within their limits in code points but over
        them in UTF-16 code units: the platform's counting (contract rule 9), a warning; the
        refusal must still change nothing. False when no string of `sent` is between the counts."""
        names = self._utf16_over(sent)
        if not names:
            return False
        self.utf16_refused = True
        self.checks.refusal(exchange, (400,), Rule.ERRORS, what, "utf16-lengths")
        self.evidence.lenient(
            replace(
                self.checks.finding(
                    Rule.UNKNOWN_AND_LIMITS,
                    "platform:utf16-lengths",
                    f"platform (lengths counted as .NET does): refused {', '.join(names)} within the "
                    "limit in code points but over it in UTF-16 code units. A client must count "
                    "lengths in UTF-16 code units (a character outside the Basic Multilingual "
                    "Plane counts twice)",
                    exchange,
                ),
                kind="platform",
            )
        )
        self.checks.held(Rule.UNKNOWN_AND_LIMITS)
        self._unchanged(cid, exchange, what, "refused-changed:utf16-lengths")
        return True

    # ---- form bodies: which dictionary encoding the server honours (contract rule 10) ----------------

    @property
    def form_encoding(self) -> str | None:
        """The dictionary encoding later form bodies use: the first one the server honoured (KEYED
        until the opening has tried them); None when it honoured neither."""
        honoured = next((e for e in (KEYED, INDEXED) if self.form_encodings.get(e)), None)
        if honoured is None and len(self.form_encodings) < len(FORM_ENCODINGS):
            return KEYED  # not (all) learned: an earlier check broke off before it could tell
        return honoured

    def form_dictionary(self, cid: int, name: str, key: str, value: str, encoding: str) -> None:
        """A form PATCH of `cid` that sets one dictionary entry in `encoding` and nothing else:
        whether the entry took is learned (`form_encodings`), not judged; what did change is
        checked against the model as for any PATCH (rules 5 to 7)."""
        self.verify(cid)
        before = self.model[cid]
        held: dict[str, Any] = _entries(before, name)
        if not value.strip():
            value = "v" + value  # a blank field is absent (rule 10)
        if held.get(key) == value:
            value += "1"  # a value it does not hold already, or taking it could not be seen
        body: dict[str, Any] = {"CustomerId": cid, name: {key: value}}
        content = urllib.parse.urlencode(form_pairs(body, encoding)).encode("ascii")
        what = f"PATCH Customers (form, {FORM_ENCODINGS[encoding]}) of {name}[{key!r}] on customer {cid}"
        exchange = self.server.patch_raw(Rule.FORM_BODIES, content, FORM)
        self.touched(cid, Rule.PATCH_TARGET, f"{what} -> {exchange.status}")
        self.form_exchanges[encoding] = exchange
        answer = self._record_of(cid, exchange, what, Rule.FORM_BODIES)
        current, _ = self.read(cid, Rule.PATCH_ANSWER, what)
        self.checks.answer_is_next_get(answer, current, exchange, what)
        now = _entries(current, name)
        took = key in now and now.get(key) != held.get(key)
        self.form_encodings[encoding] = took
        sent = body if took else None
        self.model[cid] = model.apply_patch(before, body, self.facts) if took else before
        self.checks.same_as_model(cid, self.model[cid], current, exchange, what, sent=sent, before=before)

    def form_verdict(self) -> None:
        """After both dictionary encodings were tried: rule 10 fails when neither took; when one
        did not, the verdict says which the server honours."""
        if not self.form_exchanges:
            return
        honoured = [e for e in (KEYED, INDEXED) if self.form_encodings.get(e)]
        if not honoured and len(self.form_encodings) < len(FORM_ENCODINGS):
            self.evidence.not_exercised(
                Rule.FORM_BODIES,
                "which dictionary encoding of a form the server honours could not be told: "
                "a check of its answer failed first",
            )
            return
        if not honoured:
            tried = " nor ".join(FORM_ENCODINGS[e] for e in self.form_encodings)
            exchange = self.form_exchanges.get(KEYED) or next(iter(self.form_exchanges.values()))
            self.checks.fail(
                Rule.FORM_BODIES,
                "form-dictionary",
                f"a form body's dictionary entry took in neither {tried}: the server honours no "
                "dictionary encoding of a form",
                exchange,
                stop=False,
            )
            return
        self.checks.held(Rule.FORM_BODIES)
        for encoding in self.form_encodings:
            if encoding not in honoured:
                self.evidence.not_exercised(
                    Rule.FORM_BODIES,
                    f"a form's dictionary in {FORM_ENCODINGS[encoding]} did not take; the server "
                    f"honours {' and '.join(FORM_ENCODINGS[e] for e in honoured)}, which later forms use",
                )

    # ---- proving a PATCH by PersonalId targets the given customer (contract rules 4, 11) --------------

    def target_proven(self, cid: int, sent: Mapping[str, Any]) -> bool:
        """Whether a PATCH of `cid` with body `sent` may be sent as far as its target goes.

        On a deployment, a PATCH that names its record by PersonalId and changes something is sent
        only once a GET by the same pair and a PATCH with the same identifiers and nothing to
        change both answered `cid` (`_probe`, once per customer and mode); any answer naming
        another customer stops that mode for the run. The transport's guard checks the same."""
        selector = patch_selector(sent)
        if self.policy.owned or selector.kind not in ("type", "extref"):
            return True
        if not any(sent.get(name) is not None for name in sent if name not in self.facts.identity):
            return True
        if selector.kind in self.unsafe_modes:
            return False
        key = (cid, selector.kind)
        if key not in self.proven:
            self.proven[key] = self._probe(cid, selector)
        return self.proven[key] and selector.kind not in self.unsafe_modes

    def _probe(self, cid: int, selector: Selector) -> bool:
        """GET by the pair, then PATCH by it with nothing to change: both must answer `cid`."""
        mode, pid = selector.kind, str(selector.personal_id)
        if not self.policy.path_safe(cid):
            self.evidence.not_exercised(
                Rule.PATCH_TARGET,
                f"PATCH by PersonalId ({mode}) of customer {cid} not sent: its PersonalId cannot be "
                "a path segment, so no GET can prove whom the pair names",
            )
            return False
        if mode == "type":
            get = self.server.get(Rule.PATCH_TARGET, pid, id_type=int(selector.type_id or 0))
            body: dict[str, Any] = {"PersonalId": pid, "PersonalIdTypeId": selector.type_id}
        else:
            get = self.server.get(Rule.PATCH_TARGET, pid, ext_ref=str(selector.extref))
            body = {"PersonalId": pid, "PersonalIdTypeExtRef": selector.extref}
        what = f"probe of PATCH by PersonalId ({mode}) of customer {cid}"
        proven = True
        if _named(get) != [cid]:
            proven = False
            self._stop_mode(mode, f"GET by it answered {_who(get)}")
            if _named(get):
                self.checks.fail(
                    Rule.GET_LOOKUP,
                    f"lookup:{mode}",
                    f"{what}: GET Customers/{pid!r} by the pair answered {_who(get)}, not customer {cid}",
                    get,
                    stop=False,
                )
        # sent even when the GET named someone else: it changes nothing, and shows whether PATCH
        # targets the same way (rule 4)
        patch = self.server.patch_json(Rule.PATCH_TARGET, body)
        if patch.status != 200 or _named(patch) != [cid]:
            self._stop_mode(mode, f"a PATCH by it with nothing to change answered {_who(patch)}")
            self.checks.fail(
                Rule.PATCH_TARGET,
                f"probe:{mode}",
                f"{what}: a PATCH by the pair with nothing to change answered {_who(patch)} "
                f"(HTTP {patch.status}), not customer {cid}",
                patch,
                stop=False,
            )
            return False
        self.checks.held(Rule.PATCH_TARGET)
        return proven

    def _stop_mode(self, mode: str, why: str) -> None:
        """No more changing PATCH by PersonalId in this mode for the rest of the run."""
        if mode in self.unsafe_modes:
            return
        self.unsafe_modes.add(mode)
        self.evidence.not_exercised(
            Rule.PATCH_TARGET,
            f"PATCH by PersonalId ({mode}) stopped for the run, to touch no customer not given: {why}",
        )

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

    def concurrent(self, cid: int, bodies: list[dict[str, Any]], what: str) -> None:
        """PATCHes of `cid` by CustomerId, each of other properties, sent together (side by side,
        their starts still paced): each answered 200 with a whole record, and the next GET shows
        every change (rule 5: a PATCH is partial, so none may undo another; a server that reads,
        waits and writes the whole record without a lock loses all but the last)."""
        if not all(self.policy.allowed(body) for body in bodies):
            return
        self.verify(cid)
        before = expected = self.model[cid]
        sends = [functools.partial(self.server.patch_json, Rule.PARTIAL_UPDATE, body) for body in bodies]
        exchanges = side_by_side(sends)
        sent: dict[str, Any] = {}
        for body, exchange in zip(bodies, exchanges, strict=True):
            self.touched(cid, Rule.PATCH_TARGET, f"{what} -> {exchange.status}")
            expected = model.apply_patch(expected, body, self.facts)
            sent.update(body)
        self.model[cid] = expected
        for exchange in exchanges:
            self._record_of(cid, exchange, what, Rule.SPEC_POSITIVE)
        current, exchange = self.read(cid, Rule.PARTIAL_UPDATE, what)
        found = model.differences(expected, current, self.facts, sent, before)
        found = [d for d in found if not self.another_user(cid, d, sent)]
        if not found:
            self.checks.held(Rule.PARTIAL_UPDATE)
            return
        lines = "\n  ".join(d.describe() for d in found)
        finding = self.checks.finding(
            Rule.PARTIAL_UPDATE,
            "lost-update",
            f"{what}: every change must read back, yet {', '.join(d.name for d in found)} did not "
            "(a lost update)",
            exchange,
            f"Customer {cid} differs from the model:\n  {lines}",
        )
        # sent one after the other they would all stick: the reproduction sends them at once
        together = [f"{e.curl} &" for e in exchanges] + ["wait", read_line(cid, self.target)]
        self.evidence.failed(replace(finding, reproduction="\n".join(together)))
        raise Broken(finding)

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

        def send() -> Exchange:
            exchange = self.server.patch_raw(Rule.ERRORS, refusal.content, refusal.content_type)
            if refusal.kind == "too-long" and 200 <= exchange.status < 300:
                self.evidence.failed(
                    self.checks.finding(
                        Rule.UNKNOWN_AND_LIMITS,
                        "length:over-code-points-accepted",
                        f"{what}: a string over its limit in code points was accepted; a server may "
                        "count UTF-16 code units, never fewer units than code points",
                        exchange,
                    )
                )
            return exchange

        self.refused(
            cid,
            send,
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
        answer = self._record_of(cid, exchange, what)
        current, _ = self.read(cid, Rule.PATCH_ANSWER, what)
        self.checks.answer_is_next_get(answer, current, exchange, what)
        self._stored_as_converted(cid, probe, answer, exchange, what)

    def _stored_as_converted(
        self, cid: int, probe: Leniency, answer: Record, exchange: Exchange, what: str
    ) -> None:
        """An accepted conversion must store what Json.NET converts the value to (a leniency,
        contract rule 14); a name in another case may also be ignored as unknown (rule 9)."""
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
        plan = self._reduction_plan(finding, names)
        if plan is None:
            return finding
        work, core, order = plan
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
                    return self._reduced(finding, work, [*steps, tried], candidate)
            return finding
        finally:
            self.reducing = False

    def _reduction_plan(
        self, finding: Finding, names: tuple[str, ...]
    ) -> tuple[Reducible, dict[str, Any], list[str]] | None:
        """The PATCH to reduce, its record selector, and its other properties in the order to try
        (the ones the finding names first); None when this finding is not reduced."""
        work = self.reducible
        seen = any(f.key == finding.key for f in self.evidence.tallies[finding.rule].findings)
        if (
            work is None
            or self.reducing
            or seen
            or finding.rule not in (Rule.PARTIAL_UPDATE, Rule.ROUND_TRIP, Rule.DOB)
        ):
            return None
        core_keys = patch_selector(work.body).keys()
        core = {k: work.body[k] for k in core_keys if k in work.body}
        others = [k for k in work.body if k not in core]
        if len(others) <= 1:
            return None
        mentioned = [k for k in others if k in names]
        return work, core, mentioned + [k for k in others if k not in mentioned]

    def _reduced(
        self, finding: Finding, work: Reducible, steps: list[Exchange], candidate: dict[str, Any]
    ) -> Finding:
        """The finding, its reproduction the smaller body (after the PATCH that set it back, if any)."""
        note = (
            f"\nReduced: the body of {len(work.body)} properties fails the same way with "
            f"{len(candidate)} ({', '.join(candidate)})"
            + (", after a PATCH that sets it back first" if len(steps) > 1 else "")
            + "."
        )
        return replace(finding, detail=finding.detail + note, reproduction=snippet(steps, self.target))

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


def _entries(record: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The dictionary `name` of a record ({} when it is null or not a dictionary)."""
    value = record.get(name)
    return dict(value) if isinstance(value, dict) else {}


def _named(exchange: Exchange) -> list[int]:
    """The CustomerIds an answer names (a withheld record's stand-in names its customer too)."""
    return named_customers(exchange.text.encode("utf-8"))


def _who(exchange: Exchange) -> str:
    named = _named(exchange)
    return f"customer {named[0]}" if named else f"no customer (HTTP {exchange.status})"


def _mode(id_type: int | Unset, ext_ref: str | Unset) -> str:
    if isinstance(ext_ref, str) and ext_ref:
        return "extref"
    if isinstance(id_type, int) and id_type > 0:
        return "type"
    return "customer"


__all__ = ["UNSET", "Session"]
