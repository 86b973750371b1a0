"""The dbt project as Dagster sees it, and its manifest."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.settings import project_paths

log = logging.getLogger(__name__)

dbt_project = DbtProject(
    project_dir=project_paths().dbt_project,
    profiles_dir=project_paths().dbt_project,
    target="default",
)


def _newest_source_mtime(project_dir: Path) -> float:
    watched = [project_dir / "dbt_project.yml"]
    for folder in ("models", "seeds", "macros", "tests"):
        watched.extend(p for p in (project_dir / folder).rglob("*") if p.is_file())
    return max((p.stat().st_mtime for p in watched if p.exists()), default=0.0)


def ensure_manifest() -> Path:
    """Parse the project when its manifest is missing or older than a model, seed or macro.

    A deployment ships a parsed manifest; a checkout (make run, tests, the UI) parses on load so
    an edited model is never run from a stale manifest.
    """
    manifest = dbt_project.manifest_path
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime(
        dbt_project.project_dir
    ):
        log.info("parsing the dbt project")
        subprocess.run(
            [
                str(Path(sys.executable).parent / "dbt"),
                "parse",
                "--quiet",
                "--project-dir",
                str(dbt_project.project_dir),
                "--profiles-dir",
                str(dbt_project.profiles_dir),
                "--target-path",
                str(dbt_project.target_path),
            ],
            check=True,
        )
    return manifest
