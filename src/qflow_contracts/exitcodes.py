"""The exit codes of `qflow-contracts`: one meaning each, the same for every subcommand."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """What a run's exit code says."""

    CONFORMANT = 0
    """Every rule the run was asked to check was exercised, none failed; every record restored."""
    NOT_CONFORMANT = 1
    """At least one rule failed (a leniency counts only with --strict)."""
    USAGE = 2
    """Bad usage or set-up: a flag, a config value, a customer that does not exist, a wrong base path."""
    UNAVAILABLE = 3
    """The server cannot be reached, refuses the credentials, or stopped answering."""
    RESTORE_INCOMPLETE = 4
    """Records were left not as found (conflicts, or the server was lost): the journal says what."""
    INCOMPLETE = 5
    """Nothing failed, but some rule the run was asked to check was not exercised (deadline, data)."""
    HANGUP = 129
    INTERRUPTED = 130
    QUIT = 131
    USER1 = 138
    USER2 = 140
    ALARM = 142
    TERMINATED = 143
    """128 + the signal's number (Linux): stopped by that signal, after the restore."""


PYTEST_OFFSET = 10
"""Plain `pytest contracts` exits with the suite's code plus this for codes 2 to 5, past pytest's
own 0 to 5 (2 interrupted, 3 internal error, 4 usage error, 5 no tests collected): 12 bad usage
or set-up, 13 unavailable, 14 restore incomplete, 15 incomplete. 0 (conformant) and 1 (not
conformant) mean what pytest's 0 (all passed) and 1 (some failed) mean; the signal codes stay."""


def pytest_code(code: ExitCode) -> int:
    """The exit code of a plain `pytest contracts` run whose verdict is `code`."""
    if ExitCode.USAGE <= code <= ExitCode.INCOMPLETE:
        return int(code) + PYTEST_OFFSET
    return int(code)
