"""Stable finding codes (`QF101`...): one per kind of finding, the same in every release, and the
signature that names one defect whatever the run's random values were.

`CODES` is the registry, the one place a code is given: a `Code` per kind of finding, naming its
rule, the finding keys it covers (a regular expression the whole key matches), what it means and
what to do. A new kind of finding is one new line here (and `spec/CONTRACT.md`, which lists the
codes under their rules, is rewritten from this table by `python -m qflow_contracts.suite.codes
--write`). A code once given never changes meaning and is never reused: `tests/suite/test_codes.py`
pins the table.

A finding's signature is its rule, its code and the stable part of its key (the check's
operation, status or kind of property), never a value, a customer id or a seed: the same defect
gives the same signature in any run. An accepted-findings baseline (`baseline.py`) is keyed by it.
"""

# ruff: noqa: E501
# (the table of codes keeps one code a line)
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from functools import cache

from qflow_contracts.resources import contract_path
from qflow_contracts.rules import Rule
from qflow_contracts.suite.evidence import Finding

UNCODED = "QF000"
"""The code of a finding no entry of `CODES` covers: the suite's own omission (the registry lacks a
line for a new kind of finding), shown rather than hidden; a test fails on any."""

STATELESS = r"(?P<subject>(GET|PATCH|POST|PUT|DELETE|HEAD|OPTIONS) /\S*: .+)"
"""A Schemathesis finding's key: the operation and the check's title."""
STATUS = r"status:(?P<subject>.+)"
"""An answer with a status the check did not expect: what was sent, or the method and status."""


@dataclass(frozen=True)
class Code:
    """One kind of finding: its code, its rule, the keys it covers, what it means, what to do.

    `pattern` must match a finding's whole key; its `subject` group (the whole key when it has
    none) is the signature's stable part. `names` marks a `names` group of comma-separated
    property names that the signature replaces by their kinds (string, date...), as the names a
    broken answer shows depend on the values the run happened to send."""

    code: str
    rule: Rule
    pattern: str
    title: str
    todo: str
    names: bool = False
    warning: bool = False
    """A warning (leniency, platform, robustness): a failure only in a strict run."""

    def matches(self, key: str) -> re.Match[str] | None:
        """The match of `key`, or None when this code does not cover it."""
        return re.fullmatch(self.pattern, key)


# fmt: off
CODES: tuple[Code, ...] = (
    # ---- the spec (Schemathesis and the machine's checks of the OpenAPI document) ----------------
    Code("QF001", Rule.SPEC_STATUS, STATELESS, "an operation answered a status code the spec does not document for it", "answer only the spec's status codes (or document the new one in the spec)"),
    Code("QF011", Rule.SPEC_CONTENT_TYPE, r"media:(?P<subject>\dxx)", "an answer labelled with a media type other than application/json or text/json", "label JSON answers application/json"),
    Code("QF012", Rule.SPEC_CONTENT_TYPE, STATELESS, "an operation answered a Content-Type the spec does not document", "answer in a media type the spec lists for the operation"),
    Code("QF021", Rule.SPEC_SCHEMA, r"schema:(?P<names>.+)", "a Customer record breaks the spec's schema (a type, a range, a length)", "write each property as the Customer schema types and bounds it", names=True),
    Code("QF022", Rule.SPEC_SCHEMA, STATELESS, "an answer's body or headers break the schema the spec gives the response", "answer with the documented response schema"),
    Code("QF023", Rule.SPEC_SCHEMA, r"hostile-answer-depth", "an answer nested deeper than any Customer record can be", "answer with the documented, flat Customer record"),
    Code("QF031", Rule.SPEC_POSITIVE, STATELESS, "a request the spec's schema allows was refused", "accept every request the spec's schema allows"),
    Code("QF032", Rule.SPEC_POSITIVE, STATUS, "a schema-valid PATCH was not answered 200 with the record", "accept a valid PATCH with 200 and the whole record"),
    Code("QF041", Rule.SPEC_NEGATIVE, STATELESS, "a request the spec's schema does not allow was accepted", "refuse requests outside the spec's schema with 400"),
    # ---- rule 1: DOB ------------------------------------------------------------------------------
    Code("QF101", Rule.DOB, r"schema:(?P<names>.+)", "an answer's DOB is not an RFC 3339 date-time with its offset", "write DOB as yyyy-MM-ddTHH:mm:ss with an offset (Z or +hh:mm)", names=True),
    Code("QF102", Rule.DOB, r"dob:(?P<subject>[a-z-]+)", "a DOB read back on another calendar date than sent, and no conversion to the server's offset explains it", "store the DOB as sent, or as the same instant in the server's own offset"),
    Code("QF103", Rule.DOB, r"rule-1:(?P<subject>date-shifted:[a-z]+)", "a DOB sent read back on another calendar date than the model's", "keep the calendar date of the DOB sent"),
    Code("QF104", Rule.DOB, STATUS, "a valid PATCH with a DOB was not answered 200", "accept any RFC 3339 DOB the spec allows"),
    Code("QF105", Rule.DOB, r"platform:dob-converted", "platform: a DOB stored as the same instant in the server's offset, on another calendar date", "a client sends DOB in the offset the server writes back", warning=True),
    # ---- rule 2: whole records --------------------------------------------------------------------
    Code("QF201", Rule.WHOLE_RECORDS, r"missing:(?P<subject>.+)", "an answer lacks properties of the Customer record", "answer every property of the record, null when it has no value"),
    Code("QF202", Rule.WHOLE_RECORDS, r"customer-id-type", "an answer's CustomerId is not a JSON integer", "write CustomerId as a JSON number"),
    Code("QF203", Rule.WHOLE_RECORDS, r"not-object", "an answer that must be a record is not a JSON object", "answer the Customer record as a JSON object"),
    Code("QF204", Rule.WHOLE_RECORDS, r"property-names-case", "a record's property names are written in another case than the spec's", "write the property names exactly as the spec spells them"),
    Code("QF205", Rule.WHOLE_RECORDS, r"customerid-not-integer", "a given customer's CustomerId is read back as another type than an integer", "write CustomerId as a JSON number"),
    Code("QF206", Rule.WHOLE_RECORDS, r"rule-2:(?P<subject>not-object:[a-z]+)", "CustomProperties is neither an object nor null", "write CustomProperties as a JSON object (or null)"),
    # ---- rule 3: GET lookups ----------------------------------------------------------------------
    Code("QF301", Rule.GET_LOOKUP, r"lookup:(?P<subject>customer|type|extref)", "a GET answered another customer than the one its identifiers name", "look a customer up by CustomerId, or by PersonalId within idType or idTypeExtRef"),
    Code("QF302", Rule.GET_LOOKUP, r"lookup:stale", "a GET answered a record that differs from what was last stored", "answer the record as stored now"),
    Code("QF303", Rule.GET_LOOKUP, STATUS, "a lookup was not answered with the status the contract gives it (200, 400 or 404)", "answer 200 with the record, 404 for no such customer, 400 for a malformed idType"),
    Code("QF304", Rule.GET_LOOKUP, r"malformed-idtype:wrong-record", "a GET with a malformed idType answered another customer", "refuse a malformed idType with 400 (or read it as 0)"),
    Code("QF305", Rule.GET_LOOKUP, r"lenient:idtype-default", "leniency: a malformed idType read as the default 0", "a client sends idType as a 32-bit integer", warning=True),
    # ---- rule 4: PATCH targets ----------------------------------------------------------------------
    Code("QF401", Rule.PATCH_TARGET, r"patch:404", "a PATCH of an existing customer got 404", "find the record by CustomerId, else by PersonalId within its type"),
    Code("QF402", Rule.PATCH_TARGET, r"patch:wrong-record", "a PATCH answered another customer than the one it names", "update only the record the body's identifiers name"),
    Code("QF403", Rule.PATCH_TARGET, r"untargeted-changed:(?P<subject>rule-\d+)", "a customer no PATCH targeted changed", "change only the record a PATCH names"),
    Code("QF404", Rule.PATCH_TARGET, r"probe:(?P<subject>type|extref)", "a PATCH by PersonalId with nothing to change answered another customer", "find a PATCH's record by PersonalId within PersonalIdTypeId or PersonalIdTypeExtRef"),
    Code("QF405", Rule.PATCH_TARGET, STATUS, "a PATCH naming no record, or no identifier, was not refused with 404 or 400", "refuse with 404 a PATCH naming no record, with 400 one with no identifier"),
    Code("QF406", Rule.PATCH_TARGET, r"(?P<subject>witness)-\d+", "a witness customer, never sent a PATCH, changed during the run", "change only the record a PATCH names"),
    # ---- rule 5: partial updates --------------------------------------------------------------------
    Code("QF501", Rule.PARTIAL_UPDATE, r"identity:changed", "a customer's identity (CustomerId, PersonalId, its type) changed", "never change the identity properties by PATCH"),
    Code("QF502", Rule.PARTIAL_UPDATE, r"rule-5:(?P<subject>null-cleared:[a-z]+)", "a property sent as null cleared the stored value", "leave a property sent as null as it was"),
    Code("QF503", Rule.PARTIAL_UPDATE, r"rule-5:(?P<subject>unsent-changed:[a-z]+)", "a property the PATCH did not send changed", "change only the properties a PATCH sends"),
    Code("QF504", Rule.PARTIAL_UPDATE, r"rule-5:(?P<subject>falsy-ignored:[a-z]+)", "false, 0 or an empty string sent was not stored", "store false, 0 and \"\" like any other value"),
    Code("QF505", Rule.PARTIAL_UPDATE, r"rule-5:(?P<subject>merge:[a-z]+)", "CustomProperties was replaced instead of merged key by key", "merge CustomProperties: keys not sent are kept"),
    Code("QF506", Rule.PARTIAL_UPDATE, r"rule-5:(?P<subject>not-applied:[a-z]+)", "a value sent was not stored", "store every property a PATCH sends"),
    Code("QF507", Rule.PARTIAL_UPDATE, r"rule-5:(?P<subject>identity:[a-z]+)", "an identity property read back changed after a PATCH", "never change the identity properties by PATCH"),
    Code("QF508", Rule.PARTIAL_UPDATE, r"lost-update", "PATCHes of one customer in flight together: a change did not read back (a lost update)", "apply each PATCH to the record as stored, not to a copy read before another PATCH"),
    # ---- rule 6: the PATCH answer ----------------------------------------------------------------------
    Code("QF601", Rule.PATCH_ANSWER, r"answer-differs", "a PATCH's answer differs from what the next GET returns", "answer a PATCH with the record as stored after it"),
    Code("QF602", Rule.PATCH_ANSWER, STATUS, "a PATCH was answered with a 2xx other than 200", "answer an accepted PATCH 200 with the whole record"),
    # ---- rule 7: round trips ----------------------------------------------------------------------------
    Code("QF701", Rule.ROUND_TRIP, r"rule-7:(?P<subject>altered:[a-z]+)", "a value read back altered (trimmed, case, characters replaced)", "store and answer values exactly as sent"),
    Code("QF702", Rule.ROUND_TRIP, r"hostile-answer-(?P<subject>[a-z-]+)", "an answer holds text no JSON reader can round-trip (a lone surrogate)", "answer well-formed UTF-8 JSON"),
    # ---- rule 8: bad input ------------------------------------------------------------------------------
    Code("QF801", Rule.ERRORS, r"5xx:(?P<subject>[A-Z]+)", "a request got a 5xx", "refuse bad input with 400/404/415; never answer 5xx"),
    Code("QF802", Rule.ERRORS, STATUS, "bad input was not refused with the status the contract gives it (400, 404, 415)", "refuse bad input with 400, an unknown media type with 415"),
    Code("QF803", Rule.ERRORS, r"error-body:(?P<subject>\d+)", "a 400 or 404 body is not ASP.NET's {\"Message\": ...}", "answer errors with a JSON object holding Message"),
    Code("QF804", Rule.ERRORS, r"refused-changed:(?P<subject>.+)", "a refused PATCH changed the record", "change nothing when a PATCH is refused"),
    Code("QF805", Rule.ERRORS, r"lenient-status:(?P<subject>.+)", "a Json.NET conversion was answered neither 400 nor 200", "refuse it with 400, or accept it with 200 and the converted value"),
    Code("QF806", Rule.ERRORS, r"lenient-stored-wrong:(?P<subject>.+)", "an accepted Json.NET conversion was stored as another value than Json.NET converts it to", "store the value Json.NET converts to, or refuse with 400"),
    Code("QF807", Rule.ERRORS, r"untargeted-changed:(?P<subject>rule-\d+)", "a customer changed after a refused request that did not target it", "change nothing when a request is refused"),
    Code("QF808", Rule.ERRORS, STATELESS, "a request generated from the spec got a 5xx", "refuse bad input with 400/404/415; never answer 5xx"),
    Code("QF809", Rule.ERRORS, r"robustness:unclosed-bracket-query-key", "robustness: a 5xx for an undocumented query key with an unclosed '['", "a client sends only the documented query parameters", warning=True),
    # ---- rule 9: unknown properties, integers, lengths -----------------------------------------------
    Code("QF901", Rule.UNKNOWN_AND_LIMITS, r"length:over-code-points-accepted", "a string over its limit in code points was accepted", "count lengths in UTF-16 code units (never fewer than code points)"),
    Code("QF902", Rule.UNKNOWN_AND_LIMITS, STATUS, "a PATCH within the limits, or with an unknown property, was not answered 200", "ignore unknown properties; accept strings within their limits"),
    Code("QF903", Rule.UNKNOWN_AND_LIMITS, r"platform:utf16-lengths", "platform: lengths counted in UTF-16 code units refused a string within its limit in code points", "a client counts lengths in UTF-16 code units", warning=True),
    # ---- rule 10: form bodies ----------------------------------------------------------------------------
    Code("QF1001", Rule.FORM_BODIES, STATUS, "a form body (application/x-www-form-urlencoded) was not answered 200", "bind form bodies as JSON ones"),
    Code("QF1002", Rule.FORM_BODIES, r"form-dictionary", "a form's dictionary entry took in neither encoding (CustomProperties[key]=value, nor the indexed one)", "bind CustomProperties[key]=value form fields"),
    Code("QF1003", Rule.FORM_BODIES, r"form-blank-field", "a blank form field changed the stored value", "read a blank form field as absent"),
    # ---- rule 14: leniency --------------------------------------------------------------------------------
    Code("QF1401", Rule.LENIENCY, r"lenient:(?P<subject>.+)", "leniency: a Json.NET conversion accepted and stored", "a client sends each value in the spec's own type", warning=True),
    # ---- rule 15: pacing ------------------------------------------------------------------------------------
    Code("QF1501", Rule.PACED, r"rate", "more requests within one second than --rate-limit allows", "the suite's own fault: report it (the transport paces every request)"),
)
# fmt: on
"""Every finding code, rule by rule. Add a line for a new kind of finding; never change or reuse one."""

BY_CODE: dict[str, Code] = {code.code: code for code in CODES}


@dataclass(frozen=True)
class Mark:
    """What a finding is called across runs: its code and its signature."""

    code: str
    signature: str


@cache
def _kinds() -> dict[str, str]:
    """Each property's kind of value as the spec types it (string, date, ...)."""
    from qflow_contracts.suite.model import load_facts

    facts = load_facts()
    return {name: facts.kind(name) for name in facts.names}


def code_of(rule: Rule, key: str) -> Code | None:
    """The code covering a finding of `rule` with `key`, or None (`UNCODED`)."""
    return next((code for code in CODES if code.rule is rule and code.matches(key)), None)


def mark(finding: Finding) -> Mark:
    """The finding's code and signature (`rule/code/subject`): no value, customer id or seed."""
    code = code_of(finding.rule, finding.key)
    if code is None:
        return Mark(UNCODED, f"{finding.rule.id}/{UNCODED}/{finding.key}")
    found = code.matches(finding.key)
    assert found is not None
    groups = found.groupdict()
    if code.names and groups.get("names"):
        kinds = _kinds()
        subject = ",".join(sorted({kinds.get(name, name) for name in groups["names"].split(",")}))
    else:
        subject = groups.get("subject") or finding.key
    return Mark(code.code, f"{finding.rule.id}/{code.code}/{subject}")


# ---- spec/CONTRACT.md lists the codes under their rules ----------------------------------------------

BEGIN = "<!-- finding codes: written from src/qflow_contracts/suite/codes.py"
END = "<!-- end of finding codes -->"


def block(rules: tuple[Rule, ...]) -> str:
    """The list of the codes of `rules` as spec/CONTRACT.md shows it at the end of their section."""
    lines = [f"{BEGIN} by `python -m qflow_contracts.suite.codes --write`; do not edit -->", ""]
    codes = [code for code in CODES if code.rule in rules]
    if not codes:
        lines.append("Finding codes: none (no check records a finding under this rule).")
    else:
        lines += ["Finding codes (stable across releases; the reports show them next to the rule):", ""]
        for code in codes:
            clause = f" `{code.rule.id}`" if len(rules) > 1 else ""
            kind = " (a warning)" if code.warning else ""
            lines.append(f"- `{code.code}`{clause}{kind}: {code.title}. What to do: {code.todo}.")
    lines += ["", END]
    return "\n".join(lines)


SECTION_ENDS: tuple[tuple[str, tuple[Rule, ...]], ...] = (
    ('<a id="rule-1"></a>', tuple(rule for rule in Rule if rule.number is None)),
    *((f'<a id="rule-{n + 1}"></a>', (Rule.by_id(f"rule-{n}"),)) for n in range(1, 15)),
    ('<a id="what-a-run-checks"></a>', (Rule.PACED,)),
)
"""Each anchor that follows a section of spec/CONTRACT.md, and the rules that section is about."""


def with_codes(document: str) -> str:
    """`document` (spec/CONTRACT.md) with each rule's list of codes at the end of its section (the
    spec clauses' at the end of "The spec"), in place of the lists it had."""
    document = re.sub(rf"\n{re.escape(BEGIN)}.*?{re.escape(END)}\n", "\n", document, flags=re.DOTALL)
    for anchor, rules in SECTION_ENDS:
        head, found, tail = document.partition(anchor)
        if not found:
            raise ValueError(f"spec/CONTRACT.md has no {anchor}")
        document = head.rstrip("\n") + "\n\n" + block(rules) + "\n\n" + found + tail
    return document


def main(argv: list[str] | None = None) -> int:
    """`--write`: rewrite spec/CONTRACT.md's lists of codes; `--check`: exit 1 when they differ."""
    parser = argparse.ArgumentParser(prog="python -m qflow_contracts.suite.codes")
    parser.add_argument("--write", action="store_true", help="rewrite the lists in spec/CONTRACT.md")
    args = parser.parse_args(argv)
    contract = contract_path()
    text = contract.read_text(encoding="utf-8")
    wanted = with_codes(text)
    if args.write:
        contract.write_text(wanted, encoding="utf-8")
        return 0
    if wanted != text:
        print("spec/CONTRACT.md: its finding codes differ from codes.py; run with --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
