"""Spec mutations, each with the classification spec-diff must give it.

Each mutation edits a copy of the project's spec (after `base`, when given, has been applied to both
the old and the new copy, to set up a state the spec does not have, such as an enum).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Doc = dict[str, Any]
ADDED = "PreferredName"  # a property the spec does not have
Edit = Callable[[Doc], None]

CLIENTS, SERVERS, COMPATIBLE, NO_CHANGE = (
    "breaking for clients",
    "breaking for servers",
    "compatible",
    "no change",
)


@dataclass(frozen=True)
class Mutation:
    """One spec change and its expected verdict, release and rule."""

    name: str
    edit: Edit
    verdict: str
    bump: str
    rule: str | None
    base: Edit | None = None


def schema(doc: Doc, name: str) -> Doc:
    """A component schema."""
    found: Doc = doc["components"]["schemas"][name]
    return found


def prop(doc: Doc, schema_name: str, name: str) -> Doc:
    """A property of a component schema."""
    found: Doc = schema(doc, schema_name)["properties"][name]
    return found


def get_op(doc: Doc) -> Doc:
    """GET /Customers/{id}."""
    found: Doc = doc["paths"]["/Customers/{id}"]["get"]
    return found


def patch_op(doc: Doc) -> Doc:
    """PATCH /Customers."""
    found: Doc = doc["paths"]["/Customers"]["patch"]
    return found


def param(doc: Doc, name: str) -> Doc:
    """A parameter of GET /Customers/{id}."""
    found: Doc = next(p for p in get_op(doc)["parameters"] if p["name"] == name)
    return found


def add_property(doc: Doc, response_too: bool, required_in_answers: bool = True) -> None:
    """An optional property, maxLength 50, as in the README's worked example; in the answers too,
    listed in `required` or not."""
    for name in ("CustomerUpdate", "CustomerUpdateForm"):
        schema(doc, name)["properties"][ADDED] = {"type": "string", "maxLength": 50}
    prop(doc, "CustomerUpdate", ADDED)["nullable"] = True
    if response_too:
        customer = schema(doc, "Customer")
        customer["properties"][ADDED] = {"type": "string", "maxLength": 50, "nullable": True}
        if required_in_answers:
            customer["required"].append(ADDED)


def require_added(doc: Doc) -> None:
    """The property of `add_property(doc, True, False)` listed in the answer's `required` as well."""
    schema(doc, "Customer")["required"].append(ADDED)


def add_required_property(doc: Doc) -> None:
    """A property added to the requests, and required in the JSON one."""
    add_property(doc, False)
    schema(doc, "CustomerUpdate").setdefault("required", []).append(ADDED)


def remove_property(doc: Doc, schema_name: str, name: str) -> None:
    """A property gone from a schema (and from its required list)."""
    target = schema(doc, schema_name)
    del target["properties"][name]
    if name in target.get("required", []):
        target["required"].remove(name)


def set_key(getter: Callable[[Doc], Doc], key: str, value: Any) -> Edit:
    """An edit that sets one keyword."""

    def edit(doc: Doc) -> None:
        getter(doc)[key] = value

    return edit


def drop_key(getter: Callable[[Doc], Doc], key: str) -> Edit:
    """An edit that removes one keyword."""

    def edit(doc: Doc) -> None:
        del getter(doc)[key]

    return edit


def rename_error(doc: Doc) -> None:
    """Component schema Error renamed ApiError, every reference following."""
    schemas = doc["components"]["schemas"]
    schemas["ApiError"] = schemas.pop("Error")
    for response in doc["components"]["responses"].values():
        for media in response["content"].values():
            media["schema"]["$ref"] = "#/components/schemas/ApiError"


def _p(schema_name: str, name: str) -> Callable[[Doc], Doc]:
    return lambda doc: prop(doc, schema_name, name)


def _q(name: str) -> Callable[[Doc], Doc]:
    return lambda doc: param(doc, name)["schema"]


def _param(name: str) -> Callable[[Doc], Doc]:
    return lambda doc: param(doc, name)


def _ok(doc: Doc) -> Doc:
    """GET's 200 answer."""
    found: Doc = get_op(doc)["responses"]["200"]
    return found


def replace_security(doc: Doc) -> None:
    """The optional API key replaced by a required bearer token."""
    doc["components"]["securitySchemes"]["bearer"] = {"type": "http", "scheme": "bearer"}
    doc["security"] = [{"bearer": []}]


MUTATIONS = [
    # additions
    Mutation(
        "optional request property added",
        lambda d: add_property(d, False),
        COMPATIBLE,
        "minor",
        "request-property-added",
    ),
    Mutation(
        "property added to requests and answers, optional in answers",
        lambda d: add_property(d, True, False),
        COMPATIBLE,
        "minor",
        "response-property-added",
    ),
    Mutation(
        # the regenerated client raises on answers of servers not yet upgraded
        "property added to requests and required in answers",
        lambda d: add_property(d, True),
        CLIENTS,
        "major",
        "response-property-added-required",
    ),
    Mutation(
        "an optional answer property becomes required",
        require_added,
        CLIENTS,  # and servers that leave it out, which the old spec allowed
        "major",
        "response-property-became-required",
        base=lambda d: add_property(d, True, False),
    ),
    Mutation(
        "required request property added",
        add_required_property,
        CLIENTS,
        "major",
        "request-property-added-required",
    ),
    Mutation(
        "an optional credential declared",
        lambda d: d.update(security=[{}, {"apiKey": []}]),
        COMPATIBLE,
        "minor",
        "api-security-alternative-added",
        base=lambda d: d.pop("security", None),
    ),
    Mutation(
        "the credential made required",
        lambda d: d.update(security=[{"apiKey": []}]),
        CLIENTS,
        "major",
        "api-security-alternative-removed",
    ),
    Mutation(
        "optional parameter added",
        lambda d: get_op(d)["parameters"].append(
            {"name": "fields", "in": "query", "schema": {"type": "string"}}
        ),
        COMPATIBLE,
        "minor",
        "new-optional-request-parameter",
    ),
    Mutation(
        "required parameter added",
        lambda d: get_op(d)["parameters"].append(
            {"name": "site", "in": "query", "required": True, "schema": {"type": "string"}}
        ),
        CLIENTS,
        "major",
        "new-required-request-parameter",
    ),
    Mutation(
        "operation added",
        lambda d: d["paths"]["/Customers/{id}"].__setitem__(
            "delete", {"operationId": "deleteCustomer", "responses": {"204": {"description": "gone"}}}
        ),
        COMPATIBLE,
        "minor",
        "api-operation-added",
    ),
    Mutation(
        "response status added",
        lambda d: get_op(d)["responses"].__setitem__("429", {"description": "slow down"}),
        COMPATIBLE,
        "minor",
        "response-status-added",
    ),
    Mutation(
        "request media type added",
        lambda d: patch_op(d)["requestBody"]["content"].__setitem__(
            "application/xml", {"schema": {"$ref": "#/components/schemas/CustomerUpdate"}}
        ),
        COMPATIBLE,
        "minor",
        "request-media-type-added",
    ),
    Mutation(
        "response media type added",
        lambda d: get_op(d)["responses"]["200"]["content"].__setitem__(
            "application/xml", {"schema": {"$ref": "#/components/schemas/Customer"}}
        ),
        COMPATIBLE,
        "minor",
        "response-media-type-added",
    ),
    # removals
    Mutation(
        "request property removed",
        lambda d: remove_property(d, "CustomerUpdate", "Notes"),
        CLIENTS,
        "major",
        "request-property-removed",
    ),
    Mutation(
        "response property removed",
        lambda d: remove_property(d, "Customer", "Notes"),
        CLIENTS,
        "major",
        "response-property-removed",
    ),
    Mutation(
        "parameter removed",
        lambda d: get_op(d).__setitem__(
            "parameters", [p for p in get_op(d)["parameters"] if p["name"] != "idTypeExtRef"]
        ),
        CLIENTS,
        "major",
        "request-parameter-removed",
    ),
    Mutation(
        "operation removed",
        lambda d: d["paths"]["/Customers"].pop("patch"),
        CLIENTS,
        "major",
        "api-operation-removed",
    ),
    Mutation(
        "response status removed",
        lambda d: patch_op(d)["responses"].pop("413"),
        CLIENTS,
        "major",
        "response-status-removed",
    ),
    Mutation(
        "request media type removed",
        lambda d: patch_op(d)["requestBody"]["content"].pop("text/json"),
        CLIENTS,
        "major",
        "request-media-type-removed",
    ),
    Mutation(
        "response media type removed",
        lambda d: get_op(d)["responses"]["200"]["content"].pop("text/json"),
        CLIENTS,
        "major",
        "response-media-type-removed",
    ),
    # request limits narrowed: clients break
    Mutation(
        "request maxLength decreased",
        set_key(_p("CustomerUpdate", "FirstName"), "maxLength", 40),
        CLIENTS,
        "major",
        "request-property-max-length-decreased",
    ),
    Mutation(
        "request maxLength set",
        set_key(_p("CustomerUpdate", "PersonalIdTypeExtRef"), "maxLength", 20),
        CLIENTS,
        "major",
        "request-property-max-length-set",
    ),
    Mutation(
        "request minLength set",
        set_key(_p("CustomerUpdateForm", "FirstName"), "minLength", 1),
        CLIENTS,
        "major",
        "request-property-min-length-set",
    ),
    Mutation(
        "request maximum decreased",
        set_key(_p("CustomerUpdate", "Sex"), "maximum", 1),
        CLIENTS,
        "major",
        "request-property-max-decreased",
    ),
    Mutation(
        "request minimum increased",
        set_key(_p("CustomerUpdate", "Sex"), "minimum", 1),
        CLIENTS,
        "major",
        "request-property-min-increased",
    ),
    Mutation(
        "request pattern set",
        set_key(_p("CustomerUpdate", "TelNumber1"), "pattern", "^[+0-9 ]*$"),
        CLIENTS,
        "major",
        "request-property-pattern-set",
    ),
    Mutation(
        "request enum set",
        set_key(_p("CustomerUpdate", "Sex"), "enum", [0, 1, 2, None]),
        CLIENTS,
        "major",
        "request-property-enum-set",
    ),
    Mutation(
        "request enum value removed",
        set_key(_p("CustomerUpdate", "Sex"), "enum", [0, 1]),
        CLIENTS,
        "major",
        "request-property-enum-value-removed",
        base=set_key(_p("CustomerUpdate", "Sex"), "enum", [0, 1, 2]),
    ),
    Mutation(
        "request property became required",
        set_key(lambda d: schema(d, "CustomerUpdate"), "required", ["CustomerId"]),
        CLIENTS,
        "major",
        "request-property-became-required",
    ),
    Mutation(
        "request property no longer nullable",
        drop_key(_p("CustomerUpdate", "FirstName"), "nullable"),
        CLIENTS,
        "major",
        "request-property-became-not-nullable",
    ),
    Mutation(
        "dictionary values limited",
        set_key(
            lambda d: prop(d, "CustomerUpdate", "CustomProperties")["additionalProperties"], "maxLength", 100
        ),
        CLIENTS,
        "major",
        "request-property-max-length-set",
    ),
    Mutation(
        "unknown request properties refused",
        set_key(lambda d: schema(d, "CustomerUpdate"), "additionalProperties", False),
        CLIENTS,
        "major",
        "request-schema-additional-properties-changed",
    ),
    Mutation(
        "parameter minimum increased",
        set_key(_q("idType"), "minimum", 0),
        CLIENTS,
        "major",
        "request-parameter-min-increased",
    ),
    # request limits relaxed: servers break
    Mutation(
        "request maxLength increased",
        set_key(_p("CustomerUpdate", "FirstName"), "maxLength", 60),
        SERVERS,
        "minor",
        "request-property-max-length-increased",
    ),
    Mutation(
        "request maxLength unset",
        drop_key(_p("CustomerUpdateForm", "Email"), "maxLength"),
        SERVERS,
        "minor",
        "request-property-max-length-unset",
    ),
    Mutation(
        "request maximum increased",
        set_key(_p("CustomerUpdate", "Sex"), "maximum", 3),
        SERVERS,
        "minor",
        "request-property-max-increased",
    ),
    Mutation(
        "request enum value added",
        set_key(_p("CustomerUpdate", "Sex"), "enum", [0, 1, 2, 3]),
        SERVERS,
        "minor",
        "request-property-enum-value-added",
        base=set_key(_p("CustomerUpdate", "Sex"), "enum", [0, 1, 2]),
    ),
    Mutation(
        "request property made nullable",
        set_key(_p("CustomerUpdateForm", "FirstName"), "nullable", True),
        SERVERS,
        "minor",
        "request-property-became-nullable",
    ),
    Mutation(
        "identifier rule dropped",
        drop_key(lambda d: schema(d, "CustomerUpdate"), "not"),
        SERVERS,
        "minor",
        "request-body-not-schema-unset",
    ),
    Mutation(
        "request body became optional",
        set_key(lambda d: patch_op(d)["requestBody"], "required", False),
        SERVERS,
        "minor",
        "request-body-became-optional",
    ),
    Mutation(
        "int32 widened to int64",
        set_key(_p("CustomerUpdate", "PersonalIdTypeId"), "format", "int64"),
        SERVERS,
        "minor",
        "request-property-format-widened",
    ),
    # types and formats: clients break
    Mutation(
        "request type changed",
        set_key(_p("CustomerUpdate", "Sex"), "type", "string"),
        CLIENTS,
        "major",
        "request-property-type-changed",
    ),
    Mutation(
        "response type changed",
        set_key(_p("Customer", "CustomerId"), "type", "string"),
        CLIENTS,
        "major",
        "response-property-type-changed",
    ),
    Mutation(
        "parameter type changed",
        set_key(_q("idType"), "type", "string"),
        CLIENTS,
        "major",
        "request-parameter-type-changed",
    ),
    Mutation(
        "date format changed",
        set_key(_p("CustomerUpdate", "DOB"), "format", "date"),
        CLIENTS,
        "major",
        "request-property-format-changed",
    ),
    # responses
    Mutation(
        "response property made nullable",
        set_key(_p("Customer", "CustomerId"), "nullable", True),
        CLIENTS,
        "major",
        "response-property-became-nullable",
    ),
    Mutation(
        "response property no longer nullable",
        drop_key(_p("Customer", "FirstName"), "nullable"),
        SERVERS,
        "minor",
        "response-property-became-not-nullable",
    ),
    Mutation(
        "response property became optional",
        lambda d: schema(d, "Customer")["required"].remove("Email"),
        CLIENTS,
        "major",
        "response-property-became-optional",
    ),
    Mutation(
        "response enum value added",
        set_key(_p("Customer", "Sex"), "enum", [0, 1, 2, 3, None]),
        CLIENTS,
        "major",
        "response-property-enum-value-added",
        base=set_key(_p("Customer", "Sex"), "enum", [0, 1, 2, None]),
    ),
    Mutation(
        "response pattern changed",
        set_key(_p("Customer", "DOB"), "pattern", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
        CLIENTS,
        "major",
        "response-property-pattern-changed",
    ),
    Mutation(
        "response maxLength decreased",
        set_key(_p("Customer", "Notes"), "maxLength", 200),
        SERVERS,
        "minor",
        "response-property-max-length-decreased",
    ),
    Mutation(
        "response maxLength increased",
        set_key(_p("Customer", "Notes"), "maxLength", 500),
        CLIENTS,
        "major",
        "response-property-max-length-increased",
    ),
    # defaults
    Mutation(
        "parameter default changed",
        set_key(_q("idType"), "default", 1),
        CLIENTS,
        "major",
        "request-parameter-default-changed",
    ),
    Mutation(
        "parameter default removed",
        drop_key(_q("idTypeExtRef"), "default"),
        CLIENTS,
        "major",
        "request-parameter-default-unset",
    ),
    Mutation(
        "property default set",
        set_key(_p("CustomerUpdate", "IsActive"), "default", True),
        COMPATIBLE,
        "minor",
        "request-property-default-set",
    ),
    # what the generated client is made of
    Mutation(
        "operationId changed",
        set_key(get_op, "operationId", "readCustomer"),
        CLIENTS,
        "major",
        "api-operation-id-changed",
    ),
    Mutation("tag changed", set_key(get_op, "tags", ["People"]), CLIENTS, "major", "api-tag-changed"),
    Mutation("schema renamed", rename_error, CLIENTS, "major", "schema-renamed"),
    Mutation(
        "form encoding changed",
        lambda d: patch_op(d)["requestBody"]["content"]["application/x-www-form-urlencoded"]["encoding"][
            "CustomProperties"
        ].__setitem__("style", "form"),
        CLIENTS,
        "major",
        "request-encoding-changed",
    ),
    # documentation
    Mutation(
        "description changed",
        set_key(_p("CustomerUpdate", "Notes"), "description", "Free text"),
        COMPATIBLE,
        "patch",
        "documentation-changed",
    ),
    Mutation(
        "example changed",
        lambda d: d["components"]["examples"]["NotFound"]["value"].__setitem__("Message", "Nobody."),
        COMPATIBLE,
        "patch",
        "examples-changed",
    ),
    Mutation(
        "operation deprecated",
        set_key(get_op, "deprecated", True),
        COMPATIBLE,
        "minor",
        "api-deprecation-changed",
    ),
    Mutation(
        "servers changed",
        lambda d: d["servers"][0]["variables"]["basePath"].__setitem__("default", "/api"),
        COMPATIBLE,
        "patch",
        "servers-changed",
    ),
    Mutation(
        "tag description changed",
        lambda d: d["tags"][0].__setitem__("description", "People."),
        COMPATIBLE,
        "patch",
        "other-edits",
    ),
    Mutation(
        "only info.version raised", set_key(lambda d: d["info"], "version", "1.0.1"), NO_CHANGE, "none", None
    ),
    # every rule of the registry (specdiff/rules.py) has a mutation that calls for it
    Mutation(
        "security replaced by another scheme",
        replace_security,
        CLIENTS,
        "major",
        "api-security-changed",
    ),
    Mutation(
        "title changed", set_key(lambda d: d["info"], "title", "QFlow"), COMPATIBLE, "patch", "info-changed"
    ),
    Mutation(
        "query parameter becomes required",
        set_key(_param("idType"), "required", True),
        CLIENTS,
        "major",
        "request-parameter-became-required",
    ),
    Mutation(
        "query parameter becomes optional",
        set_key(_param("idType"), "required", False),
        SERVERS,
        "minor",
        "request-parameter-became-optional",
        base=set_key(_param("idType"), "required", True),
    ),
    Mutation(
        "query parameter style changed",
        set_key(_param("idType"), "style", "spaceDelimited"),
        CLIENTS,
        "major",
        "request-parameter-style-changed",
    ),
    Mutation(
        "request body removed", drop_key(patch_op, "requestBody"), CLIENTS, "major", "request-body-removed"
    ),
    Mutation(
        "required request body added",
        set_key(get_op, "requestBody", {"required": True, "content": {"application/json": {"schema": {}}}}),
        CLIENTS,
        "major",
        "request-body-added-required",
    ),
    Mutation(
        "optional request body added",
        set_key(get_op, "requestBody", {"content": {"application/json": {"schema": {}}}}),
        COMPATIBLE,
        "minor",
        "request-body-added",
    ),
    Mutation(
        "request body becomes required",
        set_key(lambda d: patch_op(d)["requestBody"], "required", True),
        CLIENTS,
        "major",
        "request-body-became-required",
        base=set_key(lambda d: patch_op(d)["requestBody"], "required", False),
    ),
    Mutation(
        "response header added",
        set_key(_ok, "headers", {"X-Trace": {"schema": {"type": "string"}}}),
        COMPATIBLE,
        "minor",
        "response-header-added",
    ),
    Mutation(
        "response header removed",
        drop_key(_ok, "headers"),
        CLIENTS,
        "major",
        "response-header-removed",
        base=set_key(_ok, "headers", {"X-Trace": {"schema": {"type": "string"}}}),
    ),
    Mutation(
        "request property schema replaced by a boolean schema",
        lambda d: schema(d, "CustomerUpdate")["properties"].__setitem__("Notes", True),
        CLIENTS,
        "major",
        "request-property-schema-changed",
    ),
    Mutation(
        "request integer widened to number",
        set_key(_p("CustomerUpdate", "Sex"), "type", "number"),
        CLIENTS,  # the client's model field changes type, whatever the direction
        "major",
        "request-property-type-generalized",
    ),
    Mutation(
        "answer integer format narrowed to int32",
        set_key(_p("Customer", "CustomerId"), "format", "int32"),
        SERVERS,
        "minor",
        "response-property-format-narrowed",
        base=set_key(_p("Customer", "CustomerId"), "format", "int64"),
    ),
    Mutation(
        "request maximum made exclusive",
        set_key(_p("CustomerUpdate", "Sex"), "exclusiveMaximum", True),
        CLIENTS,
        "major",
        "request-property-exclusive-max-set",
    ),
    Mutation(
        "request maximum made inclusive",
        drop_key(_p("CustomerUpdate", "Sex"), "exclusiveMaximum"),
        SERVERS,
        "minor",
        "request-property-exclusive-max-unset",
        base=set_key(_p("CustomerUpdate", "Sex"), "exclusiveMaximum", True),
    ),
    Mutation(
        "request enum removed",
        drop_key(_p("CustomerUpdate", "Sex"), "enum"),
        SERVERS,
        "minor",
        "request-property-enum-unset",
        base=set_key(_p("CustomerUpdate", "Sex"), "enum", [0, 1, 2]),
    ),
]
