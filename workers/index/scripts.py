"""Running the index's Lua scripts on one Redis or on a Redis Cluster: EVALSHA in pipelines,
each script loaded again where a node lacks it (a promoted replica, a restarted node), and on
a cluster one plain pipeline per master with a retry across a failover."""

from __future__ import annotations

import hashlib
import logging
import time
from collections import defaultdict
from pathlib import Path

import redis

try:
    from redis.exceptions import SlotNotCoveredError as SlotNotCovered
except ImportError:  # older redis-py
    class SlotNotCovered(Exception):
        pass

_HERE = Path(__file__).resolve().parent
_CLUSTER_ATTEMPTS = 30  # ~25 s of backoff (0.05 s doubling to 1 s) while a master fails over
# How long a write waits for its master's replica. A replica on the same network acknowledges
# in well under a millisecond (tests/index/test_cluster_failover.py runs with it); this only
# bounds the wait when one is slow or gone, until the slot map drops a failed one.
REPLICA_WAIT_MS = 500
_REFRESH_S = 5.0
_last_refresh = [0.0]
log = logging.getLogger("corpus.index")


def _unreplicated(client, node: str) -> None:
    now = time.monotonic()
    if now - _last_refresh[0] < _REFRESH_S:
        return
    _last_refresh[0] = now
    log.warning("index master %s: its replica did not acknowledge the writes within %d ms "
                "(a failover of that master may lose them; `corpus verify --repair` mends the index)",
                node, REPLICA_WAIT_MS)
    try:
        client.nodes_manager.initialize()
    except (redis.exceptions.RedisError, SlotNotCovered):
        pass


def is_cluster(client) -> bool:
    return hasattr(client, "get_primaries")


def pipeline(client):
    """A pipeline without MULTI (a cluster's spans its masters)."""
    return client.pipeline() if is_cluster(client) else client.pipeline(transaction=False)


class Script:
    """One of the index's Lua scripts, by file name beside this module (or its ``source``)."""

    def __init__(self, name: str, source: str | None = None) -> None:
        self.source = (_HERE / name).read_text() if source is None else source
        self.sha = hashlib.sha1(self.source.encode()).hexdigest()


def as_function(name: str, function: str) -> str:
    """The script ``name`` as a local Lua function ``function(KEYS, ARGV)`` (its own KEYS and
    ARGV shadow the caller's; its top-level ``return`` returns from the function), for a script
    that runs several of them in one call without a second copy of their code."""
    return f"local function {function}(KEYS, ARGV)\n{(_HERE / name).read_text()}\nend\n"


def run(client, calls: list[tuple[Script, list, list]], *, wait: bool = False) -> list:
    """Run ``(script, keys, args)`` calls in one pipeline (on a cluster, one per master, all
    sent before any is read); returns their replies in order. ``wait``: on a cluster, each
    master's pipeline ends with ``WAIT 1`` when the master has a replica (see _run_cluster)."""
    if is_cluster(client):
        return _run_cluster(client, calls, wait=wait)
    out: list = [None] * len(calls)
    todo = list(range(len(calls)))
    for attempt in range(3):
        pipe = client.pipeline(transaction=False)
        for i in todo:
            script, keys, args = calls[i]
            pipe.evalsha(script.sha, len(keys), *keys, *args)
        replies = pipe.execute(raise_on_error=False)
        missing = []
        for i, reply in zip(todo, replies):
            if isinstance(reply, redis.exceptions.NoScriptError) and attempt < 2:
                missing.append(i)
            elif isinstance(reply, Exception):
                raise reply
            else:
                out[i] = reply
        if not missing:
            return out
        for script in {calls[i][0] for i in missing}:
            client.script_load(script.source)
        todo = missing
    return out

def _run_cluster(client, calls: list[tuple[Script, list, list]], *, wait: bool = False) -> list:
    """The calls grouped by the master of their slot, each group written to that master's
    connection as one pipeline, all written before any is read (redis-py's ClusterPipeline
    spends ~3x the client CPU per command, bench/scale.py --cluster). A master that moved a slot, died or is being failed over
    (MOVED, CLUSTERDOWN, a connection error) gets its calls again after the slot map is
    read afresh, for about 20 s: a replica's promotion takes the cluster-node-timeout."""
    from redis.exceptions import AskError, ClusterDownError, MovedError, NoScriptError, TryAgainError

    transient = (MovedError, AskError, ClusterDownError, TryAgainError, redis.exceptions.ConnectionError,
                 redis.exceptions.TimeoutError)
    manager = client.nodes_manager
    out: list = [None] * len(calls)
    todo = list(range(len(calls)))
    delay = 0.05
    for attempt in range(_CLUSTER_ATTEMPTS):
        by_node: dict[str, list] = defaultdict(list)
        nodes = {}
        again: list[int] = []
        last_error: Exception | None = None
        for i in todo:
            try:
                node = manager.get_node_from_slot(client.keyslot(calls[i][1][0]))
            except (SlotNotCovered, *transient):
                again.append(i)
                continue
            nodes[node.name] = node
            by_node[node.name].append(i)
        sent = []
        for name, indices in by_node.items():
            commands = [("EVALSHA", calls[i][0].sha, len(calls[i][1]), *calls[i][1], *calls[i][2]) for i in indices]
            replicated = wait and len(manager.slots_cache.get(client.keyslot(calls[indices[0]][1][0])) or ()) > 1
            if replicated:
                commands.append(("WAIT", 1, REPLICA_WAIT_MS))
            try:
                conn = _send(client.get_redis_connection(nodes[name]), commands)
            except transient as exc:
                last_error = exc
                again += indices
                continue
            sent.append((name, indices, conn, len(commands), replicated))
        received = []
        for name, indices, conn, count, replicated in sent:  # every connection read and released
            try:
                received.append((name, indices, replicated, _receive(client.get_redis_connection(nodes[name]), conn, count)))
            except Exception as exc:
                received.append((name, indices, replicated, exc))
        for name, indices, replicated, replies in received:
            if isinstance(replies, transient):
                last_error = replies
                again += indices
                continue
            if isinstance(replies, Exception):
                raise replies
            if replicated:
                acked = replies.pop()
                if not isinstance(acked, int) or acked < 1:
                    _unreplicated(client, name)
            for i, reply in zip(indices, replies):
                if isinstance(reply, NoScriptError):
                    client.get_redis_connection(nodes[name]).script_load(calls[i][0].source)
                    again.append(i)
                elif isinstance(reply, transient):
                    last_error = reply
                    again.append(i)
                elif isinstance(reply, Exception):
                    raise reply
                else:
                    out[i] = reply
        if not again:
            return out
        if last_error is not None:  # not only a missing script: the slot map changed
            time.sleep(delay)
            delay = min(1.0, delay * 2)
            try:
                manager.initialize()
            except (redis.exceptions.RedisError, SlotNotCovered):
                pass
        todo = again
    raise redis.exceptions.ConnectionError(f"the index cluster did not answer for its slots: {last_error}")



def _send(node_client, commands: list[tuple]):
    """Write ``commands`` to a connection of the node's pool without reading the replies, so
    that every master works on its calls at once (redis-py's pipeline writes and then reads,
    one master after the other: a lone document's ~30 calls then waited on each master in
    turn, bench/scale.py --masters 3). Returns the connection, still taken from the pool."""
    pool = node_client.connection_pool
    conn = pool.get_connection()
    try:
        conn.send_packed_command(conn.pack_commands(commands))
    except BaseException:
        conn.disconnect()
        pool.release(conn)
        raise
    return conn


def _receive(node_client, conn, count: int) -> list:
    """The ``count`` replies to :func:`_send`, an error reply in place of its reply (as a
    pipeline's ``raise_on_error=False``); the connection goes back to the pool."""
    replies: list = []
    try:
        for _ in range(count):
            try:
                replies.append(conn.read_response())
            except redis.exceptions.ResponseError as exc:
                replies.append(exc)
    except BaseException:
        conn.disconnect()
        raise
    finally:
        node_client.connection_pool.release(conn)
    return replies
