"""`make check-generated` passes on a clean checkout and fails with a diff after a one-character change."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

TRACKED = ["spec", "scripts", "generated", "openapi-python-client.yaml", "Makefile"]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A fresh git repository holding what generation reads and writes, all committed."""
    root = tmp_path / "checkout"
    root.mkdir()
    for name in TRACKED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__", ".ruff_cache"))
        else:
            shutil.copy2(source, root / name)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "clean")
    return root


def _check(root: Path) -> subprocess.CompletedProcess[str]:
    venv_bin = str(Path(sys.executable).parent)
    return subprocess.run(
        ["make", "--no-print-directory", "check-generated", f"BIN={venv_bin}", "STAMP="],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_generated_passes_on_a_clean_checkout_and_fails_on_drift(checkout: Path) -> None:
    clean = _check(checkout)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "generated/ matches the spec." in clean.stdout

    spec = checkout / "spec" / "qflow-customers.openapi.yaml"
    text = spec.read_text(encoding="utf-8")
    assert text.count("description: Phone Number 1\n") == 3
    spec.write_text(text.replace("description: Phone Number 1\n", "description: Phone Number 9\n", 1))
    drifted = _check(checkout)
    assert drifted.returncode != 0
    assert "generated/ differs" in drifted.stderr
    assert "-            tel_number_1 (None | str | Unset): Phone Number 1" in drifted.stderr
    assert "+            tel_number_1 (None | str | Unset): Phone Number 9" in drifted.stderr
