"""Registers the suite's pytest plugin (`QflowPlugin`) and its `--qflow-*` options, unless
`qflow-contracts run` already handed pytest an instance of it."""

from __future__ import annotations

import pytest

from qflow_contracts.suite.plugin import QflowPlugin, add_options


def pytest_addoption(parser: pytest.Parser) -> None:
    """The suite's options, prefixed `--qflow-`."""
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    """One plugin instance per run: the runner's, or a new one resolving the `--qflow-*` options."""
    if not any(isinstance(plugin, QflowPlugin) for plugin in config.pluginmanager.get_plugins()):
        config.pluginmanager.register(QflowPlugin(), "qflow-contracts")
