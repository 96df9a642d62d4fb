"""`make check-generated` compares generated/ with a fresh generation from the spec, not with git."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qflow_contracts.spec import load_spec
from tests.conftest import REPO

TRACKED = ["spec", "scripts", "generated", "openapi-python-client.yaml", "Makefile"]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of what generation reads and writes."""
    root = tmp_path / "checkout"
    root.mkdir()
    for name in TRACKED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__", ".ruff_cache"))
        else:
            shutil.copy2(source, root / name)
    return root


def make(root: Path, target: str) -> subprocess.CompletedProcess[str]:
    """`make TARGET` in `root` with this environment's tools."""
    venv_bin = str(Path(sys.executable).parent)
    return subprocess.run(
        ["make", "--no-print-directory", target, f"BIN={venv_bin}", "STAMP="],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _edit_spec(root: Path) -> None:
    spec = root / "spec" / "qflow-customers.openapi.yaml"
    text = spec.read_text(encoding="utf-8")
    assert text.count("description: Phone Number 1\n") == 3
    spec.write_text(text.replace("description: Phone Number 1\n", "description: Phone Number 9\n", 1))


def test_check_generated_passes_on_a_clean_copy(checkout: Path) -> None:
    clean = make(checkout, "check-generated")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.strip() == "generated/ matches the spec."


def test_check_generated_passes_right_after_make_generate(checkout: Path) -> None:
    _edit_spec(checkout)
    generated = make(checkout, "generate")
    assert generated.returncode == 0, generated.stderr
    lines = generated.stdout.strip().splitlines()
    version = load_spec()["info"]["version"]
    assert lines[0].startswith(f"generated/: qflow-client {version} ("), generated.stdout
    assert lines[1].startswith("accepted warning: PATCH /Customers: unsupported content type text/json")
    assert len(lines) == 2 and generated.stderr == "", generated.stdout + generated.stderr
    assert "Phone Number 9" in (checkout / "generated/qflow_client/models/customer_update.py").read_text()
    after = make(checkout, "check-generated")
    assert after.returncode == 0, after.stdout + after.stderr


def test_check_generated_fails_on_a_spec_change_without_regeneration(checkout: Path) -> None:
    _edit_spec(checkout)
    drifted = make(checkout, "check-generated")
    assert drifted.returncode != 0
    assert "generated/ differs from what spec/qflow-customers.openapi.yaml produces" in drifted.stderr
    assert "  generated/qflow_client/models/customer_update.py\n" in drifted.stderr
    assert "--- generated/qflow_client/models/customer_update.py\n" in drifted.stderr
    assert "+++ regenerated/qflow_client/models/customer_update.py\n" in drifted.stderr
    assert "-            tel_number_1 (None | str | Unset): Phone Number 1" in drifted.stderr
    assert "+            tel_number_1 (None | str | Unset): Phone Number 9" in drifted.stderr
    assert "Run 'make generate'" in drifted.stderr


def test_check_generated_fails_on_a_hand_edit(checkout: Path) -> None:
    target = checkout / "generated" / "qflow_client" / "client.py"
    target.write_text(target.read_text().replace("default=True", "default=False", 1))
    (checkout / "generated" / "qflow_client" / "extra.py").write_text("x = 1\n")
    edited = make(checkout, "check-generated")
    assert edited.returncode != 0
    assert "-    raise_on_unexpected_status: bool = field(default=False, kw_only=True)" in edited.stderr
    assert "+    raise_on_unexpected_status: bool = field(default=True, kw_only=True)" in edited.stderr
    assert "-x = 1" in edited.stderr  # a file the generator does not write counts too


def test_a_spec_the_generator_cannot_read_is_reported(checkout: Path) -> None:
    (checkout / "spec" / "qflow-customers.openapi.yaml").write_text("openapi: [\n")
    broken = make(checkout, "check-generated")
    assert broken.returncode != 0
    assert "generated/ matches" not in broken.stdout
