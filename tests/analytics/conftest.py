from __future__ import annotations

from tests.admin.conftest import alice, bob, client, client_factory

__all__ = ["alice", "bob", "client", "client_factory"]
