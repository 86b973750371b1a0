"""Where the project's files live, and the settings read from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ProjectPaths:
    root: Path
    config: Path
    dbt_project: Path
    expectations: Path
    sample_drop: Path
    var: Path  # run-time state: embedded database, archive, quarantine (ignored by git)

    @property
    def archive(self) -> Path:
        return self.var / "archive"

    @property
    def quarantine(self) -> Path:
        return self.var / "quarantine"

    @property
    def default_out(self) -> Path:
        return self.root / "out"


@cache
def project_paths() -> ProjectPaths:
    root = PROJECT_ROOT
    return ProjectPaths(
        root=root,
        config=Path(os.environ.get("CCM_CONFIG_DIR", root / "config")),
        dbt_project=root / "dbt_ccm",
        expectations=root / "expectations",
        sample_drop=root / "data" / "sample" / "drop",
        var=Path(os.environ.get("CCM_VAR_DIR", root / "var")),
    )


def load_yaml(name: str) -> dict:
    with open(project_paths().config / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def reports_config() -> dict:
    return load_yaml("reports.yml")


def policy_config() -> dict:
    return load_yaml("policy.yml")
