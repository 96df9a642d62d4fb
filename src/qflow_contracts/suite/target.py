"""The server under test, as the runner and pytest options describe it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Target:
    """A server and what the suite may do to it.

    `owned` is true only for a server the suite started itself (the embedded mock): there it may
    send anything and change records freely. Otherwise (a vendor deployment) it sends only the two
    documented operations, PATCHes only `customer_ids`, makes only changes PATCH can undo, and
    restores every record at the end (NOTES rules 11 and 13).
    """

    base_url: str
    customer_ids: tuple[int, ...]
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    owned: bool = False
    read_only: bool = False
    seed: int | None = None
    max_examples: int = 25

    def __post_init__(self) -> None:
        if not self.customer_ids:
            raise ValueError("a target needs at least one customer id")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))

    @property
    def secrets(self) -> tuple[str, ...]:
        """Header values that must never appear in any output."""
        return tuple(value for value in self.headers.values() if value)
