"""How long one drop-folder tick takes beside thousands of old files.

    .venv/bin/python bench/sensor_tick.py [--files 5000]

Two figures: a tick over a drop whose archive/ holds N processed files plus one new report,
and the first tick over a drop holding N never-archived files (taken a bounded batch per tick).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from orchestration.lib.drop_watch import Classification, DropStore, WatchCursor, take_ready_files
from orchestration.lib.readers.contract import kind_specs
from orchestration.lib.readers.report import identify
from orchestration.settings import project_paths, reports_config


def _classifier():
    specs = kind_specs(reports_config())

    def classify(path: Path, root: Path) -> Classification:
        found = identify(path, specs, root)
        return Classification(found.kind, found.service_month, found.problem)

    return classify


def _tick(drop: Path, inbox: Path) -> float:
    started = time.perf_counter()
    take_ready_files(
        DropStore(str(drop)),
        WatchCursor(),
        now=time.time() + 3600,
        stable_seconds=60,
        inbox_root=inbox,
        classify=_classifier(),
        quarantine=lambda path, found: found.problem or "unrecognised",
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000, help="old files (default 5000)")
    args = parser.parse_args()
    sample = next((project_paths().sample_drop / "2025-03").glob("MDR*"))
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        drop = base / "archived"
        (drop / "archive").mkdir(parents=True)
        for index in range(args.files):
            shutil.copy(sample, drop / "archive" / f"{index:05d}_{sample.name}")
        shutil.copy(sample, drop / sample.name)
        archived = _tick(drop, base / "inbox1")

        crowded = base / "crowded"
        crowded.mkdir()
        content = sample.read_bytes()
        for index in range(args.files):
            # Distinct bytes per file, so none is skipped as an identical re-drop.
            (crowded / f"{index:05d}_{sample.name}").write_bytes(content + b"%d\n" % index)
        first = _tick(crowded, base / "inbox2")
    print(f"tick with {args.files} archived files + 1 new report: {archived:.2f} s")
    print(f"first tick over {args.files} never-archived files (one batch of 200): {first:.2f} s")


if __name__ == "__main__":
    main()
