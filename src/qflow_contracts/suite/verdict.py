"""The verdict of a run, per rule and overall, and its exit code: derived from the evidence ledger
and the run's facts, and nothing else (`spec/CONTRACT.md`, "The verdict")."""

from __future__ import annotations

from dataclasses import dataclass

from qflow_contracts.exitcodes import ExitCode
from qflow_contracts.rules import Rule, why_not_asked
from qflow_contracts.suite.evidence import Evidence, Finding, RunInfo, Status

CONFORMANT = "CONFORMANT"
NOT_CONFORMANT = "NOT CONFORMANT"
INCOMPLETE = "INCOMPLETE"

NO_CHECK_RAN = "no check of this rule ran"

EVERY_REQUEST = frozenset({Rule.ONLY_GIVEN, Rule.AUTHENTICATION, Rule.PACED})
"""Rules whose checks are the run's requests themselves: each request that went out is one."""


@dataclass(frozen=True)
class RuleVerdict:
    """One rule's verdict in a run, with its evidence.

    `why` says why the rule was not asked or not exercised; on a rule that passed it holds the
    parts of the rule that could not be checked.
    """

    rule: Rule
    status: Status
    asked: bool
    checks: int
    requests: int
    findings: tuple[Finding, ...]
    leniencies: tuple[Finding, ...]
    why: tuple[str, ...]
    seconds: float = 0.0
    """Time the ledger attributes to the rule (`Tally.seconds`)."""
    unproven: tuple[str, ...] = ()
    """What a check of the rule could not prove (the restore's notes, rule 13)."""
    every_request: bool = False
    """The rule is checked on every request of the run (rules 11, 12 and 15): `requests` is all."""
    accepted: tuple[Finding, ...] = ()
    """The rule's findings an accepted-findings baseline accepts (not in `findings`)."""

    @property
    def requests_shown(self) -> str:
        """The requests column in words: a number of requests sent for this rule, "all N" for a
        rule every request checks, or "shared" for a rule whose checks ride on requests sent for
        other rules (a round trip checks rule 7 on the PATCH sent for rule 5)."""
        if self.every_request:
            return f"all {self.requests}"
        if not self.requests and self.checks:
            return "shared"
        return str(self.requests)


@dataclass(frozen=True)
class Overall:
    """The run's verdict: `name` is CONFORMANT, NOT CONFORMANT or INCOMPLETE; `reasons` say why."""

    name: str
    reasons: tuple[str, ...]


def _checks(evidence: Evidence, info: RunInfo, rule: Rule, asked: set[Rule]) -> int:
    """The checks of `rule`: the ledger's, and for rules 12, 13 and 15 what the run's facts prove
    (each request that carried the given credentials; each record the restore read back as it was;
    each request the paced, bounded transport sent to a server the suite did not start)."""
    checks = evidence.tallies[rule].checks
    if rule is Rule.AUTHENTICATION and rule in asked:
        return max(checks, evidence.requests)
    if rule is Rule.RESTORED:
        return max(checks, info.restored)
    if rule is Rule.PACED and not info.owned:
        return max(checks, evidence.requests)
    return checks


def rule_verdict(evidence: Evidence, info: RunInfo, rule: Rule, asked: set[Rule]) -> RuleVerdict:
    """`rule`'s verdict: the ledger's status, or NOT_ASKED for a rule the run was not asked to check
    and that neither failed nor bent."""
    tally = evidence.tallies[rule]
    status = evidence.status(rule, strict=info.strict)
    checks = _checks(evidence, info, rule, asked)
    if status is Status.NOT_EXERCISED and checks:
        status = Status.PASSED
    why = tuple(tally.not_exercised)
    if rule not in asked and status in (Status.PASSED, Status.NOT_EXERCISED):
        reason = why_not_asked(
            rule, owned=info.owned, read_only=info.read_only, credentials=Rule.AUTHENTICATION in asked
        )
        status, why = Status.NOT_ASKED, (reason or "not asked in this run", *why)
    elif status is Status.NOT_EXERCISED and not why:
        why = (NO_CHECK_RAN,)
    every = rule in EVERY_REQUEST and checks > 0 and not tally.requests
    requests = evidence.requests if every else tally.requests
    if rule is Rule.RESTORED:
        requests = max(requests, evidence.spent["restore"])
    return RuleVerdict(
        rule=rule,
        status=status,
        asked=rule in asked,
        checks=checks,
        requests=requests,
        findings=tuple(tally.findings),
        leniencies=tuple(tally.leniencies),
        why=why,
        seconds=tally.seconds,
        unproven=tuple(tally.unproven),
        every_request=every,
    )


def verdicts(evidence: Evidence, info: RunInfo, asked: set[Rule]) -> list[RuleVerdict]:
    """Every rule's verdict, in the contract's order (spec clauses first)."""
    return [rule_verdict(evidence, info, rule, asked) for rule in Rule]


def _ids(rules: list[RuleVerdict]) -> str:
    return ", ".join(verdict.rule.id for verdict in rules)


WARNING_WORDS = {
    "leniency": "leniency warning(s) (contract rule 14)",
    "platform": "platform warning(s) (the server's platform: what a client must do is in each)",
    "robustness": "robustness warning(s) (contract rule 8)",
}


def _warnings(lenient: list[RuleVerdict]) -> list[str]:
    """One reason per kind of warning: how many, and the rules they are under."""
    lines = []
    for kind, words in WARNING_WORDS.items():
        under = [v for v in lenient if any(f.kind == kind for f in v.leniencies)]
        count = sum(1 for v in under for f in v.leniencies if f.kind == kind)
        if count:
            lines.append(f"{count} {words}, not failures: {_ids(under)}")
    return lines


def overall(
    evidence: Evidence, info: RunInfo, *, asked: set[Rule], rules: list[RuleVerdict] | None = None
) -> Overall:
    """NOT CONFORMANT on any finding (a leniency counts only when strict), else INCOMPLETE when an
    asked rule was not exercised or the run stopped early, else CONFORMANT. `rules` are the rules'
    verdicts when already judged (with a baseline's accepted findings set apart)."""
    rules = verdicts(evidence, info, asked) if rules is None else rules
    failed = [verdict for verdict in rules if verdict.status is Status.FAILED]
    missing = [verdict for verdict in rules if verdict.asked and verdict.status is Status.NOT_EXERCISED]
    unproven = [verdict for verdict in rules if verdict.status is Status.INCOMPLETE]
    lenient = [verdict for verdict in rules if verdict.leniencies]
    not_asked = [verdict for verdict in rules if verdict.status is Status.NOT_ASKED]
    reasons: list[str] = []
    if failed:
        count = sum(len(verdict.findings) for verdict in failed)
        reasons.append(f"{count} finding(s) against {_ids(failed)}")
        if info.strict and any(verdict.leniencies for verdict in failed):
            reasons.append(
                "strict run: leniency, platform and robustness warnings count as failures "
                "(contract rules 1, 8, 9, 14)"
            )
    if info.unavailable:
        reasons.append(f"the server stopped answering: {info.unavailable}")
    if info.stopped:
        reasons.append(f"the run stopped early: {info.stopped}")
    for verdict in missing:
        reasons.append(f"{verdict.rule.id} was asked but not exercised: {'; '.join(verdict.why)}")
    for verdict in unproven:
        reasons.append(
            f"{verdict.rule.id} was checked and not proven: {len(verdict.unproven)} record note(s)"
        )
    if not info.restore_ok:
        reasons.append(info.restore)
    if lenient and not info.strict:
        reasons += _warnings(lenient)
    if failed:
        name = NOT_CONFORMANT
    elif missing or unproven or info.stopped or info.unavailable:
        name = INCOMPLETE
    else:
        name = CONFORMANT
        reasons.insert(0, f"all {len(asked)} rules asked were exercised, and none failed")
    reasons += [f"warning: {caution}" for caution in evidence.cautions]
    if not_asked:
        reasons.append(f"not asked in this run: {_ids(not_asked)}")
    return Overall(name=name, reasons=tuple(reasons))


def exit_code(overall: Overall, info: RunInfo) -> ExitCode:
    """The run's exit code: an incomplete restore first, then findings, then an unavailable
    server, then asked rules not exercised."""
    if not info.restore_ok:
        return ExitCode.RESTORE_INCOMPLETE
    if overall.name == NOT_CONFORMANT:
        return ExitCode.NOT_CONFORMANT
    if info.unavailable:
        return ExitCode.UNAVAILABLE
    if overall.name == INCOMPLETE:
        return ExitCode.INCOMPLETE
    return ExitCode.CONFORMANT
