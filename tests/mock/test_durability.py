"""`--db`: acknowledged writes survive a restart, and a kill mid-load leaves only whole records."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import orjson
from openapi_schema_validator import OAS30Validator

from qflow_contracts.mock.validation import load_spec
from tests.mock.conftest import CUSTOMER_IDS, running, start_server, stop_server

CUSTOMER = load_spec()["components"]["schemas"]["Customer"]


def test_restart_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    db = tmp_path / "data.sqlite"
    with running("--db", str(db)) as server, httpx.Client(base_url=server.url, timeout=5) as http:
        for i in range(50):
            body = {"CustomerId": 101 + i % 7, "Notes": f"note-{i}", "CustomProperties": {f"k{i}": "v"}}
            assert http.patch("/Customers", json=body).status_code == 200
        before = {cid: http.get(f"/Customers/{cid}").json() for cid in CUSTOMER_IDS}
    # a graceful stop, then a SIGKILL right after the last acknowledged write
    with running("--db", str(db)) as server:
        after = {cid: httpx.get(f"{server.url}/Customers/{cid}", timeout=5).json() for cid in CUSTOMER_IDS}
        assert after == before
        answer = httpx.patch(f"{server.url}/Customers", json={"CustomerId": 103, "Email": "e@x"}, timeout=5)
        assert answer.status_code == 200
        stop_server(server, signal.SIGKILL)
    with running("--db", str(db)) as server:
        record = httpx.get(f"{server.url}/Customers/103", timeout=5).json()
        assert record == answer.json()
        assert httpx.get(f"{server.url}/Customers/A1234567?idType=5", timeout=5).json()["CustomerId"] == 102


def test_kill_mid_load_leaves_whole_records(tmp_path: Path) -> None:
    db = tmp_path / "data.sqlite"
    server = start_server("--db", str(db))
    acked: dict[str, int] = {}
    sent: dict[str, int] = {}
    stop = threading.Event()
    owners = ["Notes", "ExtRef", "FirstName", "LastName"]

    def work(owner: str) -> None:
        with httpx.Client(base_url=server.url, timeout=5) as http:
            for i in range(100_000):
                if stop.is_set():
                    return
                sent[owner] = i
                # values of changing length, and a growing dictionary, so records change size
                body = {
                    "CustomerId": 105,
                    owner: f"{i}-" + "x" * (i % 40),
                    "CustomProperties": {f"{owner}{i}": "v"},
                }
                try:
                    response = http.patch("/Customers", json=body)
                except httpx.HTTPError:
                    return
                if response.status_code == 200:
                    acked[owner] = i

    threads = [threading.Thread(target=work, args=(owner,)) for owner in owners]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while min(acked.get(owner, -1) for owner in owners) < 10 and time.monotonic() < deadline:
        stop.wait(0.01)  # until every writer has ten acknowledged writes, then kill mid-load
    stop_server(server, signal.SIGKILL)
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    assert all(acked.get(owner, -1) >= 10 for owner in owners), acked

    # the file opens, is consistent, and every row is a whole Customer record
    connection = sqlite3.connect(str(db))
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = connection.execute("SELECT id, doc FROM customers").fetchall()
    finally:
        connection.close()
    validator = OAS30Validator(CUSTOMER)
    assert sorted(cid for cid, _ in rows) == sorted(CUSTOMER_IDS)
    for cid, doc in rows:
        record = orjson.loads(doc)
        assert record["CustomerId"] == cid and set(record) == set(CUSTOMER["properties"])
        validator.validate(record)

    # and a restarted server holds every acknowledged write (or a later one that was in flight)
    with running("--db", str(db)) as again:
        record = httpx.get(f"{again.url}/Customers/105", timeout=5).json()
    for owner in owners:
        stored = int(record[owner].split("-", 1)[0])
        assert acked[owner] <= stored <= sent[owner], (owner, acked[owner], stored, sent[owner])
        assert all(f"{owner}{i}" in record["CustomProperties"] for i in range(acked[owner] + 1))
