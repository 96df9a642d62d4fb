"""A run judged once: `judge(evidence, info, asked) -> RunResult`, which every writer takes (the
console, the Markdown, the JUnit, the HTML, the JSON, and the benchmark through the JSON).

Nothing is recomputed by a writer: the per-rule verdicts, the overall verdict, its exit code,
where the requests went, the restore's notes, each finding's code and signature (`codes.mark`)
and what an accepted-findings baseline accepted (`--baseline`, `BaselineOutcome`) are all here.
Text is masked when it enters the ledger and again when a writer writes its file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from qflow_contracts.exitcodes import ExitCode
from qflow_contracts.rules import Rule
from qflow_contracts.suite.baseline import Baseline, Entry, today_utc
from qflow_contracts.suite.codes import BY_CODE, Mark, mark
from qflow_contracts.suite.evidence import Evidence, Finding, RunInfo, Status
from qflow_contracts.suite.restore_notes import RestoreNote
from qflow_contracts.suite.verdict import (
    CONFORMANT,
    NO_CHECK_RAN,
    Overall,
    RuleVerdict,
    exit_code,
    overall,
    verdicts,
)


@dataclass(frozen=True)
class Accepted:
    """A finding and the baseline entry that names it."""

    finding: Finding
    entry: Entry


@dataclass(frozen=True)
class BaselineOutcome:
    """What the run's baseline did: the findings it accepted, the findings whose entry has expired
    (they fail), and its entries that no longer occur (fixed) or whose rule this run did not check."""

    path: str
    today: dt.date
    accepted: tuple[Accepted, ...] = ()
    expired: tuple[Accepted, ...] = ()
    fixed: tuple[Entry, ...] = ()
    unchecked: tuple[Entry, ...] = ()

    def lines(self) -> list[str]:
        """One line per accepted finding, expired entry, fixed and unchecked entry (for the verdict)."""
        out = []
        signatures = dict.fromkeys(a.entry.signature for a in self.accepted)
        for signature in signatures:
            entry = next(a.entry for a in self.accepted if a.entry.signature == signature)
            count = sum(a.entry.signature == signature for a in self.accepted)
            many = f" ({count} findings)" if count > 1 else ""
            out.append(f"accepted until {entry.expires}: {signature}{many}: {entry.reason}")
        for entry in dict.fromkeys(a.entry for a in self.expired):
            out.append(
                f"baseline entry {entry.signature} expired on {entry.expires} (today {self.today}, UTC): "
                f"its finding fails again ({entry.reason})"
            )
        for entry in self.fixed:
            out.append(f"baseline entry {entry.signature} no longer occurs: fixed, remove it ({self.path})")
        for entry in self.unchecked:
            out.append(f"baseline entry {entry.signature}: its rule was not checked in full this run; kept")
        return out


@dataclass(frozen=True)
class RunResult:
    """The verdict of a run and everything its writers print."""

    info: RunInfo
    overall: Overall
    rules: tuple[RuleVerdict, ...]
    requests: int
    spent: tuple[tuple[str, int, float], ...]
    """(what the work was, requests, percent of all), in the order a run does them."""
    restore: tuple[RestoreNote, ...]
    """Every record the restore left not as found, named (empty when it proved them all)."""
    exit_code: ExitCode
    marks: Mapping[Finding, Mark] = field(default_factory=dict)
    """Every finding's and warning's code and signature."""
    baseline: BaselineOutcome | None = None
    """What the `--baseline` file accepted, or None without one."""

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every finding not accepted by the baseline, rule by rule."""
        return tuple(finding for verdict in self.rules for finding in verdict.findings)

    @property
    def accepted(self) -> tuple[Accepted, ...]:
        """The findings the baseline accepted, each with its entry."""
        return self.baseline.accepted if self.baseline is not None else ()

    def mark(self, finding: Finding) -> Mark:
        """The finding's code and signature."""
        return self.marks.get(finding) or mark(finding)

    @property
    def headline(self) -> str:
        """The verdict in a few words: `CONFORMANT except N accepted finding(s)` with a baseline
        that accepted some."""
        accepted = len(self.accepted)
        if not accepted:
            return self.overall.name
        if self.overall.name == CONFORMANT:
            return f"CONFORMANT except {accepted} accepted finding(s)"
        return f"{self.overall.name} (besides {accepted} accepted finding(s))"

    @property
    def leniencies(self) -> tuple[Finding, ...]:
        """Every leniency, rule by rule."""
        return tuple(finding for verdict in self.rules for finding in verdict.leniencies)

    @property
    def warnings(self) -> tuple[str, ...]:
        """What the person should know that is not a finding."""
        return tuple(self.info.warnings)

    def rule(self, rule: Rule) -> RuleVerdict:
        """The verdict of `rule`."""
        return next(verdict for verdict in self.rules if verdict.rule is rule)

    @property
    def failed_rules(self) -> tuple[str, ...]:
        """The ids of the rules that failed."""
        return tuple(verdict.rule.id for verdict in self.rules if verdict.status is Status.FAILED)


def _failing(evidence: Evidence, info: RunInfo) -> list[Finding]:
    """What fails a rule: its findings, and its warnings in a strict run."""
    return [
        finding
        for tally in evidence.tallies.values()
        for finding in (*tally.findings, *(tally.leniencies if info.strict else ()))
    ]


def _apply(
    baseline: Baseline,
    evidence: Evidence,
    info: RunInfo,
    marks: Mapping[Finding, Mark],
    today: dt.date,
    asked: set[Rule],
) -> tuple[BaselineOutcome, Evidence]:
    """The baseline's outcome, and the ledger without the findings it accepts."""
    accepted: list[Accepted] = []
    expired: list[Accepted] = []
    for finding in _failing(evidence, info):
        entry = baseline.entry(marks[finding].signature)
        if entry is not None:
            (expired if entry.expired(today) else accepted).append(Accepted(finding, entry))
    taken = {item.finding for item in accepted}
    tallies = {
        rule: replace(
            tally,
            findings=[f for f in tally.findings if f not in taken],
            leniencies=[f for f in tally.leniencies if f not in taken],
        )
        for rule, tally in evidence.tallies.items()
    }
    seen = set(marks.values())
    occurring = {m.signature for m in seen}
    fixed: list[Entry] = []
    unchecked: list[Entry] = []
    for entry in baseline.entries:
        if entry.signature in occurring:
            continue
        rule = BY_CODE[entry.signature.split("/")[1]].rule
        tally = evidence.tallies[rule]
        checked = rule in asked and tally.checks > 0 and not tally.not_exercised
        (fixed if checked and not info.stopped and not info.unavailable else unchecked).append(entry)
    outcome = BaselineOutcome(
        baseline.path, today, tuple(accepted), tuple(expired), tuple(fixed), tuple(unchecked)
    )
    return outcome, replace(evidence, tallies=tallies, listeners=[])


def _set_apart(verdict: RuleVerdict, outcome: BaselineOutcome | None) -> RuleVerdict:
    """`verdict` with the rule's accepted findings: ACCEPTED when they were all it failed on."""
    if outcome is None:
        return verdict
    mine = tuple(a.finding for a in outcome.accepted if a.finding.rule is verdict.rule)
    if not mine:
        return verdict
    status = verdict.status
    if status in (Status.PASSED, Status.LENIENT, Status.NOT_EXERCISED, Status.NOT_ASKED):
        status = Status.ACCEPTED
    why = tuple(reason for reason in verdict.why if status is not Status.ACCEPTED or reason != NO_CHECK_RAN)
    return replace(verdict, status=status, accepted=mine, why=why)


def _with_baseline(whole: Overall, outcome: BaselineOutcome | None, asked: int) -> Overall:
    """The verdict's reasons with what the baseline accepted, what expired and what was fixed."""
    if outcome is None:
        return whole
    reasons = list(whole.reasons)
    lines = outcome.lines()
    if whole.name == CONFORMANT and outcome.accepted and reasons:
        reasons[0] = (
            f"all {asked} rules asked were exercised; none failed but for {len(outcome.accepted)} "
            f"finding(s) the baseline {outcome.path} accepts"
        )
    return replace(whole, reasons=(*reasons[:1], *lines, *reasons[1:]))


def judge(
    evidence: Evidence,
    info: RunInfo,
    asked: set[Rule],
    *,
    restore: tuple[RestoreNote, ...] = (),
    baseline: Baseline | None = None,
    today: dt.date | None = None,
) -> RunResult:
    """The run's verdict, once, from the ledger and the run's facts; with `baseline`, the findings
    it accepts (an entry not expired on `today`, UTC by default) are set apart and fail nothing."""
    marks = {
        finding: mark(finding)
        for tally in evidence.tallies.values()
        for finding in (*tally.findings, *tally.leniencies)
    }
    outcome: BaselineOutcome | None = None
    judged = evidence
    if baseline is not None:
        outcome, judged = _apply(baseline, evidence, info, marks, today or today_utc(), asked)
    rules = [_set_apart(verdict, outcome) for verdict in verdicts(judged, info, asked)]
    whole = _with_baseline(overall(judged, info, asked=asked, rules=rules), outcome, len(asked))
    return RunResult(
        info=info,
        overall=whole,
        rules=tuple(rules),
        requests=evidence.requests,
        spent=tuple(evidence.where_spent()),
        restore=restore,
        exit_code=exit_code(whole, info),
        marks=marks,
        baseline=outcome,
    )
