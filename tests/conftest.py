"""Shared fixtures: the `ccm` command run in a subprocess against its own warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DROP = PROJECT_ROOT / "data" / "sample" / "drop"


@dataclass(frozen=True)
class CcmRun:
    returncode: int
    stdout: str
    stderr: str
    out_dir: Path
    var_dir: Path


def run_ccm(*args: str, var_dir: Path, out_dir: Path, extra_env: dict | None = None) -> CcmRun:
    """Run `ccm` as a user would, with its own state folder (and so its own database)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCM_", "DAGSTER_"))}
    env["CCM_VAR_DIR"] = str(var_dir)
    # A private copy of the GX context: tests run side by side and must not write the
    # project's expectations/ (tests/quality checks that copy against the committed one).
    env["CCM_GX_ROOT"] = str(var_dir / "gx_context")
    env.update(extra_env or {})
    completed = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args, "--out", str(out_dir)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    return CcmRun(completed.returncode, completed.stdout, completed.stderr, out_dir, var_dir)


def stop_warehouse(var_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCM_", "DAGSTER_"))}
    env["CCM_VAR_DIR"] = str(var_dir)
    subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "db", "stop"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> CcmRun:
    """`ccm run` over every bundled sample month, once per test session."""
    base = tmp_path_factory.mktemp("sample_run")
    var_dir, out_dir = base / "var", base / "out"
    result = run_ccm("run", "--drop", str(SAMPLE_DROP), var_dir=var_dir, out_dir=out_dir)
    yield result
    stop_warehouse(var_dir)
