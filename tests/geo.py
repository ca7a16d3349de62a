"""A small MaxMind-format City database, written with mmdb-writer, for enrichment tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mmdb_writer import MMDBWriter
from netaddr import IPSet

NETWORKS: dict[str, dict[str, Any]] = {
    "81.2.69.0/24": {"country": {"iso_code": "GB"}, "city": {"names": {"en": "London"}}},
    "89.160.20.0/24": {"country": {"iso_code": "SE"}, "city": {"names": {"en": "Linköping"}}},
    "2001:67c:2e8::/48": {"country": {"iso_code": "NL"}},  # a country-only record
}


def write_city_db(path: Path) -> Path:
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoIP2-City")
    for network, record in NETWORKS.items():
        writer.insert_network(IPSet([network]), record)
    writer.to_db_file(str(path))
    return path
