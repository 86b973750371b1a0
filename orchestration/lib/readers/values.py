"""Cell values to the canonical text forms of `raw_tables`.

Each parser takes a cell as a reader returns it (str, int, float, bool, date, datetime, time,
timedelta or None) and returns the canonical text, None for a blank cell, or raises
`ValueProblem` with a reason a billing clerk can act on. Nothing here guesses: a value that
could mean two things is refused rather than read one way.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from functools import lru_cache

# Excel counts days from 1899-12-30 (the 1900 leap-year bug folded into the epoch).
EXCEL_EPOCH = datetime(1899, 12, 30)
_MAX_PLAUSIBLE_SERIAL = 2958465  # 9999-12-31

_SPACES = re.compile(r"[\s\u00a0\u2007\u202f\ufeff]+")
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
MONTH_NAME_PATTERN = "|".join(sorted(_MONTHS, key=len, reverse=True))


class ValueProblem(ValueError):
    """A cell that cannot be read; the message is shown to the clerk as is."""


def clean_text(value: object) -> str | None:
    """Trimmed text with inner whitespace (non-breaking spaces too) folded; None when blank."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date | time | timedelta):
        value = _display(value)
    text = _SPACES.sub(" ", str(value)).strip()
    return text or None


def _display(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if value.time() != time() else f"{value:%Y-%m-%d}"
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def shown(value: object) -> str:
    """A cell as the clerk would recognise it in a rejection message."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, timedelta):
        minutes = int(value.total_seconds() // 60)
        return f"{minutes // 60}:{minutes % 60:02d}"
    return _display(value) if not isinstance(value, str) else value


def _integral_text(value: object) -> str | None:
    """A number cell, or text like `12345.0`, as its digits; None when it is not a whole number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else None
    match = re.fullmatch(r"(\d+)\.0*", value) if isinstance(value, str) else None
    return match.group(1) if match else None


def _account_text(value: object) -> str | None:
    """A cell as the text an account number is checked in: trimmed, a number cell's or a
    quoted cell's decoration dropped; None when blank."""
    if isinstance(value, str):
        value = value.strip().lstrip("'")
    text = _integral_text(value) if not isinstance(value, str) else None
    if text is None:
        text = clean_text(value)
        if text is None:
            return None
        digits = _integral_text(text)
        text = digits if digits is not None else text
    return text


def parse_account(value: object, width: int) -> str | None:
    """Account numbers are digits kept as text; shorter than `width`, their lost zeros return.

    Staging holds every account number to `width` digits, so one it would refuse (letters,
    too many digits) is refused here, where the clerk is told its file and row.
    """
    if value.__class__ is str and value.isascii() and value.isdigit():
        text = value  # the usual cell, digits alone: the checks below, without the cleaning
    else:
        text = _account_text(value)
        if text is None:
            return None
    if not (text.isascii() and text.isdigit()):
        raise ValueProblem("not an account number: account numbers are digits only")
    if width and len(text) > width:
        raise ValueProblem(
            f"not an account number: {len(text)} digits, more than the {width} "
            "of account_number_width in config/reports.yml"
        )
    return text.zfill(width) if width else text


def parse_identifier(value: object) -> str | None:
    """Encounter ids, NPIs, CPT codes: text, with a number cell's `.0` dropped."""
    if value.__class__ is str and value.isdigit():
        return value  # the usual cell, digits alone, which the cleaning below would not change
    if isinstance(value, str):
        value = value.strip().lstrip("'")
    digits = _integral_text(value)
    return digits if digits is not None else clean_text(value)


def parse_code(value: object) -> str | None:
    text = parse_identifier(value)
    return text.upper() if text else None


# ---- dates -----------------------------------------------------------------------------------


def _two_digit_year(year: int, today: date) -> int:
    # A two-digit year is this century unless that puts it more than a year ahead (birth dates).
    return 2000 + year if 2000 + year <= today.year + 1 else 1900 + year


def _from_serial(number: float) -> date:
    if not 1 <= number <= _MAX_PLAUSIBLE_SERIAL:
        raise ValueProblem(f"{shown(number)} is not a date")
    return (EXCEL_EPOCH + timedelta(days=int(number))).date()


_US_DATE = re.compile(r"(\d{1,2})[/-](\d{1,2})[/-](\d{2}|\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_COMPACT_DATE = re.compile(r"((?:19|20)\d\d)(\d\d)(\d\d)")
_NAMED_DATE = re.compile(
    rf"(?:(?P<m1>{MONTH_NAME_PATTERN})\.?\s+(?P<d1>\d{{1,2}}),?\s+(?P<y1>\d{{4}})"
    rf"|(?P<d2>\d{{1,2}})[-\s](?P<m2>{MONTH_NAME_PATTERN})\.?[-\s,]+(?P<y2>\d{{2,4}}))",
    re.IGNORECASE,
)
_TIME_TAIL = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[AaPp][Mm])?)?"


def _date_from_text(text: str, today: date) -> date:
    try:
        if match := re.fullmatch(_US_DATE.pattern + _TIME_TAIL, text):
            month, day, year = (int(g) for g in match.groups())
            if len(match.group(3)) == 2:
                year = _two_digit_year(year, today)
            return date(year, month, day)
        if match := re.fullmatch(_ISO_DATE.pattern + _TIME_TAIL + r"(?:Z|[+-]\d\d:?\d\d)?", text):
            return date(*(int(g) for g in match.groups()))
        if match := _COMPACT_DATE.fullmatch(text):
            return date(*(int(g) for g in match.groups()))
        if match := re.fullmatch(_NAMED_DATE.pattern + _TIME_TAIL, text, re.IGNORECASE):
            month = _MONTHS[(match["m1"] or match["m2"]).lower()]
            year = int(match["y1"] or match["y2"])
            year = _two_digit_year(year, today) if year < 100 else year
            return date(year, month, int(match["d1"] or match["d2"]))
    except ValueError as exc:  # date() refused the day or month
        raise ValueProblem(f"{text} is not a real calendar date") from exc
    if re.fullmatch(r"\d{1,6}(\.\d+)?", text):  # an Excel serial re-saved as text (DE-04)
        return _from_serial(float(text))
    raise ValueProblem(f"{text} is not a date")


def to_date(value: object, *, today: date | None = None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool | time | timedelta):
        raise ValueProblem(f"{shown(value)} is not a date")
    if isinstance(value, int | float):
        return _from_serial(value)
    text = clean_text(value)
    if text is None:
        return None
    return _date_from_text(text, today or date.today())


def parse_date(value: object) -> str | None:
    parsed = to_date(value)
    return parsed.isoformat() if parsed else None


def parse_month(value: object) -> str | None:
    """A reported month (`March 2025`, `03/2025`, `2025-03`, a date) as its first day."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        found = month_in_text(value)
        if found:
            return found.isoformat()
    parsed = to_date(value)
    return parsed.replace(day=1).isoformat() if parsed else None


MONTH_WORD_YEAR = re.compile(
    rf"(?<![a-z])({MONTH_NAME_PATTERN})\.?[\s_\-.,]*((?:19|20)\d\d)(?!\d)", re.IGNORECASE
)
_YEAR_MONTH = re.compile(r"(?<!\d)((?:19|20)\d\d)[-_. /]?(0[1-9]|1[0-2])(?!\d)")
_MONTH_YEAR = re.compile(r"(?<!\d)(0?[1-9]|1[0-2])[-_. /]((?:19|20)\d\d)(?!\d)")


def month_in_text(text: str) -> date | None:
    """The month a name or label spells out: `2026-11`, `202611`, `Nov 2026`, `11-2026`."""
    text = text.strip()
    if match := MONTH_WORD_YEAR.search(text):
        return date(int(match.group(2)), _MONTHS[match.group(1).lower()], 1)
    if match := _YEAR_MONTH.search(text):
        return date(int(match.group(1)), int(match.group(2)), 1)
    if match := _MONTH_YEAR.search(text):
        return date(int(match.group(2)), int(match.group(1)), 1)
    return None


# ---- durations and times ------------------------------------------------------------------


def _minutes_from_seconds(seconds: float) -> int:
    # Only completed minutes count toward CCM time, so seconds are dropped, never rounded up;
    # the half-second nudge absorbs the float error of a day fraction (0.0173611 × 86400).
    return int((seconds + 0.5) // 60)


_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")
_CLOCK = re.compile(r"(\d+):([0-5]\d)(?::([0-5]\d))?")
_WORDS = re.compile(
    r"(?:(\d+)\s*(?:h|hr|hrs|hour|hours)\.?)?\s*(?:(\d+)\s*(?:m|min|mins|minute|minutes)\.?)?",
    re.IGNORECASE,
)


def to_minutes(value: object) -> int | None:
    """A duration as whole minutes. A date in a duration column is an error, never a number."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueProblem(f"{value} is not a number of minutes")
    if isinstance(value, timedelta):
        minutes = _minutes_from_seconds(value.total_seconds())
    elif isinstance(value, time):
        minutes = _minutes_from_seconds(value.hour * 3600 + value.minute * 60 + value.second)
    elif isinstance(value, datetime):
        minutes = _minutes_from_datetime(value)
    elif isinstance(value, date):
        raise ValueProblem(f"{shown(value)} is a date, not a number of minutes")
    elif isinstance(value, int | float):
        minutes = _minutes_from_number(value)
    else:
        minutes = _minutes_from_text(clean_text(value))
    if minutes is not None and minutes < 0:
        raise ValueProblem(f"{shown(value)} is a negative number of minutes")
    return minutes


def _minutes_from_number(value: float) -> int:
    # A number cell is minutes. A time-formatted cell never arrives as a number (calamine
    # gives it as a time, a timedelta or a datetime), so 0.5 is not half a day but a fraction
    # of a minute, and refused rather than billed as 720 minutes.
    if float(value).is_integer():
        return int(value)
    raise ValueProblem(f"{shown(value)} is not a whole number of minutes")


# calamine and openpyxl put serial 1 on 1900-01-01: before Excel's phantom 1900-02-29 the
# serials count from 1899-12-31, not from EXCEL_EPOCH.
_EARLY_SERIAL_EPOCH = datetime(1899, 12, 31)
_PHANTOM_LEAP_DAY = datetime(1900, 3, 1)


def _minutes_from_datetime(value: datetime) -> int:
    """A duration cell that a `h:mm` format turned into a datetime (DE-05)."""
    if EXCEL_EPOCH <= value < _EARLY_SERIAL_EPOCH:
        # Some readers carry a time of day on the epoch itself (0:00 read as 1899-12-30).
        return _minutes_from_seconds((value - EXCEL_EPOCH).total_seconds())
    if _EARLY_SERIAL_EPOCH + timedelta(days=1) <= value < _PHANTOM_LEAP_DAY:
        # A `h:mm` total of a day or more: 27:30 is 1900-01-01 03:30.
        return _minutes_from_seconds((value - _EARLY_SERIAL_EPOCH).total_seconds())
    raise ValueProblem(f"{shown(value)} is a date, not a number of minutes")


def _minutes_from_text(text: str | None) -> int | None:
    if text is None:
        return None
    if re.fullmatch(r"\d+", text):
        return int(text)
    if re.fullmatch(r"\d+\.0*", text):
        return int(float(text))
    if _THOUSANDS.fullmatch(text):
        return int(text.replace(",", ""))
    if match := _CLOCK.fullmatch(text):
        hours, mins, secs = (int(g) if g else 0 for g in match.groups())
        return _minutes_from_seconds(hours * 3600 + mins * 60 + secs)
    match = _WORDS.fullmatch(text)
    if match and (match.group(1) or match.group(2)):
        return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)
    if "," in text and re.fullmatch(r"[\d,]+", text):
        raise ValueProblem(f"{text} has its thousands separators in the wrong places")
    if re.search(r"\d[/-]\d", text):
        raise ValueProblem(f"{text} looks like a date, not a number of minutes")
    if re.fullmatch(r"\d+\.\d+", text):
        raise ValueProblem(f"{text} is not a whole number of minutes")
    raise ValueProblem(f"{text} is not a number of minutes")


def parse_minutes(value: object) -> str | None:
    minutes = to_minutes(value)
    return None if minutes is None else str(minutes)


_CLOCK_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?")


def to_time(value: object) -> time | None:
    """A time of day from a time cell, a datetime, a day fraction or `9:30 AM` text."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, timedelta) and value < timedelta(days=1):
        return (datetime.min + value).time().replace(second=0, microsecond=0)
    if isinstance(value, float | int) and not isinstance(value, bool) and 0 <= value < 1:
        minutes = _minutes_from_seconds(value * 86400)
        return time(minutes // 60, minutes % 60)
    text = clean_text(value) if isinstance(value, str) else None
    if text:
        # `03/15/2025 09:30 AM`: keep the time part.
        text = re.sub(r"^\S*\d[/-]\d\S*\s+", "", text)
        if match := _CLOCK_TIME.fullmatch(text):
            hour, minute = int(match.group(1)), int(match.group(2))
            meridiem = (match.group(4) or "").replace(".", "").lower()
            if meridiem and not 1 <= hour <= 12:
                raise ValueProblem(f"{text} is not a time of day")
            if meridiem == "pm" and hour != 12:
                hour += 12
            elif meridiem == "am" and hour == 12:
                hour = 0
            if hour < 24 and minute < 60:
                return time(hour, minute)
    raise ValueProblem(f"{shown(value)} is not a time of day")


def parse_time(value: object) -> str | None:
    parsed = to_time(value)
    return parsed.strftime("%H:%M") if parsed else None


def minutes_between(start: object, end: object) -> str | None:
    """Call length from Start Time and End Time; a call past midnight wraps once."""
    first, last = to_time(start), to_time(end)
    if first is None or last is None:
        return None
    minutes = (last.hour * 60 + last.minute) - (first.hour * 60 + first.minute)
    return str(minutes % 1440)


# ---- codes, flags, names ------------------------------------------------------------------

_ICD_CODE = re.compile(r"([A-Z][0-9][0-9A-Z])(?:\.?([0-9A-Z]{1,4}))?")
_BRACKETED_WORD = re.compile(r"\(\s*([A-Z0-9.]+)\s*\)")
# The code-like word a piece of a cell begins with (`E11.9` of `E11.9 - Type 2 diabetes`).
_LEADING_WORD = re.compile(r"[A-Z0-9.]+")
_CODE_LIKE = re.compile(r"[A-Z0-9.]{2,9}")
_ICD_SHAPED = re.compile(r"[A-Z][0-9]")
_ICD_SEPARATORS = re.compile(r"[;,|\n\r]+")


def parse_icd_codes(value: object) -> str | None:
    """ICD-10-CM codes, dotted, upper case, `;`-separated, descriptions dropped, in cell order.

    A piece of the cell that begins with a code contributes that code (`E11.9 - Type 2
    diabetes`); a piece that is a description only (a comma inside a description splits it)
    is ignored; a piece that looks like a code but is not one is an error.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueProblem(f"{shown(value)} is not an ICD-10 code")
    text = value if isinstance(value, str) else clean_text(value)
    if not text or not text.strip():
        return None
    codes: list[str] = []
    for piece in _ICD_SEPARATORS.split(text):
        code = _code_of_piece(piece)
        if code is not None and code not in codes:
            codes.append(code)
    if not codes:
        raise ValueProblem(f"no ICD-10 code found in “{clean_text(text)}”")
    return ";".join(codes)


# Problem lists repeat the same few dozen `code - description` pieces in thousands of orders:
# each piece is read once.
@lru_cache(maxsize=1 << 14)
def _code_of_piece(piece: str) -> str | None:
    """The code a piece of a diagnosis cell contributes; None for a description alone."""
    piece = clean_text(piece)
    if not piece:
        return None
    upper = piece.upper().strip("()")
    found = _LEADING_WORD.match(upper)
    word = found.group(0).rstrip(".") if found else ""
    match = _ICD_CODE.fullmatch(word)
    if match is None and "(" in piece:
        # `Type 2 diabetes (E11.9)`: the code in brackets after its description.
        bracketed = _BRACKETED_WORD.search(piece.upper())
        word = bracketed.group(1).rstrip(".") if bracketed else ""
        match = _ICD_CODE.fullmatch(word)
    if match is None:
        # `E11.99999` is refused whole: cut to `E11` it would claim another diagnosis.
        if _ICD_SHAPED.match(word):
            raise ValueProblem(f"{word} is not an ICD-10 code")
        if " " not in upper and _CODE_LIKE.fullmatch(upper):
            raise ValueProblem(f"{piece} is not an ICD-10 code")
        return None
    return match.group(1) + (f".{match.group(2)}" if match.group(2) else "")


_YES = {"y", "yes", "true", "1", "x", "complex"}
_NO = {"n", "no", "false", "0", "non-complex", "non complex", "noncomplex", "standard"}


def parse_flag(value: object) -> str | None:
    if isinstance(value, bool):
        return "Y" if value else "N"
    text = clean_text(value)
    if text is None:
        return None
    lowered = text.lower()
    if lowered in _YES:
        return "Y"
    if lowered in _NO:
        return "N"
    raise ValueProblem(f"{text} is not Y or N")


def parse_name(value: object) -> str | None:
    """`DOE ,  JOHN  M` → `DOE, JOHN M`: trimmed, spaces folded, one space after the comma."""
    text = clean_text(value)
    if text is None:
        return None
    return re.sub(r"\s*,\s*", ", ", text).strip(", ") or None


def join_last_first(last: object, first: object) -> str | None:
    last_text, first_text = parse_name(last), parse_name(first)
    if last_text and first_text:
        return f"{last_text}, {first_text}"
    return last_text or first_text
