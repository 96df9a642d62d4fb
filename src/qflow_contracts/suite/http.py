"""How the suite talks to a server: errors that are the server's availability, not the contract."""

from __future__ import annotations


class Unavailable(Exception):
    """The server did not answer in time, refused the connection, or sent more than may be read.

    Never a contract finding: it ends the run with exit code 3 after the restore.
    """


class DeadlineReached(Exception):
    """The run's --max-time is over: the run stops, restores, and names the rules it did not finish."""
