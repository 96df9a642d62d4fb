"""The spec is a valid OpenAPI document whose examples hold against their own schemas."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from openapi_spec_validator import validate

from qflow_contracts.resources import spec_path
from tests.spec.vendor_pages import read_get_page, read_patch_page, resolve


def _validator(spec: dict[str, Any], schema: dict[str, Any]) -> OAS30Validator:
    """A validator for `schema` whose `#/components/...` references resolve in the spec."""
    return OAS30Validator({**schema, "components": spec["components"]}, format_checker=oas30_format_checker)


def _media_examples(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, value) for every example under a media type, and every parameter example."""
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            bodies = [("request", operation.get("requestBody", {}))]
            bodies += [(status, resolve(spec, r)) for status, r in operation["responses"].items()]
            for status, body in bodies:
                for media, content in body.get("content", {}).items():
                    for name, example in content.get("examples", {}).items():
                        where = f"{method.upper()} {path} {status} {media} {name}"
                        yield where, content["schema"], resolve(spec, example)["value"]
            for parameter in operation.get("parameters", []):
                if "example" in parameter:
                    yield (
                        f"{method.upper()} {path} {parameter['name']}",
                        parameter["schema"],
                        parameter["example"],
                    )


def test_the_spec_is_valid_openapi(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"] == "3.0.3"


def test_every_example_validates_against_its_schema(spec: dict[str, Any]) -> None:
    examples = list(_media_examples(spec))
    assert len(examples) >= 15
    for where, schema, value in examples:
        errors = [error.message for error in _validator(spec, schema).iter_errors(value)]
        assert errors == [], where


def test_every_named_example_is_used(spec: dict[str, Any]) -> None:
    used = {str(example) for _, _, example in _media_examples(spec)}
    for name, example in spec["components"]["examples"].items():
        assert str(example["value"]) in used, name


@pytest.mark.parametrize(
    ("schema", "sample"),
    [
        ("CustomerUpdate", read_patch_page().request_sample),
        ("Customer", read_patch_page().response_sample),
        ("Customer", read_get_page().response_sample),
    ],
)
def test_the_pages_samples_hold_once_sex_is_in_range(spec: dict[str, Any], schema: str, sample: Any) -> None:
    validator = _validator(spec, {"$ref": f"#/components/schemas/{schema}"})
    assert sample["Sex"] == 64
    assert [error.validator for error in validator.iter_errors(sample)] == ["maximum"]
    assert list(validator.iter_errors({**sample, "Sex": 1})) == []


@pytest.mark.parametrize(
    ("dob", "valid"),
    [
        ("2026-04-05T04:15:57.2773368+10:00", True),
        ("2026-04-05T04:15:57.2773368", True),
        ("2026-04-05T04:15:57Z", True),
        ("2026-04-05T04:15:57", True),
        ("2026-04-05", False),
        ("2026-04-05T04:15:57.12345678+10:00", False),
    ],
)
def test_a_response_dob_is_what_dotnet_writes(spec: dict[str, Any], dob: str, valid: bool) -> None:
    schema = spec["components"]["schemas"]["Customer"]["properties"]["DOB"]
    assert _validator(spec, schema).is_valid(dob) is valid


@pytest.mark.parametrize(
    ("dob", "valid"),
    [
        ("1990-02-03T00:00:00+10:00", True),
        ("1990-02-03T00:00:00.1234567Z", True),
        ("1990-02-03T00:00:00", False),
        ("1990-02-03", False),
        ("not a date", False),
    ],
)
def test_a_request_dob_is_an_rfc3339_date_time(spec: dict[str, Any], dob: str, valid: bool) -> None:
    schema = spec["components"]["schemas"]["CustomerUpdate"]["properties"]["DOB"]
    assert _validator(spec, schema).is_valid(dob) is valid


def test_responses_allow_null_everywhere_but_customer_id(spec: dict[str, Any]) -> None:
    validator = _validator(spec, {"$ref": "#/components/schemas/Customer"})
    properties = spec["components"]["schemas"]["Customer"]["properties"]
    record: dict[str, Any] = dict.fromkeys(properties)
    assert not validator.is_valid(record)
    assert validator.is_valid({**record, "CustomerId": 7})
    assert not validator.is_valid({"CustomerId": 7})


def test_every_decision_names_its_rule(spec: dict[str, Any]) -> None:
    named = {
        int(number)
        for group in re.findall(r"contract rules? ([0-9, ]+)", str(spec))
        for number in re.findall(r"[0-9]+", group)
    }
    assert named >= {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12}
    text = spec_path().read_text(encoding="utf-8")
    unnamed = [  # every Decision names the contract rule it implements (the info text says so)
        " ".join(text[max(0, m.start() - 40) : m.end() + 60].split())
        for m in re.finditer(r"(?<!\*\*)\bDecision\b(?!\*\*)", text)
        if not re.match(r"\W{0,3}contract rules? \d", text[m.end() : m.end() + 25])
    ]
    assert unnamed == []
