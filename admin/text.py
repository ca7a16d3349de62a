"""Text field types for the API: what Postgres cannot store (NUL) or humans cannot see is refused."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_CONTROL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# For query parameters, as a regex FastAPI puts in the OpenAPI spec: anything but NUL.
NO_NUL_PATTERN = r"^[^\x00]*$"


def no_control_characters(value: str) -> str:
    """Postgres text cannot hold NUL, and line breaks or escapes in a title or tag are never meant."""
    if _CONTROL_RE.search(value):
        raise ValueError("control characters are not allowed")
    return value


PlainText = Annotated[str, AfterValidator(no_control_characters)]
