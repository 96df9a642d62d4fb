"""The pure model of the contract's behaviour rules: plain data in, plain data out, no network.

What the Customer record is (its properties, their types, limits, ranges and formats) is read from
the spec at run time (`Facts`, through `qflow_contracts.spec`); which properties select a record is
the spec's `x-qflow-identity` extension. What is here is behaviour: a PATCH moves a record with
`apply_patch` (contract rule 5), and `differences` compares an answer with the model, each
difference naming the rule it breaks and a key that identifies the defect rather than the values.
Which record a PATCH targets (contract rule 4) is `suite/targets.py`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from qflow_contracts import spec as spec_module
from qflow_contracts.int32 import INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN
from qflow_contracts.resources import spec_path
from qflow_contracts.rules import Rule
from qflow_contracts.spec import Property
from qflow_contracts.suite.dates import calendar_date

Record = dict[str, Any]

STRING, DATE, INTEGER, BOOLEAN, DICTIONARY = "string", "date", "integer", "boolean", "dictionary"
"""The kinds of value a property holds, as the spec types it."""

_SPEC_URI = "urn:qflow-contracts:suite-spec"


def kind_of(prop: Property) -> str:
    """The kind of value `prop` holds: a date-time string is a date, an object a dictionary."""
    if prop.type == "string":
        return DATE if prop.format == "date-time" else STRING
    if prop.type == "object":
        return DICTIONARY
    return prop.type


@dataclass(frozen=True)
class Facts:
    """What the suite knows of the Customer record, every fact read from the spec.

    `record` are the properties of an answer (`Customer`), `request` those of a JSON PATCH body
    (`CustomerUpdate`), `form` those of a form body (`CustomerUpdateForm`).
    """

    document: dict[str, Any] = field(repr=False)
    record: tuple[Property, ...]
    request: dict[str, Property]
    form: dict[str, Property]

    @cached_property
    def names(self) -> tuple[str, ...]:
        """Every property of an answer, in the spec's order."""
        return tuple(p.name for p in self.record)

    @cached_property
    def required(self) -> tuple[str, ...]:
        """The properties every answer carries (contract rule 2)."""
        return tuple(p.name for p in self.record if p.required)

    @cached_property
    def identity(self) -> tuple[str, ...]:
        """The properties that select a record and that PATCH never changes (contract rules 4, 5)."""
        return tuple(p.name for p in self.record if p.identity)

    @cached_property
    def mutable(self) -> tuple[str, ...]:
        """The properties a PATCH may change: in both an answer and a request, not identity."""
        return tuple(p.name for p in self.record if not p.identity and p.name in self.request)

    def kind(self, name: str) -> str:
        """The kind of `name` as a request types it (an answer's type when no request has it)."""
        prop = self.request.get(name) or self.prop(name)
        return kind_of(prop)

    def prop(self, name: str) -> Property:
        """The answer's property `name`."""
        for prop in self.record:
            if prop.name == name:
                return prop
        raise KeyError(name)

    def of_kind(self, kind: str) -> tuple[str, ...]:
        """The mutable properties of this kind."""
        return tuple(name for name in self.mutable if self.kind(name) == kind)

    def int_range(self, name: str) -> tuple[int, int]:
        """The inclusive range of the integer property `name` in a request (32 bits unless narrower)."""
        prop = self.request.get(name) or self.prop(name)
        low, high = INT32_MIN, INT32_MAX
        if prop.format == "int64":
            low, high = INT64_MIN, INT64_MAX
        return (
            low if prop.minimum is None else max(low, int(prop.minimum)),
            high if prop.maximum is None else min(high, int(prop.maximum)),
        )

    def max_length(self, name: str) -> int | None:
        """The longest valid value of the string property `name` in a request, in code points."""
        prop = self.request.get(name) or self.prop(name)
        return prop.max_length

    def holds(self, name: str, length: int) -> bool:
        """Whether the string property `name` takes a value of `length` code points in a request
        (any length when the spec does not bound it)."""
        limit = self.max_length(name)
        return limit is None or length <= limit

    def invalid_names(self, body: Mapping[str, Any]) -> set[str]:
        """The properties of an answered record whose value the `Customer` schema does not allow."""
        wrong: set[str] = set()
        for error in self.validators[spec_module.RESPONSE_SCHEMA].iter_errors(dict(body)):
            path = list(error.absolute_path)
            if path:
                wrong.add(str(path[0]))
        return wrong

    def writable(self, name: str, value: Any) -> bool:
        """Whether a PATCH may carry `value` for the mutable property `name`: valid in the request
        schema, and a string within its `maxLength` in UTF-16 code units too (a .NET server counts
        those). A value a server holds outside them cannot be put back by PATCH."""
        validator = self.request_validators.get(name)
        if validator is None or not validator.is_valid(value):
            return False
        limit = self.max_length(name)
        return not isinstance(value, str) or limit is None or utf16(value) <= limit

    @cached_property
    def request_validators(self) -> dict[str, OAS30Validator]:
        """Compiled validators of each property of the spec's request schema."""
        request = f"{spec_module.REQUEST_SCHEMA}/properties"
        return {name: self._validator(f"{request}/{name}") for name in self.request}

    @cached_property
    def validators(self) -> dict[str, OAS30Validator]:
        """Compiled validators of the spec's `Customer` and `Error` schemas."""
        return {name: self._validator(name) for name in (spec_module.RESPONSE_SCHEMA, "Error")}

    @cached_property
    def _registry(self) -> Registry[Any]:
        resource = Resource.from_contents(self.document, default_specification=DRAFT4)
        registry: Registry[Any] = Registry().with_resource(_SPEC_URI, resource)
        return registry

    def _validator(self, schema: str) -> OAS30Validator:
        """A compiled validator of `#/components/schemas/<schema>` (a JSON pointer below it)."""
        found = self._registry.resolver().lookup(f"{_SPEC_URI}#/components/schemas/{schema}").contents
        return OAS30Validator(found, registry=self._registry, format_checker=oas30_format_checker)


def utf16(text: str) -> int:
    """The length .NET counts: UTF-16 code units (a character outside the BMP counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def facts_from(document: dict[str, Any]) -> Facts:
    """The facts of one parsed spec document."""
    return Facts(
        document=document,
        record=spec_module.customer_properties(document),
        request={p.name: p for p in spec_module.schema_properties(spec_module.REQUEST_SCHEMA, document)},
        form={p.name: p for p in spec_module.schema_properties(spec_module.FORM_SCHEMA, document)},
    )


@lru_cache(maxsize=8)
def _facts(path: Path, stamp: tuple[int, int]) -> Facts:
    return facts_from(spec_module.load_spec(path))


def load_facts(path: Path | None = None) -> Facts:
    """The facts of the spec at `path` (the spec `resources.spec_path()` names by default)."""
    resolved = (path or spec_path()).resolve()
    try:
        stat = resolved.stat()
    except OSError as error:
        raise spec_module.SpecError(f"cannot read the spec {resolved}: {error}") from None
    return _facts(resolved, (stat.st_mtime_ns, stat.st_size))


# ---- contract rule 5: PATCH is partial ----------------------------------------------------------


def apply_patch(record: Mapping[str, Any], body: Mapping[str, Any], facts: Facts) -> Record:
    """The record after a PATCH with `body` (contract rule 5), without touching the arguments.

    Absent and null properties are left as they are; any other value of a mutable property
    replaces the stored one, falsy values included; a dictionary merges key by key; the identity
    properties and unknown properties change nothing.
    """
    result: Record = copy.deepcopy(dict(record))
    for name in facts.mutable:
        value = body.get(name)
        if value is None:
            continue
        if facts.kind(name) == DICTIONARY and isinstance(value, dict):
            merged = dict(result.get(name) or {})
            merged.update({key: item for key, item in value.items() if item is not None})
            if merged or result.get(name) is not None:
                result[name] = merged
        else:
            result[name] = value
    return result


# ---- what a server answers ------------------------------------------------------------------------


def normalized(body: Mapping[str, Any], facts: Facts) -> Record:
    """An answered record as the spec names it: a property written in another case under its
    name (when the exact name is absent), a CustomerId written as a string of digits as that
    integer. Rule 2 reports both (`Checks.whole_record`); the other rules are judged on the values,
    so a server that breaks rule 2 on every answer still has rules 5 to 7 explored."""
    record = dict(body)
    by_lower = {name.lower(): name for name in facts.names}
    for key, value in body.items():
        name = by_lower.get(key.lower()) if isinstance(key, str) else None
        if name is not None and name not in body:
            record[name] = value
            del record[key]
    customer_id = record.get("CustomerId")
    if isinstance(customer_id, str) and re.fullmatch(r"[0-9]{1,10}", customer_id.strip()):
        record["CustomerId"] = int(customer_id)
    return record


def record_from(body: Mapping[str, Any], facts: Facts) -> Record:
    """The model's view of an answered record (`normalized`): the spec's properties it carries
    with a value the spec allows. The others are reported by the schema checks (contract rule 2,
    rule 1, the spec) and not compared, so one broken property does not read as a broken
    behaviour rule."""
    body = normalized(body, facts)
    wrong = facts.invalid_names(body)
    return {name: body[name] for name in facts.names if name in body and name not in wrong}


@dataclass(frozen=True)
class Difference:
    """One way an answered record differs from the model, and the rule that difference breaks.

    `category` names the kind of mistake (`null-cleared`, `falsy-ignored`, ...): with the rule and
    the property's kind it identifies a defect, whatever the values were.
    """

    rule: Rule
    name: str
    expected: Any
    actual: Any
    why: str
    category: str
    kind: str

    @property
    def key(self) -> str:
        """What identifies the defect behind this difference (not the values)."""
        return f"{self.rule.id}:{self.category}:{self.kind}"

    def describe(self) -> str:
        """One line for a finding."""
        return f"{self.name}: expected {short(self.expected)}, got {short(self.actual)} ({self.why})"


def short(value: object, limit: int = 240) -> str:
    """`repr(value)`, cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _is_falsy_value(value: object) -> bool:
    return value is False or value == "" or (isinstance(value, int) and value == 0)


def differences(
    expected: Mapping[str, Any],
    actual: Mapping[str, Any],
    facts: Facts,
    sent: Mapping[str, Any] | None = None,
    before: Mapping[str, Any] | None = None,
) -> list[Difference]:
    """How `actual` differs from the model's `expected` record, each naming the rule it breaks.

    `sent` is the PATCH body that led to `expected` (None after a GET or a refused PATCH) and
    `before` the model's record before it. A property `actual` lacks is not compared (contract
    rule 2 reports it). Dates are compared by calendar date (rule 1); everything else exactly
    (rule 7). A sent value that did not stick is rule 5 when it was falsy or a dictionary merge,
    rule 7 when a string came back altered; a property that changed without being sent (or sent
    as null) is rule 5; identity is rule 5.
    """
    sent = sent or {}
    before = before or expected
    found: list[Difference] = []
    for name in facts.names:
        if name not in actual:
            continue
        want, got, kind = expected.get(name), actual.get(name), facts.kind(name)
        if kind == DATE:
            difference = _date_difference(name, want, got, sent)
        elif want == got and type(want) is type(got):
            continue
        else:
            difference = _value_difference(name, want, got, kind, sent, before.get(name), facts)
        if difference is not None:
            found.append(difference)
    return found


def _unsent(name: str, want: Any, got: Any, kind: str, sent: Mapping[str, Any], must: str) -> Difference:
    """A property not sent (or sent as null) that changed: contract rule 5. With nothing `sent`
    (a GET, a refused PATCH, a customer no PATCH targeted) no PATCH was applied to it at all."""
    why = "sent as null" if name in sent else "not sent" if sent else "no PATCH was applied to it"
    category = "null-cleared" if name in sent else "unsent-changed"
    return Difference(Rule.PARTIAL_UPDATE, name, want, got, f"{why}, so it {must}", category, kind)


def _date_difference(name: str, want: Any, got: Any, sent: Mapping[str, Any]) -> Difference | None:
    """A date compared by its calendar date (contract rule 1); a date not sent must not change."""
    if calendar_date(want) == calendar_date(got) and (want is None) == (got is None):
        return None
    if sent.get(name) is not None:
        return Difference(
            Rule.DOB, name, want, got, "the calendar date sent must read back", "date-shifted", DATE
        )
    return _unsent(name, want, got, DATE, sent, "must not change")


def _value_difference(
    name: str, want: Any, got: Any, kind: str, sent: Mapping[str, Any], was: Any, facts: Facts
) -> Difference:
    """How a value that differs from the model's breaks the contract: identity changed, a
    dictionary merged wrong, a property not sent changed, a falsy or present value not applied
    (rule 5), or a string altered (rule 7). `was` is the model's value before the PATCH."""
    value = sent.get(name)
    if name in facts.identity:
        return Difference(
            Rule.PARTIAL_UPDATE, name, want, got, "identity is never changed by PATCH", "identity", kind
        )
    if kind == DICTIONARY and (value is not None or got is not None):
        return _dictionary_difference(name, want, got, value, was)
    if value is None:
        return _unsent(name, want, got, kind, sent, "must be left as it was")
    if _is_falsy_value(value) and (got == was or got is None):
        return Difference(
            Rule.PARTIAL_UPDATE,
            name,
            want,
            got,
            "a falsy value replaces the stored one",
            "falsy-ignored",
            kind,
        )
    if isinstance(value, str) and isinstance(got, str):
        return Difference(
            Rule.ROUND_TRIP, name, want, got, "a string reads back exactly as sent", "altered", kind
        )
    return Difference(
        Rule.PARTIAL_UPDATE, name, want, got, "a present value replaces the stored one", "not-applied", kind
    )


def _altered_to(sent: Any, got: Any) -> bool:
    """Whether `got` is `sent` altered rather than ignored: the same text but for its surrounding
    white space or its case (a value that happens to equal the old one, contract rule 7)."""
    if not isinstance(sent, str) or not isinstance(got, str) or sent == got:
        return False
    return sent.strip() == got.strip() or sent.casefold() == got.casefold()


def _dictionary_difference(name: str, want: Any, got: Any, sent: Any, before: Any = None) -> Difference:
    """Name the rule a dictionary mismatch breaks: lost or extra keys are a bad merge."""
    if not isinstance(got, dict) and got is not None:
        return Difference(
            Rule.WHOLE_RECORDS, name, want, got, f"{name} must be an object or null", "not-object", DICTIONARY
        )
    want_keys, got_keys = set(want or {}), set(got or {})
    if want_keys != got_keys:
        lost, extra = sorted(want_keys - got_keys), sorted(got_keys - want_keys)
        why = f"keys not sent are kept, none appear (lost {lost}, extra {extra})"
        return Difference(Rule.PARTIAL_UPDATE, name, want, got, why, "merge", DICTIONARY)
    sent_keys = set(sent) if isinstance(sent, dict) else set()
    changed = sorted(k for k in want_keys if (want or {}).get(k) != (got or {}).get(k))
    was = before if isinstance(before, dict) else {}
    if changed and all(k in sent_keys and k in was and (got or {}).get(k) == was[k] for k in changed):
        if all(_altered_to(sent[k], (got or {}).get(k)) for k in changed):
            why = f"values of {changed} must read back exactly as sent (they came back altered)"
            return Difference(Rule.ROUND_TRIP, name, want, got, why, "altered", DICTIONARY)
        why = f"values sent for {changed} must replace the stored ones"
        return Difference(Rule.PARTIAL_UPDATE, name, want, got, why, "not-applied", DICTIONARY)
    if changed and all(k in sent_keys for k in changed):
        why = f"values of {changed} must read back exactly as sent"
        return Difference(Rule.ROUND_TRIP, name, want, got, why, "altered", DICTIONARY)
    return Difference(
        Rule.PARTIAL_UPDATE,
        name,
        want,
        got,
        f"values of {changed} changed without being sent",
        "unsent-changed",
        DICTIONARY,
    )
