"""Old dbt invocation folders are removed; recent ones, and the manifest, stay."""

import os
from pathlib import Path

from orchestration.defs.transform.project import prune_invocation_folders

NOW = 1_800_000_000.0
DAY = 24 * 3600


def invocation(target: Path, name: str, age_days: float) -> Path:
    folder = target / name
    folder.mkdir(parents=True)
    (folder / "run_results.json").write_text("{}")
    os.utime(folder, (NOW - age_days * DAY, NOW - age_days * DAY))
    return folder


def test_folders_beyond_the_newest_kept_and_older_than_a_day_are_removed(tmp_path):
    (tmp_path / "manifest.json").write_text("{}")
    for day in range(1, 7):
        invocation(tmp_path, f"ccm_dbt_models-run{day}-abc", age_days=day)
    other = invocation(tmp_path, "another_op-run9-abc", age_days=30)

    removed = prune_invocation_folders(tmp_path, "ccm_dbt_models", keep=3, now=NOW)

    assert removed == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "another_op-run9-abc",
        "ccm_dbt_models-run1-abc",
        "ccm_dbt_models-run2-abc",
        "ccm_dbt_models-run3-abc",
        "manifest.json",
    ]
    assert other.exists()


def test_a_folder_written_within_the_day_stays_even_beyond_the_kept_count(tmp_path):
    for hours in (1, 2, 3):
        invocation(tmp_path, f"ccm_dbt_models-run{hours}-abc", age_days=hours / 24)

    assert prune_invocation_folders(tmp_path, "ccm_dbt_models", keep=1, now=NOW) == 0
    assert len(list(tmp_path.iterdir())) == 3
