"""The ways a run stops that are not findings: the server's availability, the run's deadline, and a
request the guard would not send. The machine and the checks let them propagate; the runner turns
them into an incomplete verdict, after the restore."""

from __future__ import annotations


class Unavailable(Exception):
    """The server did not answer in time, refused the connection, or sent more than may be read.

    Never a contract finding: it ends the run with exit code 3 after the restore.
    """


class DeadlineReached(Exception):
    """The run's --max-time is over: the run stops, restores, and names the rules it did not finish."""


class UnsafeRequest(Exception):
    """The suite was about to send what contract rule 11 forbids on a deployment; it was not sent."""
