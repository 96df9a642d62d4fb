"""Loads the suite's pytest plugin: options, the `target`, `client` and `originals` fixtures, restore."""

from qflow_contracts.suite.plugin import (
    client,
    originals,
    pytest_addoption,
    pytest_configure,
    pytest_report_header,
    pytest_runtest_logreport,
    pytest_sessionfinish,
    pytest_sessionstart,
    pytest_terminal_summary,
    pytest_unconfigure,
    target,
)

__all__ = [
    "client",
    "originals",
    "pytest_addoption",
    "pytest_configure",
    "pytest_report_header",
    "pytest_runtest_logreport",
    "pytest_sessionfinish",
    "pytest_sessionstart",
    "pytest_terminal_summary",
    "pytest_unconfigure",
    "target",
]
