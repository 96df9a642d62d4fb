"""Putting a damaged witness back, only when asked (`qflow-contracts restore --restore-witnesses`).

A witness is never PATCHed by a run: a change to it is a PATCH that hit the wrong record (contract
rules 4 and 11). Its original is journaled, so the user can ask for it back explicitly. Which
values are this run's: a witness was never targeted, so any value a PATCH of the run carried (to
any customer), or that the server stored in answer to one, counts as the run's; anything else
found there is another user's change, left as found and reported as a conflict. Each witness put
back is read again to prove it, as the given customers are (`suite/restore.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from qflow_contracts.suite.journal import Written, documents
from qflow_contracts.suite.ownership import sent_slots
from qflow_contracts.suite.restore import PAUSE, RestoreVerdict, _Customer, restore_all


def witness_writes(written: Written, names: list[str]) -> dict[str, list[Any]]:
    """Slot -> every value the run sent or the server stored in answer to one of its PATCHes, as
    if written to a witness with these property names."""
    found: dict[str, list[Any]] = {}
    for change in written.changes:
        for slot, value in sent_slots(documents(change.content_type, change.body), names).items():
            found.setdefault(slot, []).append(value)
    for caused in written.stored:
        for slot, value in caused.values.items():
            found.setdefault(slot, []).append(value)
    return found


def restore_witnesses(
    http: httpx.Client, written: Written, mask: Callable[[str], str], *, pause: float = PAUSE
) -> RestoreVerdict:
    """Put back what the run's PATCHes changed on its witnesses, read each again to prove it."""
    verdict = RestoreVerdict(given=tuple(written.witnesses), journal=str(written.path))
    customers = [
        _Customer(cid, original, {}, witness_writes(written, list(original)), mask)
        for cid, original in written.witnesses.items()
    ]
    return restore_all(http, customers, verdict, pause)
