"""Putting a damaged witness back, only when asked (`qflow-contracts restore --restore-witnesses`).

A witness is never PATCHed by a run: a change to it is a PATCH that hit the wrong record (contract
rules 4 and 11). Its original is journaled, so the user can ask for it back explicitly. Which
values are this run's: a witness was never targeted, so any value a PATCH of the run carried (to
any customer), or that an answer said was stored, counts as the run's; anything else found there
is another user's change, left as found and reported as a conflict. Each witness put back is read
again to prove it, as the given customers are (`suite/restore.py`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import httpx

from qflow_contracts.suite.http import side_by_side
from qflow_contracts.suite.journal import Written, documents
from qflow_contracts.suite.restore import RestoreVerdict, Writes, _restore_one

DICTIONARY = "CustomProperties"


def _add(result: Writes, cid: int, key: str, value: Any) -> None:
    if key.lower().startswith(DICTIONARY.lower() + "[") and key.endswith("]"):
        result.add(cid, f"{DICTIONARY}[{key[len(DICTIONARY) + 1 : -1]}]", value)
    elif key.lower() == DICTIONARY.lower() and isinstance(value, dict):
        for entry, item in value.items():
            result.add(cid, f"{DICTIONARY}[{entry}]", item)
    else:
        result.add(cid, key, value)


def witness_writes(written: Written) -> Writes:
    """Every value the run sent or was told it stored, as if written to each witness."""
    result = Writes()
    for cid, original in written.witnesses.items():
        names = {name.lower(): name for name in original}
        for content_type, text in written.changes:
            for body in documents(content_type, text):
                for key, value in body.items():
                    if isinstance(key, str):
                        _add(result, cid, names.get(key.lower(), key), value)
        for _, values in written.stored:
            for key, value in values.items():
                _add(result, cid, key, value)
    return result


def restore_witnesses(http: httpx.Client, written: Written, mask: Callable[[str], str]) -> RestoreVerdict:
    """Put back what the run's PATCHes changed on its witnesses, read each again to prove it."""
    verdict = RestoreVerdict(journal=str(written.path))
    mine = witness_writes(written)
    parts = side_by_side(
        [
            functools.partial(_restore_one, http, cid, original, mine, mask)
            for cid, original in written.witnesses.items()
        ]
    )
    for part in parts:
        verdict.restored += part.restored
        verdict.untouched += part.untouched
        verdict.conflicts += part.conflicts
        verdict.problems += part.problems
        verdict.lost = verdict.lost or part.lost
    return verdict
