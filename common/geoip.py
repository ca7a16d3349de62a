"""Country and city of a visitor: from a MaxMind-format (.mmdb) database, else a trusted proxy's header.

The worker stores the place with each click; the edge reads the country for targeting rules
(common/routing.py). Both call ``place_of``, so a rule and the analytics agree on a visitor's country.

Works with GeoLite2/GeoIP2 Country and City databases and with any database using their
record layout (``country.iso_code``, ``city.names.en``), such as DB-IP's free ones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from maxminddb.types import RecordDict

logger = logging.getLogger("hop.geoip")


@dataclass(frozen=True, slots=True)
class Place:
    country: str = ""
    city: str = ""


NOWHERE = Place()


class GeoIp:
    """A reader over one .mmdb file; ``lookup`` never raises."""

    def __init__(self, path: Path) -> None:
        import maxminddb  # here: an edge without HOP_GEOIP_DB never loads it

        # MODE_AUTO: the C extension with mmap when available, so lookups cost microseconds.
        self._reader = maxminddb.open_database(str(path), maxminddb.MODE_AUTO)
        logger.info("geoip database %s (%s)", path, self._reader.metadata().database_type)

    def lookup(self, ip: str) -> Place:
        """The place of ``ip``; NOWHERE when it is not an address or not in the database."""
        try:
            record = self._reader.get(ip)
        except ValueError:  # not an IP address
            return NOWHERE
        if not isinstance(record, dict):
            return NOWHERE
        country = _section(record, "country") or _section(record, "registered_country")
        return Place(
            country=str(country.get("iso_code") or ""),
            city=str(_section(_section(record, "city"), "names").get("en") or ""),
        )

    def close(self) -> None:
        self._reader.close()


def _section(record: RecordDict, name: str) -> RecordDict:
    """The map ``record[name]``; empty when it is missing (or, in a malformed database, not a map)."""
    value = record.get(name)
    return value if isinstance(value, dict) else {}


def place_of(geoip: GeoIp | None, ip: str, header_country: str) -> Place:
    """Where the visitor at ``ip`` is: the database's answer, else the country a trusted proxy put in
    its header (``header_country``, empty when there is none), with no city."""
    place = geoip.lookup(ip) if geoip is not None else NOWHERE
    if place.country:
        return place
    country = header_country_code(header_country)
    return Place(country=country) if country else NOWHERE


def header_country_code(value: str) -> str:
    """The ISO 3166 code a proxy's country header holds, or "" for none."""
    # Proxies use XX (unknown) and T1 (Tor) as non-countries, as Cloudflare does.
    value = value.strip().upper()
    if len(value) != 2 or not value.isalpha() or value in {"XX", "T1"}:
        return ""
    return value
