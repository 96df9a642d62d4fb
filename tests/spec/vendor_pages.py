"""The facts of the vendor's two help pages, read from spec/vendor-pages/, and their check against a spec."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PAGES = Path(__file__).resolve().parents[2] / "spec" / "vendor-pages"
PATCH_PAGE = PAGES / "patch-customers.txt"
GET_PAGE = PAGES / "get-customer.txt"

TYPES = ("integer", "string", "date", "byte", "boolean", "Dictionary of string [key] and string [value]")
MEDIA_TYPE = re.compile(r"\b(?:application|text)/[a-z0-9.+-]+")
IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


@dataclass(frozen=True)
class Row:
    """One row of a help page's table."""

    name: str | None
    description: str | None
    type: str
    info: str


def _between(text: str, start: str, end: str) -> str:
    head = text.index(start) + len(start)
    return text[head : text.index(end, head)]


def parse_table(section: str) -> list[Row]:
    """The rows of one table: cells split on '|', each row anchored on its type cell."""
    cells = [cell.strip() for cell in section.split("|")]
    cells = cells[cells.index("Additional information") + 1 :]
    cells = [cell for cell in cells if cell and cell != "---"]
    rows: list[Row] = []
    pending: list[str] = []
    index = 0
    while index < len(cells):
        cell = cells[index]
        if cell not in TYPES:
            pending.append(cell)
            index += 1
            continue
        info = cells[index + 1]
        if len(pending) == 2:
            name, description = pending
        elif len(pending) == 1 and IDENTIFIER.match(pending[0]):
            name, description = pending[0], None
        elif len(pending) == 1:
            name, description = None, pending[0]  # the page dropped the row's name
        else:
            raise ValueError(f"cannot read the row before {cell!r}: {pending!r}")
        rows.append(Row(name, description, cell, info))
        pending = []
        index += 2
    if pending:
        raise ValueError(f"cells left over: {pending!r}")
    return rows


def _sample(text: str, after: str) -> dict[str, Any]:
    start = text.index("{", text.index(after))
    sample, _ = json.JSONDecoder().raw_decode(text[start:])
    assert isinstance(sample, dict)
    return sample


def _named(rows: list[Row], sample: dict[str, Any]) -> list[Row]:
    """Rows with the names the table dropped taken from the JSON sample, whose keys follow the rows."""
    keys = list(sample)
    if len(keys) != len(rows):
        raise ValueError(f"{len(rows)} rows but {len(keys)} sample keys")
    named = []
    for row, key in zip(rows, keys, strict=True):
        if row.name is not None and row.name != key:
            raise ValueError(f"row {row.name!r} does not match sample key {key!r}")
        named.append(Row(key, row.description, row.type, row.info))
    return named


@dataclass(frozen=True)
class PatchPage:
    """PATCH Customers."""

    request_rows: list[Row]
    response_rows: list[Row]
    request_formats: set[str]
    response_formats: set[str]
    request_sample: dict[str, Any]
    response_sample: dict[str, Any]


@dataclass(frozen=True)
class GetPage:
    """GET Customers/{id}."""

    uri_rows: list[Row]
    response_rows: list[Row]
    response_formats: set[str]
    response_sample: dict[str, Any]


def read_patch_page() -> PatchPage:
    """Parse the PATCH Customers page."""
    text = PATCH_PAGE.read_text(encoding="utf-8")
    request_sample = _sample(text, "Request Formats")
    response_sample = _sample(text, "Response Formats")
    return PatchPage(
        request_rows=_named(
            parse_table(_between(text, "Body Parameters", "Request Formats")), request_sample
        ),
        response_rows=_named(
            parse_table(_between(text, "Resource Description", "Response Formats")), response_sample
        ),
        request_formats=set(MEDIA_TYPE.findall(_between(text, "Request Formats", "Response Information"))),
        response_formats=set(MEDIA_TYPE.findall(text[text.index("Response Formats") :])),
        request_sample=request_sample,
        response_sample=response_sample,
    )


def read_get_page() -> GetPage:
    """Parse the GET Customers/{id} page."""
    text = GET_PAGE.read_text(encoding="utf-8")
    response_sample = _sample(text, "Response Formats")
    return GetPage(
        uri_rows=parse_table(_between(text, "URI Parameters", "Body Parameters")),
        response_rows=_named(
            parse_table(_between(text, "Resource Description", "Response Formats")), response_sample
        ),
        response_formats=set(MEDIA_TYPE.findall(text[text.index("Response Formats") :])),
        response_sample=response_sample,
    )


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """`node`, its `$ref`s followed within `spec`."""
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _row_problems(where: str, row: Row, schema: dict[str, Any], *, response: bool) -> list[str]:
    """What `schema` (one property) loses of `row`."""
    problems: list[str] = []
    say = problems.append
    description = schema.get("description", "")
    if row.description is not None and row.description not in " ".join(description.split()):
        say(f"{where}: description does not carry {row.description!r}")
    if row.description is None and "gives no description" not in description:
        say(f"{where}: the page gives no description and the spec does not say so")
    kind = schema.get("type")
    if row.type == "integer":
        if kind != "integer" or schema.get("format") != "int32":
            say(f"{where}: not a 32-bit integer")
        if (schema.get("minimum"), schema.get("maximum")) != (-(2**31), 2**31 - 1):
            say(f"{where}: 32-bit bounds missing")
    elif row.type == "string" and kind != "string":
        say(f"{where}: not a string")
    elif row.type == "date":
        if kind != "string" or "Date of Birth" not in description:
            say(f"{where}: not a date string")
        if response and not schema.get("pattern"):
            say(f"{where}: response DOB has no pattern")
        if not response and schema.get("format") != "date-time":
            say(f"{where}: request DOB is not format date-time")
    elif row.type == "byte" and (kind != "integer" or "byte" not in description):
        say(f"{where}: not an integer that says it is a byte")
    elif row.type == "boolean" and kind != "boolean":
        say(f"{where}: not a boolean")
    elif row.type.startswith("Dictionary") and (
        kind != "object" or schema.get("additionalProperties", {}).get("type") != "string"
    ):
        say(f"{where}: not a dictionary of string to string")
    length = re.fullmatch(r"Max length: (\d+)", row.info)
    if length and schema.get("maxLength") != int(length.group(1)):
        say(f"{where}: maxLength is not {length.group(1)}")
    if row.info == "None." and "maxLength" in schema:
        say(f"{where}: has a maxLength the page does not state")
    bounds = re.fullmatch(r"Range: inclusive between (\d+) and (\d+)", row.info)
    if bounds and (schema.get("minimum"), schema.get("maximum")) != tuple(map(int, bounds.groups())):
        say(f"{where}: range is not {bounds.group(1)}..{bounds.group(2)}")
    return problems


def _table_problems(spec: dict[str, Any], name: str, rows: list[Row], *, response: bool) -> list[str]:
    schema = spec["components"]["schemas"][name]
    properties: dict[str, Any] = schema.get("properties", {})
    problems = []
    if [row.name for row in rows] != list(properties):
        problems.append(f"{name}: properties {list(properties)} are not the page's {[r.name for r in rows]}")
    for row in rows:
        if row.name not in properties:
            problems.append(f"{name}.{row.name}: missing")
            continue
        problems += _row_problems(f"{name}.{row.name}", row, properties[row.name], response=response)
    if response and set(schema.get("required", [])) != set(properties):
        problems.append(f"{name}: a response must require all {len(properties)} properties (contract rule 2)")
    return problems


def _content_problems(where: str, content: dict[str, Any], formats: set[str]) -> list[str]:
    if set(content) != formats:
        return [f"{where}: media types {sorted(content)} are not the page's {sorted(formats)}"]
    return []


def spec_problems(spec: dict[str, Any]) -> list[str]:
    """Every fact of the two pages that `spec` does not carry (empty when it carries them all)."""
    patch_page, get_page = read_patch_page(), read_get_page()
    patch = spec["paths"]["/Customers"]["patch"]
    get = spec["paths"]["/Customers/{id}"]["get"]
    problems: list[str] = []
    problems += _table_problems(spec, "CustomerUpdate", patch_page.request_rows, response=False)
    problems += _table_problems(spec, "CustomerUpdateForm", patch_page.request_rows, response=False)
    problems += _table_problems(spec, "Customer", patch_page.response_rows, response=True)
    problems += _table_problems(spec, "Customer", get_page.response_rows, response=True)
    problems += _content_problems(
        "PATCH request", patch["requestBody"]["content"], patch_page.request_formats
    )
    problems += _content_problems(
        "PATCH 200", resolve(spec, patch["responses"]["200"])["content"], patch_page.response_formats
    )
    problems += _content_problems(
        "GET 200", resolve(spec, get["responses"]["200"])["content"], get_page.response_formats
    )
    form = patch["requestBody"]["content"].get("application/x-www-form-urlencoded", {})
    if form.get("encoding", {}).get("CustomProperties", {}).get("style") != "deepObject":
        problems.append("PATCH form body: CustomProperties is not encoded as CustomProperties[key]")
    parameters = {p["name"]: p for p in (resolve(spec, p) for p in get.get("parameters", []))}
    for row in get_page.uri_rows:
        parameter = parameters.get(row.name or "")
        if parameter is None:
            problems.append(f"GET parameter {row.name}: missing")
            continue
        schema = parameter.get("schema", {})
        if schema.get("type") != row.type:
            problems.append(f"GET parameter {row.name}: type is not {row.type}")
        if row.info == "Required" and (
            parameter.get("in") != "path" or parameter.get("required") is not True
        ):
            problems.append(f"GET parameter {row.name}: not a required path parameter")
        default = re.fullmatch(r"Default value is ?(.*)", row.info)
        if default:
            expected: Any = int(default.group(1)) if row.type == "integer" else default.group(1)
            if parameter.get("in") != "query" or schema.get("default", None) != expected:
                problems.append(f"GET parameter {row.name}: not a query parameter with default {expected!r}")
    if set(parameters) != {row.name for row in get_page.uri_rows}:
        problems.append(f"GET parameters {sorted(parameters)} are not the page's")
    return problems
