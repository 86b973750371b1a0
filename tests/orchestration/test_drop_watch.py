"""The drop-folder watcher on temporary folders, with a stand-in classifier (no database)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from orchestration.lib.drop_watch import (
    Classification,
    DropStore,
    WatchCursor,
    close_date,
    months_to_rebill,
    months_to_run,
    record_failed_run,
    run_key_for,
    take_ready_files,
)
from orchestration.lib.raw_tables import REPORT_KINDS

NOW = 1_800_000_000.0  # a fixed "now"; file times are set relative to it


def write(path: Path, content: bytes, *, age_seconds: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    os.utime(path, (NOW - age_seconds, NOW - age_seconds))
    return path


def classify_by_name(path: Path, _root: Path) -> Classification:
    """Stand-in for the real reader: `<kind>__<YYYY-MM>.csv`, anything else unrecognised."""
    stem = path.stem
    if "__" not in stem:
        return Classification(None, None, "unrecognised report")
    kind, month = stem.split("__")
    return Classification(kind, date.fromisoformat(month + "-01"), None)


class Harness:
    def __init__(self, tmp_path: Path, stable_seconds: float = 60):
        self.drop = tmp_path / "drop"
        self.drop.mkdir()
        self.inbox = tmp_path / "inbox"
        self.cursor = WatchCursor()
        self.stable_seconds = stable_seconds
        self.quarantined: list[str] = []

    def tick(self, now: float = NOW, max_files: int = 200) -> list[str]:
        def quarantine(path: Path, found: Classification) -> str:
            self.quarantined.append(path.name)
            return found.problem

        # The cursor goes through JSON each tick, as it does between sensor evaluations.
        self.cursor = WatchCursor.loads(self.cursor.dumps())
        return take_ready_files(
            DropStore(str(self.drop)),
            self.cursor,
            now=now,
            stable_seconds=self.stable_seconds,
            inbox_root=self.inbox,
            classify=classify_by_name,
            quarantine=quarantine,
            max_files=max_files,
        )

    def inbox_files(self, month: str) -> dict[str, bytes]:
        return {
            p.relative_to(self.inbox / month).as_posix(): p.read_bytes()
            for p in (self.inbox / month).rglob("*")
            if p.is_file()
        }


def test_a_file_still_being_written_is_not_taken(tmp_path):
    watch = Harness(tmp_path)
    write(watch.drop / "vendor_billing__2025-03.csv", b"partial", age_seconds=5)
    assert watch.tick() == []
    assert (watch.drop / "vendor_billing__2025-03.csv").exists()
    assert not watch.inbox.exists()


def test_a_file_that_held_still_is_taken_into_its_month_inbox_and_archived(tmp_path):
    watch = Harness(tmp_path)
    write(watch.drop / "sub" / "vendor_billing__2025-03.csv", b"v1", age_seconds=61)
    assert watch.tick() == ["2025-03"]
    assert watch.inbox_files("2025-03") == {
        "2025-03 vendor_billing/vendor_billing__2025-03.csv": b"v1"
    }
    assert not (watch.drop / "sub" / "vendor_billing__2025-03.csv").exists()
    assert [p.name for p in (watch.drop / "archive").iterdir()][0].endswith(
        "_vendor_billing__2025-03.csv"
    )


def test_a_file_whose_size_changed_since_the_last_tick_waits(tmp_path):
    watch = Harness(tmp_path, stable_seconds=0)
    path = write(watch.drop / "exclusions__2025-03.csv", b"", age_seconds=100)
    assert watch.tick() == []  # empty: a sync client's placeholder
    write(path, b"now with rows", age_seconds=100)  # grew, old mtime kept by the client
    assert watch.tick() == []  # changed since the last observation
    assert watch.tick() == ["2025-03"]


def test_a_file_with_an_old_modification_time_is_still_taken(tmp_path):
    watch = Harness(tmp_path)
    write(watch.drop / "ccm_enabled__2025-03.csv", b"x", age_seconds=NOW - 978_307_200)  # 2001
    assert watch.tick() == ["2025-03"]


def test_an_identical_re_drop_does_nothing(tmp_path):
    watch = Harness(tmp_path)
    write(watch.drop / "practice_minutes__2025-03.csv", b"same", age_seconds=90)
    assert watch.tick() == ["2025-03"]
    key_before = run_key_for("2025-03", watch.cursor.months["2025-03"]["kinds"])
    write(watch.drop / "copy of practice_minutes__2025-03.csv", b"same", age_seconds=90)
    assert watch.tick() == []
    assert run_key_for("2025-03", watch.cursor.months["2025-03"]["kinds"]) == key_before
    assert len(list((watch.drop / "archive").iterdir())) == 2


def test_a_corrected_re_drop_under_the_same_name_replaces_the_month_file(tmp_path):
    watch = Harness(tmp_path)
    write(watch.drop / "vendor_billing__2025-03.csv", b"10 rows", age_seconds=90)
    watch.tick()
    first_key = run_key_for("2025-03", watch.cursor.months["2025-03"]["kinds"])
    write(watch.drop / "vendor_billing__2025-03.csv", b"11 rows", age_seconds=90)
    assert watch.tick() == ["2025-03"]
    assert watch.inbox_files("2025-03") == {
        "2025-03 vendor_billing/vendor_billing__2025-03.csv": b"11 rows"
    }
    assert run_key_for("2025-03", watch.cursor.months["2025-03"]["kinds"]) != first_key


def test_an_unrecognised_file_is_quarantined_beside_a_reason(tmp_path):
    watch = Harness(tmp_path)
    write(watch.drop / "random notes.csv", b"hello", age_seconds=90)
    assert watch.tick() == []
    assert watch.quarantined == ["random notes.csv"]
    names = sorted(p.name for p in (watch.drop / "quarantine").iterdir())
    assert len(names) == 2 and names[1].endswith("random notes.csv.reason.txt")
    reason = (watch.drop / "quarantine" / names[1]).read_text()
    assert reason == "unrecognised report\n"


def test_archived_and_quarantined_files_are_never_listed_again(tmp_path):
    watch = Harness(tmp_path)
    for index in range(5000):
        write(watch.drop / "archive" / f"old_{index}.csv", b"x", age_seconds=10_000)
    write(watch.drop / "quarantine" / "bad.csv", b"x", age_seconds=10_000)
    write(watch.drop / "ccm_enabled__2025-04.csv", b"new", age_seconds=90)
    listed = DropStore(str(watch.drop)).list_files()
    assert [Path(f.path).name for f in listed] == ["ccm_enabled__2025-04.csv"]
    assert watch.tick() == ["2025-04"]


def _cursor_with(kinds: list[str], requested: str | None = None) -> WatchCursor:
    cursor = WatchCursor()
    cursor.months["2025-03"] = {"kinds": {k: f"sha-{k}" for k in kinds}, "requested": requested}
    return cursor


def test_a_good_report_dropped_again_after_a_bad_one_replaces_it_and_runs_again(tmp_path):
    watch = Harness(tmp_path)
    write(watch.drop / "vendor_billing__2025-03.csv", b"good", age_seconds=90)
    watch.tick()
    good_key = run_key_for("2025-03", watch.cursor.months["2025-03"]["kinds"])
    write(watch.drop / "vendor_billing__2025-03.csv", b"bad", age_seconds=90)
    watch.tick()
    bad_key = run_key_for("2025-03", watch.cursor.months["2025-03"]["kinds"])
    watch.cursor.months["2025-03"]["requested"] = bad_key  # the run that failed on the bad file

    write(watch.drop / "vendor_billing__2025-03.csv", b"good", age_seconds=90)
    assert watch.tick() == ["2025-03"]

    assert watch.inbox_files("2025-03") == {
        "2025-03 vendor_billing/vendor_billing__2025-03.csv": b"good"
    }
    entry = watch.cursor.months["2025-03"]
    assert entry["retakes"] == 1
    [request] = months_to_run(watch.cursor, today=date(2025, 4, 20), close_day=5)
    assert request.run_key == good_key + ":1"
    assert request.run_key not in (good_key, bad_key)
    # A second identical drop of the good file is now what the month holds: nothing to do.
    write(watch.drop / "copy of vendor_billing__2025-03.csv", b"good", age_seconds=90)
    assert watch.tick() == []
    assert watch.cursor.months["2025-03"]["retakes"] == 1


def test_a_month_runs_once_all_seven_reports_are_in():
    cursor = _cursor_with(list(REPORT_KINDS))
    [request] = months_to_run(cursor, today=date(2025, 3, 20), close_day=5)
    assert (request.month, request.missing_kinds) == ("2025-03", ())
    assert request.run_key == run_key_for("2025-03", cursor.months["2025-03"]["kinds"])


def test_a_month_with_reports_missing_waits_until_its_close_day_then_names_them():
    cursor = _cursor_with([k for k in REPORT_KINDS if k != "vendor_billing"])
    assert months_to_run(cursor, today=date(2025, 4, 4), close_day=5) == []
    [request] = months_to_run(cursor, today=date(2025, 4, 5), close_day=5)
    assert request.missing_kinds == ("vendor_billing",)


def test_a_month_already_run_with_the_same_files_is_not_requested_again():
    cursor = _cursor_with(list(REPORT_KINDS))
    key = run_key_for("2025-03", cursor.months["2025-03"]["kinds"])
    cursor.months["2025-03"]["requested"] = key
    assert months_to_run(cursor, today=date(2025, 3, 20), close_day=5) == []
    cursor.months["2025-03"]["kinds"]["vendor_billing"] = "sha-corrected"  # a late correction
    [request] = months_to_run(cursor, today=date(2025, 3, 20), close_day=5)
    assert request.run_key != key


def test_a_month_failing_with_the_same_files_is_tried_three_times_then_waits_for_a_new_file():
    cursor = _cursor_with(list(REPORT_KINDS))
    today = date(2025, 3, 20)
    tries = 0
    while requests := months_to_run(cursor, today=today, close_day=5):
        tries += 1
        gave_up = record_failed_run(cursor, "2025-03", requests[0].run_key)
        assert gave_up == (tries == 3)
    assert tries == 3
    cursor.months["2025-03"]["kinds"]["vendor_billing"] = "sha-corrected"
    [request] = months_to_run(cursor, today=today, close_day=5)
    # The corrected files get their own three tries.
    assert record_failed_run(cursor, "2025-03", request.run_key) is False
    assert cursor.months["2025-03"]["failed_runs"] == 1


def test_a_month_a_neighbours_report_changed_is_billed_again_once_per_change():
    cursor = _cursor_with(list(REPORT_KINDS))
    key = run_key_for("2025-03", cursor.months["2025-03"]["kinds"])
    cursor.months["2025-03"]["requested"] = key
    stale = {"2025-03": "2025-04-03 09:00:00+00", "2024-11": "2025-04-03 09:00:00+00"}

    # Months the watch does not hold (2024-11) are left to the warning every run prints.
    [request] = months_to_rebill(cursor, stale, running=set())
    assert (request.month, request.rebill, request.missing_kinds) == ("2025-03", True, ())
    assert request.run_key.startswith(f"{key}:rebill-")
    # A month running for its own files is rebuilt by that run.
    assert months_to_rebill(cursor, stale, running={"2025-03"}) == []

    cursor.months["2025-03"]["rebilled"] = request.run_key
    assert months_to_rebill(cursor, stale, running=set()) == []
    # Re-billing leaves the month's own files as run: no second run for them.
    assert months_to_run(cursor, today=date(2025, 4, 20), close_day=5) == []

    stale["2025-03"] = "2025-04-09 10:30:00+00"  # a later change
    [again] = months_to_rebill(cursor, stale, running=set())
    assert again.run_key not in (key, request.run_key)


def test_close_day_is_in_the_following_month_across_a_year_end():
    assert close_date("2025-12", 5) == date(2026, 1, 5)
    assert close_date("2025-03", 10) == date(2025, 4, 10)


def test_a_cursor_of_another_version_is_refused_not_misread():
    with pytest.raises(ValueError, match="cursor version"):
        WatchCursor.loads('{"version": 99}')


def test_a_folder_of_never_archived_files_is_taken_a_bounded_batch_per_tick(tmp_path):
    watch = Harness(tmp_path)
    for index in range(7):
        write(
            watch.drop / f"vendor_billing__2024-{index + 1:02d}.csv", b"%d" % index, age_seconds=90
        )
    assert watch.tick(max_files=3) == ["2024-01", "2024-02", "2024-03"]
    assert watch.tick(max_files=3) == ["2024-04", "2024-05", "2024-06"]
    assert watch.tick(max_files=3) == ["2024-07"]
    assert watch.tick(max_files=3) == []
