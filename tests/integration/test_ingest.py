"""Loading dropped files into `raw` on a real PostgreSQL (an embedded server of its own)."""

from __future__ import annotations

import logging
import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from orchestration.lib import ingest, warehouse
from orchestration.lib.ingest import load_file, scan_drop
from orchestration.lib.publish import PUBLICATIONS_DDL
from orchestration.lib.raw_tables import KIND_COLUMNS
from orchestration.lib.readers import kind_specs, read_report
from orchestration.lib.rebilling import stale_line, stale_months
from orchestration.lib.summary import month_summary
from orchestration.settings import reports_config
from tests.conftest import SAMPLE_DROP

MARCH = date(2025, 3, 1)
VENDOR_HEADER = (
    "MDR Monthly Vendor Report\nReport Period: 03/01/2025 - 03/31/2025\n\n"
    "EHR ID,Patient Name,Total Minutes,Role\n"
)


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """A PostgreSQL server of this module's own, with the warehouse schemas created."""
    var_dir = tmp_path_factory.mktemp("ingest_var")
    saved = {k: os.environ.get(k) for k in ("CCM_VAR_DIR", "CCM_PGDATA", "CCM_DATABASE_URL")}
    os.environ.pop("CCM_DATABASE_URL", None)
    os.environ["CCM_VAR_DIR"] = str(var_dir)
    os.environ["CCM_PGDATA"] = str(var_dir / "pg")
    warehouse.connection_info.cache_clear()
    warehouse._embedded_server.cache_clear()
    warehouse.ensure_schemas()
    yield var_dir
    warehouse.stop_embedded()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    warehouse.connection_info.cache_clear()
    warehouse._embedded_server.cache_clear()


@pytest.fixture
def conn(database):
    with warehouse.connect(autocommit=True) as connection:
        kinds = ", ".join(f"raw.{k}" for k in ingest.KIND_COLUMNS)
        connection.execute(f"truncate raw.rejected_rows, {kinds}, raw.file_loads")
        yield connection


@pytest.fixture
def var_dir(tmp_path):
    return tmp_path / "var"


def vendor_file(folder: Path, rows: int, *, bad: int = 0, name="MDR_vendor_202503.csv") -> Path:
    """A vendor report with `rows` patients, `bad` of them with unreadable minutes, and a footer."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f'{10000 + n},"PATIENT, NUMBER {n}",{20 + n},RN' for n in range(rows)]
    for n in range(bad):
        lines[n] = f'{10000 + n},"PATIENT, NUMBER {n}",soon,RN'
    path = folder / name
    path.write_text(VENDOR_HEADER + "\n".join(lines) + f"\nCount: {rows}\n", encoding="utf-8")
    return path


def dropped(path: Path, drop: Path):
    [found] = [f for f in scan_drop(drop, config=reports_config()) if f.path == path]
    return found


def rows_in(conn, table: str) -> int:
    return conn.execute(f"select count(*) from raw.{table}").fetchone()[0]


def test_a_file_loads_by_copy_with_its_rejected_rows_and_lineage(conn, tmp_path, var_dir):
    drop = tmp_path / "drop"
    path = vendor_file(drop, 10, bad=1)
    found = dropped(path, drop)
    assert (found.kind, found.service_month, found.problem) == ("vendor_billing", MARCH, None)

    result = load_file(conn, found, var_dir=var_dir)

    assert (result.status, result.rows_loaded, result.rows_rejected, result.rows_skipped) == (
        "current",
        9,
        1,
        1,
    )
    assert rows_in(conn, "vendor_billing") == 9
    first = conn.execute(
        "select load_id, service_month, sheet_name, source_row, patient_acct_no, patient_name, "
        "total_minutes, care_manager_role from raw.vendor_billing order by source_row limit 1"
    ).fetchone()
    assert first == (result.load_id, MARCH, None, 6, "00010001", "PATIENT, NUMBER 1", "21", "RN")
    rejected = conn.execute(
        "select load_id, report_kind, service_month, file_name, sheet_name, source_row, "
        "column_name, raw_value, reason, patient_acct_no from raw.rejected_rows"
    ).fetchall()
    assert rejected == [
        (
            result.load_id,
            "vendor_billing",
            MARCH,
            "MDR_vendor_202503.csv",
            None,
            5,
            "Total Minutes",
            "soon",
            "soon is not a number of minutes",
            "00010000",
        )
    ]
    status, loaded, notes = conn.execute(
        "select status, rows_loaded, notes from raw.file_loads where load_id = %s",
        (result.load_id,),
    ).fetchone()
    assert (status, loaded) == ("current", 9)
    assert notes == "9 account numbers left-padded with zeros to 8 digits"
    archived = (
        var_dir / "archive" / "vendor_billing" / "2025-03" / f"{found.sha256[:12]}_{path.name}"
    )
    assert archived.read_bytes() == path.read_bytes()
    assert path.exists()  # the drop folder is left as it was


def test_a_corrected_redrop_replaces_the_earlier_load(conn, tmp_path, var_dir):
    drop = tmp_path / "drop"
    first = load_file(conn, dropped(vendor_file(drop, 10), drop), var_dir=var_dir)
    second = load_file(conn, dropped(vendor_file(drop, 11), drop), var_dir=var_dir)

    assert (first.status, first.rows_loaded, second.status, second.rows_loaded) == (
        "current",
        10,
        "current",
        11,
    )
    assert rows_in(conn, "vendor_billing") == 11
    loads = conn.execute(
        "select load_id, status, superseded_at is not null from raw.file_loads order by load_id"
    ).fetchall()
    assert loads == [(first.load_id, "superseded", True), (second.load_id, "current", False)]
    assert conn.execute("select distinct load_id from raw.vendor_billing").fetchall() == [
        (second.load_id,)
    ]


def test_an_identical_redrop_is_unchanged_and_loads_nothing(conn, tmp_path, var_dir):
    drop = tmp_path / "drop"
    found = dropped(vendor_file(drop, 10), drop)
    first = load_file(conn, found, var_dir=var_dir)
    again = load_file(conn, found, var_dir=var_dir)

    assert (again.status, again.load_id, again.rows_loaded) == ("unchanged", first.load_id, 10)
    assert rows_in(conn, "vendor_billing") == 10
    assert rows_in(conn, "file_loads") == 1


def test_too_many_rejected_rows_quarantine_the_whole_file_with_a_reason(conn, tmp_path, var_dir):
    drop = tmp_path / "drop"
    drop.mkdir()
    path = drop / "vendor_2025-03.csv"
    path.write_text(
        'MRN,Patient Name,Minutes\n00012345,"A, B",20\n,"C, D",25\n   ,"E, F",30\n',
        encoding="utf-8",
    )
    result = load_file(conn, dropped(path, drop), var_dir=var_dir)

    assert (result.status, result.rows_loaded, result.rows_rejected) == ("quarantined", 0, 2)
    assert result.reason == "2 of 3 rows could not be read (more than 20% allowed)"
    assert rows_in(conn, "vendor_billing") == 0
    assert rows_in(conn, "rejected_rows") == 0
    assert conn.execute("select status from raw.file_loads").fetchall() == [("failed",)]
    folder = var_dir / "quarantine" / "2025-03" / "vendor_billing"
    kept = f"vendor_2025-03.{ingest.file_sha256(path)[:12]}.csv"
    assert sorted(p.name for p in folder.iterdir()) == [kept, f"{kept}.reason.txt"]
    assert (folder / kept).read_bytes() == path.read_bytes()
    reason = (folder / f"{kept}.reason.txt").read_text(encoding="utf-8")
    assert "Why it was not loaded: 2 of 3 rows could not be read" in reason
    assert "- row 3, column “MRN”, value “”: the account number is blank" in reason
    assert "- row 4, column “MRN”, value “   ”: the account number is blank" in reason
    assert path.exists()


def test_a_duplicate_header_quarantines_the_file(conn, tmp_path, var_dir):
    drop = tmp_path / "drop"
    drop.mkdir()
    path = drop / "vendor_2025-03.csv"
    path.write_text("MRN,Service Date,Minutes,Staff,Minutes\n1,03/02/2025,30,A,20\n")
    result = load_file(conn, dropped(path, drop), var_dir=var_dir)
    assert (result.status, result.reason) == (
        "quarantined",
        "duplicate header `Minutes` at columns C and E",
    )
    assert rows_in(conn, "vendor_billing") == 0


def test_a_quarantined_file_does_not_displace_the_current_load(conn, tmp_path, var_dir):
    drop = tmp_path / "drop"
    good = load_file(conn, dropped(vendor_file(drop, 10), drop), var_dir=var_dir)
    bad = load_file(conn, dropped(vendor_file(drop, 10, bad=5), drop), var_dir=var_dir)
    assert (good.status, bad.status) == ("current", "quarantined")
    assert conn.execute(
        "select load_id from raw.file_loads where status = 'current'"
    ).fetchall() == [(good.load_id,)]
    assert rows_in(conn, "vendor_billing") == 10


def test_an_unrecognised_file_goes_to_the_unknown_quarantine(conn, tmp_path, var_dir):
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "lunch menu.csv").write_text("Dish,Price\nSoup,4\n", encoding="utf-8")
    [found] = scan_drop(drop, config=reports_config())
    result = load_file(conn, found, var_dir=var_dir)
    assert (result.status, result.load_id, result.reason) == (
        "quarantined",
        None,
        "unrecognised report",
    )
    kept = f"lunch menu.{found.sha256[:12]}.csv"
    reason = (var_dir / "quarantine" / "unknown" / "unknown" / f"{kept}.reason.txt").read_text()
    assert "Why it was not loaded: unrecognised report" in reason


def test_a_header_only_file_loads_zero_rows_as_current(conn, tmp_path, var_dir):
    drop = tmp_path / "drop"
    path = vendor_file(drop, 0)
    result = load_file(conn, dropped(path, drop), var_dir=var_dir)
    assert (result.status, result.rows_loaded) == ("current", 0)


def test_a_failure_mid_load_leaves_nothing_half_loaded(conn, tmp_path, var_dir, monkeypatch):
    drop = tmp_path / "drop"
    first = load_file(conn, dropped(vendor_file(drop, 10), drop), var_dir=var_dir)
    corrected = dropped(vendor_file(drop, 11, bad=1), drop)

    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest, "_rejected_row", broken)
    with pytest.raises(RuntimeError):
        load_file(conn, corrected, var_dir=var_dir)

    assert conn.execute("select load_id, status from raw.file_loads").fetchall() == [
        (first.load_id, "current")
    ]
    assert rows_in(conn, "vendor_billing") == 10


def test_scan_reads_subfolders_and_skips_hidden_partial_and_set_aside_files(tmp_path):
    drop = tmp_path / "drop"
    vendor_file(drop / "2025-03", 2, name="MDR vendor.csv")
    vendor_file(drop / ".sync", 2)
    (drop / "2025-03" / "MDR vendor.csv.reason.txt").write_text("old reason")
    (drop / "2025-03" / ".~lock.csv").write_text("x")
    shutil.copy(drop / "2025-03" / "MDR vendor.csv", drop / "2025-03" / "~$MDR vendor.csv")
    vendor_file(drop / "2025-03", 2, name="MDR vendor 2.csv.crdownload")
    vendor_file(drop / "archive", 2, name="0123456789ab_MDR vendor.csv")
    vendor_file(drop / "quarantine", 2, name="0123456789ab_MDR vendor.csv")
    found = scan_drop(drop, config=reports_config())
    assert [(f.name, f.kind, f.service_month) for f in found] == [
        ("MDR vendor.csv", "vendor_billing", MARCH)
    ]


def test_each_file_commits_on_its_own_on_a_non_autocommit_connection(database, tmp_path, var_dir):
    drop = tmp_path / "drop"
    with warehouse.connect(autocommit=True) as watcher:
        kinds = ", ".join(f"raw.{k}" for k in ingest.KIND_COLUMNS)
        watcher.execute(f"truncate raw.rejected_rows, {kinds}, raw.file_loads")
        with warehouse.connect() as loader:
            load_file(loader, dropped(vendor_file(drop, 10), drop), var_dir=var_dir)
            # Another session sees the load before the loader's connection closes.
            assert rows_in(watcher, "vendor_billing") == 10


def test_a_reader_fault_quarantines_the_file_instead_of_stopping_the_run(
    conn, tmp_path, var_dir, monkeypatch
):
    drop = tmp_path / "drop"
    found = dropped(vendor_file(drop, 3), drop)

    def faulty(path, spec, *, sink=None, table_sink=None):
        raise KeyError("surprise")

    monkeypatch.setattr(ingest, "read_report", faulty)
    result = load_file(conn, found, var_dir=var_dir)
    assert (result.status, result.reason) == (
        "quarantined",
        "the loader could not read this file (KeyError); "
        "send it to the data team, who will fix the reader",
    )


def unreadable(path: Path, content: bytes) -> Path:
    """A workbook cut short (a zip header and no more): the reader cannot open it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PK\x03\x04" + content)
    return path


def test_a_refused_file_goes_under_its_month_and_kind_and_never_over_an_earlier_one(
    conn, tmp_path, var_dir
):
    drop = tmp_path / "drop"
    path = unreadable(drop / "MDR_vendor_202503.xlsx", b"first")
    first = dropped(path, drop)
    assert (first.kind, first.service_month) == ("vendor_billing", MARCH)  # from the name
    load_file(conn, first, var_dir=var_dir)
    unreadable(path, b"second, a different file under the same name")
    second = dropped(path, drop)
    result = load_file(conn, second, var_dir=var_dir)
    load_file(conn, second, var_dir=var_dir)  # the same file refused again

    assert (result.status, result.reason) == (
        "quarantined",
        "cannot read the file: the workbook cannot be opened (ZipError)",
    )
    folder = var_dir / "quarantine" / "2025-03" / "vendor_billing"
    names = [f"MDR_vendor_202503.{f.sha256[:12]}.xlsx" for f in (first, second)]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [*names, *(f"{name}.reason.txt" for name in names)]
    )
    assert (folder / names[0]).read_bytes() == b"PK\x03\x04first"
    assert not (var_dir / "quarantine" / "unknown").exists()
    assert (
        conn.execute(
            "select report_kind, service_month, status from raw.file_loads order by load_id"
        ).fetchall()
        == [("vendor_billing", MARCH, "failed")] * 2
    )


def test_a_250_byte_file_name_is_set_aside_under_a_short_unique_name(conn, tmp_path, var_dir):
    drop = tmp_path / "drop"
    stem = "MDR vendor 2025-03 "
    long_names = [
        stem + "é" * ((250 - len(stem.encode()) - 4) // 2) + ".csv",  # 249 bytes, two-byte é
        stem + "x" * (250 - len(stem) - 5) + "1.csv",
        stem + "x" * (250 - len(stem) - 5) + "2.csv",  # the same as the last but its end
    ]
    assert [len(name.encode()) for name in long_names] == [249, 250, 250]
    bad = 'MRN,Patient Name,Minutes\n,"A, B",20\n'
    results = []
    for number, name in enumerate(long_names):
        (drop / name).parent.mkdir(parents=True, exist_ok=True)
        (drop / name).write_text(bad + f'{number},"C, D",x\n', encoding="utf-8")
        results.append(load_file(conn, dropped(drop / name, drop), var_dir=var_dir))
    good = vendor_file(drop, 3, name=long_names[1].replace("1.csv", "3.csv"))
    loaded = load_file(conn, dropped(good, drop), var_dir=var_dir)

    assert [r.status for r in results] == ["quarantined"] * 3
    assert loaded.status == "current"
    folder = var_dir / "quarantine" / "2025-03" / "vendor_billing"
    kept = sorted(p.name for p in folder.iterdir())
    assert len(kept) == 6  # three copies, three reasons: nothing overwritten
    assert max(len(name.encode()) for name in kept) <= 255
    copies = [name for name in kept if not name.endswith(".reason.txt")]
    assert all(f"{name}.reason.txt" in kept for name in copies)
    assert all(name.endswith(".csv") and name.startswith(stem) for name in copies)
    named = {
        (folder / f"{name}.reason.txt").read_text(encoding="utf-8").splitlines()[0]
        for name in copies
    }
    assert named == {f"File: {name}" for name in long_names}  # the full name, for the clerk
    [archived] = (var_dir / "archive" / "vendor_billing" / "2025-03").iterdir()
    assert len(archived.name.encode()) <= 255
    assert archived.read_bytes() == good.read_bytes()


MINUTES_HEADER = "PHM Time Log\nMRN,Date,Minutes,Staff,Role\n"


def billing_marts(conn) -> None:
    """The two marts the month summary reads, empty: these tests count raw rows only."""
    conn.execute(
        "create table if not exists marts.fct_ccm_billing "
        "(service_month date, patient_acct_no text, cpt_code text, units integer)"
    )
    conn.execute(
        "create table if not exists marts.ccm_review_list "
        "(service_month date, patient_acct_no text, reason_code text, blocks_billing boolean)"
    )


def test_the_month_summary_counts_as_not_billed_only_reasons_that_blocked_billing(conn):
    billing_marts(conn)
    may = date(2025, 5, 1)
    conn.execute(
        "insert into marts.ccm_review_list values (%s, '1', 'UNDER_THRESHOLD', true), "
        "(%s, '2', 'NOT_MEDICARE', true), (%s, '3', 'CONFLICTING_COPIES', false), "
        "(%s, '4', 'EXCLUDED_TCM', true), (%s, '4', 'PROBABLE_DUPLICATE', false)",
        (may,) * 5,
    )
    try:
        summary = month_summary(conn, may)
    finally:
        conn.execute("delete from marts.ccm_review_list where service_month = %s", (may,))
    assert summary.lines()[1] == "  excluded 1, under threshold 1, other not billed: not_medicare 1"


def test_rows_dated_in_another_month_are_counted_on_the_load_and_in_the_summary(
    conn, tmp_path, var_dir
):
    drop = tmp_path / "drop"
    drop.mkdir()
    path = drop / "PHM CCM Minutes 2025-03.csv"
    path.write_text(
        MINUTES_HEADER + "1,03/02/2025,20,A,RN\n2,03/30/2025,20,A,RN\n3,02/27/2025,20,A,RN\n"
        "4,02/28/2025,20,A,RN\n5,04/01/2025,20,A,RN\n6,03/03/2025,,A,RN\n",
        encoding="utf-8",
    )
    result = load_file(conn, dropped(path, drop), var_dir=var_dir)
    billing_marts(conn)
    summary = month_summary(conn, MARCH)

    assert (result.status, result.rows_loaded, result.rows_outside_month) == ("current", 5, 3)
    notes, entry_months = conn.execute("select notes, entry_months from raw.file_loads").fetchone()
    assert "3 rows dated outside 2025-03, not billed in it (R9.7)" in notes
    # What a neighbouring month's build reads the load for (dbt macro window_file_months).
    assert entry_months == [date(2025, 2, 1), MARCH, date(2025, 4, 1)]
    assert rows_in(conn, "practice_minutes") == 5  # counted, not dropped
    assert conn.execute("select source_row, reason from raw.rejected_rows").fetchall() == [
        (8, "minutes missing")
    ]
    assert summary.rows_outside_month == {"practice_minutes": 3}
    assert summary.lines()[2:] == [
        "  rejected rows 1, quarantined files 0",
        "  rows dated outside the month 3 (practice minutes 3), not billed in 2025-03",
        "  INCOMPLETE: billed without this month's ccm enabled, ccm not enabled, "
        "ccm not eligible, exclusions, telephone encounters, vendor billing report(s); "
        "re-run the month when they arrive",
    ]


def test_the_month_summary_counts_the_months_quarantined_files(conn, tmp_path, var_dir):
    drop = tmp_path / "drop"
    refused_then_corrected = unreadable(drop / "MDR_vendor_202503.xlsx", b"cut short")
    load_file(conn, dropped(refused_then_corrected, drop), var_dir=var_dir)
    load_file(conn, dropped(vendor_file(drop, 3), drop), var_dir=var_dir)
    te = unreadable(drop / "Telephone Encounters 03-2025.xlsx", b"cut short too")
    load_file(conn, dropped(te, drop), var_dir=var_dir)
    load_file(conn, dropped(te, drop), var_dir=var_dir)  # refused again: still one file
    february = unreadable(drop / "MDR_vendor_202502.xlsx", b"another month")
    load_file(conn, dropped(february, drop), var_dir=var_dir)
    billing_marts(conn)

    summary = month_summary(conn, MARCH)

    assert summary.quarantined_files == 2
    assert summary.lines()[2] == "  rejected rows 0, quarantined files 2"
    assert month_summary(conn, date(2025, 2, 1)).quarantined_files == 1


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_a_large_export_streams_into_raw_as_the_whole_file_reads(conn, tmp_path, var_dir, encoding):
    """Over a megabyte, a text report is read as it is copied; the rows are the same."""
    drop = tmp_path / "drop"
    drop.mkdir()
    lines = [f'{10000 + n},"PATIENT, NUMBER {n}",{n % 90},RN' for n in range(40_000)]
    lines[7] = '10007,"PEÑA, JOSÉ",25,RN'  # beyond ASCII: the codec must hold for the file
    lines[8] = '10008,"BACK\\SLASH, AL",30,RN'  # COPY's escape character, loaded as typed
    lines[9] = '10009,"PATIENT, NINE",soon,RN'  # a rejected row among the streamed ones
    path = drop / "MDR_vendor_202503.csv"
    path.write_bytes((VENDOR_HEADER + "\n".join(lines) + "\nCount: 40000\n").encode(encoding))
    assert path.stat().st_size > 1 << 20

    result = load_file(conn, dropped(path, drop), var_dir=var_dir)

    whole = read_report(path, kind_specs(reports_config())["vendor_billing"])
    assert (
        (result.rows_loaded, result.rows_rejected)
        == (39_999, 1)
        == (
            len(whole.rows),
            whole.rows_rejected,
        )
    )
    columns = ", ".join(KIND_COLUMNS["vendor_billing"])
    loaded = conn.execute(
        f"select sheet_name, source_row, {columns} from raw.vendor_billing order by source_row"
    ).fetchall()
    assert loaded == whole.rows
    name = 2 + KIND_COLUMNS["vendor_billing"].index("patient_name")
    assert (loaded[7][name], loaded[8][name]) == ("PEÑA, JOSÉ", "BACK\\SLASH, AL")


def test_a_load_leaves_its_month_index_summarised(conn, tmp_path, var_dir):
    """The month index is a BRIN: the ranges a load wrote are summarised before the month's
    checks and build read it, or every month's reads would scan them."""
    drop = tmp_path / "drop"
    drop.mkdir()
    lines = [f'{10000 + n},"PATIENT, NUMBER {n}",{n % 90},RN' for n in range(30_000)]
    path = drop / "MDR_vendor_202503.csv"
    path.write_text(VENDOR_HEADER + "\n".join(lines) + "\n")
    assert load_file(conn, dropped(path, drop), var_dir=var_dir).rows_loaded == 30_000
    (pages,) = conn.execute(
        "select relpages from pg_class where oid = 'raw.vendor_billing'::regclass"
    ).fetchone()
    assert pages > 128  # more than one block range
    (unsummarised,) = conn.execute(
        "select brin_summarize_new_values('raw.vendor_billing_month_load_brin'::regclass)"
    ).fetchone()
    assert unsummarised == 0


def test_the_schema_set_up_replaces_the_month_btree_of_an_older_warehouse(conn):
    conn.execute("drop index raw.exclusions_month_load_brin")
    conn.execute(
        "create index exclusions_month_load_idx on raw.exclusions (service_month, load_id)"
    )

    warehouse.ensure_schemas()

    indexes = conn.execute(
        "select indexname, indexdef from pg_indexes where schemaname = 'raw' "
        "and tablename = 'exclusions'"
    ).fetchall()
    assert [name for name, _ in indexes] == ["exclusions_month_load_brin"]
    assert "USING brin" in indexes[0][1]


def test_a_text_report_that_is_not_one_plain_table_loads_row_by_row(
    conn, tmp_path, var_dir, caplog
):
    """A line of another width inside the table stops the columnar read; the load starts over
    with the row reader, in the same load id, and nothing of the first try remains."""
    drop = tmp_path / "drop"
    drop.mkdir()
    lines = [f'{10000 + n},"PATIENT, NUMBER {n}",{n % 90},RN' for n in range(300)]
    lines[150] = "Page 2"
    path = drop / "MDR_vendor_202503.csv"
    path.write_text(VENDOR_HEADER + "\n".join(lines) + "\nCount: 299\n", encoding="utf-8")
    [load_id] = ingest.reserve_load_ids(conn, 1)

    with caplog.at_level(logging.INFO, logger=ingest.__name__):
        result = load_file(conn, dropped(path, drop), var_dir=var_dir, load_id=load_id)

    assert "MDR_vendor_202503.csv: not one plain table" in caplog.text

    whole = read_report(path, kind_specs(reports_config())["vendor_billing"])
    assert (result.load_id, result.status, result.rows_loaded, result.rows_skipped) == (
        load_id,
        "current",
        299,
        2,
    )
    columns = ", ".join(KIND_COLUMNS["vendor_billing"])
    loaded = conn.execute(
        f"select sheet_name, source_row, {columns} from raw.vendor_billing order by source_row"
    ).fetchall()
    assert loaded == whole.rows
    assert conn.execute("select load_id, status from raw.file_loads").fetchall() == [
        (load_id, "current")
    ]


def test_kinds_loaded_side_by_side_end_as_loading_them_one_after_another(conn, tmp_path, var_dir):
    """The month's kinds load in worker processes at once; the loads are as if in sequence."""
    drop = tmp_path / "drop"
    drop.mkdir()
    sample = SAMPLE_DROP / "2020-12"
    for name in ("CCM Not Eligible 2020-12.csv", "MDR_vendor_monthly_202012.csv"):
        shutil.copy(sample / name, drop / name)
    by_kind: dict = {"ccm_not_eligible": [], "vendor_billing": [], "exclusions": []}
    for found in scan_drop(drop, config=reports_config()):
        by_kind[found.kind].append(found)

    def loaded() -> list[tuple]:
        # In load id order: ids are reserved in the order of `by_kind`, though the larger
        # vendor file starts loading first.
        return conn.execute(
            "select report_kind, file_name, status, rows_loaded, rows_rejected, rows_skipped, "
            "(select count(*) from raw.vendor_billing v where v.load_id = l.load_id) "
            "+ (select count(*) from raw.ccm_not_eligible e where e.load_id = l.load_id) "
            "from raw.file_loads as l order by load_id"
        ).fetchall()

    with ingest.ingest_pool() as pool:
        assert pool is not None
        side_by_side = ingest.load_by_kind(
            by_kind, config=reports_config(), var_dir=var_dir, pool=pool
        )
    in_parallel = loaded()
    kinds = ", ".join(f"raw.{k}" for k in ingest.KIND_COLUMNS)
    conn.execute(f"truncate raw.rejected_rows, {kinds}, raw.file_loads")
    one_by_one = ingest.load_by_kind(by_kind, config=reports_config(), var_dir=var_dir)

    assert in_parallel == loaded()
    assert [row[0] for row in in_parallel] == ["ccm_not_eligible", "vendor_billing"]
    assert side_by_side["exclusions"] == []
    ids = [result.load_id for kind in by_kind for result in side_by_side[kind]]
    assert ids == sorted(ids) and ids[1] == ids[0] + 1
    for kind in ("ccm_not_eligible", "vendor_billing"):
        [first], [second] = side_by_side[kind], one_by_one[kind]
        assert (first.status, first.rows_loaded, first.rows_rejected) == (
            second.status,
            second.rows_loaded,
            second.rows_rejected,
        )
        assert first.status == "current" and first.rows_loaded > 0


def minutes_file(drop: Path, month: str, dated: list[str]) -> Path:
    """A practice-minutes report of `month` (YYYY-MM) with one 20-minute row per date."""
    drop.mkdir(parents=True, exist_ok=True)
    path = drop / f"PHM CCM Minutes {month}.csv"
    rows = "".join(f"{n + 1},{day},20,A,RN\n" for n, day in enumerate(dated))
    path.write_text(MINUTES_HEADER + rows, encoding="utf-8")
    return path


def publish_stamp(conn, month: date) -> None:
    """Record the month as published now, as publish_month does."""
    for statement in PUBLICATIONS_DDL:
        conn.execute(statement)
    conn.execute(
        "insert into audit.mart_publications values (%s, clock_timestamp()) "
        "on conflict (service_month) do update set published_at = excluded.published_at",
        (month,),
    )


def test_a_month_is_stale_once_a_neighbours_load_adds_or_takes_away_its_entries(
    conn, tmp_path, var_dir
):
    april, february = date(2025, 4, 1), date(2025, 2, 1)
    publish_stamp(conn, february)
    conn.execute("truncate audit.mart_publications")
    publish_stamp(conn, february)
    publish_stamp(conn, MARCH)
    publish_stamp(conn, april)
    assert stale_months(conn) == []

    # April's report carries a March entry, and one of February (two months off: refused by
    # the month's checks, never read by February's build).
    first = minutes_file(tmp_path / "v1", "2025-04", ["04/02/2025", "03/30/2025", "02/27/2025"])
    load_file(conn, dropped(first, tmp_path / "v1"), var_dir=var_dir)
    [stale] = stale_months(conn)
    assert (stale.service_month, stale.by_report_months) == (MARCH, (april,))
    assert stale_line(stale) == (
        "2025-03 needs billing again: reports of 2025-04 changed entries dated in 2025-03 "
        "after it was published (run `ccm run --month 2025-03`)"
    )

    publish_stamp(conn, MARCH)  # billed again
    assert stale_months(conn) == []

    # The corrected April report has no March entry: March's billing counted one that is gone.
    corrected = minutes_file(tmp_path / "v2", "2025-04", ["04/02/2025", "04/03/2025"])
    load_file(conn, dropped(corrected, tmp_path / "v2"), var_dir=var_dir)
    assert [(s.service_month, s.by_report_months) for s in stale_months(conn)] == [
        (MARCH, (april,))
    ]
    publish_stamp(conn, MARCH)
    assert stale_months(conn) == []

    # A report whose entries all lie in its own month changes no other.
    again = minutes_file(tmp_path / "v3", "2025-04", ["04/02/2025", "04/04/2025"])
    load_file(conn, dropped(again, tmp_path / "v3"), var_dir=var_dir)
    assert stale_months(conn) == []


def test_a_neighbours_report_refused_after_its_load_is_named_in_the_months_summary(
    conn, tmp_path, var_dir
):
    drop = tmp_path / "drop"
    first = minutes_file(drop / "v1", "2025-04", ["04/02/2025"])
    load_file(conn, dropped(first, drop / "v1"), var_dir=var_dir)
    billing_marts(conn)
    assert month_summary(conn, MARCH).refused_neighbours == []

    refused = unreadable(drop / "v2" / "PHM CCM Minutes 2025-04.xlsx", b"cut short")
    load_file(conn, dropped(refused, drop / "v2"), var_dir=var_dir)
    summary = month_summary(conn, MARCH)
    assert summary.refused_neighbours == ["2025-04 practice minutes"]
    assert (
        "  warning: the 2025-04 practice minutes report was refused; entries it may date in "
        "2025-03 are not counted (its earlier report is, if any)"
    ) in summary.lines()
    assert month_summary(conn, date(2025, 6, 1)).refused_neighbours == []  # not a neighbour

    # The good file dropped again (unchanged, nothing reloads) says it is the one that stands.
    load_file(conn, dropped(first, drop / "v1"), var_dir=var_dir)
    assert month_summary(conn, MARCH).refused_neighbours == []

    refused_again = unreadable(drop / "v4" / "PHM CCM Minutes 2025-04.xlsx", b"cut again")
    load_file(conn, dropped(refused_again, drop / "v4"), var_dir=var_dir)
    assert month_summary(conn, MARCH).refused_neighbours == ["2025-04 practice minutes"]
    corrected = minutes_file(drop / "v3", "2025-04", ["04/02/2025", "04/03/2025"])
    load_file(conn, dropped(corrected, drop / "v3"), var_dir=var_dir)
    assert month_summary(conn, MARCH).refused_neighbours == []


def test_the_month_summary_counts_entries_a_neighbours_report_carried_into_it(
    conn, tmp_path, var_dir
):
    drop = tmp_path / "drop"
    april = minutes_file(drop, "2025-04", ["04/02/2025", "03/30/2025", "03/31/2025"])
    load_file(conn, dropped(april, drop), var_dir=var_dir)
    billing_marts(conn)
    summary = month_summary(conn, MARCH)
    assert summary.rows_from_neighbours == {"practice_minutes": 2}
    assert (
        "  rows dated in 2025-03 from the neighbouring months' reports 2 (practice minutes 2), "
        "counted here"
    ) in summary.lines()
    assert month_summary(conn, date(2025, 4, 1)).rows_from_neighbours == {}
