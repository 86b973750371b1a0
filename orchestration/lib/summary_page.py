"""`ccm_summary_YYYY-MM.html`: the month on one page, for the practice manager and providers.

One self-contained file: inline CSS and inline SVG, no script, no font or image from the
network, so it opens the same from a shared drive, an e-mail attachment or an air-gapped PC.
It shows counts and estimated dollars only — no patient's name, birth date or account.
Every headline figure carries `data-metric` so a test can check it against the marts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from html import escape
from pathlib import Path

import psycopg

from orchestration.lib.exports import _atomic_write

THRESHOLDS = (20, 40, 60)
MINUTE_BIN = 5
MINUTE_CAP = 90  # the last bar holds everyone at or above it

INK = "#1f2a37"
MUTED = "#6b7280"
ACCENT = "#1f3a5f"
ACCENT_LIGHT = "#8fb3d9"
WARN = "#b45309"
GRID = "#e5e7eb"


@dataclass
class MonthFigures:
    month: date
    headline: dict[str, int | Decimal | None]
    by_code: list[tuple[str, int, int, Decimal | None]]  # code, patients, units, revenue
    trend: list[tuple[date, Decimal, int]]  # month, revenue, units without an estimate
    minutes: list[int]  # minutes so far of every enrolled, billable patient
    providers: list[dict] = field(default_factory=list)


def load_figures(conn: psycopg.Connection, month: date) -> MonthFigures:
    summary = conn.execute(
        "select patients_billed, code_lines, units_billed, patients_excluded, "
        "patients_under_threshold, patients_not_billed_other, rejected_rows "
        "from marts.ccm_month_summary where service_month = %s",
        (month,),
    ).fetchone()
    names = (
        "patients_billed",
        "code_lines",
        "units_billed",
        "patients_excluded",
        "patients_under_threshold",
        "patients_not_billed_other",
        "rejected_rows",
    )
    headline: dict = dict(zip(names, summary or (0,) * len(names), strict=True))
    enrolled, revenue, without = conn.execute(
        "select coalesce(sum(enrolled_patients), 0), coalesce(sum(estimated_revenue_usd), 0), "
        "coalesce(sum(units_without_estimate), 0) "
        "from marts.ccm_provider_month_analytics where service_month = %s",
        (month,),
    ).fetchone()
    headline.update(
        enrolled_patients=int(enrolled),
        estimated_revenue_usd=Decimal(revenue),
        units_without_estimate=int(without),
    )
    by_code = conn.execute(
        "select cpt_code, sum(patients_billed)::int, sum(units_billed)::int, "
        "sum(estimated_revenue_usd) from marts.ccm_provider_code_month "
        "where service_month = %s group by cpt_code order by cpt_code",
        (month,),
    ).fetchall()
    trend = conn.execute(
        "select service_month, coalesce(sum(estimated_revenue_usd), 0), "
        "coalesce(sum(units_without_estimate), 0)::int "
        "from marts.ccm_provider_month_analytics where service_month <= %s "
        "group by service_month order by service_month",
        (month,),
    ).fetchall()
    minutes = [
        m
        for (m,) in conn.execute(
            "select minutes_to_date from marts.ccm_worklist_month_to_date "
            "where service_month = %s and blocked_reason is null order by minutes_to_date",
            (month,),
        )
    ]
    provider_rows = conn.execute(
        "select provider_name, enrolled_patients, patients_with_minutes, patients_billed, "
        "patients_under_threshold, estimated_revenue_usd, patients_billed_change "
        "from marts.ccm_provider_month_analytics where service_month = %s "
        "order by provider_name",
        (month,),
    ).fetchall()
    keys = ("provider", "enrolled", "with_minutes", "billed", "under", "revenue", "change")
    providers = [dict(zip(keys, row, strict=True)) for row in provider_rows]
    return MonthFigures(month, headline, by_code, trend, minutes, providers)


def _money(value: Decimal | float | None) -> str:
    if value is None:
        return "—"
    return f"${value:,.0f}"


def _nice_step(raw: float) -> float:
    """1, 2 or 5 times a power of ten: axis labels people can read at a glance."""
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _change(value: int | None) -> str:
    return "—" if value is None else f"{value:+d}"


def _bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    value_text: Sequence[str],
    width: int = 560,
    height: int = 240,
    colour: str = ACCENT,
    markers: Sequence[tuple[float, str]] = (),
    muted: Sequence[bool] = (),
) -> str:
    """A vertical bar chart in SVG; `markers` are vertical lines at fractional bar positions."""
    left, right, top, bottom = 44, 12, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    step = _nice_step(max([*values, 1]) / 4)
    peak = step * max(1, -(-max([*values, 1]) // step))
    ticks = int(round(peak / step))
    slot = plot_w / max(len(values), 1)
    bar_w = slot * 0.68
    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for tick in range(ticks + 1):
        y = top + plot_h - plot_h * tick / ticks
        label = step * tick
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">'
            f"{label:,.0f}</text>"
        )
    every = max(1, len(labels) // 12)
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + slot * index + (slot - bar_w) / 2
        h = plot_h * value / peak
        fill = ACCENT_LIGHT if (muted and muted[index]) else colour
        parts.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" '
            f'height="{h:.1f}" rx="2" fill="{fill}"><title>{escape(label)}: '
            f"{escape(value_text[index])}</title></rect>"
        )
        if len(labels) <= 12 and value:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h - h - 4:.1f}" '
                f'text-anchor="middle" class="value">{escape(value_text[index])}</text>'
            )
        if index % every == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 16}" '
                f'text-anchor="middle" class="axis">{escape(label)}</text>'
            )
    for position, text in markers:
        x = left + slot * position
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + plot_h}" stroke="{WARN}" '
            f'stroke-width="1.5" stroke-dasharray="4 3"/>'
            f'<text x="{x + 4:.1f}" y="{top + 10}" class="marker">{escape(text)}</text>'
        )
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="{MUTED}" stroke-width="1"/></svg>'
    )
    return "".join(parts)


def _minutes_chart(minutes: Sequence[int]) -> str:
    bins = list(range(0, MINUTE_CAP + MINUTE_BIN, MINUTE_BIN))
    counts = [0] * len(bins)
    for value in minutes:
        counts[min(value, MINUTE_CAP) // MINUTE_BIN] += 1
    labels = [f"{b}+" if b == MINUTE_CAP else f"{b}" for b in bins]
    markers = [(t / MINUTE_BIN, f"{t} min") for t in THRESHOLDS]
    return _bar_chart(
        labels,
        counts,
        title="Enrolled patients by minutes this month",
        value_text=[f"{c} patients" for c in counts],
        markers=markers,
        muted=[b < THRESHOLDS[0] for b in bins],
        width=1100,
        height=250,
    )


def render(figures: MonthFigures) -> str:
    head = figures.headline
    month_text = f"{figures.month:%B %Y}"
    tiles = [
        ("Patients billed", "patients_billed", f"{head['patients_billed']:,}"),
        ("Enrolled patients", "enrolled_patients", f"{head['enrolled_patients']:,}"),
        ("Code lines", "code_lines", f"{head['code_lines']:,}"),
        ("Units billed", "units_billed", f"{head['units_billed']:,}"),
        (
            "Estimated revenue",
            "estimated_revenue_usd",
            _money(head["estimated_revenue_usd"]),
        ),
        ("Under 20 minutes", "patients_under_threshold", f"{head['patients_under_threshold']:,}"),
        ("Excluded", "patients_excluded", f"{head['patients_excluded']:,}"),
        ("Rejected input rows", "rejected_rows", f"{head['rejected_rows']:,}"),
    ]
    raw_values = {
        "estimated_revenue_usd": f"{Decimal(head['estimated_revenue_usd']):.2f}",
    }
    tile_html = "".join(
        f'<div class="tile"><div class="label">{escape(label)}</div>'
        f'<div class="figure" data-metric="{key}" '
        f'data-value="{escape(raw_values.get(key, str(head[key])))}">{escape(text)}</div></div>'
        for label, key, text in tiles
    )
    code_labels = [code for code, *_ in figures.by_code]
    code_chart = (
        _bar_chart(
            code_labels,
            [units for _, _, units, _ in figures.by_code],
            title="Units billed by code",
            value_text=[f"{units} units" for _, _, units, _ in figures.by_code],
        )
        if figures.by_code
        else '<p class="empty">Nothing billed this month.</p>'
    )
    code_rows = "".join(
        f'<tr data-code="{escape(code)}"><td>{escape(code)}</td><td class="num">{patients}</td>'
        f'<td class="num" data-units="{units}">{units}</td>'
        f'<td class="num">{_money(revenue)}</td></tr>'
        for code, patients, units, revenue in figures.by_code
    )
    trend_chart = _bar_chart(
        [f"{m:%Y-%m}" for m, _, _ in figures.trend],
        [float(r) for _, r, _ in figures.trend],
        title="Estimated revenue by month",
        value_text=[_money(r) for _, r, _ in figures.trend],
        muted=[m != figures.month for m, _, _ in figures.trend],
    )
    gaps = [f"{m:%Y-%m}" for m, _, without in figures.trend if without]
    gap_note = (
        f" Months with codes that have no estimate for their year ({', '.join(gaps)}) show "
        "only the codes that have one."
        if gaps
        else ""
    )
    provider_rows = "".join(
        f"<tr><td>{escape(p['provider'])}</td><td class='num'>{p['enrolled']}</td>"
        f"<td class='num'>{p['with_minutes']}</td><td class='num'>{p['billed']}</td>"
        f"<td class='num'>{p['under']}</td><td class='num'>{_money(p['revenue'])}</td>"
        f"<td class='num'>{_change(p['change'])}</td></tr>"
        for p in figures.providers
    )
    enrolled_billable = len(figures.minutes)
    reached = sum(1 for m in figures.minutes if m >= THRESHOLDS[0])
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CCM summary — {escape(month_text)}</title>
<style>
  * {{ box-sizing: border-box; }}
  body {{ margin: 0; background: #f3f5f8; color: {INK};
         font: 14px/1.45 "Segoe UI", "Helvetica Neue", Arial, sans-serif; }}
  header {{ background: {ACCENT}; color: #fff; padding: 22px 40px 18px; }}
  header h1 {{ margin: 0; font-size: 24px; font-weight: 600; }}
  header p {{ margin: 4px 0 0; color: #c9d6e6; }}
  main {{ max-width: 1200px; margin: 0 auto; padding: 24px 40px 40px; }}
  .tiles {{ display: grid; grid-template-columns: repeat(4, 1fr); gap: 14px; }}
  .tile {{ background: #fff; border-radius: 8px; padding: 14px 16px;
          box-shadow: 0 1px 2px rgba(0,0,0,.06); border-top: 3px solid {ACCENT}; }}
  .tile .label {{ color: {MUTED}; font-size: 12px; text-transform: uppercase;
                 letter-spacing: .04em; }}
  .tile .figure {{ font-size: 28px; font-weight: 600; margin-top: 2px; }}
  .grid {{ display: grid; grid-template-columns: 1fr 1fr; gap: 16px; margin-top: 16px; }}
  section {{ background: #fff; border-radius: 8px; padding: 16px 18px;
            box-shadow: 0 1px 2px rgba(0,0,0,.06); }}
  section.wide {{ grid-column: 1 / -1; }}
  h2 {{ font-size: 15px; margin: 0 0 2px; }}
  .note {{ color: {MUTED}; font-size: 12px; margin: 0 0 10px; }}
  table {{ width: 100%; border-collapse: collapse; font-size: 13px; }}
  th {{ text-align: left; color: {MUTED}; font-weight: 600; border-bottom: 1px solid {GRID};
       padding: 6px 8px; }}
  td {{ padding: 6px 8px; border-bottom: 1px solid {GRID}; }}
  .num {{ text-align: right; font-variant-numeric: tabular-nums; }}
  th.num {{ text-align: right; }}
  svg text.axis {{ font-size: 11px; fill: {MUTED}; }}
  svg text.value {{ font-size: 11px; fill: {INK}; }}
  svg text.marker {{ font-size: 11px; fill: {WARN}; font-weight: 600; }}
  .empty {{ color: {MUTED}; }}
  footer {{ color: {MUTED}; font-size: 12px; margin-top: 20px; }}
</style>
</head>
<body>
<header>
  <h1>Chronic Care Management — {escape(month_text)}</h1>
  <p>Monthly billing summary · service month {figures.month:%Y-%m}</p>
</header>
<main>
  <div class="tiles">{tile_html}</div>
  <div class="grid">
    <section>
      <h2>Billed by code</h2>
      <p class="note">Units on the final billing list.</p>
      {code_chart}
      <table><thead><tr><th>Code</th><th class="num">Patients</th><th class="num">Units</th>
      <th class="num">Est. revenue</th></tr></thead><tbody>{code_rows}</tbody></table>
    </section>
    <section>
      <h2>Estimated revenue by month</h2>
      <p class="note">Every month in the warehouse up to this one; national non-facility
      estimates (CCM_RULES §8), not payments.{escape(gap_note)}</p>
      {trend_chart}
    </section>
    <section class="wide">
      <h2>Minutes per enrolled patient against the thresholds</h2>
      <p class="note">{reached} of {enrolled_billable} enrolled, billable patients reached 20
      minutes (99490); each further 20 adds an add-on unit, at most two (40 and 60 minutes).
      Bars below 20 minutes are lighter.</p>
      {_minutes_chart(figures.minutes)}
    </section>
    <section class="wide">
      <h2>By provider</h2>
      <table><thead><tr><th>Provider</th><th class="num">Enrolled</th>
      <th class="num">With minutes</th><th class="num">Billed</th>
      <th class="num">Under 20 min</th><th class="num">Est. revenue</th>
      <th class="num">Billed vs prior month</th></tr></thead>
      <tbody>{provider_rows}</tbody></table>
    </section>
  </div>
  <footer>Generated by ccm-billing from the published marts. Counts only; patient lists are
  in ccm_billing_{figures.month:%Y-%m}.xlsx.</footer>
</main>
</body>
</html>
"""


def write_summary_page(conn: psycopg.Connection, month: date, out_dir: Path) -> Path:
    path = out_dir / f"ccm_summary_{month:%Y-%m}.html"
    page = render(load_figures(conn, month))
    _atomic_write(path, lambda tmp: Path(tmp).write_text(page, encoding="utf-8"))
    return path
