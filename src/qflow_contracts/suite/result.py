"""A run judged once: `judge(evidence, info, asked) -> RunResult`, which every writer takes (the
console, the Markdown, the JUnit, the HTML, the JSON, and the benchmark through the JSON).

Nothing is recomputed by a writer: the per-rule verdicts, the overall verdict, its exit code,
where the requests went and the restore's notes are all here. Text is masked when it enters the
ledger and again when a writer writes its file.
"""

from __future__ import annotations

from dataclasses import dataclass

from qflow_contracts.exitcodes import ExitCode
from qflow_contracts.rules import Rule
from qflow_contracts.suite.evidence import Evidence, Finding, RunInfo, Status
from qflow_contracts.suite.restore_notes import RestoreNote
from qflow_contracts.suite.verdict import Overall, RuleVerdict, exit_code, overall, verdicts


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

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every finding, rule by rule."""
        return tuple(finding for verdict in self.rules for finding in verdict.findings)

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


def judge(
    evidence: Evidence, info: RunInfo, asked: set[Rule], *, restore: tuple[RestoreNote, ...] = ()
) -> RunResult:
    """The run's verdict, once, from the ledger and the run's facts."""
    whole = overall(evidence, info, asked=asked)
    return RunResult(
        info=info,
        overall=whole,
        rules=tuple(verdicts(evidence, info, asked)),
        requests=evidence.requests,
        spent=tuple(evidence.where_spent()),
        restore=restore,
        exit_code=exit_code(whole, info),
    )
