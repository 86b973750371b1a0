"""Every Hyper extract holds exactly its mart, row for row, read back with the Hyper API."""

from datetime import date
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from psycopg import sql
from tableauhyperapi import Connection, HyperProcess, TableName, Telemetry

from orchestration.lib.publish import PUBLISHED_MARTS
from orchestration.lib.tableau import EXTRACT_FOLDER


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
