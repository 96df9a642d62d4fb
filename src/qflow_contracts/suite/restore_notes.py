"""Every restore problem and conflict, named: which customer, which property, why, and what the
person running the suite should do (contract rule 13).

The one place the restore's verdict (`RestoreVerdict`: its `conflicts`, `problems` and `lost`) is
turned into words; the console, the Markdown, the HTML, the JUnit and the JSON all print these
notes. A problem the restore describes in a structured form (with a `line()`) is shown by that
line; the restore's present text problems are read by the patterns below.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from qflow_contracts.suite.restore import RestoreVerdict


@dataclass(frozen=True)
class RestoreNote:
    """One record the restore left not as found: `customer` (None when the problem is not one
    customer's), `prop` (the property, or "" when the whole record), `why`, and `todo`."""

    customer: int | None
    prop: str
    why: str
    todo: str
    kind: str = "problem"
    """"conflict" (another user's change, left as they set it), "problem" or "lost"."""

    def line(self) -> str:
        """The note on one line."""
        who = "" if self.customer is None else f"customer {self.customer}"
        what = " ".join(part for part in (who, self.prop) if part)
        head = f"restore: {self.kind}: {what}: " if what else f"restore: {self.kind}: "
        return f"{head}{self.why}; what to do: {self.todo}"


_FINISH = "run the restore command below once the server answers again"
_BY_HAND = "put it back by hand (the original is in the journal's `original` line for this customer)"

_PATTERNS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (
        re.compile(r"^customer (?P<cid>\d+) (?P<prop>\S+) changed; a PATCH cannot put it back$"),
        "it selects the record a PATCH changes, so a PATCH cannot put it back",
        _BY_HAND,
    ),
    (
        re.compile(r"^customer (?P<cid>\d+) (?P<prop>\S+) was null; a PATCH cannot put null back$"),
        "it was null before the run, and a PATCH leaves a null property as it is (contract rule 5)",
        "clear it by hand in QFlow",
    ),
    (
        re.compile(
            r"^customer (?P<cid>\d+) (?P<prop>DOB) was read without an offset; a PATCH cannot send it$"
        ),
        "it was read without an offset, which a PATCH cannot send back as it was (contract rule 1)",
        _BY_HAND,
    ),
    (
        re.compile(r"^customer (?P<cid>\d+) (?P<prop>\S+) was absent; a PATCH cannot remove a key$"),
        "the key was absent before the run, and a PATCH cannot remove a key (contract rule 5)",
        "remove the key by hand in QFlow",
    ),
    (
        re.compile(r"^customer (?P<cid>\d+): the restore did not take for (?P<prop>.+)$"),
        "the server answered the restore's PATCH, but reading the record again shows the old value",
        "check the server stores PATCHes, then run the restore command below again",
    ),
    (
        re.compile(r"^GET Customers/(?P<cid>\d+) (?P<why>.+)$"),
        "",
        "check that the customer still exists, then run the restore command below again",
    ),
)


def _from_text(problem: str) -> RestoreNote:
    for pattern, why, todo in _PATTERNS:
        match = pattern.match(problem)
        if match:
            fields = match.groupdict()
            reason = why or f"it could not be read again: GET Customers/{fields['cid']} {fields['why']}"
            return RestoreNote(int(fields["cid"]), fields.get("prop") or "", reason, todo)
    return RestoreNote(None, "", problem, "read the journal and put the records back by hand")


def _from_structured(problem: Any) -> RestoreNote:
    customer = getattr(problem, "customer_id", None)
    return RestoreNote(
        customer if isinstance(customer, int) else None,
        str(getattr(problem, "name", "") or getattr(problem, "property", "") or ""),
        str(getattr(problem, "why", "") or problem.line()),
        str(getattr(problem, "todo", "") or "read the journal and put the record back by hand"),
    )


def notes(verdict: RestoreVerdict | None, *, lost: str | None = None) -> tuple[RestoreNote, ...]:
    """The restore's conflicts, problems and loss of the server, each named; empty when the
    restore proved every record (or did not run)."""
    found: list[RestoreNote] = []
    if verdict is not None:
        for conflict in verdict.conflicts:
            found.append(
                RestoreNote(
                    conflict.customer_id,
                    conflict.name,
                    f"holds {conflict.found}, not the value this run wrote: someone else changed it "
                    "during the run, and the restore left it as they set it",
                    "nothing, if that change is theirs; otherwise put it back by hand (the journal "
                    "holds the original)",
                    kind="conflict",
                )
            )
        problems: Iterable[Any] = verdict.problems
        for problem in problems:
            found.append(_from_text(problem) if isinstance(problem, str) else _from_structured(problem))
        lost = lost or verdict.lost
    if lost:
        found.append(
            RestoreNote(None, "", f"the server was lost during the restore ({lost})", _FINISH, "lost")
        )
    return tuple(found)
