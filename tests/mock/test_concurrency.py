"""Concurrent PATCHes of different properties of one customer lose no update (8 clients x 200)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.mock.conftest import running

CLIENTS = 8
REQUESTS = 200
# each client owns one property: four plain strings and four keys of the merged dictionary
OWNED = ["FirstName", "LastName", "Notes", "ExtRef", "CP:alpha", "CP:beta", "CP:gamma", "CP:delta"]


def _body(owner: str, i: int) -> dict[str, Any]:
    value = f"{owner}-{i}"
    if owner.startswith("CP:"):
        return {"CustomerId": 104, "CustomProperties": {owner[3:]: value}}
    return {"CustomerId": 104, owner: value}


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_no_lost_update(store: str, tmp_path: Path) -> None:
    args = ("--db", str(tmp_path / "data.sqlite")) if store == "sqlite" else ()
    with running(*args) as server:
        errors: list[str] = []
        deadline = time.monotonic() + 60

        def work(owner: str, index: int) -> None:
            with httpx.Client(base_url=server.url, timeout=10) as http:
                for i in range(REQUESTS):
                    if time.monotonic() > deadline:
                        errors.append(f"{owner}: out of time at {i}")
                        return
                    body = _body(owner, i)
                    if index % 2 and not owner.startswith("CP:"):
                        response = http.patch(
                            "/Customers",
                            content=f"CustomerId=104&{owner}={owner}-{i}".encode(),
                            headers={"Content-Type": "application/x-www-form-urlencoded"},
                        )
                    else:
                        response = http.patch("/Customers", json=body)
                    if response.status_code != 200:
                        errors.append(f"{owner}: {response.status_code} {response.text}")
                        return

        threads = [threading.Thread(target=work, args=(owner, n)) for n, owner in enumerate(OWNED)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
        assert not errors, errors[:5]
        record = httpx.get(f"{server.url}/Customers/104", timeout=5).json()
    last = REQUESTS - 1
    for owner in OWNED:
        if owner.startswith("CP:"):
            assert record["CustomProperties"][owner[3:]] == f"{owner}-{last}"
        else:
            assert record[owner] == f"{owner}-{last}"
    # keys nobody sent are kept by the merges
    assert record["CustomProperties"]["Tier"] == "silver"
