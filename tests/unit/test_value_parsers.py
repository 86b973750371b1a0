"""Cell values to the raw contract's text forms (raw_tables), one quirk per case."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from orchestration.lib.readers import values
from orchestration.lib.readers.values import ValueProblem


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("00012345", "00012345"),  # DE-01: text keeps its zeros
        (98765.0, "00098765"),  # DE-01: number-formatted MRN comes back as a float
        (98765, "00098765"),
        ("12345.0", "00012345"),  # DE-02
        ("'0012345", "00012345"),  # leading-apostrophe text exported as a literal
        ("  31020\u00a0", "00031020"),
        ("", None),
        ("   ", None),  # DE-27
        (None, None),
    ],
)
def test_account_numbers_are_text_padded_to_the_width(cell, expected):
    assert values.parse_account(cell, 8) == expected


def test_account_width_zero_keeps_numbers_as_they_arrive():
    assert values.parse_account(12345.0, 0) == "12345"
    assert values.parse_account("00012345", 0) == "00012345"
    assert values.parse_account("123456789012", 0) == "123456789012"


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("00A12345", "not an account number: account numbers are digits only"),
        ("A-1234", "not an account number: account numbers are digits only"),
        ("12,345", "not an account number: account numbers are digits only"),
        (12345.5, "not an account number: account numbers are digits only"),
        ("\u0661\u0662\u0663", "not an account number: account numbers are digits only"),
        (
            "123456789",  # staging holds accounts to the width: refused here, with its row
            "not an account number: 9 digits, more than the 8 of account_number_width "
            "in config/reports.yml",
        ),
    ],
)
def test_account_numbers_that_staging_would_refuse_are_refused_at_the_reader(cell, reason):
    with pytest.raises(ValueProblem) as refused:
        values.parse_account(cell, 8)
    assert str(refused.value) == reason


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (45717, "2025-03-01"),  # DE-04: Excel serial, 1899-12-30 epoch
        (45747, "2025-03-31"),
        ("45717", "2025-03-01"),  # serial re-saved as text
        ("45717.0", "2025-03-01"),
        ("03/15/2025", "2025-03-15"),
        ("3/5/25", "2025-03-05"),
        ("2/11/44", "1944-02-11"),  # a two-digit birth year is last century
        ("2025-03-20", "2025-03-20"),
        ("2025-03-20 14:05:00", "2025-03-20"),
        ("03/15/2025 09:30 AM", "2025-03-15"),
        ("Mar 15, 2025", "2025-03-15"),
        ("15-Mar-2025", "2025-03-15"),
        ("20250315", "2025-03-15"),
        (datetime(2025, 3, 4, 10, 30), "2025-03-04"),
        (date(2025, 3, 4), "2025-03-04"),
        ("", None),
    ],
)
def test_dates_become_iso(cell, expected):
    assert values.parse_date(cell) == expected


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("02/30/2025", "02/30/2025 is not a real calendar date"),
        ("next week", "next week is not a date"),
        (time(0, 25), "00:25:00 is not a date"),
    ],
)
def test_unreadable_dates_are_refused_with_a_reason(cell, reason):
    with pytest.raises(ValueProblem) as refused:
        values.parse_date(cell)
    assert str(refused.value) == reason


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (25, "25"),
        (25.0, "25"),
        ("25", "25"),
        ("25 min", "25"),  # DE-05 text variants
        ("25 mins", "25"),
        ("0:25", "25"),
        ("1:05", "65"),
        ("00:25:40", "25"),  # only completed minutes count
        ("1 hr 5 min", "65"),
        ("1,020", "1020"),  # DE-10
        (timedelta(minutes=25), "25"),  # calamine's reading of a [h]:mm cell
        (timedelta(hours=27, minutes=30), "1650"),
        (timedelta(0), "0"),
        (time(0, 25), "25"),
        (1, "1"),  # a number cell is minutes, never days
        (1.0, "1"),
        (datetime(1900, 1, 1, 3, 30), "1650"),  # h:mm 27:30 as calamine reads it (DE-05)
        (datetime(1900, 1, 2, 0, 25), "2905"),  # 48:25
        (datetime(1899, 12, 30, 0, 0), "0"),  # 0:00 read as the epoch (DE-05)
        (datetime(1899, 12, 30, 0, 25), "25"),
        ("", None),
    ],
)
def test_durations_become_whole_minutes(cell, expected):
    assert values.parse_minutes(cell) == expected


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("1,23,4", "1,23,4 has its thousands separators in the wrong places"),  # DE-10
        ("03/15/2025", "03/15/2025 looks like a date, not a number of minutes"),
        (date(2025, 3, 15), "2025-03-15 is a date, not a number of minutes"),  # DE-05
        (datetime(2025, 3, 15, 0, 25), "2025-03-15 00:25 is a date, not a number of minutes"),
        ("12.5", "12.5 is not a whole number of minutes"),
        (12.5, "12.5 is not a whole number of minutes"),
        (0.5, "0.5 is not a whole number of minutes"),  # not half a day: 720 would be billed
        (0.0173611, "0.0173611 is not a whole number of minutes"),
        (date(1900, 1, 1), "1900-01-01 is a date, not a number of minutes"),  # 1 in a h:mm cell
        # Serial 0.x is never a datetime from calamine; on 1899-12-31 it is a reader we lack.
        (datetime(1899, 12, 31, 3, 30), "1899-12-31 03:30 is a date, not a number of minutes"),
        ("-5", "-5 is not a number of minutes"),
        ("pending", "pending is not a number of minutes"),
    ],
)
def test_unreadable_durations_are_refused_never_guessed(cell, reason):
    with pytest.raises(ValueProblem) as refused:
        values.parse_minutes(cell)
    assert str(refused.value) == reason


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("E11.9; I10", "E11.9;I10"),
        ("E119,I10", "E11.9;I10"),
        ("e11.9|i10|E11.9", "E11.9;I10"),
        (
            "E11.9 - Type 2 diabetes mellitus without complications\nI10 - Essential hypertension",
            "E11.9;I10",
        ),
        ("E11.65 Type 2 diabetes, with hyperglycemia; N18.30 CKD stage 3", "E11.65;N18.30"),
        ("Type 2 diabetes (E11.9)", "E11.9"),
        ("J45909", "J45.909"),
        ("", None),
    ],
)
def test_icd_codes_are_dotted_upper_case_and_semicolon_separated(cell, expected):
    assert values.parse_icd_codes(cell) == expected


@pytest.mark.parametrize("cell", ["E11.9;ZZZ", "diabetes", 250.0])
def test_cells_without_a_readable_icd_code_are_refused(cell):
    with pytest.raises(ValueProblem):
        values.parse_icd_codes(cell)


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("E11.99999", "E11.99999 is not an ICD-10 code"),
        ("e11.99999", "E11.99999 is not an ICD-10 code"),
        ("I10; E11.99999", "E11.99999 is not an ICD-10 code"),
        ("E11.99999 - Type 2 diabetes", "E11.99999 is not an ICD-10 code"),
        ("I10; Type 2 diabetes (E11.99999)", "E11.99999 is not an ICD-10 code"),
        ("I10|E11.999999", "E11.999999 is not an ICD-10 code"),
        ("E1", "E1 is not an ICD-10 code"),
    ],
)
def test_a_malformed_icd_code_is_refused_whole_never_cut_to_a_shorter_code(cell, reason):
    with pytest.raises(ValueProblem) as refused:
        values.parse_icd_codes(cell)
    assert str(refused.value) == reason


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("Y", "Y"), ("yes", "Y"), (True, "Y"), ("N", "N"), ("No", "N"), (0, "N"), ("", None)],
)
def test_flags_become_y_or_n(cell, expected):
    assert values.parse_flag(cell) == expected


def test_names_are_trimmed_and_folded():
    assert values.parse_name("  DOE ,\u00a0 JOHN   M ") == "DOE, JOHN M"
    assert values.join_last_first(" Doe ", "Jane\u00a0") == "Doe, Jane"
    assert values.join_last_first("Doe", None) == "Doe"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (time(9, 30), "09:30"),
        ("9:30 AM", "09:30"),
        ("12:05 PM", "12:05"),
        ("12:05 am", "00:05"),
        ("03/15/2025 02:45 PM", "14:45"),
        (0.5, "12:00"),
        (datetime(2025, 3, 15, 16, 20), "16:20"),
    ],
)
def test_times_of_day_become_24_hour_text(cell, expected):
    assert values.parse_time(cell) == expected


def test_call_minutes_come_from_start_and_end_times():
    assert values.minutes_between("9:30 AM", "9:52 AM") == "22"
    assert values.minutes_between("23:50", "00:10") == "20"  # past midnight


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CCM Enabled 2026-11", date(2026, 11, 1)),
        ("vendor_202611", date(2026, 11, 1)),
        ("TE Nov 2026", date(2026, 11, 1)),
        ("Exclusions November_2026", date(2026, 11, 1)),
        ("CCM_Enabled_Patients_Dec2020", date(2020, 12, 1)),
        ("Telephone Encounters 12-2020", date(2020, 12, 1)),
        ("summary 2026", None),
        ("run_20261105", None),  # a run date, not a month
    ],
)
def test_months_in_file_and_folder_names(text, expected):
    assert values.month_in_text(text) == expected
