"""The conformance suite's library: what the pytest suite in contracts/ and the runner share."""

from qflow_contracts.rules import Rule
from qflow_contracts.suite.target import Target

__all__ = ["Rule", "Target"]
