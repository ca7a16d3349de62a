"""Country and city of an IP address from a MaxMind-format (.mmdb) database.

Works with GeoLite2/GeoIP2 Country and City databases and with any database using their
record layout (``country.iso_code``, ``city.names.en``), such as DB-IP's free ones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import maxminddb

logger = logging.getLogger("hop.admin.geoip")


@dataclass(frozen=True, slots=True)
class Place:
    country: str = ""
    city: str = ""


NOWHERE = Place()


class GeoIp:
    """A reader over one .mmdb file; ``lookup`` never raises."""

    def __init__(self, path: Path) -> None:
        # MODE_AUTO: the C extension with mmap when available, so lookups cost microseconds.
        self._reader = maxminddb.open_database(str(path), maxminddb.MODE_AUTO)
        logger.info("geoip database %s (%s)", path, self._reader.metadata().database_type)

    def lookup(self, ip: str) -> Place:
        try:
            record: Any = self._reader.get(ip)
        except ValueError:  # not an IP address
            return NOWHERE
        if not isinstance(record, dict):
            return NOWHERE
        country = record.get("country") or record.get("registered_country") or {}
        city = record.get("city") or {}
        return Place(
            country=str(country.get("iso_code") or ""),
            city=str((city.get("names") or {}).get("en") or ""),
        )

    def close(self) -> None:
        self._reader.close()
