"""The restore's proof is the whole record (issue 18), the run's own values only what the server
stored (issue 20 item 3), and reads that prove it (issue 20 item 2): against stand-ins that clear
what a PATCH was not sent, and that cache GETs (`standins.py`)."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qflow_contracts.suite.lifecycle import Run, finish, open_run, preflight
from qflow_contracts.suite.restore import RestoreVerdict, Why
from qflow_contracts.suite.target import Target
from tests.suite.hostile import IDS, KEY, serve
from tests.suite.standins import Cached, Clearing

WRITABLE = ("FirstName", "LastName", "Email", "Notes", "TelNumber1", "ExtRef", "Sex", "NotificationConsent")


def differences(before: bytes, after: bytes) -> set[str]:
    """The properties (dictionary keys one by one) in which two answers of one record differ."""
    one, two = json.loads(before), json.loads(after)
    found = {name for name in one if name != "CustomProperties" and one[name] != two.get(name)}
    first, second = one.get("CustomProperties"), two.get("CustomProperties")
    if isinstance(first, dict) and isinstance(second, dict):
        found |= {f"CustomProperties[{k}]" for k in set(first) | set(second) if first.get(k) != second.get(k)}
    elif first != second:
        found.add("CustomProperties")
    return found


def _run(url: str, tmp_path: Path, ids: tuple[int, ...] = IDS) -> Run:
    target = Target(
        base_url=url, customer_ids=ids, headers={"X-Api-Key": KEY}, journal=tmp_path / "j.jsonl"
    )
    run = open_run(target, out=io.StringIO())
    preflight(run)
    return run


def _value(rng: random.Random, name: str) -> Any:
    if name == "Sex":
        return rng.randrange(3)
    if name == "NotificationConsent":
        return rng.random() < 0.5
    return f"set by the run {rng.randrange(10**6)}"


def _patches(run: Run, rng: random.Random, count: int) -> None:
    """PATCHes of a few properties each, each followed by a read, as the engine sends them: only
    properties that were not null (a PATCH cannot put null back, so the engine never writes one)."""
    for _ in range(count):
        cid = rng.choice(run.target.customer_ids)
        writable = [n for n in WRITABLE if run.originals[cid].get(n) is not None]
        names = rng.sample(writable, min(len(writable), rng.randint(1, 3)))
        run.http.patch("Customers", json={"CustomerId": cid, **{n: _value(rng, n) for n in names}})
        run.http.get(f"Customers/{cid}")


def _named(verdict: RestoreVerdict) -> set[tuple[int, str]]:
    return {(p.customer_id, p.name) for p in verdict.problems}


@pytest.mark.parametrize("seed", range(10))
def test_the_restore_names_every_record_a_clearing_server_left_changed(tmp_path: Path, seed: int) -> None:
    clearing = Clearing()
    with serve(clearing) as url:
        before = {cid: clearing.truth(cid) for cid in IDS}
        run = _run(url, tmp_path)
        _patches(run, random.Random(seed), 4)
        finish(run)
        after = {cid: clearing.truth(cid) for cid in IDS}
    verdict = run.verdict
    assert verdict is not None and verdict.accounted
    changed = {cid: differences(before[cid], after[cid]) for cid in IDS}
    proven = set(verdict.restored) | set(verdict.untouched)
    for cid in IDS:
        if cid in proven:
            assert after[cid] == before[cid], (cid, verdict.lines())
        else:
            assert changed[cid], (cid, verdict.lines())
            assert {(cid, name) for name in changed[cid]} <= _named(verdict), verdict.lines()
    assert verdict.ok == (after == before)
    assert ("all 4 customers read back" in verdict.summary()) == (after == before)
    assert clearing.cleared  # the server did clear what it was not sent
    blamed = [p for p in verdict.problems if p.why is Why.CONFLICT]
    assert blamed == [], "the server's own clearing was blamed on another user"
    assert run.info.restore == verdict.summary() and run.info.restore_ok == verdict.ok
    assert ('"kind":"done"' in (tmp_path / "j.jsonl").read_text()) == verdict.ok


def test_a_problem_line_names_customer_property_values_why_and_what_to_do(tmp_path: Path) -> None:
    clearing = Clearing()
    with serve(clearing) as url:
        run = _run(url, tmp_path, (102,))  # its DOB has no offset: a PATCH cannot send it back
        run.http.patch("Customers", json={"CustomerId": 102, "Notes": "by the run"})
        finish(run)
    assert run.verdict is not None
    server = [p for p in run.verdict.problems if p.why is Why.SERVER]
    assert [p.name for p in server] == ["DOB"], run.verdict.lines()
    line = server[0].line()
    assert line.startswith("restore: customer 102 DOB: ")
    assert f"{server[0].original} -> {server[0].found}" in line and "the server's own change" in line
    assert "by hand" in line


@pytest.fixture
def cached() -> Iterator[tuple[Cached, str]]:
    cache = Cached()
    with serve(cache) as url:
        yield cache, url


def test_behind_a_cache_that_honours_no_cache_every_read_is_fresh_and_the_restore_proven(
    tmp_path: Path, cached: tuple[Cached, str]
) -> None:
    cache, url = cached
    before = {cid: cache.truth(cid) for cid in IDS}
    run = _run(url, tmp_path)
    _patches(run, random.Random(7), 5)
    finish(run)
    assert run.verdict is not None and run.verdict.ok, run.verdict.lines()
    assert {cid: cache.truth(cid) for cid in IDS} == before
    assert cache.hits == 0 and cache.bypassed > 0
    assert '"kind":"done"' in (tmp_path / "j.jsonl").read_text()


def test_behind_a_cache_that_ignores_no_cache_the_restore_is_not_proven(
    tmp_path: Path, cached: tuple[Cached, str]
) -> None:
    cache, url = cached
    cache.honours_no_cache, cache.on = False, False
    run = _run(url, tmp_path, (101, 104))
    run.http.patch("Customers", json={"CustomerId": 101, "Notes": "by the run", "Sex": 0})
    run.http.patch("Customers", json={"CustomerId": 104, "FirstName": "by the run"})
    cache.on = True  # from the restore's first read on, GETs are answered from the cache
    finish(run)
    verdict = run.verdict
    assert verdict is not None and not verdict.ok
    assert cache.hits > 0
    unreadable = {(p.customer_id, p.name) for p in verdict.problems if p.why is Why.UNREADABLE}
    assert {(101, "Notes"), (101, "Sex"), (104, "FirstName")} <= unreadable, verdict.lines()
    assert "INCOMPLETE" in verdict.summary() and "all" not in verdict.summary().split(":")[1]
    assert '"kind":"done"' not in (tmp_path / "j.jsonl").read_text()
