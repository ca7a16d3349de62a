"""`hop openapi`: the admin API's OpenAPI document, the source of the dashboard's generated API types.

Keys sorted, so that a diff of two documents shows only real changes. `make dashboard-types` turns it
into dashboard/src/api/schema.d.ts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", type=Path, help="write the document to this file instead of stdout")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    document = openapi_document()
    if args.output is None:
        sys.stdout.buffer.write(document)
    else:
        args.output.write_bytes(document)
    return 0


def openapi_document() -> bytes:
    """The document as JSON, whatever the HOP_* environment says: it depends on the routes alone."""
    import orjson

    from admin.app import create_app
    from common.settings import AdminSettings

    # Defaults without reading the environment: no setting changes a route, and a production
    # environment without its secrets must not stop the document from being printed.
    app = create_app(AdminSettings.model_construct())
    return orjson.dumps(app.openapi(), option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"
