"""Request validation driven by the spec itself: the limits live in the OpenAPI document, not here.

The spec is loaded once; `CustomerUpdate`, `CustomerUpdateForm` and the `idType` parameter's schema
are compiled into `openapi_schema_validator.OAS30Validator`s (which understand `nullable` and the
OAS 3.0 formats: `int32`, `date-time`), with `$ref`s resolved against the loaded document.
Each error is turned into an ASP.NET-like `ModelState` entry named after the bad property.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from qflow_contracts import spec
from qflow_contracts.int32 import is_int32
from qflow_contracts.spec import customer_properties as spec_module_properties

SPEC_URI = "urn:qflow-contracts:spec"
INTEGER_TEXT = re.compile(r"^[+-]?[0-9]+$")
_FORM_DICT_FIELD = re.compile(r"^([A-Za-z]+)\[(.*)\]$", re.DOTALL)
_FORM_INDEXED_FIELD = re.compile(r"^([A-Za-z]+)\[([0-9]+)\]\.(key|value)$", re.IGNORECASE)
"""MVC's indexed dictionary form: `Name[0].Key=k&Name[0].Value=v` (contract rule 10)."""

ModelState = dict[str, list[str]]
SchemaTransform = Callable[[dict[str, Any]], None]


def read_int(text: str) -> int:
    """A decimal integer; very long ones are clamped (still far outside any 32-bit range), since
    Python refuses to convert more than a few thousand digits."""
    digits = text.lstrip("+-").lstrip("0") or "0"
    if len(digits) > 30:
        return -(10**30) if text.startswith("-") else 10**30
    return int(text)


def load_spec(path: Path | None = None) -> dict[str, Any]:
    """The OpenAPI document, parsed (through the project's one spec loader)."""
    return spec.load_spec(path)


def walk_schemas(node: Any) -> Iterable[dict[str, Any]]:
    """Every schema-like mapping inside a node (used by defects that loosen the spec's limits)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk_schemas(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk_schemas(item)


@dataclass
class SpecModel:
    """What the server needs from the spec, read once at start."""

    spec: dict[str, Any]
    properties: tuple[str, ...]
    identity: tuple[str, ...] = ()
    """The properties marked `x-qflow-identity` in the spec: they select a record, PATCH keeps them."""
    customer_schema: dict[str, Any] = field(default_factory=dict)
    update_schema: dict[str, Any] = field(default_factory=dict)
    form_schema: dict[str, Any] = field(default_factory=dict)
    id_type_schema: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> SpecModel:
        schemas = spec["components"]["schemas"]
        customer = schemas["Customer"]
        parameters = spec["paths"]["/Customers/{id}"]["get"]["parameters"]
        id_type = next(p for p in parameters if p["name"] == "idType")
        return cls(
            spec=spec,
            properties=tuple(customer["properties"]),
            identity=tuple(p.name for p in spec_module_properties(spec) if p.identity),
            customer_schema=customer,
            update_schema=schemas["CustomerUpdate"],
            form_schema=schemas["CustomerUpdateForm"],
            id_type_schema=id_type["schema"],
        )


def _message(name: str, error: Any) -> str:
    """ASP.NET-like wording for one validation error of property `name`."""
    keyword = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    if keyword == "maxLength":
        return f"The field {name} must be a string with a maximum length of {error.validator_value}."
    if keyword in ("minimum", "maximum") and "minimum" in schema and "maximum" in schema:
        return f"The field {name} must be between {schema['minimum']} and {schema['maximum']}."
    if keyword == "minimum":
        return f"The field {name} must be at least {error.validator_value}."
    if keyword == "maximum":
        return f"The field {name} must be at most {error.validator_value}."
    if keyword == "format" and error.validator_value == "date-time":
        return f"The value {error.instance!r} is not a valid date for {name}."
    if keyword == "format":
        return f"The value {error.instance!r} is not a valid {error.validator_value} for {name}."
    if keyword == "type":
        return f"The value {error.instance!r} is not valid for {name}: expected {error.validator_value}."
    if keyword == "not" and isinstance(error.validator_value, dict) and error.validator_value.get("title"):
        return str(error.validator_value["title"])  # a shape the spec forbids, named by its title
    return f"The value of {name} is not valid: {error.message}"


class Validators:
    """Compiled validators for request bodies and the `idType` query parameter."""

    def __init__(self, spec: dict[str, Any], transform: SchemaTransform | None = None) -> None:
        document = copy.deepcopy(spec)
        if transform is not None:
            transform(document)
        self.model = SpecModel.from_spec(document)
        resource = Resource.from_contents(document, default_specification=DRAFT4)
        registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)

        resolver = registry.resolver()

        def compile_ref(pointer: str) -> Any:
            # the reference is resolved once here, not on every request; `$ref`s inside the schema
            # still resolve against the whole document through the registry
            schema = resolver.lookup(f"{SPEC_URI}#{pointer}").contents
            return OAS30Validator(schema, registry=registry, format_checker=oas30_format_checker)

        self._update = compile_ref("/components/schemas/CustomerUpdate")
        self._form = compile_ref("/components/schemas/CustomerUpdateForm")
        self._id_type = OAS30Validator(self.model.id_type_schema, format_checker=oas30_format_checker)
        self._form_types = {
            name: str(prop.get("type", "string"))
            for name, prop in self.model.form_schema.get("properties", {}).items()
        }
        self._form_formats = {
            name for name, prop in self.model.form_schema.get("properties", {}).items() if prop.get("format")
        }

    @staticmethod
    def _collect(errors: Iterable[Any], whole: str) -> ModelState:
        state: ModelState = {}
        for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
            path = list(error.absolute_path)
            name = str(path[0]) if path else whole
            state.setdefault(name, []).append(_message(name, error))
        return state

    def check_update(self, body: dict[str, Any]) -> ModelState:
        """The JSON body's errors, by property (empty when valid)."""
        return self._collect(self._update.iter_errors(body), "customer")

    def check_form(self, body: dict[str, Any]) -> ModelState:
        """The coerced form body's errors, by property (empty when valid)."""
        return self._collect(self._form.iter_errors(body), "customer")

    def parse_form(
        self, fields: list[tuple[str, str]], *, keyed: bool = True, indexed: bool = True
    ) -> tuple[dict[str, Any], ModelState]:
        """Form fields to a dict of typed values, the types read from `CustomerUpdateForm`.

        Integers are decimal, booleans `true`/`false` in any case; a dictionary property is filled
        by `Name[key]=value` (`keyed`) and by MVC's indexed form `Name[0].Key=k&Name[0].Value=v`
        (`indexed`). An empty or blank text field is absent, as ASP.NET's model binding reads it
        as null (contract rule 10); a blank integer, boolean or date is refused, as the spec's
        form schema (which cannot say "blank is absent") does. Unknown fields are ignored; a value
        that cannot be read is an error named after its property.
        """
        body: dict[str, Any] = {}
        state: ModelState = {}
        pairs: dict[tuple[str, str], dict[str, str]] = {}
        for key, raw in fields:
            slot = _FORM_INDEXED_FIELD.match(key)
            if slot and self._form_types.get(slot.group(1)) == "object":
                if indexed:
                    pairs.setdefault((slot.group(1), slot.group(2)), {})[slot.group(3).lower()] = raw
                continue
            match = _FORM_DICT_FIELD.match(key)
            if match and self._form_types.get(match.group(1)) == "object":
                if keyed and raw.strip():
                    entries = body.setdefault(match.group(1), {})
                    if isinstance(entries, dict):
                        entries[match.group(2)] = raw
                continue
            kind = self._form_types.get(key)
            if kind is None or (kind == "string" and not raw.strip() and key not in self._form_formats):
                continue  # a blank text field is absent; a blank typed one is refused (the spec's schema)
            if kind == "integer":
                if INTEGER_TEXT.match(raw.strip()):
                    body[key] = read_int(raw.strip())
                else:
                    state.setdefault(key, []).append(f"The value {raw!r} is not valid for {key}.")
            elif kind == "boolean":
                lowered = raw.strip().lower()
                if lowered in ("true", "false"):
                    body[key] = lowered == "true"
                else:
                    state.setdefault(key, []).append(f"The value {raw!r} is not valid for {key}.")
            elif kind == "object":
                state.setdefault(key, []).append(f"The value {raw!r} is not valid for {key}.")
            else:
                body[key] = raw
        for (name, _), pair in sorted(pairs.items(), key=lambda item: (item[0][0], int(item[0][1]))):
            if pair.get("key") and (pair.get("value") or "").strip():
                entries = body.setdefault(name, {})
                if isinstance(entries, dict):
                    entries[pair["key"]] = pair["value"]
        return body, state

    def parse_id_type(self, raw: str) -> tuple[int, ModelState]:
        """The `idType` query parameter as an integer, checked against its schema in the spec."""
        text = raw.strip()
        if not INTEGER_TEXT.match(text):
            return 0, {"idType": [f"The value {raw!r} is not valid for idType."]}
        value = read_int(text)
        errors = self._collect(self._id_type.iter_errors(value), "idType")
        return (0, errors) if errors else (value, {})


# -- Json.NET's leniency (`qflow-mock serve --lenient`, contract rule 14) ----------------------------


_NET_INTEGER = re.compile(r"^\s*[+-]?[0-9]+\s*$")
"""What .NET's int.TryParse (NumberStyles.Integer) accepts."""


def _net_string(value: Any) -> Any:
    """A JSON primitive as Json.NET's ReadAsString writes it; other values unchanged."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return value


def _net_integer(value: Any) -> Any:
    """A JSON value as Json.NET's ReadAsInt32 reads it; unconvertible values unchanged."""
    if isinstance(value, str) and _NET_INTEGER.match(value):
        number = read_int(value.strip())
        return number if is_int32(number) else value
    if isinstance(value, str) and not value.strip():
        return None
    if isinstance(value, float) and is_int32(value):
        return round(value)  # Convert.ToInt32: to the nearest, halves to even
    return value


def _net_boolean(value: Any) -> Any:
    """A JSON value as Json.NET's ReadAsBoolean reads it; unconvertible values unchanged."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return value


def jsonnet_convert(body: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    """`body` as Json.NET binds it to the model whose properties (schemas by name) are given:
    property names matched regardless of case (an exact match first), and the mismatched values
    it converts converted: digits to integers, numbers and booleans to strings, numbers and
    "true"/"false" to booleans, numbers as dictionary values to strings. Anything else is left
    for validation to refuse."""
    by_lower = {name.lower(): name for name in properties}
    result: dict[str, Any] = {}
    for key, value in body.items():
        name = key if key in properties else by_lower.get(key.lower(), key)
        schema = properties.get(name)
        if isinstance(schema, dict) and value is not None:
            kind = schema.get("type")
            if kind == "string":
                value = _net_string(value)
            elif kind == "integer":
                value = _net_integer(value)
            elif kind == "boolean":
                value = _net_boolean(value)
            elif kind == "object" and isinstance(value, dict):
                value = {k: _net_string(v) for k, v in value.items()}
        result[name] = value
    return result
