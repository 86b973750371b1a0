"""Every DE-xx field case (/work/shared/cases/field_cases.md) maps to the tests that keep it.

Reader-level tests prove the reader's side of a case; the quality tests prove the gate that
catches the same fault if a reader ever lets it through. DE-13..DE-16 are drop-folder sensor
cases, kept by the sensor's own tests.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

FIELD_CASES = Path("/work/shared/cases/field_cases.md")

READERS = "tests.unit.test_readers"
INGEST = "tests.integration.test_ingest"
SUITES = "tests.quality.test_suites"
BLOCKING = "tests.quality.test_blocking_checks"

# DE id → (module, test function) pairs.
DE_CASES: dict[str, list[tuple[str, str]]] = {
    "DE-01": [
        (READERS, "test_de01_number_formatted_and_text_mrns_both_come_out_eight_digits"),
        (SUITES, "test_staging_suite_fails_on_duplicate_keys_short_accounts_and_bad_icd_codes"),
    ],
    "DE-02": [
        (READERS, "test_de02_apostrophe_text_ids_with_a_blank_keep_their_zeros"),
        (SUITES, "test_staging_suite_passes_on_the_sample_month"),
    ],
    "DE-03": [(SUITES, "test_staging_suite_passes_on_the_sample_month")],
    "DE-04": [
        (READERS, "test_de04_serial_and_text_dates_all_land_in_march"),
        (SUITES, "test_raw_suite_lists_every_bad_value_with_file_row_column"),
    ],
    "DE-05": [
        (READERS, "test_de05_h_mm_duration_cells_become_minutes_and_the_subtotal_is_dropped"),
        (READERS, "test_de05_text_duration_variants_are_all_25"),
        (BLOCKING, "test_bad_raw_rows_fail_the_raw_check_with_file_row_column_value"),
    ],
    "DE-06": [
        (READERS, "test_de06_bom_and_quotes_do_not_stick_to_the_first_header"),
        (BLOCKING, "test_good_data_passes_every_suite_and_builds_data_docs"),
    ],
    "DE-07": [
        (READERS, "test_de07_duplicate_minutes_headers_refuse_the_file"),
        (INGEST, "test_a_duplicate_header_quarantines_the_file"),
    ],
    "DE-08": [
        (READERS, "test_de08_header_is_found_under_a_merged_title_and_group_header"),
        (READERS, "test_de08_a_february_report_dropped_as_march_is_refused"),
    ],
    "DE-09": [
        (READERS, "test_de09_footers_page_lines_and_blank_rows_are_skipped_and_counted"),
        (SUITES, "test_row_count_fails_below_the_configured_share_of_last_month"),
    ],
    "DE-10": [(READERS, "test_de10_grouped_thousands_read_and_bad_grouping_is_rejected")],
    "DE-11": [
        (READERS, "test_de11_html_saved_as_xls_is_read_as_html"),
        (READERS, "test_de11_tsv_saved_as_xls_is_read_as_text"),
    ],
    "DE-12": [
        (READERS, "test_de12_a_wrong_dimension_record_does_not_hide_rows"),
        (SUITES, "test_row_count_fails_below_the_configured_share_of_last_month"),
    ],
    "DE-23": [(SUITES, "test_de23_text_value_sets_that_look_like_dates_compare_as_strings")],
    "DE-27": [
        (READERS, "test_de27_blank_and_space_only_account_numbers_are_rejected_rows"),
        (SUITES, "test_raw_suite_lists_every_bad_value_with_file_row_column"),
        (SUITES, "test_de27_gx_not_null_catches_blank_account_numbers_through_the_view"),
    ],
    "DE-28": [
        (
            BLOCKING,
            "test_de28_header_only_vendor_report_stops_the_published_month_and_changes_nothing",
        ),
        (INGEST, "test_a_header_only_file_loads_zero_rows_as_current"),
        (
            SUITES,
            "test_exclusions_and_not_eligible_may_be_empty_but_a_header_only_vendor_report_fails",
        ),
        (SUITES, "test_gx_row_counts_follow_min_rows_and_a_missing_report_is_a_note"),
    ],
}

# Drop-folder sensor cases: another engineer's sensor work and its tests.
COVERED_ELSEWHERE = {"DE-13", "DE-14", "DE-15", "DE-16"}


def _de_ids() -> set[str]:
    return set(re.findall(r"^### (DE-\d+)", FIELD_CASES.read_text(encoding="utf-8"), re.M))


@pytest.mark.skipif(not FIELD_CASES.exists(), reason="shared field cases not on this machine")
def test_every_de_case_is_mapped_to_a_test_or_covered_elsewhere():
    assert _de_ids() == set(DE_CASES) | COVERED_ELSEWHERE


@pytest.mark.parametrize("case", sorted(DE_CASES))
def test_every_mapped_test_exists(case):
    for module, name in DE_CASES[case]:
        assert callable(getattr(importlib.import_module(module), name, None)), (case, name)
