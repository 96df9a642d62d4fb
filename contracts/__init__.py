"""The QFlow conformance suite: run it with `qflow-contracts run` or `pytest contracts`."""
