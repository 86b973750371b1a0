"""Every Hyper extract holds exactly its mart, row for row, read back with the Hyper API."""

from datetime import date
from decimal import Decimal
from xml.etree import ElementTree

import psycopg
import pytest
from psycopg import sql
from tableauhyperapi import Connection, HyperProcess, TableName, Telemetry

from orchestration.lib.publish import PUBLISHED_MARTS
from orchestration.lib.tableau import EXTRACT_FOLDER, write_hyper_extracts


def _normalised(value):
    if hasattr(value, "to_date"):
        return value.to_date()
    if isinstance(value, float):
        return Decimal(str(value))
    return value


def _key(row):
    return tuple((v is None, str(v)) for v in row)


def test_each_mart_has_an_extract_and_a_data_source(sample_run):
    folder = sample_run.out_dir / EXTRACT_FOLDER
    for table in PUBLISHED_MARTS:
        assert (folder / f"{table}.hyper").stat().st_size > 0, table
        tds = (folder / f"{table}.tds").read_text(encoding="utf-8")
        assert "class='postgres'" in tds and 'server="127.0.0.1"' in tds
        assert f"[marts].[{table}]" in tds and "ccm_tableau" in tds
        assert "password=" not in tds.lower()
        root = ElementTree.fromstring(tds.encode("utf-8"))
        described = [c for c in root.iter("column") if c.find("desc") is not None]
        assert described, f"{table}: no column descriptions for Tableau"


@pytest.fixture(scope="module")
def hyper(tmp_path_factory):
    logs = tmp_path_factory.mktemp("hyper_logs")
    with HyperProcess(
        Telemetry.DO_NOT_SEND_USAGE_DATA_TO_TABLEAU, parameters={"log_dir": str(logs)}
    ) as process:
        yield process


@pytest.mark.parametrize("table", PUBLISHED_MARTS)
def test_the_extract_matches_its_mart_row_for_row(sample_run, warehouse, hyper, table):
    path = sample_run.out_dir / EXTRACT_FOLDER / f"{table}.hyper"
    with Connection(hyper.endpoint, path) as extract:
        extract_columns = [
            column.name.unescaped
            for column in extract.catalog.get_table_definition(
                TableName("Extract", "Extract")
            ).columns
        ]
        extracted = extract.execute_list_query('SELECT * FROM "Extract"."Extract"')
    mart = warehouse.execute(sql.SQL("select * from {}").format(sql.Identifier("marts", table)))
    mart_columns = [column.name for column in mart.description]
    mart_rows = mart.fetchall()
    assert extract_columns == mart_columns
    assert len(extracted) == len(mart_rows)
    expected = sorted((tuple(_normalised(v) for v in row) for row in mart_rows), key=_key)
    found = sorted((tuple(_normalised(v) for v in row) for row in extracted), key=_key)
    assert found == expected
    if table == "fct_ccm_billing":
        assert all(isinstance(row[0], date) for row in found)


def _extract_rows(hyper, path) -> list[tuple]:
    with Connection(hyper.endpoint, path) as extract:
        rows = extract.execute_list_query('SELECT * FROM "Extract"."Extract"')
    return sorted((tuple(_normalised(v) for v in row) for row in rows), key=_key)


def _mart_rows(conn, table) -> list[tuple]:
    rows = conn.execute(sql.SQL("select * from {}").format(sql.Identifier("marts", table)))
    return sorted((tuple(_normalised(v) for v in row) for row in rows), key=_key)


def test_a_republished_month_is_read_again_and_the_others_are_kept(
    sample_url, hyper, published_months, tmp_path
):
    folder = tmp_path / "tableau"
    month = published_months[0]
    # One transaction, rolled back at the end: the sample warehouse is shared with other tests.
    with psycopg.connect(sample_url) as conn:
        whole = write_hyper_extracts(conn, folder)
        assert whole["ccm_review_list"] == len(_mart_rows(conn, "ccm_review_list")) > 0
        assert set(write_hyper_extracts(conn, folder).values()) == {0}, "nothing was republished"

        # A re-run of the month changes its rows and stamps its publication, as publish_month does.
        conn.execute(
            "delete from marts.ccm_review_list where ctid = (select ctid from "
            "marts.ccm_review_list where service_month = %s limit 1)",
            (month,),
        )
        conn.execute(
            "update audit.mart_publications set published_at = clock_timestamp() "
            "where service_month = %s",
            (month,),
        )
        refreshed = write_hyper_extracts(conn, folder)
        (month_rows,) = conn.execute(
            "select count(*) from marts.ccm_review_list where service_month = %s", (month,)
        ).fetchone()
        assert refreshed["ccm_review_list"] == month_rows
        assert _extract_rows(hyper, folder / "ccm_review_list.hyper") == _mart_rows(
            conn, "ccm_review_list"
        )
        conn.rollback()


def test_an_extract_with_other_columns_is_written_whole(sample_url, hyper, tmp_path):
    folder = tmp_path / "tableau"
    with psycopg.connect(sample_url) as conn:
        write_hyper_extracts(conn, folder)
        # A release that adds a column to a mart: the old extract's rows cannot be kept.
        conn.execute("alter table marts.ccm_month_summary add column release_note text")
        rewritten = write_hyper_extracts(conn, folder)
        assert rewritten["ccm_month_summary"] == len(_mart_rows(conn, "ccm_month_summary"))
        assert rewritten["ccm_review_list"] == 0
        with Connection(hyper.endpoint, folder / "ccm_month_summary.hyper") as extract:
            columns = extract.catalog.get_table_definition(TableName("Extract", "Extract")).columns
        assert columns[-1].name.unescaped == "release_note"
        conn.rollback()
