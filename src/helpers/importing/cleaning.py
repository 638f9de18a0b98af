"""Cleaning export cells: placeholders, dates, numbers and spellings of categories.

Every function is pure: it returns new values and never changes its input. A value that
cannot be cleaned stops the import with a :class:`~helpers.errors.DataValidationError`
naming the file, column and lines (via :meth:`ExportTable.problem`), an example value as
received and the fix. Work is done once per distinct value, so columns of 100k+ rows with
repeated values are cheap, and dates are assembled with vectorised numpy.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from .reading import ExportTable

DEFAULT_MISSING = ("-", "--", "Select", "n/a", "none", "null")  # plus "" always

# --- keys and placeholders --------------------------------------------------------------------


def normalise_key(value: str) -> str:
    """The matching key of a value: case-folded, stripped, inner whitespace runs as one space.

    Parameters
    ----------
    value : str
        A cell, a value-map key or a ``where`` value.

    Returns
    -------
    str
        ``"paid  Search "`` and ``"Paid Search"`` both give ``"paid search"``.
    """
    return " ".join(value.split()).casefold()


def blank_placeholders(
    frame: pd.DataFrame, placeholders: Iterable[str]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Empty the cells that hold a placeholder such as ``Select``, ``-`` or ``N/A``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Text cells; not changed.
    placeholders : iterable of str
        Values meaning "empty", matched ignoring case and spaces (:func:`normalise_key`).

    Returns
    -------
    (pandas.DataFrame, dict of str to int)
        A new frame with those cells set to ``""``, and per column the number of cells
        emptied (only columns where it is more than zero).
    """
    keys = {normalise_key(p) for p in placeholders} - {""}
    result = frame.copy()
    counts: dict[str, int] = {}
    for i, name in enumerate(frame.columns):
        column = frame.iloc[:, i]
        distinct = _distinct(column[column.notna()])
        found = [v for v in distinct if isinstance(v, str) and v and normalise_key(v) in keys]
        if not found:
            continue
        hit = column.isin(found)
        result.isetitem(i, column.mask(hit, ""))
        counts[str(name)] = counts.get(str(name), 0) + int(hit.sum())
    return result, counts


# --- dates ------------------------------------------------------------------------------------

_TIME = r"(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,]\d+)?)?"
_ISO = re.compile(
    r"^(?P<Y>\d{4})-(?P<M>\d{1,2})-(?P<D>\d{1,2})"
    rf"(?:(?:T|\s+){_TIME}\s*(?P<tz>Z|UTC|GMT|[+-]\d{{2}}(?::?\d{{2}})?)?)?$"
)
_DOTTED = re.compile(
    rf"^(?P<D>\d{{1,2}})\.(?P<M>\d{{1,2}})\.(?P<Y>\d{{4}}|\d{{2}})(?:,?\s+{_TIME})?$"
)
_SLASHED = re.compile(
    rf"^(?P<A>\d{{1,2}})/(?P<B>\d{{1,2}})/(?P<Y>\d{{4}}|\d{{2}})"
    rf"(?:,?\s+{_TIME}(?:\s*(?P<ap>[AaPp])\.?[Mm]\.?)?)?$"
)
_SERIAL = re.compile(r"^\d+(?:\.\d+)?$")
_EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "s")
_EXCEL_MAX = 2_958_465  # 9999-12-31
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_DATE_FIX = (
    "write dates as YYYY-MM-DD (or M/D/YYYY, D/M/YYYY, D.M.YYYY, or Excel serial numbers in "
    'every cell), or set date_format = "<strftime pattern>" for this column in the mapping file'
)


def parse_dates(
    values: pd.Series, fmt: str, *, source: ExportTable, column: str
) -> tuple[pd.Series, str]:
    """Read one export column of dates into canonical ISO 8601 text.

    Parameters
    ----------
    values : pandas.Series
        Text cells of export column ``column``; the index holds their row positions in
        ``source.frame`` (any subset, any order), used to name lines in problems.
    fmt : str
        ``"auto"``, ``"excel"`` or a strftime pattern (e.g. ``"%m/%d/%Y %H:%M"``).
    source : ExportTable
        The export the values come from.
    column : str
        The export column's name, for problems.

    Returns
    -------
    (pandas.Series, str)
        ``"2026-03-05T14:30:00"`` per value (``"2026-03-05T14:30:00+02:00"`` when the value
        had an offset or ``Z``; date-only values at midnight; ``""`` stays ``""``), with the
        index of ``values``; and a short description of the format read, for the import log.

    Raises
    ------
    DataValidationError
        A value that is not a date in the format, a slashed column that could be read
        day-first or month-first, or a day that does not exist (``31/02/2026``).

    Notes
    -----
    ``"auto"`` reads per column: ISO 8601 (``2026-03-05``, ``2026-03-05 14:30``, with or
    without an offset or ``Z``); Excel serial numbers (days since 1899-12-30, the fraction is
    the time of day) when every value is a number; ``D.M.YYYY`` with an optional
    ``HH:MM[:SS]``; ``M/D/YYYY`` or ``D/M/YYYY`` with an optional ``h:mm[:ss]`` and AM/PM,
    decided from the column's own values (a first part above 12 means day-first, a second
    part above 12 month-first). Dotted and slashed values may have two-digit years, read as
    20YY. Values of different shapes in one column are each read by their shape. Fractions
    of a second are dropped.
    """
    text = _as_text(values)
    filled = (text != "").to_numpy()
    if not filled.any():
        return text.copy(), "empty"
    distinct = _distinct(text[filled])
    if fmt == "excel":
        parsed, description = _excel_serials(distinct, text, source, column, auto=False)
    elif fmt == "auto":
        numeric = np.array([bool(_SERIAL.match(v)) for v in distinct])
        if numeric.all():
            parsed, description = _excel_serials(distinct, text, source, column, auto=True)
        else:
            parsed, description = _auto_dates(distinct, text, source, column)
    else:
        parsed, description = _pattern_dates(distinct, fmt, text, source, column)
    result = text.copy()
    result[filled] = text[filled].map(dict(zip(distinct, parsed, strict=True))).to_numpy()
    return result, description


def _distinct(text: pd.Series) -> np.ndarray:
    # A numpy array of str: iterating an Arrow-backed array value by value is slow.
    return np.asarray(pd.unique(text), dtype=object)


def _as_text(values: pd.Series) -> pd.Series:
    # Missing cells (NaN from a stacked frame) count as empty.
    return values.fillna("").astype(str)


def _raise(problems: list[Problem], source: ExportTable) -> None:
    if problems:
        raise DataValidationError(str(source.path.parent), problems)


def _bad(
    text: pd.Series,
    bad_values: Iterable[str],
    source: ExportTable,
    column: str,
    message: str,
    fix: str,
) -> Problem:
    """A problem naming the rows whose value is one of ``bad_values``.

    ``message`` may hold ``{n}`` (number of rows) and ``{example}`` (the first in row order).
    """
    hit = text.isin(list(bad_values)).to_numpy()
    example = text[hit].iloc[0]
    positions = text.index[hit].to_numpy()
    text_message = message.format(n=int(hit.sum()), example=repr(example))
    return source.problem(column, text_message, fix, positions)


def _excel_serials(
    distinct: np.ndarray, text: pd.Series, source: ExportTable, column: str, *, auto: bool
) -> tuple[np.ndarray, str]:
    numeric = np.array([bool(_SERIAL.match(v)) for v in distinct])
    if not numeric.all():
        problem = _bad(
            text,
            distinct[~numeric],
            source,
            column,
            "{n} value(s) are not Excel serial numbers, e.g. {example}",
            'write dates as numbers of days since 1899-12-30, or set date_format = "auto" '
            "or a strftime pattern for this column in the mapping file",
        )
        _raise([problem], source)
    if auto and all(len(v) == 4 and v.isdigit() for v in distinct):
        # 2024 as a serial is a day in 1905: a column of four-digit numbers holds years.
        problem = _bad(
            text,
            distinct,
            source,
            column,
            "{n} value(s) look like years, not dates, e.g. {example}",
            'set date_format = "%Y" for this column in the mapping file if they are years, '
            'or "excel" if they are Excel serial numbers',
        )
        _raise([problem], source)
    days = np.array([float(v) for v in distinct])
    outside = (days < 1) | (days >= _EXCEL_MAX + 1)
    if outside.any():
        problem = _bad(
            text,
            distinct[outside],
            source,
            column,
            "{n} value(s) are outside the Excel serial dates (1 to 2958465, which is "
            "9999-12-31), e.g. {example}",
            "write dates as YYYY-MM-DD, or set date_format to a strftime pattern for this "
            'column in the mapping file (e.g. "%Y%m%d" for 20260305)',
        )
        _raise([problem], source)
    # The fraction of a day is the time; round to the second to drop float noise.
    seconds = np.round(days * 86_400).astype("int64").astype("timedelta64[s]")
    stamps = np.datetime_as_string(_EXCEL_EPOCH + seconds, unit="s")
    return stamps.astype(object), "Excel serial numbers"


def _auto_dates(
    distinct: np.ndarray, text: pd.Series, source: ExportTable, column: str
) -> tuple[np.ndarray, str]:
    candidates = pd.Series(distinct, dtype=object)
    parsed = np.full(len(distinct), "", dtype=object)
    done = np.zeros(len(distinct), dtype=bool)
    invalid = np.zeros(len(distinct), dtype=bool)
    described: list[str] = []
    problems: list[Problem] = []

    iso = candidates.str.extract(_ISO)
    rows = iso["Y"].notna().to_numpy()
    if rows.any():
        stamps, ok = _assemble(iso[rows])
        offsets, ok_offset = _offsets(iso["tz"][rows])
        parsed[rows] = np.char.add(stamps.astype(str), offsets).astype(object)
        invalid[rows] = ~(ok & ok_offset)
        done |= rows
        described.append("ISO 8601")

    rest = ~done
    dotted = candidates[rest].str.extract(_DOTTED).reindex(candidates.index)
    rows = dotted["Y"].notna().to_numpy()
    if rows.any():
        stamps, ok = _assemble(dotted[rows])
        parsed[rows] = stamps.astype(object)
        invalid[rows] = ~ok
        done |= rows
        described.append("D.M.YYYY")

    rest = ~done
    slashed = candidates[rest].str.extract(_SLASHED).reindex(candidates.index)
    rows = slashed["Y"].notna().to_numpy()
    if rows.any():
        found = slashed[rows]
        first = found["A"].astype("int64").to_numpy()
        second = found["B"].astype("int64").to_numpy()
        # Evidence counts only where one reading is a valid day-month pair and the other not.
        day_first = (first >= 13) & (first <= 31) & (second >= 1) & (second <= 12)
        month_first = (second >= 13) & (second <= 31) & (first >= 1) & (first <= 12)
        ambiguous = (first <= 12) & (second <= 12) & (first != second)
        values = distinct[rows]
        order = None
        if day_first.any() and month_first.any():
            problems.append(
                _both_readings(text, values[day_first], values[month_first], source, column)
            )
        elif day_first.any():
            order = "D/M/YYYY"
        elif month_first.any() or not ambiguous.any():
            order = "M/D/YYYY"  # either reading gives the same dates when none is ambiguous
        else:
            problems.append(
                _bad(
                    text,
                    values[ambiguous],
                    source,
                    column,
                    "{n} value(s) could be day-first or month-first, e.g. {example}",
                    _order_fix(values[ambiguous][0]),
                )
            )
        if order is not None:
            found = found.assign(
                M=found["B"] if order == "D/M/YYYY" else found["A"],
                D=found["A"] if order == "D/M/YYYY" else found["B"],
            )
            stamps, ok = _assemble(found)
            parsed[rows] = stamps.astype(object)
            invalid[rows] = ~ok
            described.append(order)
        done |= rows

    if not done.all():
        problems.insert(
            0,
            _bad(
                text,
                distinct[~done],
                source,
                column,
                "{n} value(s) are not dates the import can read, e.g. {example}",
                _DATE_FIX,
            ),
        )
    if invalid.any():
        problems.append(
            _bad(
                text,
                distinct[invalid],
                source,
                column,
                "{n} value(s) are not valid dates or times, e.g. {example}",
                "correct them in the export: the day must exist in its month, hours run "
                "0-23 (1-12 with AM/PM), minutes and seconds 0-59",
            )
        )
    _raise(problems, source)
    return parsed, ", ".join(described)


def _assemble(parts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """ISO text of extracted date parts and which are valid (vectorised).

    ``parts`` has the columns ``Y``, ``M``, ``D``, ``h``, ``m``, ``s`` and maybe ``ap``
    (AM/PM); missing time parts mean midnight.
    """
    year_text = parts["Y"].astype(str)
    year = year_text.astype("int64").to_numpy()
    year = np.where(year_text.str.len().to_numpy() == 2, 2000 + year, year)
    month = parts["M"].astype("int64").to_numpy()
    day = parts["D"].astype("int64").to_numpy()
    hour = parts["h"].fillna("0").astype("int64").to_numpy()
    minute = parts["m"].fillna("0").astype("int64").to_numpy()
    second = parts["s"].fillna("0").astype("int64").to_numpy()
    ok = (month >= 1) & (month <= 12) & (day >= 1) & (minute <= 59) & (second <= 59)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_index = np.clip(month, 1, 12) - 1
    ok &= day <= _DAYS_IN_MONTH[month_index] + ((month_index == 1) & leap)
    if "ap" in parts:
        meridiem = parts["ap"].fillna("").str.upper().to_numpy()
        twelve = meridiem != ""
        ok &= ~twelve | ((hour >= 1) & (hour <= 12))
        hour = np.where(twelve, hour % 12 + np.where(meridiem == "P", 12, 0), hour)
    ok &= hour <= 23
    # Invalid rows get harmless parts so the arithmetic below cannot fail; they are reported.
    year, month, day = np.where(ok, year, 2000), np.where(ok, month, 1), np.where(ok, day, 1)
    months = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
    seconds = hour * 3600 + minute * 60 + second
    stamps = (months.astype("datetime64[D]") + (day - 1).astype("timedelta64[D]")).astype(
        "datetime64[s]"
    ) + np.where(ok, seconds, 0).astype("timedelta64[s]")
    return np.datetime_as_string(stamps, unit="s"), ok


def _offsets(zone: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``+HH:MM`` text of ISO offsets (``Z``, ``+0200``, ``+02`` ...; ``""`` when none)."""
    result = np.full(len(zone), "", dtype=object)
    ok = np.ones(len(zone), dtype=bool)
    present = zone.notna().to_numpy()
    if present.any():
        utc = {"Z": "+00:00", "UTC": "+00:00", "GMT": "+00:00"}
        digits = zone[present].str.upper().replace(utc).str.replace(":", "", regex=False)
        hours, minutes = digits.str[1:3], digits.str[3:5].replace("", "00")
        result[present] = (digits.str[:1] + hours + ":" + minutes).to_numpy()
        ok[present] = ((hours.astype("int64") <= 23) & (minutes.astype("int64") <= 59)).to_numpy()
    return result.astype(str), ok


def _both_readings(
    text: pd.Series, day_first: np.ndarray, month_first: np.ndarray, source, column
) -> Problem:
    days = text.isin(list(day_first)).to_numpy()
    months = text.isin(list(month_first)).to_numpy()
    message = (
        "both day-first and month-first dates occur: "
        f"{int(days.sum())} value(s) like {text[days].iloc[0]!r} can only be day-first, "
        f"{int(months.sum())} like {text[months].iloc[0]!r} only month-first"
    )
    fix = "make the column use one date format in the export, or " + _order_fix(text[days].iloc[0])
    return source.problem(column, message, fix, text.index[days | months].to_numpy())


def _order_fix(example: str) -> str:
    """The fix for a slashed column: the two explicit patterns, with the example's time."""
    match = _SLASHED.match(example)
    time = ""
    if match and match["h"]:
        twelve = bool(match["ap"])
        time = " %I:%M" if twelve else " %H:%M"
        time += ":%S" if match["s"] else ""
        time += " %p" if twelve else ""
    year = "%y" if match and len(match["Y"]) == 2 else "%Y"
    return (
        f'set date_format = "%m/%d/{year}{time}" or "%d/%m/{year}{time}" '
        "for this column in the mapping file"
    )


def _pattern_dates(
    distinct: np.ndarray, fmt: str, text: pd.Series, source: ExportTable, column: str
) -> tuple[np.ndarray, str]:
    parsed = np.full(len(distinct), "", dtype=object)
    failed = np.zeros(len(distinct), dtype=bool)
    if "%z" in fmt or "%Z" in fmt:
        # Offsets may differ from value to value: read each one (rare, small columns).
        for i, value in enumerate(distinct):
            try:
                stamp = dt.datetime.strptime(value, fmt)
            except ValueError:
                failed[i] = True
                continue
            offset = stamp.utcoffset()
            parsed[i] = stamp.replace(tzinfo=None, microsecond=0).isoformat() + (
                "" if offset is None else _offset_text(offset)
            )
    else:
        try:
            stamps = pd.to_datetime(
                pd.Series(distinct, dtype=object), format=fmt, errors="coerce"
            ).to_numpy()
        except ValueError as err:  # a pattern pandas cannot use at all
            problem = source.problem(
                column,
                f"the date format {fmt!r} cannot be used ({err})",
                'set date_format to a strftime pattern such as "%m/%d/%Y" in the mapping file',
            )
            _raise([problem], source)
        failed = np.isnat(stamps)
        parsed[~failed] = np.datetime_as_string(
            stamps[~failed].astype("datetime64[s]"), unit="s"
        ).astype(object)
    if failed.any():
        problem = _bad(
            text,
            distinct[failed],
            source,
            column,
            f"{{n}} value(s) do not match the date format {fmt!r} or are not valid dates, "
            "e.g. {example}",
            "correct them in the export, or change date_format for this column in the "
            'mapping file ("auto" reads ISO, Excel, D.M.YYYY and M/D or D/M/YYYY dates)',
        )
        _raise([problem], source)
    return parsed, fmt


def _offset_text(offset: dt.timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


# --- numbers ----------------------------------------------------------------------------------

_CURRENCY = r"(?:[A-Z]{3}|[A-Z]{0,2}[$€£¥])"  # USD, EUR; $ € £ ¥, also US$ or C$


def _number_pattern(decimal: str) -> re.Pattern[str]:
    thousands = "," if decimal == "." else r"\."
    point = re.escape(decimal)
    whole = rf"[0-9]+|[0-9]{{1,3}}(?:{thousands}[0-9]{{3}})+|[0-9]{{1,3}}(?: [0-9]{{3}})+"
    number = rf"(?P<whole>{whole})(?:{point}(?P<frac>[0-9]*))?|{point}(?P<frac2>[0-9]+)"
    return re.compile(
        r"^(?P<open>\()?\s*(?P<sign>[-+\u2212])?\s*"
        rf"(?:{_CURRENCY}\s*)?(?P<open2>\()?\s*(?P<sign2>[-+\u2212])?\s*"
        rf"(?:{number})(?:[eE](?P<exp>[-+]?[0-9]+))?"
        rf"\s*(?P<close2>\))?\s*(?:{_CURRENCY})?\s*(?P<close>\))?$"
    )


_NUMBERS = {".": _number_pattern("."), ",": _number_pattern(",")}
_SPACES = re.compile(r"\s+")


def parse_numbers(
    values: pd.Series, decimal: str, *, source: ExportTable, column: str
) -> pd.Series:
    """Read one export column of amounts or scores into canonical number text.

    Parameters
    ----------
    values : pandas.Series
        Text cells of export column ``column``; the index holds their row positions in
        ``source.frame``, used to name lines in problems.
    decimal : str
        The decimal separator, ``"."`` or ``","``. With ``"."``, ``,`` separates thousands;
        with ``","``, ``.`` does. Spaces may separate thousands either way.
    source : ExportTable
        The export the values come from.
    column : str
        The export column's name, for problems.

    Returns
    -------
    pandas.Series
        Plain numbers as text with the index of ``values``: ``"$1,200.00"`` gives
        ``"1200"``, ``"(1,200.50)"`` gives ``"-1200.5"``, ``""`` stays ``""``.

    Raises
    ------
    DataValidationError
        A value that is not a number once currency symbols or codes (``$ € £ ¥``, ``USD``)
        at either end, spaces and well-formed thousands separators are removed; ``"1,20"``
        with ``decimal="."`` is not one.
    """
    if decimal not in _NUMBERS:
        raise ValueError(f"decimal must be '.' or ',', not {decimal!r}")
    text = _as_text(values)
    filled = (text != "").to_numpy()
    result = text.copy()
    if not filled.any():
        return result
    distinct = _distinct(text[filled])
    canonical = {value: _canonical_number(value, decimal) for value in distinct}
    bad = [value for value, number in canonical.items() if number is None]
    if bad:
        other = "," if decimal == "." else "."
        first = text[text.isin(bad)].iloc[0]
        hint = (
            f' (it would be one with decimal = "{other}")'
            if _canonical_number(first, other) is not None
            else ""
        )
        example = "1200.50" if decimal == "." else "1200,50"
        problem = _bad(
            text,
            bad,
            source,
            column,
            "{n} value(s) are not numbers, e.g. {example}" + hint,
            f"write plain numbers such as {example} (currency symbols and thousands "
            f'separators are fine), or set [import].decimal = "{other}" in the mapping file '
            "if the export writes numbers that way",
        )
        _raise([problem], source)
    result[filled] = text[filled].map(canonical).to_numpy()
    return result


def _canonical_number(value: str, decimal: str) -> str | None:
    """``"1200.5"`` for ``"$1,200.50"``; ``None`` when the value is not a number."""
    match = _NUMBERS[decimal].match(_SPACES.sub(" ", value).strip())
    if match is None:
        return None
    opens = bool(match["open"]) + bool(match["open2"])
    closes = bool(match["close"]) + bool(match["close2"])
    signs = [s for s in (match["sign"], match["sign2"]) if s]
    if opens != closes or opens > 1 or len(signs) > 1 or (opens and signs):
        return None
    negative = opens == 1 or (signs and signs[0] in "-\u2212")
    whole = re.sub(r"[^0-9]", "", match["whole"] or "") or "0"
    fraction = match["frac"] or match["frac2"] or ""
    try:
        number = Decimal(f"{whole}.{fraction or '0'}e{match['exp'] or '0'}")
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        return None
    if number == 0:
        return "0"
    text = format(number.normalize(), "f")
    return f"-{text}" if negative else text


# --- spellings --------------------------------------------------------------------------------


def unify_spellings(values: pd.Series) -> tuple[pd.Series, list[tuple[tuple[str, ...], str]]]:
    """Give values that differ only in case or spaces one spelling: the most frequent one.

    Parameters
    ----------
    values : pandas.Series
        A category column (team, channel, status, reason ...); not changed.

    Returns
    -------
    (pandas.Series, list of ((str, ...), str))
        The values with inner whitespace runs collapsed, surrounding spaces removed and each
        group of spellings with the same :func:`normalise_key` replaced by its most frequent
        spelling (ties: the first in row order); ``""`` stays ``""``. And, for each group that
        had more than one spelling as received, the spellings as received (sorted) and the
        one chosen.
    """
    result = values.copy()
    filled = values.notna().to_numpy() & (values.fillna("") != "").to_numpy()
    if not filled.any():
        return result, []
    received = values[filled]
    distinct = _distinct(received)
    tidy = {value: " ".join(value.split()) for value in distinct}
    spelled = received.map(tidy)
    counts = spelled.value_counts(sort=False)
    # Per key, the spellings in order of first appearance, and the spellings as received.
    groups: dict[str, list[str]] = {}
    raw: dict[str, list[str]] = {}
    for value in distinct:
        key = normalise_key(value)
        spelling = tidy[value]
        if spelling not in groups.setdefault(key, []):
            groups[key].append(spelling)
        raw.setdefault(key, []).append(value)
    chosen = {}
    for key, spellings in groups.items():
        # max keeps the first (in row order) among equally frequent spellings.
        chosen[key] = max(spellings, key=lambda s: counts[s])
    result[filled] = received.map({v: chosen[normalise_key(v)] for v in distinct}).to_numpy()
    changes = [(tuple(sorted(raw[key])), chosen[key]) for key in groups if len(raw[key]) > 1]
    return result, changes
