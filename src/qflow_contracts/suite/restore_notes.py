"""Every restore problem and conflict, named for the writers: which customer, which property, why,
and what the person running the suite should do (contract rule 13).

The restore's verdict (`RestoreVerdict`) already names each slot it could not prove (`Problem`);
these notes carry the same facts in the one shape the console, the Markdown, the HTML, the JUnit
and the JSON print, together with what the restore says about itself (its journal, a lost server).
"""

from __future__ import annotations

from dataclasses import dataclass

from qflow_contracts.suite.restore import Problem, RestoreVerdict, Why

_FINISH = "run the restore command below once the server answers again"


@dataclass(frozen=True)
class RestoreNote:
    """One record the restore left not as found: `customer` (None when the note is not one
    customer's), `prop` (the property, or "" for the whole record), `why`, and `todo`."""

    customer: int | None
    prop: str
    why: str
    todo: str
    kind: str = "problem"
    """"conflict" (another user's change, left as they set it), "problem", "note" (about the
    restore itself) or "lost" (the server stopped answering)."""

    def line(self) -> str:
        """The note on one line."""
        who = "" if self.customer is None else f"customer {self.customer}"
        what = " ".join(part for part in (who, self.prop) if part)
        head = f"restore: {self.kind}: {what}: " if what else f"restore: {self.kind}: "
        return f"{head}{self.why}; what to do: {self.todo}"


def _from_problem(problem: Problem) -> RestoreNote:
    change = f"{problem.original} -> {problem.found}, " if problem.name else ""
    detail = f" ({problem.detail})" if problem.detail else ""
    kind = "conflict" if problem.why is Why.CONFLICT else "problem"
    return RestoreNote(
        problem.customer_id, problem.name, f"{change}{problem.why.value}{detail}", problem.todo, kind
    )


def notes(verdict: RestoreVerdict | None, *, lost: str | None = None) -> tuple[RestoreNote, ...]:
    """The restore's problems, its notes about itself and the loss of the server, each named;
    empty when the restore proved every record (or did not run)."""
    found: list[RestoreNote] = []
    if verdict is not None:
        found += [_from_problem(problem) for problem in verdict.problems]
        found += [
            RestoreNote(
                None,
                "",
                note.removeprefix("restore: "),
                "read the journal; check the records by hand",
                "note",
            )
            for note in verdict.notes
        ]
        lost = lost or verdict.lost
    if lost:
        found.append(
            RestoreNote(None, "", f"the server was lost during the restore ({lost})", _FINISH, "lost")
        )
    return tuple(found)
