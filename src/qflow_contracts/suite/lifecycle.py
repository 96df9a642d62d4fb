"""One run's life, shared by `qflow-contracts run` and plain `pytest contracts`: open (the paced
client, the preflight reads, the journal), stop (a signal, the deadline, a lost server), and finish
(the restore from the journal, the witnesses read again, the run's facts for the verdict)."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import resource
import shlex
import signal
import sys
import time
import urllib.parse
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
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
    DEFAULT_RESTORE_TIME,
    Settings,
)
from qflow_contracts.exitcodes import ExitCode
from qflow_contracts.resources import spec_path
from qflow_contracts.rules import Rule
from qflow_contracts.suite import fields
from qflow_contracts.suite.answers import Problem
from qflow_contracts.suite.baseline import Baseline, BaselineError
from qflow_contracts.suite.baseline import load as load_baseline
from qflow_contracts.suite.console import Console, MaskedStream, terminal
from qflow_contracts.suite.errors import DeadlineReached, Unavailable, UnsafeRequest
from qflow_contracts.suite.evidence import Evidence, Finding, RunInfo
from qflow_contracts.suite.facts import spec_facts, utc_now
from qflow_contracts.suite.guard import Guard
from qflow_contracts.suite.http import SafeTransport, side_by_side
from qflow_contracts.suite.journal import (
    Journal,
    JournalError,
    Written,
    default_path,
    read,
    state_folder,
    unfinished,
)
from qflow_contracts.suite.ownership import Ownership
from qflow_contracts.suite.restore import (
    RestoreVerdict,
    UnreadableCustomer,
    restore,
    same_value,
)
from qflow_contracts.suite.restore_notes import RestoreNote, notes
from qflow_contracts.suite.runlock import Locked, RunLock, deployment_key, lock_folder
from qflow_contracts.suite.target import Target

SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM")
"""The signals that stop a run and restore it, exit 128 + the signal's number. Any other that ends
a process (SIGKILL) leaves the journal for `qflow-contracts restore`."""


def restore_command(target: Target, journal: Path) -> str:
    """The command that finishes a run's restore from its journal: it names the base URL again
    (`restore` sends credentials only where the user says) and carries the run's credential flags,
    values never shown (a `--header` value must be supplied by the person)."""
    words = ["qflow-contracts", "restore", "--journal", str(journal), "--base-url", target.base_url]
    command = " ".join([*map(shlex.quote, words), *target.credential_flags])
    if "--header" in target.credential_flags:
        command += "  # replace *** with the header's value"
    return command


def no_core_dumps() -> None:
    """A crash of the run leaves no core file (it would hold the credential)."""
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


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

    baseline = read_baseline(chosen)
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
    run.baseline = baseline
    run.info.command = target.mask(command)
    run.info.settings = settings_facts(target)
    run.install_signals()
    stack.callback(run.uninstall_signals)
    follow(run)
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


def read_baseline(chosen: Settings) -> Baseline | None:
    """The `--baseline` file, read and checked before anything is started (SetupError otherwise)."""
    if chosen.baseline is None:
        return None
    try:
        return load_baseline(chosen.baseline)
    except BaselineError as error:
        raise SetupError(ExitCode.USAGE, str(error)) from None


def follow(run: Run) -> None:
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
        restore_time=settings.restore_time or DEFAULT_RESTORE_TIME,
        journal=journal,
        over_journal=settings.over_unfinished_journal,
        keep_journal=settings.keep_journal,
        credential_flags=settings.credential_flags,
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
    witness_raw: dict[int, bytes] = field(default_factory=dict)
    """Each witness's first answer, byte for byte (journaled as its original)."""
    journal: Journal | None = None
    lock: RunLock | None = None
    over: Written | None = None
    """The unfinished journal this run took over (`--over-unfinished-journal`)."""
    signum: int | None = None
    signals: int = 0
    restoring: bool = False
    finished: bool = False
    verdict: RestoreVerdict | None = None
    notes: tuple[RestoreNote, ...] = ()
    """Every record the restore left not as found, named."""
    baseline: Baseline | None = None
    """The accepted findings the verdict sets apart (`--baseline`)."""
    started: float = field(default_factory=time.monotonic)
    capture: Any = None
    """pytest's capture manager, while pytest runs: lines for the person go past it."""
    printer: Callable[[str], None] | None = None
    """Where `say` prints while the console follows the run (above its live line)."""
    console: Console | None = None
    """What the person sees: progress from the first request, then the verdict block."""
    _previous: dict[int, Any] = field(default_factory=dict)
    _fd: int | None = None
    """A copy of `out`'s file descriptor made before pytest captures it: a signal handler writes
    there directly, never through a buffered stream it may have interrupted."""

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

    def say_now(self, line: str) -> None:
        """`say`, from a signal handler: one unbuffered write, safe when the handler interrupted a
        print to the same stream."""
        data = (self.target.mask(line) + "\n").encode("utf-8", "replace")
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.write(self._fd, data)
                return
        with contextlib.suppress(RuntimeError, ValueError):
            self.out.write(data.decode("utf-8"))

    def _terminal_fd(self) -> int | None:
        """A copy of the descriptor `out` writes to; under plain pytest, whose capture already
        holds stderr, the one pytest saved for the terminal."""
        capturing = getattr(self.capture, "_global_capturing", None)
        saved = getattr(getattr(capturing, "err", None), "targetfd_save", None)
        try:
            return os.dup(saved if isinstance(saved, int) else self.out.fileno())
        except (AttributeError, OSError, ValueError):
            return None

    def install_signals(self) -> None:
        """SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGALRM stop the run and restore:
        installed explicitly, so an ignored SIGINT inherited from a shell that started the run with
        `&` does not stay ignored. Core dumps are off for the run."""
        if self._previous:
            return
        no_core_dumps()
        if self._fd is None:
            self._fd = self._terminal_fd()
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
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        """The first signal stops the run (the restore follows); a second says what is left of the
        restore and that the journal finishes it; a third abandons the restore to the journal."""
        name = signal.Signals(signum).name
        self.signals += 1
        if self.signum is not None or self.restoring:
            self.signum = self.signum or signum
            self.say_now(self._restore_left(name))
            return
        self.signum = signum
        self.transport.stop(Interrupted(signum))
        self.say_now(f"qflow-contracts: {name} received: stopping, then restoring")
        if not self.transport.shielded:  # else the transport raises it once the exchange is settled
            raise Interrupted(signum)

    def _restore_left(self, name: str) -> str:
        """What a signal during the restore (or while the run stops) is told."""
        journal = self.journal.path if self.journal is not None else self.target.journal
        finish = ""
        if journal is not None:
            finish = f"; the journal finishes it: {restore_command(self.target, journal)}"
        if self.signals >= 3 and not self.finished:
            self.transport.shut()
            return f"qflow-contracts: {name} received again: the restore is abandoned{finish}"
        left = self.transport.time_left() if self.restoring else None
        bound = f", at most {left:.0f} s more" if left is not None else ""
        customers = len(self.target.customer_ids)
        return (
            f"qflow-contracts: {name} received: finishing the restore first ({customers} customer(s)"
            f"{bound}); a third signal abandons it{finish}"
        )

    # ---- the end ----------------------------------------------------------------------------

    def availability(self, error: BaseException | None) -> bool:
        """Whether `error` (or the way the run stopped) is availability or a stop, not a finding."""
        if isinstance(error, (Unavailable, DeadlineReached, KeyboardInterrupt, UnsafeRequest)):
            return True
        return self.transport.stopped is not None


def _malformed(evidence: Evidence, target: Target) -> Callable[[httpx.Request, Problem], None]:
    """Record an answer the transport had to make readable as the server's finding: too deep is
    a schema failure, a lone surrogate a string that cannot round-trip (contract rule 7)."""

    def record(request: httpx.Request, problem: Problem) -> None:
        rule = Rule.SPEC_SCHEMA if problem.kind == "depth" else Rule.ROUND_TRIP
        where = f"{request.method} {request.url.path}"
        evidence.failed(
            Finding(
                rule,
                key=f"hostile-answer-{problem.kind}",
                summary=target.mask(f"{where} answered {problem.text}"),
                detail=target.mask(
                    f"{where}?{request.url.query.decode('ascii', 'replace')} answered {problem.text}; "
                    "the suite read a stand-in and went on"
                ),
            )
        )

    return record


def open_run(target: Target, *, out: TextIO | None = None) -> Run:
    """The paced, journaling client for `target`; nothing is sent yet."""
    out = out or sys.stderr
    evidence = Evidence()
    policy = None if target.owned else _guard(target)
    started = time.monotonic()
    transport = SafeTransport(
        rate_limit=target.rate_limit,
        request_timeout=target.request_timeout,
        max_answer_bytes=target.max_answer_bytes,
        deadline=started + target.max_time if target.max_time else None,
        restore_time=target.restore_time,
        policy=policy,
        on_request=evidence.request,
        on_malformed=_malformed(evidence, target),
    )
    # trust_env off: no .netrc credential, no proxy from the environment
    http = httpx.Client(
        base_url=target.base_url + "/", headers=target.headers, transport=transport, trust_env=False
    )
    client = Client(
        base_url=target.base_url,
        headers=target.headers,
        timeout=httpx.Timeout(target.request_timeout),
        raise_on_unexpected_status=False,
        httpx_args={"transport": transport, "trust_env": False},
    )
    spec_version, spec_digest = spec_facts(spec_path())
    info = RunInfo(
        base_url=target.mask(target.base_url),
        owned=target.owned,
        read_only=target.read_only,
        strict=target.strict,
        seed=target.seed,
        started=utc_now(),
        project_version=__version__,
        customer_ids=target.customer_ids,
        witness_ids=target.witness_ids,
        journal=str(target.journal) if target.journal else None,
        spec_version=spec_version,
        spec_digest=spec_digest,
    )
    return Run(target, transport, http, client, evidence, info, out, started=started)


def _guard(target: Target) -> Guard:
    """What the transport lets through to a server the suite did not start (contract rule 11)."""
    return Guard(
        base_path=urllib.parse.urlsplit(target.base_url).path,
        readable=target.readable_ids,
        patchable=frozenset(target.customer_ids),
        read_only=target.read_only,
    )


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
    """GET a given customer before the run: its record, or a SetupError saying what to check."""
    url = f"{run.target.base_url}/Customers/{cid}"
    try:
        response = run.http.get(f"Customers/{cid}")
    except Unavailable as error:
        raise SetupError(ExitCode.UNAVAILABLE, f"cannot reach {run.target.base_url}: {error}") from None
    except UnsafeRequest as error:
        raise SetupError(ExitCode.USAGE, str(error)) from None
    _refuses(run, response, url)
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
    if response.status_code != 200 or not isinstance(body, dict) or fields.customer_id(body) is None:
        raise SetupError(ExitCode.USAGE, _what_to_check(response, url))
    _check_identity(run, cid, body, response, url)
    return body, response.content


def _refuses(run: Run, response: httpx.Response, url: str) -> None:
    """A server that refuses the credentials or fails cannot be judged: set-up, not a finding."""
    if response.status_code in (401, 403):
        raise SetupError(
            ExitCode.UNAVAILABLE,
            f"{run.target.base_url} refused the credentials (HTTP {response.status_code})",
        )
    if response.status_code >= 500:
        raise SetupError(
            ExitCode.UNAVAILABLE, f"{url} answered HTTP {response.status_code}: the server fails"
        )


def _check_identity(run: Run, cid: int, body: dict[str, Any], response: httpx.Response, url: str) -> None:
    """The record read must be the customer asked for: in another case or type it is the server's
    fault (contract rule 2) and the run goes on; another customer's record is the user's URL."""
    found = fields.customer_id(body)
    if str(found) != str(cid):
        raise SetupError(ExitCode.USAGE, f"GET {url} answered another customer's record: check --base-url")
    if "CustomerId" not in body:
        key, summary = "property-names-case", "answered the record with its property names in another case"
    elif found != cid:
        key, summary = "customerid-not-integer", f"answered CustomerId {found!r}, not the integer {cid}"
    else:
        return
    run.evidence.failed(
        Finding(
            Rule.WHOLE_RECORDS,
            key=key,
            summary=run.target.mask(f"GET Customers/{cid} {summary}"),
            detail=f"GET {url} answered " + run.target.mask(response.text)[:600],
            reproduction=run.target.mask(f"curl -sS {url}"),
        )
    )


def _lock(run: Run) -> None:
    """One run at a time per deployment and customer; a run over an unfinished journal of any of
    its customers refuses, unless it was told to take that journal over. Before any request."""
    target = run.target
    assert target.journal is not None
    try:
        folder = lock_folder(state_folder())
        lock = RunLock(folder, target.base_url, target.customer_ids, target.witness_ids, target.journal)
        run.lock = lock.acquire()
    except Locked as error:
        raise SetupError(ExitCode.USAGE, str(error)) from None
    candidates = list(unfinished(state_folder(), target.base_url)) + list(run.lock.previous.values())
    over = target.over_journal.resolve() if target.over_journal is not None else None
    if over is not None:
        try:
            run.over = _over(target, over)
        except SetupError:
            run.lock.release()
            raise
    seen: set[Path] = set()
    for path in candidates:
        if path.resolve() in seen or path.resolve() == over or path.resolve() == target.journal.resolve():
            continue
        seen.add(path.resolve())
        try:
            written = read(path)
        except (JournalError, KeyError, TypeError, ValueError):
            continue
        if (
            written.done
            or not written.changes
            or deployment_key(written.base_url) != deployment_key(target.base_url)
        ):
            continue
        shared = sorted(set(written.customer_ids or written.originals) & set(target.customer_ids))
        if not shared:
            run.say(
                f"qflow-contracts: an earlier run left {path} unfinished: {restore_command(target, path)}"
            )
            continue
        run.lock.release()
        raise SetupError(
            ExitCode.USAGE,
            f"an earlier run left the journal {path} unfinished for customer(s) "
            f"{', '.join(map(str, shared))}: their records may still hold its changes; finish it with "
            f"`{restore_command(target, path)}`, or pass --over-unfinished-journal {path} to take "
            "its originals as this run's",
        )


def _over(target: Target, path: Path) -> Written:
    """The unfinished journal this run takes over: same deployment, its customers among the run's."""
    try:
        written = read(path)
    except JournalError as error:
        raise SetupError(ExitCode.USAGE, f"--over-unfinished-journal: {error}") from None
    if written.done:
        raise SetupError(ExitCode.USAGE, f"--over-unfinished-journal {path}: its restore was already proven")
    if deployment_key(written.base_url) != deployment_key(target.base_url):
        raise SetupError(
            ExitCode.USAGE,
            f"--over-unfinished-journal {path}: it is a journal of {target.mask(written.base_url)}, "
            f"not of {target.mask(target.base_url)}",
        )
    missing = sorted(set(written.originals) - set(target.customer_ids))
    if missing:
        raise SetupError(
            ExitCode.USAGE,
            f"--over-unfinished-journal {path}: it also holds customer(s) {', '.join(map(str, missing))}; "
            "give them with --customer-id too, or restore that journal first",
        )
    return written


def _journal_originals(run: Run) -> None:
    """Journal the originals: today's reads, or, for a customer of a journal taken over, that
    journal's originals and the changes its run made (so the restore knows them as this run's)."""
    assert run.journal is not None
    over = run.over
    for cid in run.target.customer_ids:
        if over is not None and cid in over.originals:
            raw = over.raw.get(cid, "").encode("utf-8", "surrogateescape")
            run.journal.original(cid, over.originals[cid], raw)
        else:
            run.journal.original(cid, run.originals[cid], run.raw[cid])
    for cid in run.target.witness_ids:
        run.journal.witness(cid, run.witnesses[cid], run.witness_raw[cid])
    if over is not None:
        numbers: dict[int | None, int] = {}
        for change in over.changes:
            numbers[change.number] = run.journal.change(
                change.content_type, change.body.encode("utf-8", "surrogateescape")
            )
        for old, new in numbers.items():
            if old is not None and old in over.answered:
                caused = [replace(e, change=new) for e in over.stored if e.change == old]
                run.journal.answered(new, 0, caused)  # 0: its status is the killed run's journal's
        for entry in over.stored:
            if entry.change is None or entry.change not in numbers:
                run.journal.stored(replace(entry, change=numbers.get(entry.change)))
        run.say(
            f"qflow-contracts: taking over the unfinished journal {over.path}: its originals are "
            "this run's, and its changes are restored with this run's"
        )


def preflight(run: Run) -> None:
    """Read every given customer and witness before anything else, side by side; journal the
    originals before any PATCH. Set-up mistakes and an unreachable server are a SetupError (one
    line; the first in the order given). A run that may change records first takes its locks."""
    target = run.target
    if run.journal is None and target.journal is not None and run.lock is None:
        _lock(run)
    try:
        _read_and_journal(run)
    except BaseException:
        if run.lock is not None:
            run.lock.release()
        raise


def _read_and_journal(run: Run) -> None:
    target = run.target
    reads = [functools.partial(_read, run, cid, "customer") for cid in target.customer_ids]
    reads += [functools.partial(_read, run, cid, "witness") for cid in target.witness_ids]
    records = side_by_side(reads)
    for cid, (record, raw) in zip(target.customer_ids, records, strict=False):
        run.originals[cid], run.raw[cid] = record, raw
        if run.transport.policy is not None:
            run.transport.policy.learn(record)
    for cid, (record, raw) in zip(target.witness_ids, records[len(target.customer_ids) :], strict=True):
        run.witnesses[cid], run.witness_raw[cid] = record, raw
    if target.headers:
        run.evidence.held(Rule.AUTHENTICATION, len(target.customer_ids))
    if target.journal is not None and run.journal is None:
        try:
            run.journal = Journal(target.journal)
            run.journal.start(target.base_url, target.customer_ids, target.witness_ids)
            _journal_originals(run)
        except JournalError as error:  # nothing was changed yet
            if run.journal is not None:
                run.journal.close()
            raise SetupError(ExitCode.USAGE, str(error)) from None
        run.transport.ownership = Ownership({cid: run.originals[cid] for cid in target.customer_ids})
        run.transport.journal = run.journal
        run.say(f"qflow-contracts: journal {target.journal} ({restore_command(target, target.journal)})")


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
            detail=f"witness {cid} was read before and after the run; the suite never sends it a PATCH"
            + (
                f". To put it back: {restore_command(run.target, run.journal.path)} --restore-witnesses"
                if run.journal is not None
                else ""
            ),
        )
        if run.transport.traffic.patches:
            run.evidence.failed(finding)
            if run.journal is not None:
                run.say(
                    f"qflow-contracts: witness {cid} changed; its original is journaled: "
                    f"{restore_command(run.target, run.journal.path)} --restore-witnesses puts it back"
                )
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
    say = on_line or run.say
    _restore_run(run, say)
    target, info = run.target, run.info
    if not info.restore_ok and run.journal is not None and "journal" not in info.restore:
        info.restore += f"; the journal {run.journal.path} holds what is left"
    if not info.restore_ok and run.journal is not None:
        info.restore_command = target.mask(restore_command(target, run.journal.path))
    for note in run.notes:
        if note.kind != "note":  # a note about the journal itself leaves a proven record proven
            run.evidence.unproven_by(Rule.RESTORED, note.line())
    _pacing_evidence(run)
    _warn(run, say)
    reason = stop_reason(run)
    info.stopped = reason or info.stopped  # keep what stopped the suite itself (an internal error)
    if isinstance(run.transport.stopped, Unavailable):
        where = ""
        if run.journal is not None and str(run.journal.path) not in info.restore:
            where = f"; the journal {run.journal.path} holds the originals"
        say(f"qflow-contracts: the server stopped answering ({run.transport.stopped}); {info.restore}{where}")
    if isinstance(run.transport.stopped, Unavailable) and hasattr(info, "unavailable"):
        info.unavailable = str(run.transport.stopped)  # type: ignore[attr-defined,unused-ignore]
    info.duration = time.monotonic() - run.started


def _restore_run(run: Run, say: Callable[[str], None]) -> None:
    """Put every given customer back and read the witnesses again; then nothing more is sent."""
    target, info = run.target, run.info
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
        elif not run.journal.written.changes:
            info.restore, info.restore_ok = "restore: not needed (no PATCH was sent)", True
            _finish_journal(run, info.restore, say)
        else:
            _restore_changes(run, run.journal)
        if run.witnesses and (run.verdict is None or run.verdict.lost is None):
            _check_witnesses(run)
        if run.verdict is not None and run.verdict.ok and run.journal is not None:
            # a changed witness keeps the whole journal: `restore --restore-witnesses` needs its original
            _finish_journal(run, run.verdict.summary(), say, keep=_witness_changed(run))
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
        if run.lock is not None:
            run.lock.release()


def _restore_changes(run: Run, journal: Journal) -> None:
    """Restore what the run's PATCHes changed, from the journal in memory, and prove it."""
    if run.transport.patch_in_doubt:
        time.sleep(min(run.target.request_timeout, 10.0))  # a PATCH without answer may still land
    written = journal.written  # in memory: the restore never needs the disk
    with run.evidence.spending("restore"):
        verdict = restore(run.http, written, run.target.mask)
    run.verdict = verdict
    if journal.broken is not None:
        verdict.notes.append(
            f"restore: {journal.broken}; the restore worked from memory, and the journal "
            "on disk may lack the last changes"
        )
    run.notes = notes(verdict)
    run.info.restore, run.info.restore_ok = verdict.summary(), verdict.ok
    run.evidence.held(Rule.RESTORED, len(verdict.restored) + len(verdict.untouched))
    if verdict.ok:
        _finish_over(run)


def _warn(run: Run, say: Callable[[str], None]) -> None:
    """Warn of the records withheld and the requests the guard refused (contract rule 11)."""
    traffic = run.transport.traffic
    warnings = []
    if traffic.withheld:
        warnings.append(
            f"{len(traffic.withheld)} answer(s) carried the record of a customer not given "
            "(the server answered someone else); withheld from every output (contract rule 11)"
        )
    warnings += [f"not sent, contract rule 11: {refused}" for refused in traffic.refused[:3]]
    for warning in warnings:
        run.info.warnings.append(run.target.mask(warning))
        say(f"qflow-contracts: {warning}")


def _witness_changed(run: Run) -> bool:
    return any(f.key.startswith("witness-") for f in run.evidence.findings())


def _finish_over(run: Run) -> None:
    """The journal this run took over is done once this run's restore is proven."""
    if run.over is None or run.journal is None:
        return
    try:
        journal = Journal(run.over.path, existing=True)
        trouble = journal.finish(
            f"restored by the run of the journal {run.journal.path}", keep=run.target.keep_journal
        )
        journal.close()
        if trouble is not None:
            run.say(f"qflow-contracts: {trouble}")
    except (JournalError, OSError) as error:
        run.say(f"qflow-contracts: could not mark {run.over.path} done ({error})")


def _finish_journal(run: Run, summary: str, say: Callable[[str], None], *, keep: bool = False) -> None:
    """Mark the journal done and drop the records' contents (unless --keep-journal or `keep`); say
    what the disk did not take."""
    assert run.journal is not None
    trouble = run.journal.finish(summary, keep=run.target.keep_journal or keep)
    if trouble is not None:
        say(f"qflow-contracts: {trouble}")


def _unreadable(error: str) -> RestoreNote:
    return RestoreNote(
        None, "", f"a given customer could not be read ({error})", "check the customers exist, then restore"
    )


def _pacing_evidence(run: Run) -> None:
    target, traffic = run.target, run.transport.traffic
    if traffic.throttled:
        run.info.throttled = (
            f"{traffic.throttled} throttled answer(s) (429, or 503 with Retry-After), "
            f"{traffic.waited:.1f} s waited as asked; the pace was halved at each"
        )
        run.say(f"qflow-contracts: the server throttled the run: {run.info.throttled}")
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
    """The exit code a signal asks for (128 + its number), or None."""
    if run.signum is None:
        return None
    try:
        return ExitCode(128 + run.signum)
    except ValueError:
        return ExitCode.TERMINATED
