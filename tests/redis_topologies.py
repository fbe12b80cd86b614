"""Real Redis topologies on loopback, owned by a test: a Sentinel-managed master with a
replica and three sentinels, and a Cluster of three masters with one replica each.

Short timeouts (down-after 500 ms, node timeout 1 s) so a failover takes about a second.
"""

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import redis

from tests.redis_server import RedisServer, free_port

SERVICE = "ballast-test"


def wait_for(check: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with contextlib.suppress(redis.RedisError, OSError):
            if check():
                return
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


class Sentinels:
    """One master, one replica, three sentinels (quorum 2) watching service SERVICE."""

    def __init__(self, down_after_ms: int = 500) -> None:
        self.master = RedisServer()
        self.replica = RedisServer()
        self.ports = [free_port() for _ in range(3)]
        self.dir = tempfile.mkdtemp(prefix="ballast-sentinel-")
        self.down_after_ms = down_after_ms
        self.sentinels: list[subprocess.Popen[bytes]] = []

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{p}" for p in self.ports)
        return f"redis+sentinel://{hosts}/{SERVICE}/0"

    def start(self) -> "Sentinels":
        self.master.start()
        self.replica.extra = ("--replicaof", "127.0.0.1", str(self.master.port))
        self.replica.start()
        wait_for(lambda: self._replicating(self.master), 10, "the replica to sync")
        binary = shutil.which("redis-server")
        assert binary is not None
        for port in self.ports:
            conf = Path(self.dir) / f"sentinel-{port}.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\nprotected-mode no\ndir {self.dir}\n"
                f"sentinel monitor {SERVICE} 127.0.0.1 {self.master.port} 2\n"
                f"sentinel down-after-milliseconds {SERVICE} {self.down_after_ms}\n"
                f"sentinel failover-timeout {SERVICE} 2000\n"
                f"sentinel parallel-syncs {SERVICE} 1\n"
            )
            self.sentinels.append(
                subprocess.Popen(
                    [binary, str(conf), "--sentinel"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        wait_for(self._all_sentinels_agree, 15, "the sentinels to find each other")
        return self

    def _replicating(self, master: RedisServer) -> bool:
        with master.client() as c:
            info = c.info("replication")
            return bool(
                info.get("connected_slaves", 0) >= 1
                and info.get("slave0", {}).get("state") == "online"
            )

    def sentinel(self, port: int) -> "redis.Redis[str]":
        return redis.Redis("127.0.0.1", port, decode_responses=True, socket_timeout=1)

    def _all_sentinels_agree(self) -> bool:
        for port in self.ports:
            with self.sentinel(port) as s:
                state = s.sentinel_master(SERVICE)
                if int(state["num-other-sentinels"]) < 2 or int(state["num-slaves"]) < 1:
                    return False
        return True

    def master_port(self) -> int:
        """The master as the sentinels announce it."""
        for port in self.ports:
            with contextlib.suppress(redis.RedisError, OSError), self.sentinel(port) as s:
                address = s.sentinel_get_master_addr_by_name(SERVICE)
                if address:
                    return int(address[1])
        raise RuntimeError("no sentinel answers")

    def kill_master(self) -> RedisServer:
        """SIGKILL the current master; returns the server the sentinels will promote."""
        current = self.master
        current.kill()
        self.master, self.replica = self.replica, current
        return self.master

    def settle(self, within: float = 45) -> None:
        """Waits until the master's writes reach its replica (after a switch, the demoted
        master is first demoted by Sentinel, then resyncs), so a kill tests Ballast, not
        Redis's async replication."""
        self.wait_for_demotion(within)
        with self.master.client() as master:
            wait_for(lambda: master.wait(1, 200) == 1, within, "the replica to acknowledge")

    def switch_over(self) -> RedisServer:
        """SENTINEL FAILOVER: the replica is promoted, the old master lives on demoted (its
        clients meet READONLY or a closed connection); returns the new master."""
        with self.sentinel(self.ports[0]) as s:
            s.sentinel_failover(SERVICE)
        self.master, self.replica = self.replica, self.master
        return self.master

    def wait_for_demotion(self, within: float = 15) -> None:
        """Until the old master (alive after a switch-over) serves as a replica: up to then
        it takes writes that it drops when demoted."""
        with self.replica.client() as old:
            wait_for(lambda: old.info("replication")["role"] == "slave", within, "demotion")

    def wait_for_promotion(self, within: float = 15) -> None:
        wait_for(lambda: self.master_port() == self.master.port, within, "the promotion")

    def stop(self) -> None:
        for process in self.sentinels:
            process.kill()
            process.wait()
        self.master.stop()
        self.replica.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def free_cluster_port() -> int:
    """A free port whose cluster bus port (port + 10000) is free and valid too."""
    for _ in range(200):
        port = free_port()
        if port + 10000 > 65535:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair for a cluster node")


class Cluster:
    """Three masters (and one replica each when `replicas`), built by redis-cli."""

    def __init__(self, replicas: bool = True, node_timeout_ms: int = 1000) -> None:
        count = 6 if replicas else 3
        options = ("--cluster-enabled", "yes", "--cluster-node-timeout", str(node_timeout_ms))
        # A replica takes over however long it was cut off (the tests kill at any moment).
        options += ("--cluster-replica-validity-factor", "0")
        self.nodes = [RedisServer(free_cluster_port(), extra=options) for _ in range(count)]
        self.replicas = replicas

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in self.nodes[:3])

    def start(self) -> "Cluster":
        for node in self.nodes:
            node.start()
        binary = shutil.which("redis-cli")
        assert binary is not None
        addresses = [f"127.0.0.1:{n.port}" for n in self.nodes]
        options = ["--cluster-replicas", "1" if self.replicas else "0", "--cluster-yes"]
        subprocess.run(
            [binary, "--cluster", "create", *addresses, *options],
            check=True,
            capture_output=True,
        )
        wait_for(lambda: self._healthy(formed=True), 30, "the cluster to form")
        return self

    def _healthy(self, formed: bool = False) -> bool:
        for node in self.nodes:
            if node.process is None:
                continue
            with node.client() as c:
                if c.cluster("INFO").get("cluster_state") != "ok":
                    return False
                # Every slot range served, with a replica behind it once replicas attached.
                ranges = c.cluster("SLOTS")
                if formed and self.replicas and any(len(r) < 4 for r in ranges):
                    return False
        return True

    def master_of(self, key: str) -> RedisServer:
        """The node serving `key`'s slot now."""
        alive = next(n for n in self.nodes if n.process is not None)
        with alive.client() as c:
            slot = c.cluster("KEYSLOT", key)
            for start, end, master, *_ in c.cluster("SLOTS"):
                if int(start) <= int(slot) <= int(end):
                    port = int(master[1])
                    return next(n for n in self.nodes if n.port == port)
        raise RuntimeError(f"no node serves {key}")

    def masters(self) -> list[RedisServer]:
        alive = next(n for n in self.nodes if n.process is not None)
        with alive.client() as c:
            ports = {int(master[1]) for _, _, master, *_ in c.cluster("SLOTS")}
        return [n for n in self.nodes if n.port in ports]

    def migrate_slot(
        self, slot: int, target: RedisServer, between: Callable[[], None], pipeline: int = 10
    ) -> None:
        """Moves `slot` to `target` live, as `redis-cli --cluster reshard` does (IMPORTING
        on the target, MIGRATING on the source, MIGRATE `pipeline` keys at a time, as its
        --cluster-pipeline, then SETSLOT NODE everywhere), calling `between` at each stage:
        with the slot open and no key moved (new keys are sent on with ASK), after each
        batch (keys on both sides: ASK for the moved ones, TRYAGAIN for a command over
        keys on both), and once the slot is assigned (stale clients get MOVED)."""
        source = self.master_of_slot(slot)
        assert source is not target
        with source.client() as src, target.client() as dst:
            source_id, target_id = (
                src.execute_command("CLUSTER MYID"),
                dst.execute_command("CLUSTER MYID"),
            )
            dst.execute_command("CLUSTER SETSLOT", slot, "IMPORTING", source_id)
            src.execute_command("CLUSTER SETSLOT", slot, "MIGRATING", target_id)
            between()
            while names := src.execute_command("CLUSTER GETKEYSINSLOT", slot, pipeline):
                src.execute_command(
                    "MIGRATE", "127.0.0.1", target.port, "", 0, 5000, "KEYS", *names
                )
                between()
            dst.execute_command("CLUSTER SETSLOT", slot, "NODE", target_id)
            src.execute_command("CLUSTER SETSLOT", slot, "NODE", target_id)
        for node in self.masters():
            if node is not source and node is not target:
                with node.client() as c:
                    c.execute_command("CLUSTER SETSLOT", slot, "NODE", target_id)
        between()

    def master_of_slot(self, slot: int) -> RedisServer:
        alive = next(n for n in self.nodes if n.process is not None)
        with alive.client() as c:
            for start, end, master, *_ in c.cluster("SLOTS"):
                if int(start) <= slot <= int(end):
                    port = int(master[1])
                    return next(n for n in self.nodes if n.port == port)
        raise RuntimeError(f"no node serves slot {slot}")

    def slot_of(self, key: str) -> int:
        alive = next(n for n in self.nodes if n.process is not None)
        with alive.client() as c:
            return int(c.cluster("KEYSLOT", key))

    def kill_master_of(self, key: str) -> RedisServer:
        """SIGKILL the master serving `key`; returns it (dead)."""
        master = self.master_of(key)
        master.kill()
        return master

    def wait_for_new_master(self, key: str, old: RedisServer, within: float = 30) -> None:
        def promoted() -> bool:
            return self.master_of(key) is not old and self._healthy()

        wait_for(promoted, within, "a replica to take over")

    def flush(self) -> None:
        for node in self.nodes:
            if node.process is None:
                continue
            with contextlib.suppress(redis.ReadOnlyError, redis.ResponseError), node.client() as c:
                c.flushall()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
