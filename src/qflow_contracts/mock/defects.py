"""A catalogue of deliberately broken servers: one realistic bug each, switched on in the mock.

Each defect is a named set of hooks applied at fixed points of the correct implementation in
`app.py` (the spec the validators are compiled from, a body before validation, a stored string,
an answer's body, its media type, an error body) or a named flag the handlers test at one place.
The correct server uses `CORRECT`, whose hooks do nothing. `qflow-mock defects` lists them.

Two defects (`invalid-json-500`, `non-object-500`) raise inside the handler, so a real server
answers 500; in process, use `TestClient(app, raise_server_exceptions=False)` to see that answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from qflow_contracts.mock.validation import SpecModel, walk_schemas

Body = dict[str, Any]


@dataclass(frozen=True)
class Defect:
    """One bug: a name, a category, a line of description and the hooks that make it."""

    name: str
    category: str
    description: str
    schema: Callable[[dict[str, Any]], None] | None = None
    prepare: Callable[[Body, SpecModel], Body] | None = None
    store_string: Callable[[str, str], str] | None = None
    render: Callable[[Body], Body] | None = None
    error: Callable[[Body], Body] | None = None
    media_type: str | None = None
    flags: frozenset[str] = field(default_factory=frozenset)

    def has(self, flag: str) -> bool:
        """Whether this defect switches on the named behaviour flag."""
        return flag in self.flags


CORRECT = Defect("", "", "the correct server")
CATALOGUE: dict[str, Defect] = {}


def _add(defect: Defect) -> None:
    CATALOGUE[defect.name] = defect


def _flag(name: str, category: str, description: str) -> None:
    _add(Defect(name, category, description, flags=frozenset({name})))


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


def _camel_case(body: Body) -> Body:
    return {k[:1].lower() + k[1:]: v for k, v in body.items()}


def _no_length_check(spec: dict[str, Any]) -> None:
    for schema in walk_schemas(spec["components"]["schemas"]):
        schema.pop("maxLength", None)


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


def _string_coerced(body: Body, model: SpecModel) -> Body:
    result = dict(body)
    for name, prop in model.update_schema["properties"].items():
        value = result.get(name)
        if prop.get("type") == "integer" and isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,9}", value):
            result[name] = int(value)
    return result


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

_add(Defect("missing-property", SHAPE, "answers omit the Notes property", render=_drop_notes))
_add(
    Defect(
        "customerid-as-string", SHAPE, "CustomerId is written as a JSON string", render=_customer_id_as_string
    )
)
_add(Defect("dob-date-only", SHAPE, 'DOB is written as a bare date ("1990-01-01")', render=_dob_date_only))
_add(
    Defect(
        "wrong-content-type", SHAPE, "answers are labelled text/plain", media_type="text/plain; charset=utf-8"
    )
)
_add(
    Defect("sex-sample-64", SHAPE, "Sex 0 is written as 64, like the vendor's sample", render=_sex_sample_64)
)
_add(Defect("error-without-message", SHAPE, "400 and 404 bodies lack Message", error=_error_without_message))
_add(
    Defect(
        "custom-properties-as-list",
        SHAPE,
        "CustomProperties is written as a list of {Key, Value}",
        render=_custom_properties_as_list,
    )
)
_add(Defect("camelcase-keys", SHAPE, "property names are written in camelCase", render=_camel_case))

_add(Defect("no-length-check", INPUT, "over-long strings are stored", schema=_no_length_check))
_add(Defect("no-range-check", INPUT, "Sex outside 0..2 (e.g. 3) is accepted", schema=_no_range_check))
_flag("invalid-json-500", INPUT, "a body that is not JSON gets 500")
_add(
    Defect(
        "string-coerced",
        INPUT,
        'an integer sent as a string ("Sex": "1") is accepted',
        prepare=_string_coerced,
    )
)
_flag("partial-write-on-error", INPUT, "the valid properties of an invalid body are applied before the 400")
_flag("no-415", INPUT, "a body of an unknown media type is parsed as JSON")
_flag("idtype-malformed-404", INPUT, "a malformed idType (abc, empty) is treated as 0 instead of 400")
_add(
    Defect(
        "int32-overflow-404",
        INPUT,
        "integers outside 32 bits are not refused (idType 2147483648 gets 404, not 400)",
        schema=_no_int32_check,
    )
)
_flag("non-object-500", INPUT, "a JSON array body gets 500")
_add(
    Defect(
        "truncate-long-strings",
        INPUT,
        "over-long strings are silently truncated and answered 200",
        prepare=_truncate,
        schema=_no_length_check,
    )
)

_flag("null-clears", BEHAVIOUR, "a null property in PATCH sets the stored value to null")
_flag("falsy-ignored", BEHAVIOUR, 'false, 0 and "" in PATCH are treated as absent')
_flag("custom-properties-replace", BEHAVIOUR, "CustomProperties replaces the stored dictionary (no merge)")
_flag("identity-changed", BEHAVIOUR, "PATCH by CustomerId changes the stored PersonalId")
_flag("stale-patch-response", BEHAVIOUR, "the 200 answer to PATCH is the record before the update")
_flag(
    "personalid-ignores-type",
    BEHAVIOUR,
    "GET with idType finds the first record with that PersonalId, any type",
)
_flag("extref-ignored", BEHAVIOUR, "GET ignores idTypeExtRef")
_flag(
    "patch-personalid-ignores-type",
    BEHAVIOUR,
    "PATCH by PersonalId updates the first record with it, any type",
)
_add(
    Defect(
        "unicode-mangled",
        BEHAVIOUR,
        "characters outside the BMP are stored as '?'",
        store_string=_mangle_unicode,
    )
)
_add(
    Defect(
        "trim-whitespace",
        BEHAVIOUR,
        "strings are stored with surrounding whitespace trimmed",
        store_string=_trim,
    )
)
_add(
    Defect(
        "dob-shifted-to-utc",
        BEHAVIOUR,
        "DOB is converted to UTC, so its calendar date can change",
        store_string=_dob_to_utc,
    )
)
_flag("form-unsupported", BEHAVIOUR, "form bodies (application/x-www-form-urlencoded) get 415")
_flag("patch-wrong-record", BEHAVIOUR, "PATCH by CustomerId also updates the record with the next CustomerId")
_add(
    Defect(
        "no-identifier-accepted",
        BEHAVIOUR,
        "PATCH with no identifier updates the lowest CustomerId instead of 400",
        schema=_no_identifier_check,
        flags=frozenset({"no-identifier-accepted"}),
    )
)


def get_defect(name: str | None) -> Defect:
    """The named defect, or the correct server for None or ""."""
    if not name:
        return CORRECT
    try:
        return CATALOGUE[name]
    except KeyError:
        raise ValueError(f"unknown defect {name!r}; `qflow-mock defects` lists them") from None


def defect_names() -> list[str]:
    """Every defect's name, in catalogue order."""
    return list(CATALOGUE)
