"""Watching the drop folder: which files are ready, which are new, which months to run.

The folder is any fsspec location (a local path, `s3://`, `az://`, `gs://`, `sftp://`). A
file is taken once its size and modification time have held still for `stable_seconds`;
taking it means copying it into the local inbox of its service month and moving the original
into the drop's `archive/` folder, so the next listing stays short however many months have
passed. The cursor remembers files by content hash, never by the clock: a re-drop with the
same bytes does nothing, a corrected file under the same name runs its month again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import posixpath
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import fsspec

from orchestration.lib.ingest import fit_file_name
from orchestration.lib.raw_tables import REPORT_KINDS

log = logging.getLogger(__name__)

SKIPPED_FOLDERS = {"archive", "quarantine"}
# Names that sync clients and editors use for files still being written.
TEMPORARY_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".download", ".reason.txt")
CURSOR_VERSION = 1
# A month whose run fails is tried again on the next ticks (a warehouse that was down comes
# back), but not for ever with the same files: each failure raises an alert.
FAILED_RUN_TRIES = 3


@dataclass(frozen=True)
class ListedFile:
    path: str
    size: int
    mtime: float

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)


@dataclass(frozen=True)
class Classification:
    kind: str | None
    service_month: date | None
    problem: str | None


@dataclass
class WatchCursor:
    """What the sensor knows between ticks; serialised as JSON in the Dagster cursor."""

    observed: dict[str, list[float]] = field(default_factory=dict)  # path -> [size, mtime]
    taken: dict[str, str] = field(default_factory=dict)  # sha256 -> month or "quarantined"
    # YYYY-MM -> {"kinds", "requested", and after a failed run "failed_key", "failed_runs"}
    months: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def loads(cls, text: str | None) -> WatchCursor:
        if not text:
            return cls()
        data = json.loads(text)
        if data.get("version") != CURSOR_VERSION:
            raise ValueError(f"unknown drop-folder cursor version {data.get('version')!r}")
        return cls(observed=data["observed"], taken=data["taken"], months=data["months"])

    def dumps(self) -> str:
        return json.dumps(
            {
                "version": CURSOR_VERSION,
                "observed": self.observed,
                "taken": self.taken,
                "months": self.months,
            },
            sort_keys=True,
        )


@dataclass(frozen=True)
class MonthRequest:
    """A month whose inbox should be (re)run, with the run key that identifies its inputs."""

    month: str
    run_key: str
    missing_kinds: tuple[str, ...]
    # Billed again with the files it has: a neighbouring month's report changed entries dated
    # in it (R9.7). Such a run is asked for once per change and is not retried on failure.
    rebill: bool = False


class DropStore:
    """The drop folder behind fsspec, so a sensor can be tested on a temporary folder."""

    def __init__(self, url: str, storage_options: dict | None = None) -> None:
        self.fs, root = fsspec.core.url_to_fs(url, **(storage_options or {}))
        self.root = root.rstrip("/")

    def list_files(self) -> list[ListedFile]:
        found: list[ListedFile] = []
        for _, dirs, files in self.fs.walk(self.root, detail=True, topdown=True):
            for name in [d for d in dirs if d in SKIPPED_FOLDERS or d.startswith(".")]:
                dirs.pop(name)  # pruned: archived files are never listed again
            for name, info in files.items():
                if name.startswith((".", "~$")) or name.lower().endswith(TEMPORARY_SUFFIXES):
                    continue
                found.append(ListedFile(info["name"], int(info.get("size") or 0), _mtime(info)))
        return sorted(found, key=lambda f: f.path)

    def relative(self, path: str) -> str:
        return posixpath.relpath(path, self.root)

    def sha256(self, path: str) -> str:
        digest = hashlib.sha256()
        with self.fs.open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()

    def fetch(self, path: str, local: Path) -> None:
        local.parent.mkdir(parents=True, exist_ok=True)
        self.fs.get_file(path, str(local))

    def set_aside(self, path: str, folder: str, sha: str, note: str | None = None) -> str:
        """Move a taken file into `archive/` or `quarantine/` under the drop root."""
        name = fit_file_name(f"{sha[:12]}_{posixpath.basename(path)}", 255 - len(".reason.txt"))
        target = f"{self.root}/{folder}/{name}"
        self.fs.makedirs(f"{self.root}/{folder}", exist_ok=True)
        self.fs.mv(path, target)
        if note is not None:
            with self.fs.open(target + ".reason.txt", "w") as handle:
                handle.write(note + "\n")
        return target


def _mtime(info: dict) -> float:
    for key in ("mtime", "LastModified", "last_modified", "updated", "created"):
        value = info.get(key)
        if value is None:
            continue
        if hasattr(value, "timestamp"):
            return float(value.timestamp())
        try:
            return float(value)
        except (TypeError, ValueError):
            continue
    return 0.0


def is_stable(listed: ListedFile, cursor: WatchCursor, now: float, stable_seconds: float) -> bool:
    """Ready to take: not empty, untouched for `stable_seconds`, unchanged since last seen."""
    previous = cursor.observed.get(listed.path)
    cursor.observed[listed.path] = [listed.size, listed.mtime]
    if listed.size == 0:
        return False
    if previous is not None and previous != [listed.size, listed.mtime]:
        return False
    return now - listed.mtime >= stable_seconds


def month_inbox(inbox_root: Path, month: str) -> Path:
    return inbox_root / month


def run_key_for(month: str, kinds: dict[str, str], retakes: int = 0) -> str:
    """Run key naming the month and the exact files in it: a new file means a new run.

    `retakes` counts the times the month went back to a file it had held before (a good report
    dropped again after a bad one replaced it). The files are then ones already run, but the
    month's last run failed on the bad one and must run again; the sensor never requests a run
    key twice, so the count makes the key new.
    """
    signature = hashlib.sha256(
        "|".join(f"{kind}={kinds[kind]}" for kind in sorted(kinds)).encode()
    ).hexdigest()[:16]
    return f"{month}:{signature}:{retakes}" if retakes else f"{month}:{signature}"


def _still_held(cursor: WatchCursor, sha: str) -> bool:
    """Whether a file taken before is still where it was put: quarantined, or its month's
    current file of its kind. A file a newer drop has replaced is not."""
    taken = cursor.taken.get(sha)
    if taken is None:
        return False
    return taken == "quarantined" or sha in cursor.months.get(taken, {}).get("kinds", {}).values()


def take_ready_files(
    store: DropStore,
    cursor: WatchCursor,
    *,
    now: float,
    stable_seconds: float,
    inbox_root: Path,
    classify: Callable[[Path, Path], Classification],
    quarantine: Callable[[Path, Classification], str],
    max_files: int = 200,
) -> list[str]:
    """Move stable, new files into their month's inbox; return the months that changed.

    At most `max_files` are hashed and classified per tick, so a first tick over a folder of
    thousands of never-archived files ends well inside the sensor's time limit; the rest are
    taken by the following ticks.
    """
    changed: set[str] = set()
    handled = 0
    listed = store.list_files()
    present = {f.path for f in listed}
    for path in [p for p in cursor.observed if p not in present]:
        del cursor.observed[path]
    for item in listed:
        if not is_stable(item, cursor, now, stable_seconds):
            continue
        if handled >= max_files:
            break
        handled += 1
        sha = store.sha256(item.path)
        if _still_held(cursor, sha):
            log.info("identical re-drop of %s: nothing to do", item.name)
            store.set_aside(item.path, "archive", sha)
            cursor.observed.pop(item.path, None)
            continue
        # The drop's relative path travels along: a month spelled only in a folder name counts.
        landing_root = inbox_root / ".landing" / sha[:12]
        landing = landing_root / store.relative(item.path)
        store.fetch(item.path, landing)
        found = classify(landing, landing_root)
        if not found.kind or not found.service_month:
            reason = quarantine(landing, found)
            store.set_aside(item.path, "quarantine", sha, note=reason)
            shutil.rmtree(landing_root, ignore_errors=True)
            cursor.taken[sha] = "quarantined"
            log.warning("%s quarantined: %s", item.name, reason)
        else:
            # A refused file whose name gives its kind and month is still that kind's newest
            # report: it replaces the older one in the inbox, so the month's run refuses it
            # again and fails naming it, rather than bill the older file as if it were new.
            month = f"{found.service_month:%Y-%m}"
            _place_in_inbox(inbox_root, month, found.kind, landing, item.name)
            shutil.rmtree(landing_root, ignore_errors=True)
            entry = cursor.months.setdefault(month, {"kinds": {}, "requested": None})
            if cursor.taken.get(sha) == month:  # back to a file the month held before
                entry["retakes"] = entry.get("retakes", 0) + 1
            entry["kinds"][found.kind] = sha
            cursor.taken[sha] = month
            if found.problem:
                store.set_aside(item.path, "quarantine", sha, note=found.problem)
                log.warning("%s quarantined: %s", item.name, found.problem)
            else:
                store.set_aside(item.path, "archive", sha)
            changed.add(month)
            log.info("%s taken as %s for %s", item.name, found.kind, month)
        cursor.observed.pop(item.path, None)
    return sorted(changed)


def _place_in_inbox(inbox_root: Path, month: str, kind: str, landing: Path, name: str) -> None:
    """Keep exactly one file per kind in a month's inbox: the newest replaces the old one.

    The folder is named `<YYYY-MM> <kind>` so the month survives even when the practice put it
    only in the drop's folder names; the file keeps its own name (a hash prefix could read as
    a month).
    """
    folder = month_inbox(inbox_root, month) / f"{month} {kind}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    landing.replace(folder / name)


def record_failed_run(
    cursor: WatchCursor, month: str, run_key: str, tries: int = FAILED_RUN_TRIES
) -> bool:
    """Count a failed run of the month's files; once they have failed `tries` times in a row,
    mark them requested so the month waits for a new file. Returns whether it gave up."""
    entry = cursor.months[month]
    failed = entry.get("failed_runs", 0) if entry.get("failed_key") == run_key else 0
    entry["failed_key"], entry["failed_runs"] = run_key, failed + 1
    if failed + 1 < tries:
        return False
    entry["requested"] = run_key
    return True


def months_to_run(cursor: WatchCursor, *, today: date, close_day: int) -> list[MonthRequest]:
    """Months with all seven kinds, or past their close day, whose inputs have not been run."""
    requests = []
    for month, entry in sorted(cursor.months.items()):
        kinds = entry["kinds"]
        key = run_key_for(month, kinds, entry.get("retakes", 0))
        if entry.get("requested") == key:
            continue
        missing = tuple(k for k in REPORT_KINDS if k not in kinds)
        if missing and today < close_date(month, close_day):
            continue
        requests.append(MonthRequest(month, key, missing))
    return requests


def months_to_rebill(
    cursor: WatchCursor, stale: dict[str, str], *, running: set[str]
) -> list[MonthRequest]:
    """Watched months whose published billing a neighbouring month's report has changed.

    `stale` maps each such month (YYYY-MM) to the time of the latest change; a month already
    running for its own files is rebuilt by that run. One request per change: the key names it.
    """
    requests = []
    for month, changed_at in sorted(stale.items()):
        entry = cursor.months.get(month)
        if entry is None or month in running:
            continue
        change = hashlib.sha256(changed_at.encode()).hexdigest()[:12]
        key = f"{run_key_for(month, entry['kinds'], entry.get('retakes', 0))}:rebill-{change}"
        if entry.get("rebilled") == key:
            continue
        missing = tuple(k for k in REPORT_KINDS if k not in entry["kinds"])
        requests.append(MonthRequest(month, key, missing, rebill=True))
    return requests


def close_date(month: str, close_day: int) -> date:
    """The day of the following month after which a month runs with whatever has arrived."""
    year, number = (int(part) for part in month.split("-"))
    year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return date(year, number, close_day)
