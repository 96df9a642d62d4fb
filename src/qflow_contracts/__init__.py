"""qflow-contracts: spec, reference mock server and conformance suite for the QFlow Customers API."""

from qflow_contracts.resources import spec_path

__all__ = ["spec_path"]
__version__ = "0.1.0"
