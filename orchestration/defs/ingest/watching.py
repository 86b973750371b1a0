"""One evaluation of the drop folder, shared by the Dagster sensor and `ccm watch`."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from orchestration.lib import warehouse
from orchestration.lib.drop_watch import (
    Classification,
    DropStore,
    MonthRequest,
    WatchCursor,
    months_to_rebill,
    months_to_run,
    take_ready_files,
)
from orchestration.lib.ingest import DroppedFile, file_sha256, load_file
from orchestration.lib.readers.contract import kind_specs
from orchestration.lib.readers.report import identify
from orchestration.lib.rebilling import stale_months
from orchestration.settings import project_paths, reports_config

DEFAULT_STABLE_SECONDS = 60.0
DEFAULT_CLOSE_DAY = 5


def stable_seconds() -> float:
    """How long a file's size and modification time must hold still before it is taken."""
    return float(os.environ.get("CCM_STABLE_SECONDS", DEFAULT_STABLE_SECONDS))


def close_day() -> int:
    """Day of the following month on which a month runs even with reports missing."""
    return int(os.environ.get("CCM_CLOSE_DAY", DEFAULT_CLOSE_DAY))


def max_files_per_tick() -> int:
    return int(os.environ.get("CCM_MAX_FILES_PER_TICK", 200))


def inbox_root() -> Path:
    return project_paths().var / "inbox"


@dataclass(frozen=True)
class Evaluation:
    cursor: WatchCursor
    taken_months: list[str]
    requests: list[MonthRequest]


def _classifier(config: dict):
    specs = kind_specs(config)

    def classify(path: Path, root: Path) -> Classification:
        found = identify(path, specs, root)
        return Classification(found.kind, found.service_month, found.problem)

    return classify


def _quarantiner(config: dict):
    def quarantine(path: Path, found: Classification) -> str:
        dropped = DroppedFile(
            path=path,
            name=path.name,
            sha256=file_sha256(path),
            size=path.stat().st_size,
            kind=found.kind,
            service_month=found.service_month,
            problem=found.problem or "unrecognised report",
        )
        with warehouse.connect() as conn:
            result = load_file(conn, dropped, config=config)
        return result.reason or dropped.problem

    return quarantine


def evaluate(
    drop_url: str,
    cursor_text: str | None,
    *,
    now: float | None = None,
    today: date | None = None,
    storage_options: dict | None = None,
) -> Evaluation:
    """Take the drop's stable new files and name the months that should run now."""
    refuse_project_folders(drop_url)
    config = reports_config()
    cursor = WatchCursor.loads(cursor_text)
    store = DropStore(drop_url, storage_options)
    warehouse.ensure_schemas()
    taken = take_ready_files(
        store,
        cursor,
        now=time.time() if now is None else now,
        stable_seconds=stable_seconds(),
        inbox_root=inbox_root(),
        classify=_classifier(config),
        quarantine=_quarantiner(config),
        max_files=max_files_per_tick(),
    )
    requests = months_to_run(cursor, today=today or date.today(), close_day=close_day())
    requests += rebill_requests(cursor, running={r.month for r in requests})
    return Evaluation(cursor, taken, requests)


def rebill_requests(cursor: WatchCursor, *, running: set[str]) -> list[MonthRequest]:
    """Watched months to bill again because a neighbouring month's report changed them."""
    with warehouse.connect() as conn:
        stale = {f"{s.service_month:%Y-%m}": s.changed_at for s in stale_months(conn)}
    return months_to_rebill(cursor, stale, running=running)


class WatchRefused(ValueError):
    pass


def refuse_project_folders(drop_url: str) -> None:
    """Watching moves files away; the bundled sample and the project's own files stay put."""
    if "://" in drop_url:
        return
    drop = Path(drop_url).expanduser().resolve()
    root = project_paths().root.resolve()
    if drop == root or root in drop.parents:
        raise WatchRefused(
            f"will not watch {drop}: it is inside the project, and watching moves the files "
            "it takes into archive/. Copy the reports to a drop folder of their own."
        )


def month_inbox_path(month: str) -> Path:
    return inbox_root() / month
