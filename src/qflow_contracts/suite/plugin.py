"""The suite's pytest plugin: one class, its state in `config.stash`.

`qflow-contracts run` resolves the target, reads the given customers and opens the journal itself,
then hands the `Run` to `QflowPlugin(run)` through `pytest.main(plugins=[...])`. Plain
`pytest contracts --qflow-base-url URL --qflow-customer-id N ...` registers the same class from
`contracts/conftest.py`, which resolves the target from the `--qflow-*` options (checked by the same
rules as the runner's flags). Either way the same safety applies: the paced, journaling client,
masked reports, signals that restore, and the restore at the end. A server is treated as the
suite's own only when the suite started it (no option can say otherwise).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Generator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TextIO, cast

import pytest
from qflow_client import Client

from qflow_contracts.config import HEADER_WARNING, OPTIONS, ConfigError, Settings, settings
from qflow_contracts.exitcodes import ExitCode
from qflow_contracts.suite import outcome
from qflow_contracts.suite.evidence import Evidence, Finding
from qflow_contracts.suite.http import Unavailable
from qflow_contracts.suite.lifecycle import (
    Run,
    SetupError,
    finish,
    open_run,
    preflight,
    signal_code,
    target_for,
)
from qflow_contracts.suite.rules import ContractViolation, Rule
from qflow_contracts.suite.target import Target

RUN = pytest.StashKey[Run]()
PREFIX = "--qflow-"


def add_options(parser: pytest.Parser) -> None:
    """The suite's pytest options: the runner's flags, prefixed with `--qflow-`."""
    group = parser.getgroup("qflow", "QFlow conformance suite (the same options as qflow-contracts run)")
    group.addoption(f"{PREFIX}config", dest="qflow_config", help="a TOML file of these options")
    for option in OPTIONS:
        flag, dest = PREFIX + option.option[2:], f"qflow_{option.name}"
        if option.kind == "bool":
            group.addoption(flag, dest=dest, action="store_true", default=None, help=option.help)
        elif option.kind in ("ids", "strings"):
            group.addoption(flag, dest=dest, action="append", default=None, help=option.help)
        else:
            group.addoption(flag, dest=dest, default=None, help=option.help)


class MaskedStream:
    """A text stream that masks every credential before writing (contract rule 12)."""

    def __init__(self, stream: TextIO, target: Target) -> None:
        self._stream = stream
        self._target = target

    def write(self, text: str) -> int:
        self._stream.write(self._target.mask(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class QflowPlugin:
    """The suite's plugin: fixtures `target`, `client`, `originals`, `evidence`; reports masked; the
    restore and the verdict at the end of the session."""

    def __init__(self, run: Run | None = None, settings: Settings | None = None) -> None:
        self.run = run
        self.settings = settings
        self._stack = ExitStack()
        self._made_here: list[Path] = []
        self.exit_code: ExitCode | None = None
        self.console: Any = None

    # ---- set-up -------------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        if self.run is None:
            self.run = self._resolve(config)
        run = self.run
        config.stash[RUN] = run
        run.capture = config.pluginmanager.get_plugin("capturemanager")
        run.install_signals()
        self._private_storage()
        if self.console is None:
            self.console = outcome.console(
                cast(TextIO, MaskedStream(sys.stdout, run.target)), live=sys.stdout.isatty()
            )
            self.console.attach(run.evidence)

    def _resolve(self, config: pytest.Config) -> Run:
        flags = {option.name: config.getoption(f"qflow_{option.name}") for option in OPTIONS}
        flags["config"] = config.getoption("qflow_config")
        if flags.get("headers"):
            print(HEADER_WARNING.replace("--header", f"{PREFIX}header"), file=sys.stderr)
        try:
            self.settings = settings(flags)
        except ConfigError as error:
            raise pytest.UsageError(f"qflow: {error}".replace(" --", f" {PREFIX}", 1)) from None
        base_url, ids, owned = self.settings.base_url, self.settings.customer_ids, False
        if base_url is None:
            from qflow_contracts.suite.embedded import serve_embedded

            embedded = self._stack.enter_context(serve_embedded())
            base_url, ids, owned = embedded.base_url, ids or embedded.customer_ids, True
        target = target_for(self.settings, base_url=base_url, customer_ids=ids, owned=owned)
        run = open_run(target, out=sys.stderr)
        try:
            preflight(run)
        except SetupError as error:
            run.transport.shut()
            self._stack.close()
            pytest.exit(f"qflow: {error.line}", returncode=int(error.code))
        return run

    def _private_storage(self) -> None:
        """Hypothesis' folder in the per-user cache (`hypothesis_cache`), nothing of Schemathesis'
        left in the working directory (folders this run creates there are removed at the end)."""
        from hypothesis import configuration

        home = hypothesis_cache()
        try:
            home.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError:
            home = Path(tempfile.mkdtemp(prefix="qflow-hypothesis-"))
            self._made_here.append(home)
        configuration.set_hypothesis_home_dir(home)
        for name in (".schemathesis", ".hypothesis", "schemathesis-report"):
            if not Path(name).exists():
                self._stack.callback(self._remove_if_made, Path(name).resolve())

    @staticmethod
    def _remove_if_made(path: Path) -> None:
        shutil.rmtree(path, ignore_errors=True)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Everything pytest prints goes through the mask."""
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None and not isinstance(reporter._tw._file, MaskedStream):
            reporter._tw._file = MaskedStream(reporter._tw._file, session.config.stash[RUN].target)

    def pytest_report_header(self, config: pytest.Config) -> str:
        target = config.stash[RUN].target
        kind = "embedded mock" if target.owned else "a server not started by the suite: safe mode"
        pace = f", at most {target.rate_limit:g} requests/s" if target.rate_limit else ""
        return target.mask(
            f"qflow: {target.base_url} ({kind}), customers {list(target.customer_ids)}, "
            f"seed {target.seed}{pace}"
        )

    # ---- fixtures -----------------------------------------------------------------------------

    @pytest.fixture(scope="session")
    def target(self, pytestconfig: pytest.Config) -> Target:
        """The server under test and what the suite may do to it."""
        return pytestconfig.stash[RUN].target

    @pytest.fixture(scope="session")
    def evidence(self, pytestconfig: pytest.Config) -> Evidence:
        """The run's ledger: every request is counted in it, every check records in it."""
        return pytestconfig.stash[RUN].evidence

    @pytest.fixture(scope="session")
    def client(self, pytestconfig: pytest.Config) -> Client:
        """The generated client on the paced, bounded, journaling transport."""
        return pytestconfig.stash[RUN].client

    @pytest.fixture(scope="session")
    def originals(self, pytestconfig: pytest.Config) -> dict[int, dict[str, Any]]:
        """Every given customer as first read, before any change (journaled)."""
        return pytestconfig.stash[RUN].originals

    @pytest.fixture(scope="session")
    def run_state(self, pytestconfig: pytest.Config) -> Run:
        """The whole run (transport, journal, witnesses), for the suite's own tests."""
        return pytestconfig.stash[RUN]

    # ---- during the run -----------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        run = item.config.stash[RUN]
        error = call.excinfo.value if call.excinfo is not None else None
        if report.when == "call" and error is not None:
            if run.availability(error):
                reason = run.transport.stopped or error
                item.session.shouldstop = f"qflow: stopped ({type(reason).__name__}: {reason})"
                report.outcome = "skipped"
                report.longrepr = (str(item.path), 0, run.target.mask(f"stopped: {reason}"))
                return report
            if isinstance(error, ContractViolation):
                run.evidence.failed(
                    Finding(
                        error.rule,
                        key=run.target.mask(error.detail.splitlines()[0] if error.detail else error.rule.id),
                        summary=run.target.mask(error.detail.splitlines()[0] if error.detail else ""),
                        detail=run.target.mask(error.detail),
                        reproduction=run.target.mask(error.reproduction) if error.reproduction else None,
                    )
                )
            else:
                run.info.stopped = run.target.mask(f"the suite failed in {item.name}: {type(error).__name__}")
        if report.longrepr is not None and not isinstance(report.longrepr, tuple):
            report.longrepr = run.target.mask(str(report.longreprtext))
        report.sections = [(name, run.target.mask(text)) for name, text in report.sections]
        return report

    # ---- the end ------------------------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        run = session.config.stash.get(RUN, None)
        if run is None:
            return
        self.exit_code = conclude(run, self.settings, self.console)
        session.exitstatus = int(self.exit_code)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        run = config.stash.get(RUN, None)
        if run is not None:
            run.capture = None
            run.uninstall_signals()
            run.http.close()
        if self.console is not None:
            self.console.close()
        for path in self._made_here:
            shutil.rmtree(path, ignore_errors=True)
        with contextlib.suppress(Exception):
            self._stack.close()


def hypothesis_cache(environ: Mapping[str, str] | None = None) -> Path:
    """Where Hypothesis keeps its files for the suite: `$XDG_CACHE_HOME/qflow-contracts/hypothesis`,
    else `~/.cache/qflow-contracts/hypothesis`. It holds only caches (Unicode tables, constants read
    from source), computed once (about 2 s) instead of on every run: the suite keeps no example
    database, so no run replays another's."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qflow-contracts" / "hypothesis"


def conclude(run: Run, settings: Settings | None, console: Any) -> ExitCode:
    """Restore, then the verdict block, the reports and the exit code (a signal's when the restore
    held)."""
    finish(run)
    rules = outcome.asked(run.target)
    if run.info.stopped:
        unfinished = [rule for rule in Rule if rule in rules and not run.evidence.tallies[rule].checks]
        for rule in unfinished:
            run.evidence.not_exercised(rule, f"the run stopped early: {run.info.stopped}")
        if unfinished:
            run.say(
                f"qflow-contracts: stopped ({run.info.stopped}); rules not finished: "
                + ", ".join(rule.id for rule in unfinished)
            )
    if console is None:
        console = outcome.console(cast(TextIO, MaskedStream(sys.stdout, run.target)), live=False)
    console.verdict(run.evidence, run.info, rules)
    console.close()
    if settings is not None:
        outcome.write_reports(
            run.evidence,
            run.info,
            rules,
            run.target,
            markdown=settings.report,
            junit=settings.junit_xml,
            html=settings.html,
        )
    code = outcome.verdict_code(run.evidence, run.info, rules)
    if isinstance(run.transport.stopped, Unavailable) and code in (ExitCode.CONFORMANT, ExitCode.INCOMPLETE):
        code = ExitCode.UNAVAILABLE  # a timeout is the server's availability, not the contract
    signalled = signal_code(run)
    if signalled is not None and code != ExitCode.RESTORE_INCOMPLETE:
        return signalled
    return code
