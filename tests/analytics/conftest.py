from __future__ import annotations

from tests.admin.conftest import alice, bob, client, client_factory, root

__all__ = ["alice", "bob", "client", "client_factory", "root"]
