"""The safety shell's parts, one by one: masking (contract rule 12), strict configuration, the
rule-11 guard, pacing (rule 15), the journal and the conflict-safe restore (rule 13)."""

from __future__ import annotations

import base64
import html
import itertools
import json
import os
import urllib.parse
from pathlib import Path
from typing import Any

import httpx
import pytest

from qflow_contracts.config import ConfigError, settings
from qflow_contracts.redact import Masker, too_short
from qflow_contracts.suite.errors import Unavailable, UnsafeRequest
from qflow_contracts.suite.guard import Guard
from qflow_contracts.suite.http import Pacer, SafeTransport
from qflow_contracts.suite.journal import Journal, read
from qflow_contracts.suite.restore import restore

TOKEN = 's3cr3t"T0k/Qz+9xW='

# ---- masking ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    [
        f"Bearer {TOKEN}",
        TOKEN,
        json.dumps(TOKEN)[1:-1],
        html.escape(TOKEN),
        urllib.parse.quote(TOKEN, safe=""),
        urllib.parse.quote(TOKEN, safe="").lower(),
        base64.b64encode(TOKEN.encode()).decode(),
    ],
)
def test_every_encoding_of_a_credential_is_masked(form: str) -> None:
    mask = Masker([f"Bearer {TOKEN}"])
    assert mask(f"before {form} after") == "before *** after"


def test_a_credential_cut_at_a_display_limit_is_masked_at_the_cut() -> None:
    mask = Masker([f"Bearer {TOKEN}"])
    assert mask("x" * 20 + TOKEN[:7] + "...") == "x" * 20 + "***..."
    assert mask("..." + TOKEN[-6:] + " end") == "...*** end"
    assert mask("Bearer realm...") == "Bearer realm..."  # the scheme alone is no secret


def test_basic_credentials_are_masked_decoded_too() -> None:
    value = "Basic " + base64.b64encode(b"qa-user:pa55word!").decode()
    mask = Masker([value])
    assert mask("user qa-user with pa55word!") == "user *** with ***"


@pytest.mark.parametrize("value", ["1", "abc12", "Bearer abc", ""])
def test_values_too_short_to_mask_are_named(value: str) -> None:
    assert too_short(value) is not None


def test_a_long_enough_value_is_accepted() -> None:
    assert too_short(f"Bearer {TOKEN}") is None


# ---- configuration ------------------------------------------------------------------------------


def _config(tmp_path: Path, text: str) -> dict[str, Any]:
    path = tmp_path / "c.toml"
    path.write_text(text)
    return {"config": str(path)}


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('customer-ids = "12"', "customer-ids"),
        ("customer-ids = [1.5]", "customer-ids"),
        ("customer-ids = [2147483648]", "customer-ids"),
        ('read-only = "no"', "read-only"),
        ("strict = 1", "strict"),
        ('max-examples = "ten"', "max-examples"),
        ("max-examples = 0", "max-examples"),
        ("rate-limit = 0", "rate-limit"),
        ("request-timeout = true", "request-timeout"),
        ("max-time = nan", "max-time"),
        ("workers = 2", "workers"),
        ('base-url = "ftp://x"', "base-url"),
        ("headers = 'X-Api-Key: abcdefgh'", "headers"),
    ],
)
def test_config_values_are_checked_by_type(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        settings(_config(tmp_path, text), environ={})


def test_a_good_config_and_flags_over_it(tmp_path: Path) -> None:
    flags = _config(
        tmp_path, 'base-url = "http://h/API"\ncustomer-ids = [101, 102]\nread-only = true\nrate-limit = 2.5\n'
    )
    flags.update(customer_ids=["103"], max_examples="7", header_envs=["X-Api-Key=KEY"])
    chosen = settings(flags, environ={"KEY": "long-enough-key"})
    assert chosen.customer_ids == (103,) and chosen.read_only and chosen.rate_limit == 2.5
    assert chosen.max_examples == 7 and chosen.headers == {"X-Api-Key": "long-enough-key"}


def test_a_short_header_is_refused_naming_the_header_not_its_value() -> None:
    with pytest.raises(ConfigError) as raised:
        settings({"headers": ["X-Api-Key: 12345"]}, environ={})
    assert "X-Api-Key" in str(raised.value) and "12345" not in str(raised.value)


def test_a_witness_cannot_be_a_given_customer() -> None:
    with pytest.raises(ConfigError, match="witness"):
        settings({"base_url": "http://h/API", "customer_ids": ["5"], "witness_ids": ["5"]}, environ={})


# ---- the rule-11 guard --------------------------------------------------------------------------


def _policy() -> Guard:
    policy = Guard(base_path="/API", readable=frozenset({101, 104, 105}), patchable=frozenset({101, 104}))
    policy.learn(
        {"CustomerId": 101, "PersonalId": "A1234567", "PersonalIdTypeId": 3, "PersonalIdTypeExtRef": "NID"}
    )
    return policy


def _request(
    method: str, url: str, body: Any = None, content_type: str = "application/json"
) -> httpx.Request:
    content = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    headers = {"Content-Type": content_type} if content else {}
    return httpx.Request(method, f"http://h/API/{url}", content=content, headers=headers)


@pytest.mark.parametrize(
    "request_",
    [
        _request("GET", "Customers/101"),
        _request("GET", "Customers/105"),
        _request("GET", "Customers/101?idType=0"),
        _request("GET", "Customers/101?idType=abc"),
        _request("GET", "Customers/101?idType=2147483648"),
        _request("GET", "Customers/no-such-customer"),
        _request("GET", "Customers/A1234567?idType=3"),
        _request("GET", "Customers/A1234567?idTypeExtRef=NID&idType=5"),
        _request("GET", "Customers/A1234567?idTypeExtRef=qflow-contracts-no-such-type&idType=3"),
        _request("GET", "Customers/" + "x" * 31 + "?idType=9"),
        _request("PATCH", "Customers", {"CustomerId": 101, "FirstName": "Zoë"}),
        _request("PATCH", "Customers", {"CustomerId": 101 + 2**32}),
        _request("PATCH", "Customers", [{"CustomerId": 104}]),
        _request("PATCH", "Customers", {"PersonalId": "A1234567", "PersonalIdTypeId": 3}),
        _request("PATCH", "Customers", {}),
        _request("PATCH", "Customers", b'{"CustomerId": 104, "Notes": "cut', "application/json"),
        _request("PATCH", "Customers", b"CustomerId=101&Sex=1", "application/x-www-form-urlencoded"),
    ],
)
def test_the_guard_lets_through_what_names_given_customers_or_nobody(request_: httpx.Request) -> None:
    _policy().check(request_)


@pytest.mark.parametrize(
    "request_",
    [
        _request("GET", "Customers/102"),
        _request("GET", "Customers/0007"),
        _request("GET", "Customers/A1234567?idType=5"),
        _request("GET", "Customers/101?idType=3"),
        _request("GET", "Customers/A1234567?idTypeExtRef=OTHER"),
        _request("PUT", "Customers", {"CustomerId": 101}),
        _request("GET", "Customers"),
        _request("GET", "Help"),
        _request("PATCH", "Customers", {"CustomerId": 105}),
        _request("PATCH", "Customers", {"customerid": "102"}),
        _request("PATCH", "Customers", {"CustomerId": 102 + 2**32}),
        _request("PATCH", "Customers", {"CustomerId": 102.0}),
        _request("PATCH", "Customers", {"CustomerId": "102.0"}),
        _request("PATCH", "Customers", {"CustomerId": True}),
        _request("PATCH", "Customers", {"PersonalId": "A1234567"}),
        _request("PATCH", "Customers", {"PersonalId": "A1234567", "PersonalIdTypeId": 5}),
        _request("PATCH", "Customers", b"CustomerId=106", "application/x-www-form-urlencoded"),
        _request("PATCH", "Customers", b'{"CustomerId": 102, "x": ', "application/json"),
    ],
)
def test_the_guard_refuses_what_may_name_anyone_else(request_: httpx.Request) -> None:
    with pytest.raises(UnsafeRequest):
        _policy().check(request_)


def test_a_read_only_run_sends_no_patch() -> None:
    policy = _policy()
    policy.read_only = True
    with pytest.raises(UnsafeRequest, match="read-only"):
        policy.check(_request("PATCH", "Customers", {"CustomerId": 101}))


def test_a_record_of_a_customer_not_given_is_withheld() -> None:
    record = json.dumps({"CustomerId": 102, "Notes": "a medical note"}).encode()
    stand_in = _policy().withhold(_request("GET", "Customers/101"), 200, record)
    assert stand_in is not None and b"medical" not in stand_in and b"102" in stand_in
    assert _policy().withhold(_request("GET", "Customers/101"), 200, record.replace(b"102", b"101")) is None


# ---- pacing and bounds ----------------------------------------------------------------------------


def test_the_pacer_spaces_starts_by_the_rate() -> None:
    now = [0.0]
    pacer = Pacer(10, clock=lambda: now[0])
    starts = [pacer.slot() for _ in range(25)]
    assert all(b - a >= 0.1 - 1e-9 for a, b in itertools.pairwise(starts))
    assert sum(1 for s in starts if s <= 1.0) == 11


def _transport(handler: Any, **kwargs: Any) -> SafeTransport:
    options: dict[str, Any] = {"rate_limit": None, "request_timeout": 5, "max_answer_bytes": 1024}
    return SafeTransport(**{**options, **kwargs}, inner=httpx.MockTransport(handler))


def test_an_answer_over_the_size_cap_is_unavailable_and_stops_the_run() -> None:
    transport = _transport(lambda request: httpx.Response(200, content=b"x" * 5000))
    with httpx.Client(transport=transport) as http, pytest.raises(Unavailable, match="larger than 1024"):
        http.get("http://h/API/Customers/1")
    assert transport.stopped is not None
    with httpx.Client(transport=transport) as http, pytest.raises(Unavailable):
        http.get("http://h/API/Customers/1")


def test_a_timeout_is_unavailable() -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with (
        httpx.Client(transport=_transport(hang)) as http,
        pytest.raises(Unavailable, match="no answer within"),
    ):
        http.get("http://h/API/Customers/1")


# ---- the journal and the restore -----------------------------------------------------------------


ORIGINAL = {
    "CustomerId": 7,
    "PersonalId": "P7",
    "PersonalIdTypeId": 1,
    "PersonalIdTypeExtRef": "T",
    "FirstName": "Ann",
    "Email": "ann@example.com",
    "Notes": None,
    "DOB": "1980-01-02T00:00:00+02:00",
    "CustomProperties": {"Tier": "gold"},
}


def test_the_journal_is_private_and_a_cut_last_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "state" / "j.jsonl"
    journal = Journal(path)
    journal.start("http://h/API", (7,), ())
    journal.original(7, ORIGINAL, json.dumps(ORIGINAL).encode())
    journal.change("application/json", b'{"CustomerId": 7, "FirstName": "Bo"}')
    journal.close()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    with path.open("ab") as handle:
        handle.write(b'{"kind": "change", "content_type": "application/js')
    written = read(path)
    assert written.originals[7] == ORIGINAL and len(written.changes) == 1 and not written.done


def _server(record: dict[str, Any]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=record)
        body = json.loads(request.content)
        for key, value in body.items():
            if key == "CustomProperties":
                record[key] = {**record[key], **value}
            elif value is not None:
                record[key] = value
        return httpx.Response(200, json=record)

    return httpx.MockTransport(handle)


def test_the_restore_puts_back_what_the_run_wrote_and_leaves_other_changes(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    journal.start("http://h/API", (7,), ())
    journal.original(7, ORIGINAL, b"")
    journal.change(
        "application/json", json.dumps({"CustomerId": 7, "FirstName": "Bo", "Email": "x@y.z"}).encode()
    )
    journal.change(
        "application/x-www-form-urlencoded", b"CustomerId=7&CustomProperties%5BTier%5D=silver&DOB=1999-09-09"
    )
    journal.close()
    current = {
        **ORIGINAL,
        "FirstName": "Bo",  # this run's
        "Email": "someone@else.org",  # another user's, since
        "Notes": "another user's note",  # another user's
        "DOB": "1999-09-09T00:00:00",  # this run's, in the form the server keeps
        "CustomProperties": {"Tier": "silver", "Locker": "3"},
    }
    transport = SafeTransport(
        rate_limit=None, request_timeout=5, max_answer_bytes=1 << 20, inner=_server(current)
    )
    with httpx.Client(base_url="http://h/API/", transport=transport) as http:
        verdict = restore(http, read(path), lambda text: text)
    assert current["FirstName"] == "Ann" and current["DOB"] == ORIGINAL["DOB"]
    assert current["CustomProperties"] == {"Tier": "gold", "Locker": "3"}
    assert current["Email"] == "someone@else.org" and current["Notes"] == "another user's note"
    found = {(c.customer_id, c.name) for c in verdict.conflicts}
    assert found == {(7, "Email"), (7, "Notes"), (7, "CustomProperties[Locker]")}
    assert not verdict.ok and "INCOMPLETE" in verdict.summary() and str(path) in verdict.summary()


def test_a_restore_with_nothing_changed_sends_nothing(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    journal.start("http://h/API", (7,), ())
    journal.original(7, ORIGINAL, b"")
    journal.close()

    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing should be sent")

    transport = SafeTransport(
        rate_limit=None, request_timeout=5, max_answer_bytes=1024, inner=httpx.MockTransport(refuse)
    )
    with httpx.Client(base_url="http://h/API/", transport=transport) as http:
        assert restore(http, read(path), lambda text: text).ok
    assert os.path.getsize(path) > 0


def test_a_value_the_server_will_not_take_keeps_no_other_from_going_back(tmp_path: Path) -> None:
    """The server holds a Sex of 64 (outside the spec) and refuses any PATCH carrying it: the
    restore's whole PATCH is refused, so each slot goes back alone; only Sex is named."""
    original = {**ORIGINAL, "Sex": 64}
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    journal.start("http://h/API", (7,), ())
    journal.original(7, original, b"")
    journal.change("application/json", json.dumps({"CustomerId": 7, "FirstName": "Bo", "Sex": 1}).encode())
    journal.close()
    current = {**original, "FirstName": "Bo", "Sex": 1}
    inner = _server(current)

    def refuse_64(request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH" and json.loads(request.content).get("Sex") == 64:
            return httpx.Response(400, json={"Message": "The request is invalid."})
        return inner.handle_request(request)

    transport = SafeTransport(
        rate_limit=None, request_timeout=5, max_answer_bytes=1 << 20, inner=httpx.MockTransport(refuse_64)
    )
    with httpx.Client(base_url="http://h/API/", transport=transport) as http:
        verdict = restore(http, read(path), lambda text: text)
    assert current == {**original, "Sex": 1}  # every other property as it was, FirstName put back
    assert [(p.customer_id, p.name) for p in verdict.problems] == [(7, "Sex")]
    assert "Sex alone: HTTP 400" in verdict.problems[0].line()
    assert not verdict.ok and verdict.restored == []
