"""Write a health system's month of reports, large and deterministic, for `bench/run_bench.py`.

    .venv/bin/python bench/generate_scale.py --scale 1.0 --out var/bench/drop

At `--scale 1.0` one service month holds 100,000 CCM-enabled patients, 1,000,000 telephone
encounters, 400,000 practice-minute rows, 100,000 vendor rows and 20,000 exclusions (CSV, as
eCW's scheduled exports send them at that size), plus a 200,000-row telephone-encounter
workbook under `xlsx/` for the reader benchmark (a month of its own, so it never supersedes
the CSV). Rows are written as they are drawn, so memory stays flat whatever the scale.

The practice, people and code lists come from `data/generate.py`; only the volume is new. The
same arguments give the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))

from generate import (  # noqa: E402
    ACUTE_CODES,
    CHRONIC_CODES,
    DEFAULT_HEADERS,
    FACILITY,
    FIRST_NAMES,
    FIXED_STAMP,
    ICD_DESCRIPTIONS,
    KIND_COLUMNS,
    LAST_NAMES,
    MEDICARE_PLANS,
    NOT_ELIGIBLE_REASONS,
    NOT_ENABLED_STATUSES,
    OTHER_PLANS,
    PHM_ACTIVITIES,
    PRACTICE_STAFF,
    TE_REASONS,
    VENDOR_CARE_MANAGERS,
    Person,
    month_bounds,
    npi,
    title_block,
    vendor_codes,
)

MONTH = "2025-03"
XLSX_MONTH = "2025-02"
# Full-scale row counts; `--scale` multiplies each.
FULL = {
    "ccm_enabled": 100_000,
    "ccm_not_enabled": 10_000,
    "ccm_not_eligible": 5_000,
    "telephone_encounters": 1_000_000,
    "practice_minutes": 400_000,
    "vendor_billing": 100_000,
    "exclusions": 20_000,
    "te_workbook": 200_000,
}
FILE_NAMES = {
    "ccm_enabled": "CCM_Enabled_Patients_{mon}{yyyy}.csv",
    "ccm_not_enabled": "CCM Not Enabled {yyyy}-{mm}.csv",
    "ccm_not_eligible": "CCM Not Eligible {yyyy}-{mm}.csv",
    "exclusions": "Exclusion List {yyyy}-{mm}.csv",
    "practice_minutes": "PHM CCM Minutes {yyyy}-{mm}.csv",
    "telephone_encounters": "Telephone Encounters {mm}-{yyyy}.csv",
    "vendor_billing": "MDR_vendor_monthly_{yyyy}{mm}.csv",
}
# A health system has dozens of billing providers; NPIs get valid check digits.
PROVIDER_COUNT = 60
# Random accounts start above the sample's scenario block (00090000-00090999).
FIRST_ACCOUNT = 10_000_000
EXCLUSIONS = [
    ("Home Health", "G0180"),
    ("TCM", "99495"),
    ("TCM", "99496"),
    ("SNF", "99308"),
    ("Hospice", ""),
]


def counts(scale: float) -> dict[str, int]:
    return {kind: max(1, round(full * scale)) for kind, full in FULL.items()}


def _providers() -> list[tuple[str, str]]:
    rng = random.Random("providers")
    out = []
    for index in range(PROVIDER_COUNT):
        last = LAST_NAMES[index % len(LAST_NAMES)].title()
        first = rng.choice(FIRST_NAMES["F"] + FIRST_NAMES["M"]).title()
        out.append((f"{last}, {first} {rng.choice(['MD', 'DO', 'NP'])}", npi(f"1{index:08d}")))
    return out


PROVIDERS = _providers()
CLINICAL = [PRACTICE_STAFF[key] for key in ("RN1", "RN2", "LPN", "MA", "CMA")]
# Most telephone encounters are taken by the front desk; their minutes are not CCM time.
TE_STAFF = CLINICAL + [PRACTICE_STAFF["FD"]] * 10 + [PRACTICE_STAFF["SCH"]] * 10
# Rows go to patients in a fixed stride (a prime), so every patient gets an even share and no
# patient's month runs past the code table's units.
STRIDE = 7919


class Population:
    """Patient `i` is a pure function of (seed, i): any report can draw any patient again."""

    def __init__(self, enrolled: int, seed: int):
        self.enrolled, self.seed = enrolled, seed

    def patient(self, index: int) -> dict:
        rng = random.Random(self.seed * 1_000_003 + index)
        sex = rng.choice("FM")
        age_days = rng.randrange(66 * 365, 95 * 365)
        chronic = rng.sample(CHRONIC_CODES, rng.randint(2, 4))
        return {
            "index": index,
            "acct": f"{FIRST_ACCOUNT + index:08d}",
            "name": f"{rng.choice(LAST_NAMES)}, {rng.choice(FIRST_NAMES[sex])}",
            "sex": sex,
            "dob": dt.date(2025, 1, 1) - dt.timedelta(days=age_days),
            "insurance": rng.choice(MEDICARE_PLANS if rng.random() < 0.9 else OTHER_PLANS),
            "provider": PROVIDERS[index % PROVIDER_COUNT],
            "chronic": chronic,
            "consent": dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(2000)),
            "complex": rng.random() < 0.1,
        }


def _us(value: dt.date | None) -> str:
    return f"{value:%m/%d/%Y}" if value else ""


def _icd_text(codes: list[str]) -> str:
    return "; ".join(f"{code} - {ICD_DESCRIPTIONS[code]}" for code in codes)


def _patient_list_rows(kind: str, population: Population, count: int, offset: int, seed: int):
    rng = random.Random(f"{seed}-{kind}")
    for index in range(offset, offset + count):
        p = population.patient(index)
        provider, provider_npi = p["provider"]
        row = {
            "patient_acct_no": p["acct"],
            "patient_name": p["name"],
            "dob": _us(p["dob"]),
            "sex": p["sex"],
            "primary_insurance": p["insurance"],
            "provider_name": provider,
            "provider_npi": provider_npi,
            "facility": FACILITY,
            "chronic_conditions": _icd_text(p["chronic"]),
        }
        if kind == "ccm_enabled":
            row["consent_date"] = _us(p["consent"])
            row["complex_ccm"] = "Y" if p["complex"] else "N"
        elif kind == "ccm_not_enabled":
            row["reason"] = rng.choice(NOT_ENABLED_STATUSES)
        else:
            row["reason"] = rng.choice(NOT_ELIGIBLE_REASONS)
        yield row


def _day(rng: random.Random, month: str) -> dt.date:
    first, last = month_bounds(month)
    return first + dt.timedelta(days=rng.randrange(last.day - 1))  # the last day is the vendor's


def _te_rows(population: Population, count: int, month: str, seed: int, patients: int):
    rng = random.Random(f"{seed}-te-{month}")
    for number in range(count):
        p = population.patient(number * STRIDE % patients)
        staff: Person = rng.choice(TE_STAFF)
        minutes = rng.choice((1, 2, 3, 5, 8))
        codes = p["chronic"][:2] + ([rng.choice(ACUTE_CODES)] if minutes < 9 else [])
        yield {
            "encounter_id": str(5_000_000 + number),
            "patient_acct_no": p["acct"],
            "patient_name": p["name"],
            "dob": p["dob"],
            "encounter_date": _day(rng, month),
            "provider_name": p["provider"][0],
            "staff_name": staff.name,
            "staff_role": staff.role,
            "reason": rng.choice(TE_REASONS),
            "icd_codes": _icd_text(codes),
            "minutes": minutes,
        }


def _phm_rows(population: Population, count: int, month: str, seed: int, patients: int):
    rng = random.Random(f"{seed}-phm")
    for number in range(count):
        p = population.patient(number * STRIDE % patients)
        staff: Person = rng.choice(CLINICAL)
        yield {
            "patient_acct_no": p["acct"],
            "patient_name": p["name"],
            "dob": _us(p["dob"]),
            "activity_date": _us(_day(rng, month)),
            "minutes": rng.choice((2, 3, 5, 5, 8)),
            "staff_name": staff.name,
            "staff_role": staff.role,
            "activity": rng.choice(PHM_ACTIVITIES),
            "program": "CCM",
        }


def _vendor_rows(population: Population, count: int, month: str, seed: int, patients: int):
    rng = random.Random(f"{seed}-vendor")
    year = month_bounds(month)[0].year
    for index in range(count):
        p = population.patient(index % patients)
        manager = VENDOR_CARE_MANAGERS[index % len(VENDOR_CARE_MANAGERS)]
        minutes = rng.choice((0, 12, 18, 20, 25, 35))
        yield {
            "vendor_patient_id": f"MDR-{index:07d}",
            "patient_acct_no": p["acct"],
            "patient_name": p["name"],
            "dob": _us(p["dob"]),
            "reported_month": month,
            "total_minutes": minutes,
            "care_manager": manager.name,
            "care_manager_role": manager.role,
            "billing_provider": p["provider"][0],
            "suggested_codes": vendor_codes(minutes, year),
            "consent_date": _us(p["consent"]),
            "complex_ccm": "Y" if p["complex"] else "N",
        }


def _exclusion_rows(population: Population, count: int, month: str, seed: int, patients: int):
    rng = random.Random(f"{seed}-exclusions")
    for _ in range(count):
        p = population.patient(rng.randrange(patients))
        kind, cpt = rng.choice(EXCLUSIONS)
        start = _day(rng, month)
        yield {
            "patient_acct_no": p["acct"],
            "patient_name": p["name"],
            "dob": _us(p["dob"]),
            "exclusion_type": kind,
            "cpt_code": cpt,
            "service_date": _us(start),
            "service_end_date": _us(start + dt.timedelta(days=rng.randrange(30))),
            "provider_name": p["provider"][0],
            "provider_npi": p["provider"][1],
        }


# Columns each export leaves out: the patient lists send only what their kind knows.
_LEFT_OUT = {
    "ccm_enabled": {"ccm_end_date", "date_of_death", "reason"},
    "ccm_not_enabled": {"ccm_end_date", "date_of_death", "consent_date", "complex_ccm"},
    "ccm_not_eligible": {"ccm_end_date", "date_of_death", "consent_date", "complex_ccm"},
    "practice_minutes": {"start_time"},
    "telephone_encounters": {"start_time"},
}


def _header(kind: str) -> list[str]:
    return [c for c in KIND_COLUMNS[kind] if c not in _LEFT_OUT.get(kind, ())]


def write_csv(path: Path, kind: str, month: str, rows: Iterator[dict]) -> int:
    """Title rows, header, data and a `Count:` footer, as eCW's CSV export lays them out."""
    columns = _header(kind)
    written = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerows(title_block(kind, month))
        writer.writerow([DEFAULT_HEADERS[c] for c in columns])
        for row in rows:
            writer.writerow(
                [
                    _us(v) if isinstance(v, dt.date) else ("" if v is None else v)
                    for v in (row.get(c) for c in columns)
                ]
            )
            written += 1
        writer.writerow([])
        writer.writerow([f"Count: {written}"])
    return written


# A large workbook is written as SpreadsheetML parts by hand, streamed into the zip.
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
_PACKAGE = "http://schemas.openxmlformats.org/package/2006"
_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_PART = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = (
    f'{_XML}<Types xmlns="{_PACKAGE}/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_PART}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_PART}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_PART}.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    f'{_XML}<Relationships xmlns="{_PACKAGE}/relationships">'
    f'<Relationship Id="rId1" Type="{_RELATIONSHIP}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIP}">'
    '<sheets><sheet name="Report" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'{_XML}<Relationships xmlns="{_PACKAGE}/relationships">'
    f'<Relationship Id="rId1" Type="{_RELATIONSHIP}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_RELATIONSHIP}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# Style 1 is a date (built-in format 14), so encounter dates and birth dates are date cells.
_STYLES = (
    f'{_XML}<styleSheet xmlns="{_MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_EPOCH = dt.date(1899, 12, 30)


def _xml_row(number: int, cells: list[object]) -> str:
    parts = [f'<row r="{number}">']
    for value in cells:
        if value is None or value == "":
            parts.append("<c/>")
        elif isinstance(value, dt.date):
            parts.append(f'<c s="1"><v>{(value - _EPOCH).days}</v></c>')
        elif isinstance(value, int):
            parts.append(f"<c><v>{value}</v></c>")
        else:
            parts.append(f'<c t="inlineStr"><is><t>{escape(str(value))}</t></is></c>')
    parts.append("</row>")
    return "".join(parts)


def write_xlsx(path: Path, kind: str, month: str, rows: Iterator[dict]) -> int:
    """One sheet of inline strings, streamed into the zip: no workbook held in memory."""
    columns = _header(kind)
    written = 0
    stamp = FIXED_STAMP.timetuple()[:6]

    def entry(name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        return info

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, text in (
            ("[Content_Types].xml", _CONTENT_TYPES),
            ("_rels/.rels", _ROOT_RELS),
            ("xl/workbook.xml", _WORKBOOK),
            ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
            ("xl/styles.xml", _STYLES),
        ):
            archive.writestr(entry(name), text)
        with archive.open(entry("xl/worksheets/sheet1.xml"), "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b"<sheetData>"
            )
            number = 0
            batch: list[str] = []
            for line in title_block(kind, month):
                number += 1
                batch.append(_xml_row(number, line))
            number += 1
            batch.append(_xml_row(number, [DEFAULT_HEADERS[c] for c in columns]))
            for row in rows:
                number += 1
                written += 1
                batch.append(_xml_row(number, [row.get(c) for c in columns]))
                if len(batch) >= 5000:
                    sheet.write("".join(batch).encode("utf-8"))
                    batch.clear()
            batch.append(_xml_row(number + 2, [f"Count: {written}"]))
            sheet.write(("".join(batch) + "</sheetData></worksheet>").encode("utf-8"))
    return written


def generate(out: Path, scale: float, seed: int = 11) -> dict[str, int]:
    """Write the month's seven reports and the TE workbook; returns rows written per file."""
    n = counts(scale)
    patients = n["ccm_enabled"] + n["ccm_not_enabled"]
    population = Population(n["ccm_enabled"], seed)
    first = month_bounds(MONTH)[0]
    names = {"yyyy": f"{first:%Y}", "mm": f"{first:%m}", "mon": f"{first:%b}"}
    folder = out / MONTH
    folder.mkdir(parents=True, exist_ok=True)
    enabled, others = n["ccm_enabled"], n["ccm_not_enabled"]
    sources = {
        "ccm_enabled": _patient_list_rows("ccm_enabled", population, enabled, 0, seed),
        "ccm_not_enabled": _patient_list_rows("ccm_not_enabled", population, others, enabled, seed),
        "ccm_not_eligible": _patient_list_rows(
            "ccm_not_eligible", population, n["ccm_not_eligible"], enabled + others, seed
        ),
        "exclusions": _exclusion_rows(population, n["exclusions"], MONTH, seed, enabled),
        "practice_minutes": _phm_rows(population, n["practice_minutes"], MONTH, seed, enabled),
        "telephone_encounters": _te_rows(
            population, n["telephone_encounters"], MONTH, seed, patients
        ),
        "vendor_billing": _vendor_rows(population, n["vendor_billing"], MONTH, seed, enabled),
    }
    written = {}
    for kind, rows in sources.items():
        path = folder / FILE_NAMES[kind].format(**names)
        written[path.name] = write_csv(path, kind, MONTH, rows)
    workbook = out.parent / "xlsx" / f"Telephone Encounters {XLSX_MONTH}.xlsx"
    workbook.parent.mkdir(parents=True, exist_ok=True)
    rows = _te_rows(population, n["te_workbook"], XLSX_MONTH, seed, patients)
    written[workbook.name] = write_xlsx(workbook, "telephone_encounters", XLSX_MONTH, rows)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write one health-system month of CCM reports (CSV) and a large TE workbook.",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="0.01..1.0 of a 100,000-patient month (1,000,000 TE rows) (default 1.0)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("var/bench/drop"),
        help="drop folder; the TE workbook goes to a sibling xlsx/ (default var/bench/drop)",
    )
    parser.add_argument("--seed", type=int, default=11, help="random seed (default 11)")
    args = parser.parse_args(argv)
    if not 0.01 <= args.scale <= 1.0:
        parser.error("--scale must be between 0.01 and 1.0")
    written = generate(args.out, args.scale, args.seed)
    for name, rows in written.items():
        print(f"{rows:>10,}  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
