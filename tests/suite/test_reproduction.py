"""A finding's reproduction is a shell snippet, one command a line, that shows the defect on its
own: pasted into bash against the broken server, its last command reads the record and shows what
the failing request did. Header values are masked."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

from qflow_contracts.rules import Rule
from qflow_contracts.suite.exchange import Exchange, snippet
from qflow_contracts.suite.target import Target
from tests.suite.servers import mock_server, run


def _answers(output: str) -> list[Any]:
    """The JSON documents curl printed one after another."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while at < len(output):
        if output[at].isspace():
            at += 1
            continue
        document, at = decoder.raw_decode(output, at)
        found.append(document)
    return found


def test_a_null_clears_reproduction_pasted_into_bash_shows_the_property_cleared() -> None:
    with mock_server("null-clears") as url:
        evidence = run(url, max_examples=2, steps=5, seed=3)
        finding = next(
            f for f in evidence.tallies[Rule.PARTIAL_UPDATE].findings if "sent as null" in f.summary
        )
        assert finding.reproduction is not None
        commands = finding.reproduction.splitlines()
        assert len(commands) >= 2 and all(command.startswith("curl ") for command in commands)
        shell = subprocess.run(
            ["bash", "-c", finding.reproduction], capture_output=True, text=True, timeout=60, check=True
        )
    match = re.search(r"'s (\w+): sent as null", finding.summary)
    assert match is not None, finding.summary
    name = match.group(1)
    answers = _answers(shell.stdout)
    assert len(answers) == len(commands)
    assert commands[-1].startswith("curl -sS -X GET ") and "/Customers/" in commands[-1]
    null_patch = next(i for i, command in enumerate(commands) if f'"{name}": null' in command)
    if null_patch > 0:  # the snippet set the property first: the PATCH before it answered a value
        assert answers[null_patch - 1][name] is not None
    assert answers[-1][name] in (None, {}), answers[-1]  # the read shows the value cleared


def _exchange(method: str, path: str, sent: str = "", curl: str = "") -> Exchange:
    return Exchange(method, path, 200, {}, "{}", curl or f"curl {method} {path}", sent=sent,
                    request_type="application/json")  # fmt: skip


def test_a_failing_read_after_a_patch_starts_with_that_patch() -> None:
    target = Target("http://h/API", (7,), headers={"Authorization": "Bearer abcdefgh"})
    patch = _exchange("PATCH", "/API/Customers", '{"CustomerId": 7, "FirstName": "x"}')
    read = _exchange("GET", "/API/Customers/7")
    text = snippet([read], target, recent=[patch, read])
    assert text.splitlines() == ["curl PATCH /API/Customers", "curl GET /API/Customers/7"]
    alone = snippet([patch], target)
    assert alone.splitlines() == [
        "curl PATCH /API/Customers",
        "curl -sS -X GET http://h/API/Customers/7 -H 'authorization: ***'",
    ]
    other = _exchange("GET", "/API/Customers/8")
    assert snippet([other], target, recent=[patch, other]).splitlines() == ["curl GET /API/Customers/8"]


def test_the_suites_own_no_cache_headers_are_shown_as_sent_a_credential_never() -> None:
    """Every GET carries the no-cache pair (the restore's proof reads what the server holds): a
    reproduction shows them as sent, so it runs as pasted; the credential stays `***`."""
    import httpx

    from qflow_contracts.suite.exchange import curl_line
    from qflow_contracts.suite.http import NO_CACHE

    target = Target("http://h/API", (7,), headers={"X-Api-Key": "s3cret-key"})
    request = httpx.Request("GET", "http://h/API/Customers/7", headers={**dict(NO_CACHE), **target.headers})
    line = curl_line(request, target)
    assert "-H 'cache-control: no-cache' -H 'pragma: no-cache'" in line, line
    assert "-H 'x-api-key: ***'" in line and "s3cret" not in line, line
