"""Facts about the run that reports carry: the project's version, the spec's version and digest."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import yaml

from qflow_contracts.suite.evidence import RunInfo

DISTRIBUTION = "qflow-contracts"


def spec_facts(path: Path) -> tuple[str, str]:
    """The spec document's `info.version` and the sha256 of its bytes (hex)."""
    data = path.read_bytes()
    document = yaml.safe_load(data)
    info = document.get("info") if isinstance(document, dict) else None
    version = info.get("version") if isinstance(info, dict) else None
    return str(version or "unknown"), hashlib.sha256(data).hexdigest()


def utc_now() -> str:
    """Now, as an ISO 8601 date-time in UTC to the second (for `RunInfo.started`)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def target_kind(info: RunInfo) -> str:
    """What kind of server and run this was, in words."""
    kind = "the embedded mock" if info.owned else "safe mode: a server the suite did not start"
    flags = [flag for flag, on in (("read-only", info.read_only), ("strict", info.strict)) if on]
    return ", ".join([kind, *flags])


def run_facts(info: RunInfo, requests: int) -> list[tuple[str, str]]:
    """The facts a report opens with, as (label, value) pairs of plain text: enough to run it
    again (the command line, masked, and every setting)."""
    seed = "not recorded" if info.seed is None else f"{info.seed} (replay with --seed {info.seed})"
    customers = ", ".join(str(cid) for cid in info.customer_ids) or "none"
    rows = [
        ("Date", info.started or "not recorded"),
        ("Target", f"{info.base_url} ({target_kind(info)})"),
        ("Customers", customers),
    ]
    if info.witness_ids:
        rows.append(("Witnesses", ", ".join(str(cid) for cid in info.witness_ids)))
    rows += [
        ("Seed", seed),
        ("Duration", f"{info.duration:.1f} s"),
        ("Requests", str(requests)),
        ("Project", f"{DISTRIBUTION} {info.project_version or 'unknown'}"),
        ("Spec", f"version {info.spec_version or 'unknown'}, sha256 {info.spec_digest or 'unknown'}"),
    ]
    if info.command:
        rows.append(("Command", info.command))
    if info.settings:
        rows.append(("Settings", ", ".join(f"{name} {value}" for name, value in info.settings.items())))
    return rows
