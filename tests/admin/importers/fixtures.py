"""The export files the importer tests read, written by hand after each product's real format
(see each admin/importers/ module's doc), with the nasty rows a real export can hold."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).with_name("fixtures")


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()
