"""QR codes of short URLs, as SVG or PNG (segno: pure Python, no imaging library)."""

from __future__ import annotations

import io
from typing import Literal

import segno

QrFormat = Literal["svg", "png"]
MEDIA_TYPES: dict[str, str] = {"svg": "image/svg+xml", "png": "image/png"}
MIN_SIZE = 64
MAX_SIZE = 2048
DEFAULT_SIZE = 256
# The quiet zone the QR specification asks for, in modules.
BORDER = 4


def render_qr(url: str, *, fmt: QrFormat, size: int) -> bytes:
    """The QR code of ``url``, about ``size`` pixels wide (whole pixels per module, never less than 1).

    Error correction "M" survives ~15% damage: a good default for print and screens.
    """
    qr = segno.make(url, error="m", micro=False)
    modules = qr.symbol_size(border=BORDER)[0]
    scale = max(1, size // modules)
    buffer = io.BytesIO()
    if fmt == "svg":
        qr.save(buffer, kind="svg", scale=scale, border=BORDER, xmldecl=False, title=url)
    else:
        qr.save(buffer, kind="png", scale=scale, border=BORDER)
    return buffer.getvalue()
