"""The dbt project as Dagster sees it, and its manifest."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.settings import project_paths

log = logging.getLogger(__name__)

# Each dbt invocation writes its compiled SQL, logs and run results (about 7 MB at health-system
# scale) into a folder of its own under the target path. The newest are kept to debug a run
# with; older ones would fill the disk over years of monthly runs and backfills.
KEPT_INVOCATION_FOLDERS = 20
# A folder written to within this long may belong to a run still going (a second run started
# from the UI beside one from the command line), so it is never removed.
INVOCATION_FOLDER_MIN_AGE_S = 24 * 3600

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


def prune_invocation_folders(
    target_path: Path,
    prefix: str,
    *,
    keep: int = KEPT_INVOCATION_FOLDERS,
    min_age_s: float = INVOCATION_FOLDER_MIN_AGE_S,
    now: float | None = None,
) -> int:
    """Remove invocation folders named `<prefix>-…` beyond the newest `keep` that are older
    than `min_age_s`; returns how many went. The manifest and dbt's partial-parse file at the
    top of the target path are not folders and stay."""
    now = time.time() if now is None else now
    folders = sorted(
        (p for p in Path(target_path).glob(f"{prefix}-*") if p.is_dir()),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    old = [p for p in folders[keep:] if now - p.stat().st_mtime > min_age_s]
    for folder in old:
        shutil.rmtree(folder, ignore_errors=True)
    return len(old)


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
