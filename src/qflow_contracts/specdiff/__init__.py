"""Classify the changes between two versions of the spec: breaking for clients, for servers, or
compatible, and the release (major, minor, patch) they call for in code built on the client."""

from qflow_contracts.specdiff.cli import main
from qflow_contracts.specdiff.document import compare
from qflow_contracts.specdiff.model import Audience, Bump, Change, Verdict

__all__ = ["Audience", "Bump", "Change", "Verdict", "compare", "main"]
