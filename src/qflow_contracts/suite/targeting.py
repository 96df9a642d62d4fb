"""Which by-PersonalId targets are proven to name the given customer they belong to (rules 4, 11).

On a deployment a PATCH that names its record by PersonalId (within a type, or within the type an
external reference names) lands on whatever record the server matches: a server that ignores the
type, or that compares PersonalIds regardless of case (SQL Server's default collation), matches a
customer the suite was not given. So before any such PATCH that changes something, the suite sends
a GET by the same pair and a PATCH with the same identifiers and nothing to change. `Proofs` reads
the answers of every request by a pair (the transport hands it each one): a pair is proven once a
GET and a PATCH by it both answered 200 naming the given customer it belongs to; an answer (of
any status) to a request by a pair that names any other customer stops that mode of targeting
(`type` or `extref`) for the rest of the run. The transport refuses a changing PATCH by a pair
that is not proven (`unproven`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Pair = tuple[str, str, object]
"""(mode, PersonalId, type id or external reference): mode `type` or `extref`."""

AMBIGUOUS = -1
"""The owner of a pair two given customers share: it can never be proven."""


@dataclass
class Proofs:
    """The pairs of the given customers, what their answers proved, and the modes stopped."""

    identity: frozenset[str]
    """The identity properties, lower case: a PATCH body carrying only these changes nothing."""
    owners: dict[Pair, int] = field(default_factory=dict)
    answered: dict[Pair, set[str]] = field(default_factory=dict)
    """The methods whose answer by the pair named its owner (and only it), with status 200."""
    revoked: dict[str, str] = field(default_factory=dict)
    """Mode -> why it was stopped (an answer named another customer)."""

    def learn(self, customer_id: int, pair: Pair) -> None:
        """`pair` names the given customer `customer_id` (or, shared by two, none provably)."""
        owner = self.owners.get(pair)
        self.owners[pair] = customer_id if owner in (None, customer_id) else AMBIGUOUS

    def changes(self, body: Mapping[str, Any]) -> bool:
        """Whether a PATCH body carries anything but its identifiers (a value, even `""`)."""
        return any(
            not isinstance(key, str) or (key.lower() not in self.identity and value is not None)
            for key, value in body.items()
        )

    def proven(self, pair: Pair) -> bool:
        """Whether a GET and a PATCH by `pair` both named its owner, and its mode still stands."""
        return pair[0] not in self.revoked and {"GET", "PATCH"} <= self.answered.get(pair, set())

    def unproven(self, pairs: Iterable[Pair]) -> Pair | None:
        """The first of `pairs` a changing PATCH may not be sent by, or None."""
        return next((pair for pair in pairs if not self.proven(pair)), None)

    def observe(self, method: str, pairs: Iterable[Pair], status: int, named: list[int]) -> None:
        """The answer to a request by `pairs`: the customers it names (any status)."""
        for pair in pairs:
            owner = self.owners.get(pair)
            if owner is None:
                continue  # not a given customer's pair (an identifier that names nobody)
            others = [cid for cid in named if cid != owner]
            if others:
                self.answered.pop(pair, None)
                self.revoked.setdefault(
                    pair[0],
                    f"{method} by PersonalId ({pair[0]}) answered customer {others[0]}, not customer {owner}",
                )
            elif status == 200 and named and owner != AMBIGUOUS:
                self.answered.setdefault(pair, set()).add(method)
