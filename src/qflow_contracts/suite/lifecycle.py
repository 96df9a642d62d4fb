"""One run's life, shared by `qflow-contracts run` and plain `pytest contracts`: open (the paced
client, the preflight reads, the journal), stop (a signal, the deadline, a lost server), and finish
(the restore from the journal, the witnesses read again, the run's facts for the verdict)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import signal
import sys
import time
import urllib.parse
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TextIO, cast

import httpx
from qflow_client import Client

from qflow_contracts import __version__
from qflow_contracts.config import (
    DEFAULT_MAX_TIME,
    DEFAULT_RATE_LIMIT,
    DEFAULT_REQUEST_TIMEOUT,
    Settings,
)
from qflow_contracts.exitcodes import ExitCode
from qflow_contracts.resources import spec_path
from qflow_contracts.spec import customer_properties, load_spec
from qflow_contracts.suite.console import Console, MaskedStream, terminal
from qflow_contracts.suite.evidence import Evidence, Finding, RunInfo
from qflow_contracts.suite.http import (
    DeadlineReached,
    Policy,
    SafeTransport,
    Unavailable,
    UnsafeRequest,
    side_by_side,
)
from qflow_contracts.suite.journal import Journal, JournalError, default_path, read, state_folder, unfinished
from qflow_contracts.suite.restore import (
    RestoreVerdict,
    UnreadableCustomer,
    customer_id_of,
    restore,
    same_value,
)
from qflow_contracts.suite.restore_notes import RestoreNote, notes
from qflow_contracts.suite.rules import Rule
from qflow_contracts.suite.target import Target

SIGNALS = {"SIGINT": ExitCode.INTERRUPTED, "SIGTERM": ExitCode.TERMINATED, "SIGHUP": ExitCode.HANGUP}


class SetupError(Exception):
    """A set-up mistake or an unreachable server, found before the suite starts: one line."""

    def __init__(self, code: ExitCode, line: str) -> None:
        super().__init__(line)
        self.code = code
        self.line = line


class Interrupted(KeyboardInterrupt):
    """A signal stopped the run (SIGINT, SIGTERM or SIGHUP): restore, then exit 128 + its number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def start_run(chosen: Settings, stack: ExitStack, *, out: TextIO, command: str = "") -> Run:
    """The one start of a run, for `qflow-contracts run` and plain `pytest contracts`: the embedded
    mock (entered on `stack`) or the given server, the Target with its one seed, the paced client,
    the signals, and the preflight reads. Set-up mistakes are a SetupError (one line)."""
    from qflow_contracts.suite.embedded import EmbeddedError, serve_embedded

    base_url, ids, owned = chosen.base_url, chosen.customer_ids, False
    if base_url is None:
        try:
            embedded = stack.enter_context(serve_embedded())
        except EmbeddedError as error:
            raise SetupError(ExitCode.USAGE, str(error)) from None
        base_url, ids, owned = embedded.base_url, ids or embedded.customer_ids, True
    writable(chosen)
    target = target_for(chosen, base_url=base_url, customer_ids=ids, owned=owned)
    run = open_run(target, out=out)
    run.info.command = target.mask(command)
    run.info.settings = settings_facts(target)
    run.credential_flags = chosen.credential_flags
    run.install_signals()
    stack.callback(run.uninstall_signals)
    _follow(run)
    try:
        preflight(run)
    except BaseException:
        run.transport.shut()
        if run.console is not None:
            run.console.close()
        raise
    if run.console is not None:
        run.console.started()
    return run


def _follow(run: Run) -> None:
    """The console, following the run from its first request: on a duplicate of the terminal's
    descriptor (past pytest's capture), masked, live on a terminal."""
    stream = terminal(sys.stdout)
    run.console = Console(
        cast(TextIO, MaskedStream(stream, run.target)),
        live=stream.isatty(),
        owns_stream=stream is not sys.stdout,
    )
    run.console.attach(run.evidence, rate_limit=run.target.rate_limit, max_time=run.target.max_time)
    if run.console.live:
        run.printer = run.console.line


def writable(chosen: Settings) -> None:
    """Every report path can be written, checked before any request (SetupError otherwise)."""
    for flag, path in (
        ("--report", chosen.report),
        ("--junit-xml", chosen.junit_xml),
        ("--html", chosen.html),
        ("--json", chosen.json),
    ):
        if path is None:
            continue
        folder = path.parent if str(path.parent) else Path(".")
        existing = next((p for p in (folder, *folder.parents) if p.exists()), Path("."))
        if (
            path.is_dir()
            or not existing.is_dir()
            or not os.access(existing, os.W_OK)
            or (path.exists() and not os.access(path, os.W_OK))
        ):
            raise SetupError(ExitCode.USAGE, f"{flag} {path}: cannot write there")


def settings_facts(target: Target) -> dict[str, str]:
    """The run's effective settings, as a report states them to replay the run."""
    return {
        "seed": str(target.seed),
        "max-examples": str(target.max_examples),
        "rate-limit": f"{target.rate_limit:g}/s" if target.rate_limit else "unpaced",
        "request-timeout": f"{target.request_timeout:g} s",
        "max-time": f"{target.max_time:g} s" if target.max_time else "none",
        "max-answer-bytes": str(target.max_answer_bytes),
        "read-only": str(target.read_only).lower(),
        "strict": str(target.strict).lower(),
        "credentials": ", ".join(sorted(target.headers)) or "none",
    }


def target_for(settings: Settings, *, base_url: str, customer_ids: tuple[int, ...], owned: bool) -> Target:
    """The Target of a run: pacing and deadline by default only for a server the suite did not start."""
    import random

    seed = settings.seed if settings.seed is not None else random.SystemRandom().randrange(2**32)
    journal = None
    if not owned and not settings.read_only:
        journal = settings.journal or default_path()
    return Target(
        base_url=base_url,
        customer_ids=customer_ids,
        witness_ids=settings.witness_ids,
        headers=dict(settings.headers),
        owned=owned,
        read_only=settings.read_only,
        strict=settings.strict,
        seed=seed,
        max_examples=settings.max_examples,
        rate_limit=settings.rate_limit if settings.rate_limit or owned else DEFAULT_RATE_LIMIT,
        request_timeout=settings.request_timeout or DEFAULT_REQUEST_TIMEOUT,
        max_time=settings.max_time if settings.max_time or owned else DEFAULT_MAX_TIME,
        max_answer_bytes=settings.max_answer_bytes,
        journal=journal,
    )


@dataclass
class Run:
    """A run in progress: what every fixture, hook and the runner share (kept in `config.stash`)."""

    target: Target
    transport: SafeTransport
    http: httpx.Client
    client: Client
    evidence: Evidence
    info: RunInfo
    out: TextIO
    originals: dict[int, dict[str, Any]] = field(default_factory=dict)
    raw: dict[int, bytes] = field(default_factory=dict)
    witnesses: dict[int, dict[str, Any]] = field(default_factory=dict)
    journal: Journal | None = None
    signum: int | None = None
    restoring: bool = False
    finished: bool = False
    verdict: RestoreVerdict | None = None
    notes: tuple[RestoreNote, ...] = ()
    """Every record the restore left not as found, named."""
    started: float = field(default_factory=time.monotonic)
    capture: Any = None
    """pytest's capture manager, while pytest runs: lines for the person go past it."""
    printer: Callable[[str], None] | None = None
    """Where `say` prints while the console follows the run (above its live line)."""
    credential_flags: tuple[str, ...] = ()
    """The run's credential flags without their values, for the restore command."""
    console: Console | None = None
    """What the person sees: progress from the first request, then the verdict block."""
    _previous: dict[int, Any] = field(default_factory=dict)

    def say(self, line: str) -> None:
        """One line for the person running the suite (masked), past pytest's output capture."""
        text = self.target.mask(line)
        if self.printer is not None:
            self.printer(text)
        elif self.capture is not None:
            with self.capture.global_and_fixture_disabled():
                print(text, file=self.out, flush=True)
        else:
            print(text, file=self.out, flush=True)

    # ---- signals ----------------------------------------------------------------------------

    def install_signals(self) -> None:
        """SIGINT, SIGTERM and SIGHUP stop the run and restore: installed explicitly, so an ignored
        SIGINT inherited from a shell that started the run with `&` does not stay ignored."""
        if self._previous:
            return
        for name in SIGNALS:
            number = getattr(signal, name, None)
            if number is None:
                continue
            try:
                self._previous[number] = signal.signal(number, self._on_signal)
            except ValueError:  # not the main thread: the caller handles signals
                return

    def uninstall_signals(self) -> None:
        """Put the signal handlers back as they were."""
        for number, previous in self._previous.items():
            signal.signal(number, previous)
        self._previous.clear()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is not None or self.restoring:
            self.signum = self.signum or signum
            where = f"; the journal {self.target.journal} holds what is left" if self.journal else ""
            self.say(
                f"qflow-contracts: {signal.Signals(signum).name} received: finishing the restore first{where}"
            )
            return
        self.signum = signum
        self.transport.stop(Interrupted(signum))
        self.say(f"qflow-contracts: {signal.Signals(signum).name} received: stopping, then restoring")
        raise Interrupted(signum)

    # ---- the end ----------------------------------------------------------------------------

    @property
    def stopped(self) -> BaseException | None:
        """Why the run stopped early, or None."""
        return self.transport.stopped

    def availability(self, error: BaseException | None) -> bool:
        """Whether `error` (or the way the run stopped) is availability or a stop, not a finding."""
        if isinstance(error, (Unavailable, DeadlineReached, KeyboardInterrupt, UnsafeRequest)):
            return True
        return self.transport.stopped is not None


def open_run(target: Target, *, out: TextIO | None = None) -> Run:
    """The paced, journaling client for `target`; nothing is sent yet."""
    out = out or sys.stderr
    evidence = Evidence()
    policy = None
    if not target.owned:
        max_pid = next((p.max_length for p in customer_properties() if p.name == "PersonalId"), None) or 30
        policy = Policy(
            base_path=urllib.parse.urlsplit(target.base_url).path,
            readable=target.readable_ids,
            patchable=frozenset(target.customer_ids),
            read_only=target.read_only,
            personal_id_max=max_pid,
        )
    started = time.monotonic()
    transport = SafeTransport(
        rate_limit=target.rate_limit,
        request_timeout=target.request_timeout,
        max_answer_bytes=target.max_answer_bytes,
        deadline=started + target.max_time if target.max_time else None,
        policy=policy,
        on_request=evidence.request,
    )
    http = httpx.Client(base_url=target.base_url + "/", headers=target.headers, transport=transport)
    client = Client(
        base_url=target.base_url,
        headers=target.headers,
        timeout=httpx.Timeout(target.request_timeout),
        raise_on_unexpected_status=False,
        httpx_args={"transport": transport},
    )
    info = RunInfo(
        base_url=target.mask(target.base_url),
        owned=target.owned,
        read_only=target.read_only,
        strict=target.strict,
        seed=target.seed,
        started=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        project_version=__version__,
        customer_ids=target.customer_ids,
        witness_ids=target.witness_ids,
        journal=str(target.journal) if target.journal else None,
        spec_version=str(load_spec().get("info", {}).get("version", "unknown")),
        spec_digest=hashlib.sha256(spec_path().read_bytes()).hexdigest(),
    )
    return Run(target, transport, http, client, evidence, info, out, started=started)


def _what_to_check(response: httpx.Response, url: str) -> str:
    kind = response.headers.get("content-type", "no content type").split(";")[0]
    return (
        f"{url} answered HTTP {response.status_code} ({kind}), nothing like the QFlow Customers API: "
        "check --base-url and its base path (for example /API)"
    )


def _api_answers(run: Run, cid: int) -> bool:
    """Whether the base URL serves this API: a malformed idType gets 400 there (contract rule 3),
    where a wrong base path answers 404 to everything."""
    try:
        probe = run.http.get(f"Customers/{cid}", params={"idType": "abc"})
    except (Unavailable, UnsafeRequest):
        return False
    return probe.status_code == 400


def _read(run: Run, cid: int, what: str) -> tuple[dict[str, Any], bytes]:
    url = f"{run.target.base_url}/Customers/{cid}"
    try:
        response = run.http.get(f"Customers/{cid}")
    except Unavailable as error:
        raise SetupError(ExitCode.UNAVAILABLE, f"cannot reach {run.target.base_url}: {error}") from None
    except UnsafeRequest as error:
        raise SetupError(ExitCode.USAGE, str(error)) from None
    if response.status_code in (401, 403):
        raise SetupError(
            ExitCode.UNAVAILABLE,
            f"{run.target.base_url} refused the credentials (HTTP {response.status_code})",
        )
    if response.status_code >= 500:
        raise SetupError(
            ExitCode.UNAVAILABLE, f"{url} answered HTTP {response.status_code}: the server fails"
        )
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if (
        response.status_code == 404
        and isinstance(body, dict)
        and "Message" in body
        and _api_answers(run, cid)
    ):
        raise SetupError(
            ExitCode.USAGE, f"{what} {cid} does not exist (GET {url} answered 404): check --customer-id"
        )
    if response.status_code != 200 or not isinstance(body, dict) or customer_id_of(body) is None:
        raise SetupError(ExitCode.USAGE, _what_to_check(response, url))
    found = customer_id_of(body)
    if "CustomerId" not in body and str(found) == str(cid):
        # the record asked for, its property names in another case: the server's fault (rule 2)
        run.evidence.failed(
            Finding(
                Rule.WHOLE_RECORDS,
                key="property-names-case",
                summary=f"GET Customers/{cid} answered the record with its property names in another case",
                detail=f"GET {url} answered " + run.target.mask(response.text)[:600],
                reproduction=run.target.mask(f"curl -sS {url}"),
            )
        )
    elif found != cid and str(found) == str(cid):
        # the record asked for, its CustomerId of the wrong type: the server's fault (contract
        # rule 2), not the user's; the run goes on and the engine judges the rest
        run.evidence.failed(
            Finding(
                Rule.WHOLE_RECORDS,
                key="customerid-not-integer",
                summary=run.target.mask(
                    f"GET Customers/{cid} answered CustomerId {found!r}, not the integer {cid}"
                ),
                detail=f"GET {url} answered " + run.target.mask(response.text)[:600],
                reproduction=run.target.mask(f"curl -sS {url}"),
            )
        )
    elif found != cid:
        raise SetupError(ExitCode.USAGE, f"GET {url} answered another customer's record: check --base-url")
    return body, response.content


def preflight(run: Run) -> None:
    """Read every given customer and witness before anything else, side by side; journal the
    originals before any PATCH. Set-up mistakes and an unreachable server are a SetupError (one
    line; the first in the order given)."""
    target = run.target
    if run.journal is None and target.journal is not None:
        for path in unfinished(state_folder(), target.base_url):
            line = f"an earlier run left {path} unfinished: qflow-contracts restore --journal {path}"
            run.info.warnings.append(target.mask(line))
            run.say(f"qflow-contracts: {line}")
    reads = [functools.partial(_read, run, cid, "customer") for cid in target.customer_ids]
    reads += [functools.partial(_read, run, cid, "witness") for cid in target.witness_ids]
    records = side_by_side(reads)
    for cid, (record, raw) in zip(target.customer_ids, records, strict=False):
        run.originals[cid], run.raw[cid] = record, raw
        if run.transport.policy is not None:
            run.transport.policy.learn(record)
    for cid, (record, _) in zip(target.witness_ids, records[len(target.customer_ids) :], strict=True):
        run.witnesses[cid] = record
    if target.headers:
        run.evidence.held(Rule.AUTHENTICATION, len(target.customer_ids))
    if target.journal is not None and run.journal is None:
        try:
            run.journal = Journal(target.journal)
        except JournalError as error:
            raise SetupError(ExitCode.USAGE, str(error)) from None
        run.journal.start(target.base_url, target.customer_ids, target.witness_ids)
        for cid in target.customer_ids:
            run.journal.original(cid, run.originals[cid], run.raw[cid])
        run.transport.journal = run.journal
        run.say(
            f"qflow-contracts: journal {target.journal} (qflow-contracts restore --journal {target.journal})"
        )


def stop_reason(run: Run) -> str | None:
    """Why the run stopped early, in words."""
    reason = run.transport.stopped
    if reason is None and run.signum is None:
        return None
    if run.signum is not None:
        return f"{signal.Signals(run.signum).name} received"
    if isinstance(reason, DeadlineReached):
        return f"--max-time {run.target.max_time:g} s reached"
    return str(reason)


def _check_witnesses(run: Run) -> None:
    for cid, before in run.witnesses.items():
        try:
            after, _ = _read(run, cid, "witness")
        except SetupError as error:
            run.say(f"qflow-contracts: witness {cid} could not be read again: {error.line}")
            continue
        changed = sorted(k for k in before if not same_value(k, before[k], after.get(k, ...)))
        if not changed:
            run.evidence.held(Rule.PATCH_TARGET)
            continue
        cause = (
            "a PATCH hit the wrong record, unless another user changed it"
            if run.transport.traffic.patches
            else "no PATCH was sent: another user changed it"
        )
        finding = Finding(
            Rule.PATCH_TARGET,
            key=f"witness-{cid}",
            summary=f"witness customer {cid} changed during the run ({', '.join(changed)}): {cause}",
            detail=f"witness {cid} was read before and after the run; the suite never sends it a PATCH",
        )
        if run.transport.traffic.patches:
            run.evidence.failed(finding)
        else:
            run.info.warnings.append(finding.summary)
            run.say(f"qflow-contracts: {finding.summary}")


def finish(run: Run, *, on_line: Callable[[str], None] | None = None) -> None:
    """Stop sending, restore from the journal, read the witnesses again, fill in the run's facts.
    Runs once; a second signal meanwhile does not abandon it."""
    if run.finished:
        return
    run.restoring = True
    run.transport.restoring()
    target, info = run.target, run.info
    say = on_line or run.say
    try:
        if target.read_only:
            info.restore, info.restore_ok = "restore: not needed (read-only run)", True
        elif target.owned:
            info.restore, info.restore_ok = (
                "restore: not needed (the embedded mock is discarded after the run)",
                True,
            )
        elif run.journal is None:
            info.restore, info.restore_ok = "restore: not needed (nothing was changed)", True
        elif not read(run.journal.path).changes:
            info.restore, info.restore_ok = "restore: not needed (no PATCH was sent)", True
            run.journal.done(info.restore)
        else:
            if run.transport.patch_in_doubt:
                time.sleep(min(target.request_timeout, 10.0))  # a PATCH without answer may still land
            written = read(run.journal.path)
            with run.evidence.spending("restore"):
                verdict = restore(run.http, written, target.mask)
            run.verdict = verdict
            run.notes = notes(verdict)
            info.restore, info.restore_ok = verdict.summary(), verdict.ok
            if verdict.ok:
                run.journal.done(verdict.summary())
            run.evidence.held(Rule.RESTORED, len(verdict.restored) + len(verdict.untouched))
        if run.witnesses and (run.verdict is None or run.verdict.lost is None):
            _check_witnesses(run)
    except (Unavailable, DeadlineReached) as error:
        info.restore, info.restore_ok = f"restore: INCOMPLETE, the server was lost ({error})", False
        run.notes = notes(run.verdict, lost=target.mask(str(error)))
    except UnreadableCustomer as error:
        info.restore, info.restore_ok = f"restore: INCOMPLETE ({error})", False
        run.notes = (_unreadable(target.mask(str(error))),)
    finally:
        if run.journal is not None:
            run.journal.close()
        run.transport.shut()
        run.finished = True
    if not info.restore_ok and run.journal is not None and "journal" not in info.restore:
        info.restore += f"; the journal {run.journal.path} holds what is left"
    if not info.restore_ok and run.journal is not None:
        info.restore_command = restore_command(run.journal.path, run.credential_flags)
    for note in run.notes:
        run.evidence.unproven_by(Rule.RESTORED, note.line())
    _pacing_evidence(run)
    traffic = run.transport.traffic
    warnings = []
    if traffic.withheld:
        warnings.append(
            f"{len(traffic.withheld)} answer(s) carried the record of a customer not given "
            "(the server answered someone else); withheld from every output (contract rule 11)"
        )
    warnings += [f"not sent, contract rule 11: {refused}" for refused in traffic.refused[:3]]
    for warning in warnings:
        info.warnings.append(target.mask(warning))
        say(f"qflow-contracts: {warning}")
    reason = stop_reason(run)
    info.stopped = reason or info.stopped  # keep what stopped the suite itself (an internal error)
    if isinstance(run.transport.stopped, Unavailable):
        where = f"; the journal {run.journal.path} holds the originals" if run.journal is not None else ""
        say(f"qflow-contracts: the server stopped answering ({run.transport.stopped}); {info.restore}{where}")
    if isinstance(run.transport.stopped, Unavailable) and hasattr(info, "unavailable"):
        info.unavailable = str(run.transport.stopped)  # type: ignore[attr-defined,unused-ignore]
    info.duration = time.monotonic() - run.started


def restore_command(journal: Path, flags: tuple[str, ...]) -> str:
    """The command that finishes a restore, with the run's credential flags (values never shown;
    a `--header` value must be supplied by the person)."""
    import shlex

    command = " ".join(["qflow-contracts", "restore", "--journal", shlex.quote(str(journal)), *flags])
    if any(flag == "--header" for flag in flags):
        command += "  # replace *** with the header's value"
    return command


def _unreadable(error: str) -> RestoreNote:
    return RestoreNote(
        None, "", f"a given customer could not be read ({error})", "check the customers exist, then restore"
    )


def _pacing_evidence(run: Run) -> None:
    target, traffic = run.target, run.transport.traffic
    if target.rate_limit and traffic.sent:
        busiest = traffic.busiest_second()
        if busiest <= int(target.rate_limit) + 1:
            run.evidence.held(Rule.PACED)
        else:
            run.evidence.failed(
                Finding(
                    Rule.PACED,
                    key="rate",
                    summary=f"{busiest} requests within one second, over --rate-limit {target.rate_limit:g}",
                )
            )
    if not target.owned and traffic.sent:
        run.evidence.held(Rule.ONLY_GIVEN, traffic.sent)


def signal_code(run: Run) -> ExitCode | None:
    """The exit code a signal asks for, or None."""
    if run.signum is None:
        return None
    return SIGNALS.get(signal.Signals(run.signum).name)
