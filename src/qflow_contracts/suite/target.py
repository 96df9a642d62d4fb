"""The server under test, resolved once per run, and what the suite may do to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from qflow_contracts.redact import Masker
from qflow_contracts.rules import Rule, why_not_asked


@dataclass(frozen=True)
class Target:
    """A server and what the suite may do to it.

    `owned` is true only for a server the suite started itself (the embedded mock): there it may
    send anything and change records freely. Otherwise (a vendor deployment) it sends only the two
    documented operations, reads and PATCHes only `customer_ids` (and reads `witness_ids`), makes
    only changes PATCH can undo, paces its requests, journals every change and restores every
    record at the end (contract rules 11, 13 and 15).
    """

    base_url: str
    customer_ids: tuple[int, ...]
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    owned: bool = False
    read_only: bool = False
    strict: bool = False
    seed: int | None = None
    max_examples: int = 25
    witness_ids: tuple[int, ...] = ()
    rate_limit: float | None = None
    """Requests per second at most; None: unpaced (only for a server the suite started)."""
    request_timeout: float = 30.0
    """Seconds one request may take."""
    max_time: float | None = None
    """Seconds the whole run may take before it stops, restores and reports what it could not finish."""
    max_answer_bytes: int = 1 << 20
    """The most bytes of one answer that are read."""
    restore_time: float = 120.0
    """Seconds the restore may take, on its own clock after the run stopped."""
    journal: Path | None = None
    """Where originals and changes are journaled (a server the suite did not start)."""
    over_journal: Path | None = None
    """An unfinished journal this run takes over: its originals are this run's."""
    keep_journal: bool = False
    """Keep the records' contents in the journal after a proven restore (else only its summary)."""
    credential_flags: tuple[str, ...] = ()
    """The run's credential flags with their values masked (`--header-env NAME=VAR`, `--header
    NAME: ***`): what a restore command repeats."""

    def __post_init__(self) -> None:
        if not self.customer_ids:
            raise ValueError("a target needs at least one customer id")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))

    @property
    def secrets(self) -> tuple[str, ...]:
        """Header values that must never appear in any output."""
        return tuple(value for value in self.headers.values() if value)

    @cached_property
    def _masker(self) -> Masker:
        return Masker(self.secrets)

    def mask(self, text: str) -> str:
        """`text` with every form of every credential replaced (contract rule 12): as sent, after
        its auth scheme, JSON-, XML- and URL-encoded, base64, and a fragment left at a cut."""
        return self._masker(text)

    @property
    def readable_ids(self) -> frozenset[int]:
        """The customers the suite may read: the given ones and the witnesses."""
        return frozenset(self.customer_ids) | frozenset(self.witness_ids)


def asked_rules(target: Target) -> set[Rule]:
    """The rules a run against `target` is asked to check: the verdict is CONFORMANT only when
    each of them was exercised."""
    return {
        rule
        for rule in Rule
        if why_not_asked(
            rule, owned=target.owned, read_only=target.read_only, credentials=bool(target.headers)
        )
        is None
    }
