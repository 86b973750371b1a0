"""The monthly summary page: self-contained, its numbers the marts', and a screenshot to review."""

import re
import shutil
import subprocess
from decimal import Decimal

import pytest

from tests.conftest import PROJECT_ROOT

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1600",
)


def _page(sample_run, month) -> str:
    return (sample_run.out_dir / f"ccm_summary_{month:%Y-%m}.html").read_text(encoding="utf-8")


def _metric(page: str, name: str) -> str:
    match = re.search(rf'data-metric="{name}" data-value="([^"]*)"', page)
    assert match, name
    return match.group(1)


def test_the_page_needs_nothing_from_the_network(sample_run, published_months):
    for month in published_months:
        page = _page(sample_run, month)
        assert "<script" not in page.lower()
        assert "<svg" in page and "<style>" in page
        # The only URL is SVG's namespace name, which browsers never fetch.
        urls = set(re.findall(r"https?://[^\s\"'<>)]+", page))
        assert urls <= {"http://www.w3.org/2000/svg"}
        assert not re.search(r"\b(src|href)\s*=", page)


def test_the_headline_numbers_are_the_marts(sample_run, warehouse, published_months):
    for month in published_months:
        page = _page(sample_run, month)
        patients, lines, units = warehouse.execute(
            "select count(distinct patient_acct_no), count(*), coalesce(sum(units), 0) "
            "from marts.fct_ccm_billing where service_month = %s",
            (month,),
        ).fetchone()
        assert int(_metric(page, "patients_billed")) == patients
        assert int(_metric(page, "code_lines")) == lines
        assert int(_metric(page, "units_billed")) == units
        (revenue,) = warehouse.execute(
            "select coalesce(sum(estimated_revenue_usd), 0) from marts.ccm_provider_code_month "
            "where service_month = %s",
            (month,),
        ).fetchone()
        assert Decimal(_metric(page, "estimated_revenue_usd")) == revenue
        (under,) = warehouse.execute(
            "select count(*) from marts.ccm_review_list "
            "where service_month = %s and reason_code = 'UNDER_THRESHOLD'",
            (month,),
        ).fetchone()
        assert int(_metric(page, "patients_under_threshold")) == under
        for code, code_units in warehouse.execute(
            "select cpt_code, sum(units) from marts.fct_ccm_billing where service_month = %s "
            "group by cpt_code",
            (month,),
        ):
            assert f'data-code="{code}"' in page
            assert re.search(rf'data-code="{code}".*?data-units="{code_units}"', page)


def test_the_page_names_no_patient(sample_run, warehouse, published_months):
    month = published_months[-1]
    page = _page(sample_run, month)
    for name, account in warehouse.execute(
        "select patient_name, patient_acct_no from marts.fct_ccm_billing where service_month = %s",
        (month,),
    ):
        assert account not in page
        assert not name or name not in page


def test_the_page_renders_in_headless_chromium(sample_run, published_months, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (.ci/run installs it)")
    month = published_months[-1]
    page = sample_run.out_dir / f"ccm_summary_{month:%Y-%m}.html"
    shot = tmp_path / f"ccm_summary_{month:%Y-%m}.png"
    subprocess.run(
        [
            browser,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert shot.exists() and shot.stat().st_size > 20_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    review = PROJECT_ROOT / "var" / "screenshots"
    review.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, review / shot.name)
