"""A catalogue of deliberately broken servers: one realistic bug each, switched on in the mock.

Each defect is a named set of hooks applied at fixed points of the correct implementation in
`app.py` (the spec the validators are compiled from, a body before validation, a stored string,
an answer's body, its media type, an error body) or a named flag the handlers test at one place.
The correct server uses `CORRECT`, whose hooks do nothing. `qflow-mock defects` lists them.

Two defects (`invalid-json-500`, `non-object-500`) raise inside the handler, so a real server
answers 500; in process, use `TestClient(app, raise_server_exceptions=False)` to see that answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from qflow_contracts.mock.validation import SpecModel, walk_schemas
from qflow_contracts.rules import Rule
from qflow_contracts.spec import schema_properties

Body = dict[str, Any]


@dataclass(frozen=True)
class Defect:
    """One bug: a name, a category, a line of description, the contract rule it breaks (the one
    the suite must name) and the hooks that make it."""

    name: str
    category: str
    description: str
    rule: Rule | None = None
    schema: Callable[[dict[str, Any]], None] | None = None
    prepare: Callable[[Body, SpecModel], Body] | None = None
    store_string: Callable[[str, str], str] | None = None
    render: Callable[[Body], Body] | None = None
    error: Callable[[Body], Body] | None = None
    media_type: str | None = None
    flags: frozenset[str] = field(default_factory=frozenset)
    timezone: int | None = None
    """Minutes east of UTC: the defect is of a server in this time zone (`--timezone`)."""

    def has(self, flag: str) -> bool:
        """Whether this defect switches on the named behaviour flag."""
        return flag in self.flags


CORRECT = Defect("", "", "the correct server")
CATALOGUE: dict[str, Defect] = {}


def _add(defect: Defect) -> None:
    assert defect.rule is not None, f"defect {defect.name} names no rule"
    CATALOGUE[defect.name] = defect


def _flag(name: str, category: str, description: str, rule: Rule) -> None:
    _add(Defect(name, category, description, rule, flags=frozenset({name})))


# -- hook functions ---------------------------------------------------------------------------


def _drop_notes(body: Body) -> Body:
    return {k: v for k, v in body.items() if k != "Notes"}


def _customer_id_as_string(body: Body) -> Body:
    return {**body, "CustomerId": str(body["CustomerId"])}


def _dob_date_only(body: Body) -> Body:
    dob = body.get("DOB")
    return {**body, "DOB": dob[:10]} if isinstance(dob, str) else body


def _sex_sample_64(body: Body) -> Body:
    return {**body, "Sex": 64} if body.get("Sex") == 0 else body


def _error_without_message(body: Body) -> Body:
    return {k: v for k, v in body.items() if k != "Message"}


def _custom_properties_as_list(body: Body) -> Body:
    props = body.get("CustomProperties")
    if not isinstance(props, dict):
        return body
    return {**body, "CustomProperties": [{"Key": k, "Value": v} for k, v in props.items()]}


def _digits_as_numbers(body: Body) -> Body:
    props = body.get("CustomProperties")
    if not isinstance(props, dict):
        return body
    typed = {k: int(v) if isinstance(v, str) and v.isascii() and v.isdigit() else v for k, v in props.items()}
    return {**body, "CustomProperties": typed}


def _camel_case(body: Body) -> Body:
    return {k[:1].lower() + k[1:]: v for k, v in body.items()}


def _no_length_check(spec: dict[str, Any]) -> None:
    for schema in walk_schemas(spec["components"]["schemas"]):
        schema.pop("maxLength", None)


def _double_lengths(spec: dict[str, Any]) -> None:
    for schema in walk_schemas(spec["components"]["schemas"]):
        if isinstance(schema.get("maxLength"), int):
            schema["maxLength"] *= 2


def _no_range_check(spec: dict[str, Any]) -> None:
    for schema in walk_schemas(spec["components"]["schemas"]):
        if schema.get("type") == "integer" and "format" not in schema:
            schema.pop("minimum", None)
            schema.pop("maximum", None)


def _no_int32_check(spec: dict[str, Any]) -> None:
    for schema in walk_schemas(spec):
        if schema.get("format") == "int32":
            for key in ("format", "minimum", "maximum"):
                schema.pop(key, None)


def _no_identifier_check(spec: dict[str, Any]) -> None:
    for name in ("CustomerUpdate", "CustomerUpdateForm"):
        spec["components"]["schemas"][name].pop("not", None)


def _digit_strings_allowed(spec: dict[str, Any]) -> None:
    """Request integers may also be strings of digits, which then reach the store as strings."""
    for name in ("CustomerUpdate", "CustomerUpdateForm"):
        properties = spec["components"]["schemas"][name]["properties"]
        for prop, schema in list(properties.items()):
            if schema.get("type") == "integer":
                digits = {"type": "string", "pattern": "^-?[0-9]{1,9}$"}
                properties[prop] = {"anyOf": [schema, digits]}


def _truncate(body: Body, model: SpecModel) -> Body:
    result = dict(body)
    for name, prop in model.update_schema["properties"].items():
        value = result.get(name)
        if isinstance(value, str) and "maxLength" in prop:
            result[name] = value[: prop["maxLength"]]
    return result


def _mangle_unicode(name: str, value: str) -> str:
    return "".join("?" if ord(ch) > 0xFFFF else ch for ch in value)


def _trim(name: str, value: str) -> str:
    return value.strip()


def _dob_to_utc(name: str, value: str) -> str:
    if name != "DOB":
        return value
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        return value
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


# -- the catalogue ----------------------------------------------------------------------------

SHAPE, INPUT, BEHAVIOUR = "response shape", "bad-input handling", "wrong behaviour"

_add(
    Defect(
        "missing-property", SHAPE, "answers omit the Notes property", Rule.WHOLE_RECORDS, render=_drop_notes
    )
)
_add(
    Defect(
        "customerid-as-string",
        SHAPE,
        "CustomerId is written as a JSON string",
        Rule.WHOLE_RECORDS,
        render=_customer_id_as_string,
    )
)
_add(
    Defect(
        "dob-date-only",
        SHAPE,
        'DOB is written as a bare date ("1990-01-01")',
        Rule.DOB,
        render=_dob_date_only,
    )
)
_add(
    Defect(
        "wrong-content-type",
        SHAPE,
        "answers are labelled text/plain",
        Rule.SPEC_CONTENT_TYPE,
        media_type="text/plain; charset=utf-8",
    )
)
_add(
    Defect(
        "sex-sample-64",
        SHAPE,
        "Sex 0 is written as 64, like the vendor's sample",
        Rule.SPEC_SCHEMA,
        render=_sex_sample_64,
    )
)
_add(
    Defect(
        "error-without-message",
        SHAPE,
        "400 and 404 bodies lack Message",
        Rule.ERRORS,
        error=_error_without_message,
    )
)
_add(
    Defect(
        "custom-properties-as-list",
        SHAPE,
        "CustomProperties is written as a list of {Key, Value}",
        Rule.SPEC_SCHEMA,
        render=_custom_properties_as_list,
    )
)
_add(
    Defect(
        "custom-property-digits-as-number",
        SHAPE,
        'a CustomProperties value of digits is written as a JSON number ("0042" as 42), as a '
        "serialiser that guesses types does",
        Rule.SPEC_SCHEMA,
        render=_digits_as_numbers,
    )
)
_add(
    Defect(
        "camelcase-keys",
        SHAPE,
        "property names are written in camelCase",
        Rule.WHOLE_RECORDS,
        render=_camel_case,
    )
)

_add(Defect("no-length-check", INPUT, "over-long strings are stored", Rule.ERRORS, schema=_no_length_check))
_add(
    Defect(
        "no-range-check", INPUT, "Sex outside 0..2 (e.g. 3) is accepted", Rule.ERRORS, schema=_no_range_check
    )
)


def _length_unchecked(name: str) -> Callable[[dict[str, Any]], None]:
    def unchecked(spec: dict[str, Any]) -> None:
        for schema in spec["components"]["schemas"].values():
            prop = (schema.get("properties") or {}).get(name)
            if isinstance(prop, dict):
                prop.pop("maxLength", None)

    return unchecked


for _prop in schema_properties("CustomerUpdate"):
    if _prop.max_length is not None:  # one defect per limit the spec sets, so a run names which
        _add(
            Defect(
                f"length-unchecked-{_prop.name.lower()}",
                INPUT,
                f"{_prop.name} longer than its limit ({_prop.max_length}) is accepted, "
                "every other limit holds",
                Rule.ERRORS,
                schema=_length_unchecked(_prop.name),
            )
        )
_flag("invalid-json-500", INPUT, "a body that is not JSON gets 500", Rule.ERRORS)
_add(
    Defect(
        "string-coerced",
        INPUT,
        'an integer sent as a string ("Sex": "1") is stored as that string, not converted',
        Rule.ERRORS,
        schema=_digit_strings_allowed,
    )
)
_flag(
    "partial-write-on-error",
    INPUT,
    "the valid properties of an invalid body are applied before the 400",
    Rule.ERRORS,
)
_flag("no-415", INPUT, "a body of an unknown media type is parsed as JSON", Rule.ERRORS)
_flag(
    "idtype-malformed-404",
    INPUT,
    "a malformed idType (abc, empty) gets 404, neither 400 nor read as the default 0",
    Rule.GET_LOOKUP,
)
_flag(
    "dob-before-1753-500",
    INPUT,
    "a DOB before 1753-01-01 (SQL Server's datetime) gets 500",
    Rule.ERRORS,
)
_flag(
    "nobody-id-500",
    INPUT,
    "GET by a CustomerId of 0, a negative number or one beyond 32 bits gets 500 (an unchecked "
    "conversion to int, or a query that expects a row)",
    Rule.ERRORS,
)
_add(
    Defect(
        "int32-overflow-404",
        INPUT,
        "integers outside 32 bits are not refused (idType 2147483648 gets 404, not 400)",
        Rule.ERRORS,
        schema=_no_int32_check,
    )
)
_flag("non-object-500", INPUT, "a JSON array body gets 500", Rule.ERRORS)
_add(
    Defect(
        "truncate-long-strings",
        INPUT,
        "over-long strings are silently truncated and answered 200",
        Rule.ERRORS,
        prepare=_truncate,
        schema=_no_length_check,
    )
)

_flag("null-clears", BEHAVIOUR, "a null property in PATCH sets the stored value to null", Rule.PARTIAL_UPDATE)
_flag("falsy-ignored", BEHAVIOUR, 'false, 0 and "" in PATCH are treated as absent', Rule.PARTIAL_UPDATE)
_flag(
    "custom-properties-replace",
    BEHAVIOUR,
    "CustomProperties replaces the stored dictionary (no merge)",
    Rule.PARTIAL_UPDATE,
)
_flag("identity-changed", BEHAVIOUR, "PATCH by CustomerId changes the stored PersonalId", Rule.PARTIAL_UPDATE)
_flag(
    "stale-patch-response",
    BEHAVIOUR,
    "the 200 answer to PATCH is the record before the update",
    Rule.PATCH_ANSWER,
)
_flag(
    "personalid-ignores-type",
    BEHAVIOUR,
    "GET with idType finds the first record with that PersonalId, any type",
    Rule.GET_LOOKUP,
)
_flag("extref-ignored", BEHAVIOUR, "GET ignores idTypeExtRef", Rule.GET_LOOKUP)
_flag(
    "patch-personalid-ignores-type",
    BEHAVIOUR,
    "PATCH by PersonalId updates the first record with it, any type",
    Rule.PATCH_TARGET,
)
_flag(
    "personalid-case-insensitive",
    BEHAVIOUR,
    "GET and PATCH by PersonalId match it as SQL Server's default collation does (case-insensitive, "
    "trailing spaces ignored): the first such record of the type",
    Rule.PATCH_TARGET,
)
_add(
    Defect(
        "unicode-mangled",
        BEHAVIOUR,
        "characters outside the BMP are stored as '?'",
        Rule.ROUND_TRIP,
        store_string=_mangle_unicode,
    )
)
_add(
    Defect(
        "trim-whitespace",
        BEHAVIOUR,
        "strings are stored with surrounding whitespace trimmed",
        Rule.ROUND_TRIP,
        store_string=_trim,
    )
)
_add(
    Defect(
        "dob-shifted-to-utc",
        BEHAVIOUR,
        "DOB is converted to UTC, so its calendar date can change",
        Rule.DOB,
        store_string=_dob_to_utc,
    )
)
_add(
    Defect(
        "dob-instant-moved",
        BEHAVIOUR,
        "a server at +10:00 takes the DOB's wall clock for UTC before making it local (the instant moves)",
        Rule.DOB,
        flags=frozenset({"dob-instant-moved"}),
        timezone=600,
    )
)
_add(
    Defect(
        "dob-date-moved-in-own-offset",
        BEHAVIOUR,
        "a server at +10:00 stores the DOB's UTC date at local midnight (a DOB sent at 00:30+10:00 "
        "moves to the day before)",
        Rule.DOB,
        flags=frozenset({"dob-date-moved-in-own-offset"}),
        timezone=600,
    )
)
_add(
    Defect(
        "length-over-code-points-accepted",
        INPUT,
        "lengths counted in UTF-16 units against twice the limit: twice as many BMP characters fit",
        Rule.UNKNOWN_AND_LIMITS,
        schema=_double_lengths,
        flags=frozenset({"utf16-lengths"}),
    )
)
_flag(
    "form-unsupported", BEHAVIOUR, "form bodies (application/x-www-form-urlencoded) get 415", Rule.FORM_BODIES
)
_flag(
    "form-ignores-key-fields",
    BEHAVIOUR,
    "form bodies' dictionary fields (CustomProperties[key]=value and the indexed form) are ignored",
    Rule.FORM_BODIES,
)
_flag(
    "lost-update",
    BEHAVIOUR,
    "PATCH reads the record, waits 0.25 s and writes it back whole, without a lock: of PATCHes in "
    "flight together, only the last one's changes stay",
    Rule.PARTIAL_UPDATE,
)
_flag(
    "patch-wrong-record",
    BEHAVIOUR,
    "PATCH by CustomerId also updates the record with the next CustomerId",
    Rule.PATCH_TARGET,
)
_flag(
    "newest-property-not-stored",
    BEHAVIOUR,
    "PATCH ignores the property the spec lists last (a server built against an older spec)",
    Rule.PARTIAL_UPDATE,
)
_add(
    Defect(
        "no-identifier-accepted",
        BEHAVIOUR,
        "PATCH with no identifier updates the lowest CustomerId instead of 400",
        Rule.PATCH_TARGET,
        schema=_no_identifier_check,
        flags=frozenset({"no-identifier-accepted"}),
    )
)


def get_defect(name: str | None) -> Defect:
    """The named defect, or the correct server for None or "". Several names joined by commas
    make one server with all those defects (each hook applied in turn, the flags together)."""
    if not name:
        return CORRECT
    names = [part.strip() for part in name.split(",") if part.strip()]
    for part in names:
        if part not in CATALOGUE:
            raise ValueError(f"unknown defect {part!r}; `qflow-mock defects` lists them")
    if len(names) == 1:
        return CATALOGUE[names[0]]
    return combine([CATALOGUE[part] for part in names])


def _chain(hooks: list[Callable[..., Any]]) -> Callable[..., Any] | None:
    """Hooks whose first argument is the value they change, applied one after another."""
    if not hooks:
        return None

    def chained(value: Any, *rest: Any) -> Any:
        for hook in hooks:
            value = hook(value, *rest)
        return value

    return chained


def _chain_strings(hooks: list[Callable[[str, str], str]]) -> Callable[[str, str], str] | None:
    if not hooks:
        return None

    def chained(name: str, value: str) -> str:
        for hook in hooks:
            value = hook(name, value)
        return value

    return chained


def _chain_schemas(hooks: list[Callable[[dict[str, Any]], None]]) -> Callable[[dict[str, Any]], None] | None:
    if not hooks:
        return None

    def chained(spec: dict[str, Any]) -> None:
        for hook in hooks:
            hook(spec)

    return chained


def combine(defects: list[Defect]) -> Defect:
    """One server with every one of `defects`."""
    return Defect(
        ",".join(d.name for d in defects),
        "combined",
        "; ".join(d.description for d in defects),
        defects[0].rule,
        schema=_chain_schemas([d.schema for d in defects if d.schema is not None]),
        prepare=_chain([d.prepare for d in defects if d.prepare is not None]),
        store_string=_chain_strings([d.store_string for d in defects if d.store_string is not None]),
        render=_chain([d.render for d in defects if d.render is not None]),
        error=_chain([d.error for d in defects if d.error is not None]),
        media_type=next((d.media_type for d in defects if d.media_type), None),
        flags=frozenset().union(*(d.flags for d in defects)),
        timezone=next((d.timezone for d in defects if d.timezone is not None), None),
    )


def defect_names() -> list[str]:
    """Every defect's name, in catalogue order."""
    return list(CATALOGUE)
