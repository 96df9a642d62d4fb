"""The stateful conformance test's former home, kept so existing imports keep working.

The machine lives in `suite/machine.py`, built from `suite/session.py` (the run's state and
flows), `suite/checks.py`, `suite/bodies.py`, `suite/policy.py` and `suite/exchange.py`.
"""

from __future__ import annotations

from qflow_contracts.suite.bodies import form_pairs
from qflow_contracts.suite.exchange import Exchange, curl_line
from qflow_contracts.suite.machine import DEFAULT_STEPS, default_examples, run_machine
from qflow_contracts.suite.model import sendable_date as sendable_dob

__all__ = [
    "DEFAULT_STEPS",
    "Exchange",
    "curl_line",
    "default_examples",
    "form_pairs",
    "run_machine",
    "sendable_dob",
]
