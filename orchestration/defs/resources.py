"""Resources shared by every area: the drop folder, the warehouse, the export folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from dagster import ConfigurableResource

from orchestration.lib import warehouse
from orchestration.settings import project_paths


class DropFolder(ConfigurableResource):
    """Where a run reads its month's reports, and where the sensor watches for new ones.

    `path` is the local folder a run reads (the sample months unless configured; the sensor
    points each run at its month's inbox). `watch` is the practice's drop folder, a path or
    an fsspec URL (CCM_DROP): the sensor moves the files it takes into `archive/` there, so it
    has no default and never touches the bundled sample.
    """

    path: str = os.environ.get("CCM_DROP", str(project_paths().sample_drop))
    watch: str = os.environ.get("CCM_DROP", "")

    def root(self) -> Path:
        return Path(self.path).expanduser().resolve()


class Warehouse(ConfigurableResource):
    """The PostgreSQL warehouse: embedded by default, `CCM_DATABASE_URL` when set."""

    def info(self) -> warehouse.ConnectionInfo:
        return warehouse.connection_info()

    def ensure_schemas(self) -> None:
        warehouse.ensure_schemas()

    @contextmanager
    def connect(self, *, autocommit: bool = False) -> Iterator[psycopg.Connection]:
        with warehouse.connect(autocommit=autocommit) as conn:
            yield conn


class ExportFolder(ConfigurableResource):
    """Where each run writes its billing list files."""

    path: str = os.environ.get("CCM_OUT", str(project_paths().default_out))

    def root(self) -> Path:
        folder = Path(self.path).expanduser().resolve()
        folder.mkdir(parents=True, exist_ok=True)
        return folder
