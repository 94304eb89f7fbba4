"""Show instants in the event's own time zone, in the reader's language."""

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_skeleton
from flask_babel import get_locale, ngettext


def _zone(tz: str | None) -> ZoneInfo:
    from flask import current_app

    return ZoneInfo(tz or current_app.config["DEFAULT_EVENT_TIMEZONE"])


def local_datetime(value: datetime | None, tz: str | None = None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(value, fmt, tzinfo=_zone(tz), locale=get_locale())


@lru_cache(maxsize=4096)
def _day_text(day: date, fmt: str, locale: str | None) -> str:
    """Babel's words for a day: the same day, format and language always give the same
    text, and Babel's pattern machinery was a tenth of the events list's time."""
    return format_date(day, fmt, locale=locale)


def local_date(value: datetime | None, tz: str | None = None, fmt: str = "full") -> str:
    if value is None:
        return ""
    locale = get_locale()
    day = value.astimezone(_zone(tz)).date()
    return _day_text(day, fmt, str(locale) if locale is not None else None)


def calendar_date(value: date | None, fmt: str = "medium") -> str:
    """A day with no time of its own (a due date): no time zone to convert."""
    if value is None:
        return ""
    return format_date(value, fmt, locale=get_locale())


def local_time(value: datetime | None, tz: str | None = None) -> str:
    """24-hour "09:30" in every language we speak, so no locale is needed: Babel's pattern
    machinery took a tenth of the agenda's time for the same characters."""
    if value is None:
        return ""
    if value.tzinfo is None:  # as Babel reads a naive instant: UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(_zone(tz)).strftime("%H:%M")


def event_time_range(starts_at: datetime, ends_at: datetime, tz: str) -> str:
    """'jueves, 30 de marzo de 2017, 09:30–13:00' on one day; both dates when it spans several."""
    zone = _zone(tz)
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    if start.date() == end.date():
        return f"{local_date(starts_at, tz)}, {local_time(starts_at, tz)}–{local_time(ends_at, tz)}"
    return (
        f"{local_date(starts_at, tz, 'long')} {local_time(starts_at, tz)} – "
        f"{local_date(ends_at, tz, 'long')} {local_time(ends_at, tz)}"
    )


def format_month(day) -> str:
    """'marzo de 2027' / 'March 2027'."""
    return format_skeleton("yMMMM", day, locale=get_locale())


def format_weekday(day, width: str = "wide") -> str:
    pattern = {"wide": "EEEE", "abbreviated": "EEE", "narrow": "EEEEE"}[width]
    return format_date(day, pattern, locale=get_locale())


def minutes_text(minutes: int) -> str:
    """'1 minute', '-15 minutes': the plural follows the size, the sign stays (agenda shifts)."""
    return ngettext("%(minutes)d minute", "%(minutes)d minutes", abs(minutes), minutes=minutes)
