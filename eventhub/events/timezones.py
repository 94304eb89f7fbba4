"""Converting the wall-clock times organisers type into instants, per IANA zone."""

from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# Offered first in the zone picker; any IANA zone is accepted.
COMMON_ZONES = (
    "America/Santiago",
    "America/Punta_Arenas",
    "Pacific/Easter",
    "America/Lima",
    "America/Bogota",
    "America/Buenos_Aires",
    "America/Sao_Paulo",
    "America/Caracas",
    "America/Port-au-Prince",
    "America/Mexico_City",
    "America/Chicago",
    "America/New_York",
    "Europe/Madrid",
    "Europe/Geneva",
    "UTC",
)


@cache
def known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_valid_zone(name: str) -> bool:
    if name not in known_zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


class NonexistentLocalTimeError(ValueError):
    """The wall-clock time is skipped in this zone (the clocks jump forward over it)."""


def local_to_utc(local: datetime, zone_name: str) -> datetime:
    """Interpret a naive wall-clock time in ``zone_name``; refuse times the zone skips."""
    zone = ZoneInfo(zone_name)
    aware = local.replace(tzinfo=zone)
    as_utc = aware.astimezone(UTC)
    if as_utc.astimezone(zone).replace(tzinfo=None) != local:
        raise NonexistentLocalTimeError(local.isoformat())
    return as_utc


def utc_to_local(instant: datetime, zone_name: str) -> datetime:
    """The naive wall-clock time shown in edit forms."""
    return instant.astimezone(ZoneInfo(zone_name)).replace(tzinfo=None)


def shift_days(instant: datetime, zone_name: str, days: int) -> datetime:
    """The instant ``days`` days later on the clocks of ``zone_name``: the same wall-clock
    time, whatever change of offset (DST) lies between. Refuses a time the zone skips."""
    return local_to_utc(utc_to_local(instant, zone_name) + timedelta(days=days), zone_name)
