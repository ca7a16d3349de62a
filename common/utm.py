"""UTM parameters kept as a link's own fields and merged into its target where the edge's record is
built (common/linkstore.py), so the admin shows them apart and the edge redirects to the result.

A field that is set replaces a parameter of the same name already in the target; the target's other
parameters stay byte for byte as they were (re-encoding them could change what the destination
reads), in their order, and so does its fragment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final
from urllib.parse import unquote_plus, urlencode, urlsplit, urlunsplit

UTM_FIELDS: Final = ("source", "medium", "campaign", "term", "content")
MAX_UTM_LENGTH: Final = 200


def with_utm(target: str, utm: Mapping[str, str | None]) -> str:
    """``target`` with ``utm_<field>=<value>`` for every field of ``utm`` that is set."""
    wanted = {f"utm_{field}": value for field in UTM_FIELDS if (value := utm.get(field))}
    if not wanted:
        return target
    parts = urlsplit(target)
    kept = [pair for pair in parts.query.split("&") if pair and unquote_plus(pair.split("=", 1)[0]) not in wanted]
    return urlunsplit(parts._replace(query="&".join([*kept, urlencode(wanted)])))
