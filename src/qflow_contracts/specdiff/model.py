"""What a spec change means: who it breaks, and the release it calls for in code built on the client."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum, IntEnum

from qflow_contracts.specdiff.rules import rule_of


class Audience(Enum):
    """Who a change can break."""

    CLIENTS = "clients"  # code that uses the generated client, or any client of the API
    SERVERS = "servers"  # a server that was conformant to the old spec


class Bump(IntEnum):
    """The semantic-version release a change calls for (of the spec, so of the client)."""

    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3

    def __str__(self) -> str:
        return self.name.lower()


class Effect(Enum):
    """How a change moves the set of values a schema allows."""

    NARROWED = "narrowed"
    WIDENED = "widened"
    BOTH = "changed"  # some values leave, others come in (a type changed, a pattern replaced)


CLIENTS = frozenset({Audience.CLIENTS})
SERVERS = frozenset({Audience.SERVERS})
BOTH = CLIENTS | SERVERS
NOBODY: frozenset[Audience] = frozenset()


def breaks_for(effect: Effect, direction: str) -> frozenset[Audience]:
    """Who a narrowing or widening breaks: in a request, a narrowing breaks clients (what they sent is
    refused) and a widening breaks servers (what they refused must be accepted); in a response, the
    other way round (clients read values they never had to, or servers' answers become invalid)."""
    if effect is Effect.BOTH:
        return BOTH
    if direction == "request":
        return CLIENTS if effect is Effect.NARROWED else SERVERS
    return SERVERS if effect is Effect.NARROWED else CLIENTS


@dataclass(frozen=True)
class Change:
    """One classified difference between the old and the new spec."""

    rule: str  # a stable identifier, in oasdiff's style: "request-property-max-length-decreased"
    where: str  # "CustomerUpdate.FirstName", "GET /Customers/{id} parameter idType"
    text: str  # what changed, for a person: "maxLength 50 -> 40"
    breaks: frozenset[Audience]
    bump: Bump

    @property
    def category(self) -> str:
        """ "breaking for clients", "breaking for servers" or "compatible"."""
        if Audience.CLIENTS in self.breaks:
            return "breaking for clients"
        if Audience.SERVERS in self.breaks:
            return "breaking for servers"
        return "compatible"


def classified(
    rule: str, where: str, text: str, breaks: frozenset[Audience], bump: Bump | None = None
) -> Change:
    """A change of the registered `rule` (`rules.RULES`; any other id is refused with KeyError);
    its bump is major when it breaks clients, else minor unless given."""
    rule_of(rule)
    if bump is None:
        bump = Bump.MAJOR if Audience.CLIENTS in breaks else Bump.MINOR
    return Change(rule, where, text, breaks, bump)


@dataclass(frozen=True)
class Verdict:
    """Every change, and what they add up to."""

    changes: tuple[Change, ...]
    old_version: str
    new_version: str

    @property
    def breaks_clients(self) -> bool:
        """Whether any change breaks clients."""
        return any(Audience.CLIENTS in c.breaks for c in self.changes)

    @property
    def breaks_servers(self) -> bool:
        """Whether any change breaks servers."""
        return any(Audience.SERVERS in c.breaks for c in self.changes)

    @property
    def bump(self) -> Bump:
        """The release the changes call for: the largest of theirs."""
        return max((c.bump for c in self.changes), default=Bump.NONE)

    @property
    def category(self) -> str:
        """The overall class: breaking for clients, for servers, compatible, or no change."""
        if self.breaks_clients:
            return "breaking for clients"
        if self.breaks_servers:
            return "breaking for servers"
        return "compatible" if self.changes else "no change"

    @property
    def version_bump(self) -> Bump | None:
        """The release `info.version` actually took (None when either is not X.Y.Z)."""
        old, new = parse_version(self.old_version), parse_version(self.new_version)
        if old is None or new is None:
            return None
        if new <= old:
            return Bump.NONE
        if new[0] > old[0]:
            return Bump.MAJOR
        if new[1] > old[1]:
            return Bump.MINOR
        return Bump.PATCH

    @property
    def suggested_version(self) -> str | None:
        """The old `info.version` raised by the release the changes call for."""
        old = parse_version(self.old_version)
        if old is None:
            return None
        major, minor, patch = old
        if self.bump is Bump.MAJOR:
            return f"{major + 1}.0.0"
        if self.bump is Bump.MINOR:
            return f"{major}.{minor + 1}.0"
        if self.bump is Bump.PATCH:
            return f"{major}.{minor}.{patch + 1}"
        return self.old_version

    @property
    def version_ok(self) -> bool | None:
        """Whether `info.version` was raised at least as much as the changes call for."""
        taken = self.version_bump
        return None if taken is None else taken >= self.bump


_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$")


def parse_version(text: str) -> tuple[int, int, int] | None:
    """X.Y.Z as three integers (pre-release and build suffixes ignored), or None."""
    match = _VERSION.match(text.strip())
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3))
