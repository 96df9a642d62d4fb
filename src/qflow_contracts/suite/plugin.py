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
import io
import os
import shlex
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
from qflow_contracts.exitcodes import ExitCode, pytest_code
from qflow_contracts.suite import outcome
from qflow_contracts.suite.console import Console, MaskedStream
from qflow_contracts.suite.evidence import Evidence, FindingsRecorded
from qflow_contracts.suite.lifecycle import Run, SetupError, follow, start_run
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


class QflowPlugin:
    """The suite's plugin: fixtures `target`, `client`, `originals`, `evidence`; reports masked; the
    restore and the verdict at the end of the session.

    `quiet` (the runner's): pytest's own output (its progress marks, FAILURES block and summary)
    is not shown; the console's progress and verdict block are the whole screen."""

    def __init__(
        self, run: Run | None = None, settings: Settings | None = None, *, quiet: bool = False
    ) -> None:
        self.run = run
        self.settings = settings
        self.quiet = quiet
        self._stack = ExitStack()
        self._made_here: list[Path] = []
        self.exit_code: ExitCode | None = None
        self.console: Console | None = None
        self.pytest_output = io.StringIO()
        """What pytest wrote while `quiet` (kept for the suite's own errors)."""

    # ---- set-up -------------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        if _parallel(config):
            pytest.exit(
                "qflow: parallel workers (-n) are not supported: the suite runs in one process, as one "
                "paced client (contract rule 15)",
                returncode=pytest_code(ExitCode.USAGE),
            )
        if self.run is None:
            self.run = self._resolve(config)
        run = self.run
        config.stash[RUN] = run
        run.capture = config.pluginmanager.get_plugin("capturemanager")
        run.install_signals()
        self._private_storage()
        if self.console is None:
            if run.console is None:  # a Run opened without start_run (tests)
                follow(run)
            self.console = run.console

    def _resolve(self, config: pytest.Config) -> Run:
        flags = {option.name: config.getoption(f"qflow_{option.name}") for option in OPTIONS}
        flags["config"] = config.getoption("qflow_config")
        if flags.get("headers"):
            print(HEADER_WARNING.replace("--header", f"{PREFIX}header"), file=sys.stderr)
        try:
            self.settings = settings(flags)
        except ConfigError as error:
            line = f"qflow: {error}".replace(" --", f" {PREFIX}", 1)
            pytest.exit(line, returncode=pytest_code(ExitCode.USAGE))
        command = " ".join(shlex.quote(arg) for arg in ["pytest", *config.invocation_params.args])
        try:
            return start_run(self.settings, self._stack, out=sys.stderr, command=command)
        except SetupError as error:
            self._stack.close()
            pytest.exit(f"qflow: {error.line}", returncode=pytest_code(error.code))

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
        """Everything pytest prints goes through the mask; when `quiet`, into `pytest_output`."""
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return
        if self.quiet:
            reporter._tw._file = MaskedStream(
                cast(TextIO, self.pytest_output), session.config.stash[RUN].target
            )
        elif not isinstance(reporter._tw._file, MaskedStream):
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
            if not isinstance(error, FindingsRecorded):
                # findings are the verdict; any other exception is the suite's own error
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
        session.exitstatus = int(self.exit_code) if self.quiet else pytest_code(self.exit_code)

    def pytest_internalerror(self, excrepr: object) -> None:
        """pytest's own error inside the suite: the run stopped early (INCOMPLETE)."""
        if self.run is not None and not self.run.info.stopped:
            self.run.info.stopped = "the suite's own error (pytest internal error)"

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A suite module that cannot be collected is the suite's own error, not the server's."""
        if report.failed and self.run is not None and not self.run.info.stopped:
            self.run.info.stopped = self.run.target.mask(
                f"the suite's own error: {report.nodeid} cannot be collected"
            )

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


def _parallel(config: pytest.Config) -> bool:
    """Whether pytest-xdist was asked for parallel workers (`-n N`), or this is one of them."""
    workers = config.getoption("numprocesses", None)
    return bool(workers) or hasattr(config, "workerinput")


conclude = outcome.conclude
