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
