"""What a run saw, rule by rule: the checks that held, the findings, the leniencies, what was not
exercised and why. The verdict is derived from this ledger and nothing else.

Checks record here as they run (`held`, `failed`, `lenient`, `not_exercised`, `request`); the
reports, the console and the exit code read it at the end. Text put here is already masked
(`Target.mask`): the ledger never holds a credential.
"""

from __future__ import annotations

import contextlib
import enum
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from qflow_contracts.rules import Rule

WARNING_KINDS = {
    "leniency": "contract rule 14: a conversion Json.NET makes",
    "platform": "the platform's own behaviour (contract rules 1, 9): what a client must do is said",
    "robustness": "contract rule 8: a 5xx where no client that follows the spec can reach",
}
"""The kinds of warning a run records (`Evidence.lenient`): none is a failure unless the run is
strict."""


class Status(enum.Enum):
    """A rule's verdict in one run."""

    PASSED = "passed"
    FAILED = "failed"
    LENIENT = "leniency"
    NOT_EXERCISED = "not exercised"
    NOT_ASKED = "not asked"
    """The run was not asked to check this rule (read-only, no credentials, the embedded mock)."""
    ACCEPTED = "accepted"
    """Failed only in findings an accepted-findings baseline accepts (`--baseline`): not a failure
    of the run, shown apart."""
    INCOMPLETE = "incomplete"
    """Checked, and not proven: the restore ran and left records not as found (contract rule 13).
    Not a finding against the server (another user's change is a conflict, not a defect)."""


class FindingsRecorded(AssertionError):
    """Raised by the suite's own tests at their end when the ledger holds findings: the findings
    are the run's verdict, not the suite failing. The plugin knows it; any other exception from a
    test is the suite's own error (INCOMPLETE)."""


@dataclass(frozen=True)
class Finding:
    """One distinct way a server broke (or, for leniency, bent) a rule.

    `key` identifies the finding for de-duplication (the same defect seen twice is one finding);
    `summary` is one line; `detail` says what was sent, expected and answered; `reproduction` is a
    curl command. All text is masked.
    """

    rule: Rule
    key: str
    summary: str
    detail: str = ""
    reproduction: str | None = None
    kind: str = "leniency"
    """For a warning, which kind it is (`WARNING_KINDS`); findings leave the default."""


@dataclass
class Tally:
    """One rule's evidence."""

    checks: int = 0
    requests: int = 0
    findings: list[Finding] = field(default_factory=list)
    leniencies: list[Finding] = field(default_factory=list)
    not_exercised: list[str] = field(default_factory=list)
    unproven: list[str] = field(default_factory=list)
    """What a check that ran could not prove (the restore's conflicts and problems, rule 13)."""
    seconds: float = 0.0
    """Time attributed to the rule: for each ledger event of the rule, the time since the event
    before it (the sums over all rules add up to the time the ledger was followed)."""


Listener = Callable[["Evidence", Rule], None]

KINDS = {
    "preflight": "reading the given customers before anything else",
    "stateless": "Schemathesis cases from the spec",
    "opening": "the machine's opening: every lookup, round trip, refusal and conversion",
    "steps": "the machine's random steps",
    "checking reads": "the GET after each PATCH that checks what it did",
    "re-reads": "re-reading customers another request could have changed",
    "reductions": "reducing a failing PATCH to the fewest properties",
    "restore": "putting the records back and reading them again",
}
"""The kinds of work a run's requests are counted under (`Evidence.spent`), in the order run."""


@dataclass
class Evidence:
    """The ledger of a run: a `Tally` per rule, and the requests sent in all and by kind."""

    tallies: dict[Rule, Tally] = field(default_factory=lambda: {rule: Tally() for rule in Rule})
    requests: int = 0
    spent: Counter[str] = field(default_factory=Counter)
    """Requests by kind of work (`KINDS`): where the run's budget went."""
    kind: str = "preflight"
    """The kind of work the requests sent now are for (`spending`)."""
    cautions: list[str] = field(default_factory=list)
    """What the run could not tell apart, said in the verdict as warning lines (not failures)."""
    phase: str = "preflight"
    """The kind of work the last request was sent for (what the progress line shows)."""
    listeners: list[Listener] = field(default_factory=list, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _last: float | None = field(default=None, repr=False, compare=False)

    @contextlib.contextmanager
    def spending(self, kind: str) -> Iterator[None]:
        """Count the requests sent within the block under `kind` (one of `KINDS`)."""
        previous, self.kind = self.kind, kind
        try:
            yield
        finally:
            self.kind = previous

    def _changed(self, rule: Rule, *more: Rule) -> None:
        """Tell the listeners; the time since the last event goes to `rule` (split evenly with
        `more`, when one request checked several rules)."""
        now = self.clock()
        rules = (rule, *more)
        with self._lock:
            if self._last is not None:
                for each in rules:
                    self.tallies[each].seconds += max(0.0, now - self._last) / len(rules)
            self._last = now
        for listener in self.listeners:
            listener(self, rule)

    def request(self, rule: Rule | None = None) -> None:
        """One request was sent (on behalf of `rule`, when one rule is being checked); thread-safe,
        as independent reads go out side by side."""
        with self._lock:
            self.requests += 1
            self.spent[self.kind] += 1
            self.phase = self.kind
        if rule is not None:
            self.spent_on(rule)

    def spent_on(self, rule: Rule, *more: Rule) -> None:
        """A request already counted (by the transport every request goes through) was sent on
        behalf of `rule` (and of `more`, when one request checks several rules)."""
        for each in (rule, *more):
            self.tallies[each].requests += 1
        self._changed(rule, *more)

    def held(self, rule: Rule, checks: int = 1) -> None:
        """`checks` checks of `rule` ran and held."""
        self.tallies[rule].checks += checks
        self._changed(rule)

    def failed(self, finding: Finding) -> bool:
        """Record a finding; False when an equal one (same rule and key) was already recorded."""
        return self._kept(finding, self.tallies[finding.rule].findings)

    def lenient(self, finding: Finding) -> bool:
        """Record a warning: a leniency (contract rule 14), the platform's behaviour (rules 1, 9) or
        a robustness warning (rule 8), as `finding.kind` says; a failure only in a strict run."""
        return self._kept(finding, self.tallies[finding.rule].leniencies)

    def _kept(self, finding: Finding, kept: list[Finding]) -> bool:
        """Add `finding` to `kept` unless one with its key is there already."""
        if any(seen.key == finding.key for seen in kept):
            return False
        kept.append(finding)
        self._changed(finding.rule)
        return True

    def not_exercised(self, rule: Rule, why: str) -> None:
        """`rule` could not be checked in this run, and why (read-only, deadline reached, ...)."""
        if why not in self.tallies[rule].not_exercised:
            self.tallies[rule].not_exercised.append(why)
            self._changed(rule)

    def caution(self, text: str) -> None:
        """Something the run could not tell apart (the server's time zone, for one): a warning line
        of the verdict."""
        if text not in self.cautions:
            self.cautions.append(text)

    def unproven_by(self, rule: Rule, what: str) -> None:
        """A check of `rule` ran and could not prove it (a record the restore left not as found)."""
        if what not in self.tallies[rule].unproven:
            self.tallies[rule].unproven.append(what)
            self._changed(rule)

    def status(self, rule: Rule, *, strict: bool = False) -> Status:
        """The rule's verdict: failed on any finding (or leniency, when strict), incomplete when a
        check could not prove it, passed only when some check of it ran."""
        tally = self.tallies[rule]
        if tally.findings or (strict and tally.leniencies):
            return Status.FAILED
        if tally.unproven:
            return Status.INCOMPLETE
        if tally.leniencies:
            return Status.LENIENT
        if tally.checks:
            return Status.PASSED
        return Status.NOT_EXERCISED

    def where_spent(self) -> list[tuple[str, int, float]]:
        """(what the work was, requests, percent of all) for each kind of work that sent a request,
        in the order a run does them."""
        order = [*KINDS, *sorted(set(self.spent) - set(KINDS))]
        total = self.requests or 1
        return [(KINDS.get(k, k), self.spent[k], 100 * self.spent[k] / total) for k in order if self.spent[k]]

    def findings(self) -> list[Finding]:
        """Every finding, rule by rule."""
        return [finding for tally in self.tallies.values() for finding in tally.findings]


@dataclass
class RunInfo:
    """What a report says about the run besides the rules (all text masked)."""

    base_url: str = ""
    owned: bool = False
    read_only: bool = False
    strict: bool = False
    seed: int | None = None
    started: str = ""
    """ISO 8601 date-time, UTC."""
    duration: float = 0.0
    """Seconds."""
    project_version: str = ""
    spec_version: str = ""
    spec_digest: str = ""
    """sha256 of the spec document's bytes."""
    customer_ids: tuple[int, ...] = ()
    witness_ids: tuple[int, ...] = ()
    restore: str = "restore: not run"
    """One line: the restore's verdict."""
    restore_ok: bool = True
    restored: int = 0
    """How many records the restore read back as they were (contract rule 13)."""
    journal: str | None = None
    """The journal's path, when one was written."""
    stopped: str | None = None
    """Why the run stopped early (deadline, signal, server lost), or None."""
    throttled: str | None = None
    """How many answers asked the run to wait (429, 503 with Retry-After) and how long it waited."""
    unavailable: str | None = None
    """Set when the run stopped because the server stopped answering (timeout, connection lost,
    answer too big): availability, not a finding."""
    command: str = ""
    """The command line that started the run, credentials masked."""
    settings: dict[str, str] = field(default_factory=dict)
    """The run's effective settings by option name (pacing, budget, deadline, ...), masked."""
    warnings: list[str] = field(default_factory=list)
    """What the person should know that is not a finding (masked): answers withheld, requests not
    sent, an unfinished journal of an earlier run, a witness changed with no PATCH sent."""
    restore_command: str = ""
    """The command that finishes the restore from the journal, with the run's credential flags
    (values never shown), or empty when there is nothing to restore."""
