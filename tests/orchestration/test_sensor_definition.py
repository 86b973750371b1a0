"""The Dagster sensor itself, evaluated on a temporary drop folder."""

from __future__ import annotations

import shutil

import pytest
from dagster import build_sensor_context

from orchestration.lib import warehouse
from orchestration.settings import project_paths
from tests.conftest import SAMPLE_DROP, stop_warehouse


@pytest.fixture
def own_warehouse(tmp_path, monkeypatch):
    var_dir = tmp_path / "var"
    monkeypatch.setenv("CCM_VAR_DIR", str(var_dir))
    monkeypatch.setenv("CCM_STABLE_SECONDS", "0")
    monkeypatch.delenv("CCM_DATABASE_URL", raising=False)
    monkeypatch.delenv("CCM_PGDATA", raising=False)
    for cached in (project_paths, warehouse.connection_info, warehouse._embedded_server):
        cached.cache_clear()
    yield var_dir
    stop_warehouse(var_dir)
    for cached in (project_paths, warehouse.connection_info, warehouse._embedded_server):
        cached.cache_clear()


def test_sensor_requests_one_run_per_complete_month_and_only_once(own_warehouse, tmp_path):
    from orchestration.defs.ingest.sensors import drop_folder_sensor
    from orchestration.defs.resources import DropFolder

    drop = tmp_path / "drop"
    shutil.copytree(SAMPLE_DROP / "2025-03", drop / "2025-03")
    resources = {"drop_folder": DropFolder(watch=str(drop))}

    first = drop_folder_sensor(build_sensor_context(cursor=None, resources=resources))
    [request] = first.run_requests
    assert request.partition_key == "2025-03-01"
    assert request.run_key.startswith("2025-03:")
    inbox = own_warehouse / "inbox" / "2025-03"
    assert request.run_config["resources"]["drop_folder"]["config"]["path"] == str(inbox)
    assert sorted(p.name for p in inbox.iterdir()) == [
        f"2025-03 {kind}"
        for kind in sorted(
            [
                "ccm_enabled",
                "ccm_not_eligible",
                "ccm_not_enabled",
                "exclusions",
                "practice_minutes",
                "telephone_encounters",
                "vendor_billing",
            ]
        )
    ]

    second = drop_folder_sensor(build_sensor_context(cursor=first.cursor, resources=resources))
    assert second.run_requests == []

    # The same bytes dropped again under another name: nothing to do.
    vendor = next((SAMPLE_DROP / "2025-03").glob("MDR*"))
    shutil.copy(vendor, drop / "resent.csv")
    third = drop_folder_sensor(build_sensor_context(cursor=second.cursor, resources=resources))
    assert third.run_requests == []

    # A corrected vendor report under the original name: the month runs again.
    text = vendor.read_text(encoding="utf-8")
    (drop / vendor.name).write_text(text.replace("Mar 2025", "Mar 2025 ", 1), encoding="utf-8")
    fourth = drop_folder_sensor(build_sensor_context(cursor=third.cursor, resources=resources))
    [rerun] = fourth.run_requests
    assert rerun.partition_key == "2025-03-01" and rerun.run_key != request.run_key


def test_sensor_without_a_configured_drop_folder_skips_and_moves_nothing(own_warehouse):
    from orchestration.defs.ingest.sensors import drop_folder_sensor
    from orchestration.defs.resources import DropFolder

    before = sorted(p.name for p in SAMPLE_DROP.rglob("*"))
    result = drop_folder_sensor(
        build_sensor_context(resources={"drop_folder": DropFolder(watch="")})
    )
    assert "set CCM_DROP" in result.skip_message
    assert sorted(p.name for p in SAMPLE_DROP.rglob("*")) == before


def test_watch_refuses_a_folder_inside_the_project(own_warehouse):
    from orchestration.cli import main

    assert main(["watch", "--drop", str(SAMPLE_DROP), "--once"]) == 2


def test_sensor_asks_once_to_bill_again_a_month_a_neighbours_load_changed(own_warehouse, tmp_path):
    from orchestration.defs.ingest.sensors import drop_folder_sensor
    from orchestration.defs.resources import DropFolder
    from orchestration.lib.publish import PUBLICATIONS_DDL

    drop = tmp_path / "drop"
    shutil.copytree(SAMPLE_DROP / "2025-03", drop / "2025-03")
    resources = {"drop_folder": DropFolder(watch=str(drop))}
    first = drop_folder_sensor(build_sensor_context(cursor=None, resources=resources))
    [files_run] = first.run_requests

    # March is published; then April's practice minutes load, holding a March entry.
    with warehouse.connect() as conn:
        for statement in PUBLICATIONS_DDL:
            conn.execute(statement)
        conn.execute("insert into audit.mart_publications values ('2025-03-01', now())")
    with warehouse.connect() as conn:
        conn.execute(
            "insert into raw.file_loads (report_kind, service_month, source_file, file_name, "
            "file_sha256, file_bytes, status, entry_months) values ('practice_minutes', "
            "'2025-04-01', 'x', 'PHM CCM Minutes 2025-04.csv', 'sha', 1, 'current', "
            "array['2025-03-01', '2025-04-01']::date[])"
        )

    second = drop_folder_sensor(build_sensor_context(cursor=first.cursor, resources=resources))
    [rebill] = second.run_requests
    assert rebill.partition_key == "2025-03-01"
    assert rebill.run_key.startswith(f"{files_run.run_key}:rebill-")
    third = drop_folder_sensor(build_sensor_context(cursor=second.cursor, resources=resources))
    assert third.run_requests == []
