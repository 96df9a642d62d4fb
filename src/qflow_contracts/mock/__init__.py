"""The reference mock server of the QFlow Customers API (`qflow-mock serve`)."""

from qflow_contracts.mock.app import create_app

__all__ = ["create_app"]
