"""The SLA clock: business hours between timestamps, on configured working hours and days.

Each timestamp is mapped to a position on a business-time axis (hours of business time since
an epoch); durations are differences of positions. Everything is vectorised with numpy's
business-day calendar, so a million pairs take well under a second.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import BusinessHours

_EPOCH = np.datetime64("1970-01-01", "D")


def _calendar(hours: BusinessHours) -> np.busdaycalendar:
    holidays = np.array([np.datetime64(d.isoformat(), "D") for d in hours.holidays], dtype="M8[D]")
    return np.busdaycalendar(weekmask=hours.weekmask, holidays=holidays)


def _start_hours(hours: BusinessHours) -> float:
    return hours.start.hour + hours.start.minute / 60


def business_position(timestamps: pd.Series | pd.DatetimeIndex, hours: BusinessHours) -> np.ndarray:
    """Business hours elapsed from the epoch to each timestamp (NaN for NaT).

    A timestamp outside working time sits at the position of the next working moment, so the
    clock does not run at night, at weekends or on holidays.
    """
    ts = pd.DatetimeIndex(timestamps)
    valid = ~ts.isna()
    out = np.full(len(ts), np.nan)
    if not valid.any():
        return out
    ts = ts[valid]
    calendar = _calendar(hours)
    days = ts.values.astype("M8[D]")
    length = hours.hours_per_day
    time_of_day = (ts.values - days.astype("M8[ns]")).astype("int64") / 3.6e12
    within = np.clip(time_of_day - _start_hours(hours), 0.0, length)
    is_workday = np.is_busday(days, busdaycal=calendar)
    before = np.busday_count(_EPOCH, days, busdaycal=calendar)
    out[valid] = before * length + np.where(is_workday, within, 0.0)
    return out


def business_hours_between(start: pd.Series, end: pd.Series, hours: BusinessHours) -> pd.Series:
    """Business hours from ``start`` to ``end``, element-wise.

    Parameters
    ----------
    start, end : Series of datetime64
        Aligned timestamps (naive, in the configured timezone).
    hours : BusinessHours
        Working hours, days and holidays.

    Returns
    -------
    Series of float, index of ``start``; NaN where either side is NaT; negative if end < start.

    Examples
    --------
    Friday 16:00 to Monday 10:00 on a 09:00-17:00 Monday-Friday clock is 1 + 1 = 2 hours.

    >>> from helpers.data.config import BusinessHours
    >>> s = pd.Series(pd.to_datetime(["2026-07-03 16:00"]))
    >>> e = pd.Series(pd.to_datetime(["2026-07-06 10:00"]))
    >>> float(business_hours_between(s, e, BusinessHours()).iloc[0])
    2.0
    """
    a = business_position(start, hours)
    b = business_position(end, hours)
    return pd.Series(b - a, index=start.index, dtype="float64")


def add_business_hours(
    start: pd.Series, business_hours: np.ndarray | pd.Series, hours: BusinessHours
) -> pd.Series:
    """The wall-clock time ``business_hours`` of working time after each ``start``.

    Parameters
    ----------
    start : Series of datetime64
        Starting timestamps.
    business_hours : array of float
        Non-negative durations in business hours, aligned with ``start``.
    hours : BusinessHours
        Working hours, days and holidays.

    Returns
    -------
    Series of datetime64, index of ``start``.
    """
    position = business_position(start, hours) + np.asarray(business_hours, dtype="float64")
    length = hours.hours_per_day
    day_number = np.floor(position / length)
    remainder = position - day_number * length
    valid = ~np.isnan(position)
    result = np.full(len(position), np.datetime64("NaT"), dtype="M8[ns]")
    days = np.busday_offset(
        _EPOCH, day_number[valid].astype("int64"), roll="forward", busdaycal=_calendar(hours)
    )
    offset_ns = np.round((_start_hours(hours) + remainder[valid]) * 3.6e12).astype("int64")
    result[valid] = days.astype("M8[ns]") + offset_ns.astype("m8[ns]")
    return pd.Series(result, index=start.index)
