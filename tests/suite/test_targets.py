"""A PATCH never lands on a customer the suite was not given (contract rules 4 and 11), end to end:
`qflow-contracts run` against stand-in deployments whose PATCH by PersonalId matches a customer
that was not given, which comes first in their store. The stand-ins' own stores prove that no such
customer changed, over several seeds, and the run fails rule 4."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from qflow_contracts.mock import create_app
from tests.suite.hostile import serve

BIN = Path(sys.executable).parent
SEEDS = (1, 2, 3)
BUDGET = "12"
"""--max-examples: at this budget, with the proof switched off, every seed here changed the stranger."""

COLLATION_FIXTURES: dict[str, Any] = {
    "customerIdTypes": [{"Id": 1, "ExtRef": "NID", "Name": "national id"}],
    "customers": [
        {
            "CustomerId": 500, "PersonalId": "p-1001", "PersonalIdTypeId": 1, "PersonalIdTypeExtRef": "NID",
            "FirstName": "Stranger", "LastName": "Never Given", "Email": "s@example.org", "TelNumber1": "1",
            "TelNumber2": "2", "DOB": "1960-05-05T00:00:00+10:00", "Sex": 1, "Notes": "their notes",
            "ExtRef": "S", "NotificationConsent": True, "IsActive": True, "CustomProperties": {"Room": "9"},
        },
        {
            "CustomerId": 501, "PersonalId": "P-1001", "PersonalIdTypeId": 1, "PersonalIdTypeExtRef": "NID",
            "FirstName": "Given", "LastName": "One", "Email": "g@example.org", "TelNumber1": "3",
            "TelNumber2": "4", "DOB": "1970-01-01T00:00:00+10:00", "Sex": 2, "Notes": "n", "ExtRef": "G",
            "NotificationConsent": False, "IsActive": True, "CustomProperties": {"Room": "1"},
        },
        {
            "CustomerId": 502, "PersonalId": None, "PersonalIdTypeId": None, "PersonalIdTypeExtRef": None,
            "FirstName": "Given", "LastName": "Two", "Email": "h@example.org", "TelNumber1": "5",
            "TelNumber2": "6", "DOB": "1980-01-01T00:00:00+10:00", "Sex": 0, "Notes": "m", "ExtRef": "H",
            "NotificationConsent": True, "IsActive": False, "CustomProperties": {"Room": "2"},
        },
    ],
}  # fmt: skip


def _run(
    url: str, tmp_path: Path, ids: tuple[int, ...], seed: int, *extra: str
) -> subprocess.CompletedProcess[str]:
    args = [arg for cid in ids for arg in ("--customer-id", str(cid))]
    command = [
        str(BIN / "qflow-contracts"), "run", "--base-url", url, *args, "--rate-limit", "1000",
        "--max-examples", BUDGET, "--seed", str(seed), *extra,
    ]  # fmt: skip
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / f"state-{seed}")}
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)


def _store(app: Any) -> dict[int, str]:
    store = app.state.store
    return {cid: json.dumps(store.get(cid), sort_keys=True) for cid in store.customer_ids()}


def _check(app: Any, url: str, tmp_path: Path, ids: tuple[int, ...], seed: int, *extra: str) -> str:
    """One run: no customer not given changed (the stand-in's store), the given ones restored,
    rule 4 failed, exit not 0; the run's output."""
    before = _store(app)
    result = _run(url, tmp_path, ids, seed, *extra)
    after = _store(app)
    output = result.stdout + result.stderr
    strangers = [cid for cid in before if cid not in ids]
    assert [cid for cid in strangers if after[cid] != before[cid]] == [], output[-4000:]
    assert [cid for cid in ids if after[cid] != before[cid]] == [], output[-4000:]
    assert result.returncode != 0, output[-4000:]
    assert "[rule-4]" in output, output[-4000:]
    return output


@pytest.mark.parametrize("seed", SEEDS)
def test_a_case_insensitive_server_never_gets_a_stranger_patched(tmp_path: Path, seed: int) -> None:
    """SQL Server's default collation: the stranger's `p-1001` matches the given customer's `P-1001`
    in the same type, and comes first."""
    fixtures = tmp_path / "fixtures.json"
    fixtures.write_text(json.dumps(COLLATION_FIXTURES), encoding="utf-8")
    app = create_app(prefix="/API", fixtures=fixtures, defect="personalid-case-insensitive")
    with serve(app) as url:
        output = _check(app, url, tmp_path, (501, 502), seed)
    assert "Stranger" not in output and "their notes" not in output


@pytest.mark.parametrize(("seed", "witness"), [(1, False), (2, True), (3, False)])
def test_a_server_that_ignores_the_type_never_gets_a_stranger_patched(
    tmp_path: Path, seed: int, witness: bool
) -> None:
    """Customer 101 holds 102's PersonalId in another type and comes first: not given (or a witness)."""
    app = create_app(prefix="/API", defect="personalid-ignores-type,patch-personalid-ignores-type")
    extra = ("--witness-id", "101") if witness else ()
    with serve(app) as url:
        _check(app, url, tmp_path, (102, 103, 104), seed, *extra)
