"""The checks, named by the rule they are about: each records into the ledger (`held`, `failed`,
`lenient`) and none raises a contract finding out of the run.

A check that fails records a `Finding` (rule, key, summary, detail, curl reproduction). The key
names the defect (the rule, the check and the kind of property or mistake), never the random
values, so the same defect seen again is one finding. A failure that leaves the model unreliable
raises `Broken` after recording: the machine stops that step and re-reads its customers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qflow_contracts.rules import Rule
from qflow_contracts.suite import model
from qflow_contracts.suite.evidence import Evidence, Finding
from qflow_contracts.suite.exchange import ANSWER_LIMIT, Exchange, clip, snippet
from qflow_contracts.suite.model import Difference, Facts, Record
from qflow_contracts.suite.target import Target

DOCUMENTED_MEDIA = ("application/json", "text/json")
"""The response formats the vendor pages list."""


class Broken(Exception):
    """A check failed and its finding is in the ledger; the step cannot go on."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.summary)
        self.finding = finding


@dataclass
class Checks:
    """The checks of one run, recording into `evidence`; `log` lists the last requests sent."""

    evidence: Evidence
    facts: Facts
    target: Target
    log: list[str] = field(default_factory=list)
    recent: list[Exchange] = field(default_factory=list)
    """The server's last exchanges (`Server.recent`), for reproductions."""
    reducer: Any = None
    """Called with (finding, exchange, the properties it is about) before a PATCH failure is
    recorded: it may return the finding with a reduced reproduction (see `Session.reduce`)."""
    another_user: Any = None
    """Called with (customer, difference, the PATCH sent) before a difference is blamed on the
    server: True when it is taken for another user's edit instead (see `Session.another_user`)."""

    # ---- recording -------------------------------------------------------------------------------

    def finding(
        self, rule: Rule, key: str, summary: str, exchange: Exchange | None, detail: str = ""
    ) -> Finding:
        """A finding for `exchange`: masked, with the answer and the requests before it."""
        mask = self.target.mask
        parts = [mask(detail)] if detail else []
        if exchange is not None:
            parts.append(f"Server answered {exchange.brief()}")
        if self.log:
            parts.append("The requests before it:\n  " + "\n  ".join(self.log))
        return Finding(
            rule=rule,
            key=key,
            summary=clip(mask(summary), 400),
            detail="\n".join(parts),
            reproduction=snippet([exchange], self.target, recent=self.recent)
            if exchange is not None
            else None,
        )

    def fail(
        self,
        rule: Rule,
        key: str,
        summary: str,
        exchange: Exchange | None,
        detail: str = "",
        *,
        stop: bool = True,
        names: tuple[str, ...] = (),
    ) -> None:
        """Record a finding (once per key); raise `Broken` when the step cannot go on."""
        found = self.finding(rule, key, summary, exchange, detail)
        if self.reducer is not None and exchange is not None and exchange.method == "PATCH":
            found = self.reducer(found, exchange, names)
        self.evidence.failed(found)
        if stop:
            raise Broken(found)

    def held(self, rule: Rule, checks: int = 1) -> None:
        """A check of `rule` ran and held."""
        self.evidence.held(rule, checks)

    # ---- any answer ----------------------------------------------------------------------------

    def no_server_error(self, exchange: Exchange, what: str) -> None:
        """No input ever gets a 5xx (contract rule 8)."""
        if exchange.status >= 500:
            self.fail(Rule.ERRORS, f"5xx:{exchange.method}", f"{what}: answered {exchange.status}", exchange)
        self.held(Rule.ERRORS)

    def media_type(self, exchange: Exchange, what: str) -> None:
        """A body in a documented response format: application/json or text/json (the spec)."""
        if exchange.media not in DOCUMENTED_MEDIA:
            self.fail(
                Rule.SPEC_CONTENT_TYPE,
                f"media:{exchange.status // 100}xx",
                f"{what}: answered as {exchange.content_type!r}, not application/json or text/json",
                exchange,
                stop=False,
            )
        else:
            self.held(Rule.SPEC_CONTENT_TYPE)

    # ---- a record (contract rules 1, 2 and the spec's Customer schema) -----------------------------

    def whole_record(self, exchange: Exchange, what: str, *, status_rule: Rule = Rule.GET_LOOKUP) -> Record:
        """The 200 answer's record, as the model sees it; every property checked against the spec.

        A missing property (rule 2), a date the response pattern does not allow (rule 1) or a value
        the `Customer` schema does not allow (the spec) is recorded and the record is still used,
        so one broken property does not hide other rules; an answer that is no record stops. A
        withheld answer (another customer's record) is only its CustomerId: the caller judges whom
        it named.
        """
        self.no_server_error(exchange, what)
        if 200 < exchange.status < 300:
            self.fail(
                Rule.PATCH_ANSWER, "status:2xx", f"{what}: expected 200 with the whole record", exchange
            )
        if exchange.status != 200:
            self.fail(
                status_rule, f"status:{exchange.method}:{exchange.status}", f"{what}: expected 200", exchange
            )
        body = exchange.body
        if exchange.withheld and isinstance(body, dict):
            return {"CustomerId": body.get("CustomerId")}  # another customer's: not read, not judged
        self.media_type(exchange, what)
        if not isinstance(body, dict):
            self.fail(Rule.WHOLE_RECORDS, "not-object", f"{what}: the answer is not a JSON object", exchange)
        customer_id = body.get("CustomerId")
        readable = model.normalized(body, self.facts)
        if not isinstance(customer_id, int) or isinstance(customer_id, bool):
            number = readable.get("CustomerId")
            self.fail(
                Rule.WHOLE_RECORDS,
                "customer-id-type",
                f"{what}: CustomerId is {model.short(customer_id, 60)}, not an integer",
                exchange,
                # the step goes on when the record still names its customer (another case, digits)
                stop=not isinstance(number, int) or isinstance(number, bool),
            )
        missing = [name for name in self.facts.required if name not in body]
        if missing:
            self.fail(
                Rule.WHOLE_RECORDS,
                "missing:" + ",".join(missing),
                f"{what}: the answer lacks {', '.join(missing)}",
                exchange,
                stop=False,
            )
        else:
            self.held(Rule.WHOLE_RECORDS)
        self._schema(readable, exchange, what)
        return model.record_from(body, self.facts)

    def _schema(self, body: dict[str, Any], exchange: Exchange, what: str) -> None:
        """The record against the spec's `Customer` schema: dates under rule 1, the rest the spec."""
        wrong: dict[Rule, list[str]] = {}
        for error in self.facts.validators["Customer"].iter_errors(body):
            if error.validator == "required":
                continue  # rule 2, above
            path = list(error.absolute_path)
            name = str(path[0]) if path else "the record"
            rule = Rule.DOB if name in self.facts.of_kind(model.DATE) else Rule.SPEC_SCHEMA
            if name == "CustomerId":
                rule = Rule.WHOLE_RECORDS
            value, limit = model.short(error.instance, 80), model.short(error.validator_value, 80)
            text = f"{name} is {value}: {error.validator} {limit}"
            wrong.setdefault(rule, []).append(text)
        for rule in (Rule.DOB, Rule.SPEC_SCHEMA):
            if rule in wrong:
                names = sorted({text.split(" ", 1)[0] for text in wrong[rule]})
                self.fail(
                    rule,
                    "schema:" + ",".join(names),
                    f"{what}: the answer breaks the spec's Customer schema: {'; '.join(wrong[rule])}",
                    exchange,
                    stop=False,
                )
            elif rule is Rule.SPEC_SCHEMA or any(
                body.get(n) is not None for n in self.facts.of_kind(model.DATE)
            ):
                self.held(rule)

    def identity_kept(
        self, cid: int, original: Mapping[str, Any], record: Mapping[str, Any], exchange: Exchange
    ) -> None:
        """The identity properties read back as they were before the run (contract rule 5)."""
        changed = [n for n in self.facts.identity if n in record and record.get(n) != original.get(n)]
        if changed:
            detail = ", ".join(
                f"{n}: {model.short(original.get(n))} -> {model.short(record.get(n))}" for n in changed
            )
            self.fail(
                Rule.PARTIAL_UPDATE,
                "identity:changed",
                f"customer {cid}'s identity changed since the run began ({detail})",
                exchange,
            )
        self.held(Rule.PARTIAL_UPDATE)

    # ---- errors (contract rule 8) ----------------------------------------------------------------

    def refusal(self, exchange: Exchange, statuses: tuple[int, ...], rule: Rule, what: str, key: str) -> None:
        """A refusal with one of `statuses` and, for 400/404, the spec's `Error` body (rule 8)."""
        self.no_server_error(exchange, what)
        if exchange.status not in statuses:
            expected = " or ".join(map(str, statuses))
            self.fail(rule, f"status:{key}", f"{what}: expected {expected}, got {exchange.status}", exchange)
        self.held(rule)
        if exchange.status in (400, 404):
            self.media_type(exchange, what)
            errors = [e.message for e in self.facts.validators["Error"].iter_errors(exchange.body)]
            if exchange.body is not None and not isinstance(exchange.body, dict):
                errors = errors or ["not a JSON object"]
            if errors:
                self.fail(
                    Rule.ERRORS,
                    f"error-body:{exchange.status}",
                    f"{what}: the {exchange.status} body is not ASP.NET's {{'Message': ...}}: {errors[0]}",
                    exchange,
                    stop=False,
                )
            else:
                self.held(Rule.ERRORS)

    # ---- the model -------------------------------------------------------------------------------

    def same_as_model(
        self,
        cid: int,
        expected: Mapping[str, Any],
        actual: Mapping[str, Any],
        exchange: Exchange,
        what: str,
        *,
        sent: Mapping[str, Any] | None = None,
        before: Mapping[str, Any] | None = None,
        rule: Rule | None = None,
        key: str | None = None,
    ) -> list[Difference]:
        """Record a finding per distinct difference between `actual` and the model (their rules, or
        `rule` for all of them); stop the step when there is any."""
        found = model.differences(expected, actual, self.facts, sent, before)
        if self.another_user is not None:
            found = [d for d in found if not self.another_user(cid, d, sent)]
        if not found:
            for held in {Rule.PARTIAL_UPDATE, Rule.ROUND_TRIP} if sent else {rule or Rule.GET_LOOKUP}:
                self.held(held)
            if sent and any(sent.get(n) is not None for n in self.facts.of_kind(model.DATE)):
                self.held(Rule.DOB)
            return found
        lines = "\n  ".join(d.describe() for d in found)
        sent_text = f"\nSent: {clip(model.short(dict(sent), 10_000), ANSWER_LIMIT)}" if sent else ""
        for difference in found:
            chosen = rule or difference.rule
            self.fail(
                chosen,
                key or difference.key,
                f"{what}: customer {cid}'s {difference.name}: {difference.why}",
                exchange,
                f"Customer {cid} differs from the model:\n  {lines}{sent_text}",
                stop=False,
                names=(difference.name,),
            )
        raise Broken(self.finding(rule or found[0].rule, key or found[0].key, what, exchange))

    def answer_is_next_get(self, answer: Record, current: Record, exchange: Exchange, what: str) -> None:
        """The PATCH answer is exactly what the next GET returns (contract rule 6)."""
        if answer != current:
            names = [n for n in self.facts.names if answer.get(n) != current.get(n)]
            self.fail(
                Rule.PATCH_ANSWER,
                "answer-differs",
                f"{what}: the PATCH answer differs from the next GET in {', '.join(names)}",
                exchange,
                f"answer {clip(model.short(answer, 4000), 1200)}\n"
                f"next GET {clip(model.short(current, 4000), 1200)}",
            )
        self.held(Rule.PATCH_ANSWER)
