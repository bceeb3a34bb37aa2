"""A real Redis Cluster for the tests: ``redis-server --cluster-enabled yes`` nodes on ports
and directories of their own, joined by ``redis-cli --cluster create --cluster-yes``.

Nothing is shared with the machine's Redis: each cluster picks free ports (the cluster bus
listens on port + 10000, so both must be free) and is torn down, directories included, by
:meth:`RedisCluster.stop`.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests.support.servers import wait_until


def _free_cluster_port() -> int:
    """A port free together with its cluster-bus port (port + 10000)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + 10000 > 65535:
            continue
        try:
            with socket.socket() as bus:
                bus.bind(("127.0.0.1", port + 10000))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port pair for a cluster node")


@dataclass
class Node:
    port: int
    directory: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
             "--cluster-node-timeout", "2000", "--appendonly", "yes", "--save", "", "--daemonize", "no",
             "--logfile", str(self.directory / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_until(self._pings, 15, message=f"cluster node on port {self.port}")

    def _pings(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def role(self) -> str:
        return self.client().info("replication")["role"]


@dataclass
class Cluster:
    nodes: list[Node]
    root: Path
    masters: int
    replicas: int
    _clients: list = field(default_factory=list)

    @property
    def url(self) -> str:
        """Any one node: corpus discovers the rest."""
        return self.nodes[0].url

    def client(self):
        from redis.cluster import RedisCluster

        client = RedisCluster(host="127.0.0.1", port=self.nodes[0].port)
        self._clients.append(client)
        return client

    def primaries(self) -> list[Node]:
        return [n for n in self.nodes if n.alive() and n.role() == "master"]

    def replicas_of(self, master: Node) -> list[Node]:
        lines = master.client().execute_command("CLUSTER", "NODES")
        lines = lines.decode() if isinstance(lines, bytes) else lines
        me = next(line.split()[0] for line in lines.splitlines() if "myself" in line)
        ports = [int(line.split()[1].split(":")[1].split("@")[0]) for line in lines.splitlines()
                 if line.split()[3] == me]
        return [n for n in self.nodes if n.port in ports]

    def healthy(self) -> bool:
        try:
            for node in self.nodes:
                if node.alive() and node.client().cluster("info")["cluster_state"] != "ok":
                    return False
            return True
        except redis.RedisError:
            return False

    def stop(self) -> None:
        for client in self._clients:
            try:
                client.close()
            except Exception:
                pass
        for node in self.nodes:
            node.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def start_cluster(masters: int = 3, replicas: int = 0) -> Cluster:
    """Start ``masters`` x (1 + ``replicas``) nodes and join them into one cluster."""
    for binary in ("redis-server", "redis-cli"):
        if shutil.which(binary) is None:
            raise RuntimeError(f"{binary} is not installed: run `make test`, which installs it")
    root = Path(tempfile.mkdtemp(prefix="corpus-test-cluster-"))
    nodes = []
    try:
        for i in range(masters * (1 + replicas)):
            directory = root / f"node{i}"
            directory.mkdir()
            node = Node(port=_free_cluster_port(), directory=directory)
            node.start()
            nodes.append(node)
        # redis-cli refuses fewer than 3 masters; 1 and 2 master clusters (the benchmark) are
        # made by hand with CLUSTER ADDSLOTSRANGE and MEET.
        if masters >= 3:
            subprocess.run(
                ["redis-cli", "--cluster", "create", *[f"127.0.0.1:{n.port}" for n in nodes],
                 "--cluster-replicas", str(replicas), "--cluster-yes"],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60,
            )
        else:
            _create_small(nodes, masters, replicas)
        cluster = Cluster(nodes=nodes, root=root, masters=masters, replicas=replicas)
        wait_until(cluster.healthy, 30, interval=0.2, message="cluster_state:ok on every node")
        if replicas:
            wait_until(lambda: all(len(cluster.replicas_of(m)) == replicas
                                   and all(r.client().info("replication").get("master_link_status") == "up"
                                           for r in cluster.replicas_of(m)) for m in cluster.primaries()),
                       30, interval=0.2, message="every replica in sync")
        return cluster
    except BaseException:
        for node in nodes:
            node.stop()
        shutil.rmtree(root, ignore_errors=True)
        raise


def _create_small(nodes: list[Node], masters: int, replicas: int) -> None:
    per = 16384 // masters
    for i in range(masters):
        last = 16383 if i == masters - 1 else (i + 1) * per - 1
        nodes[i].client().execute_command("CLUSTER", "ADDSLOTSRANGE", i * per, last)
    for node in nodes[1:]:
        nodes[0].client().execute_command("CLUSTER", "MEET", "127.0.0.1", node.port)
    wait_until(lambda: all(len(n.client().execute_command("CLUSTER", "NODES").splitlines()) == len(nodes)
                           for n in nodes), 30, interval=0.2, message="every node to know every other")
    if replicas:
        ids = [n.client().execute_command("CLUSTER", "MYID") for n in nodes[:masters]]
        for k, node in enumerate(nodes[masters:]):
            master_id = ids[k % masters]
            node.client().execute_command("CLUSTER", "REPLICATE", master_id.decode() if isinstance(master_id, bytes) else master_id)
