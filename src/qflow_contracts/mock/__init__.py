"""The reference mock server of the QFlow Customers API (`qflow-mock serve`).

Modules, one job each:

- `app.py`: the Starlette app, the two operations and the answers (`create_app`);
- `validation.py`: request validation compiled from the spec's own schemas;
- `records.py`: DOB as .NET writes it;
- `store.py`: the memory and SQLite stores;
- `fixtures.py` and `fixtures.json`: the starting data and its loader;
- `defects.py`: the catalogue of deliberate bugs behind `--defect`;
- `traffic.py`: the added latency (`--latency`, `--jitter`) and the request count (`--stats-file`);
- `cli.py` and `__main__.py`: the `qflow-mock` command.
"""

from qflow_contracts.mock.app import create_app

__all__ = ["create_app"]
