"""Fixtures for what a run hands over: the published marts read back as the files show them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import psycopg
import pytest

from tests.conftest import PROJECT_ROOT


def ccm_db(*args: str, var_dir: Path, extra_env: dict | None = None, timeout: int = 120):
    """`ccm db ...` against a test's own warehouse (run_ccm always adds --out, db takes none)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCM_", "DAGSTER_"))}
    env["CCM_VAR_DIR"] = str(var_dir)
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "db", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def sample_url(sample_run) -> str:
    done = ccm_db("url", var_dir=sample_run.var_dir)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def warehouse(sample_url):
    with psycopg.connect(sample_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def published_months(sample_url) -> list[date]:
    """Months the sample run published (a month whose checks failed publishes nothing)."""
    with psycopg.connect(sample_url) as conn:
        rows = conn.execute(
            "select distinct service_month from marts.ccm_month_summary order by 1"
        ).fetchall()
    months = [month for (month,) in rows]
    assert months, "the sample run published no month"
    return months
