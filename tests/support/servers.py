"""Real Redis and PostgreSQL servers for the tests.

The machine's services are used when they answer (127.0.0.1:6379, 127.0.0.1:5432);
otherwise the tests start their own from the system binaries (``redis-server``; Debian's
``initdb``/``pg_ctl``). A test that stops or restarts a server always starts its own with
``start_redis``/``start_postgres``. Each run isolates itself: a key namespace of its own in
Redis and a database of its own in PostgreSQL, both removed at the end.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import redis


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 0.1, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {message}")


@dataclass
class RedisServer:
    url: str
    process: subprocess.Popen | None = None
    port: int | None = None
    directory: Path | None = None
    persist: bool = True  # AOF; without it a restart comes back empty (a cache-class Redis)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def start(self) -> None:
        """(Re)start on the same port and directory: the data persists across restarts
        (unless ``persist`` is off)."""
        assert self.port and self.directory
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--appendonly", "yes" if self.persist else "no", "--save", "", "--daemonize", "no", "--logfile", str(self.directory / "redis.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: _pings(self.url), 15, message=f"redis-server on port {self.port}")


def _pings(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def start_redis(*, persist: bool = True) -> RedisServer:
    if shutil.which("redis-server") is None:
        raise RuntimeError("redis-server is not installed: run `make test`, which installs it")
    port = free_port()
    directory = Path(tempfile.mkdtemp(prefix="corpus-test-redis-"))
    server = RedisServer(url=f"redis://127.0.0.1:{port}/0", port=port, directory=directory, persist=persist)
    server.start()
    return server


def shared_redis() -> RedisServer:
    if port_open("127.0.0.1", 6379) and _pings("redis://127.0.0.1:6379/0"):
        return RedisServer(url="redis://127.0.0.1:6379/0")
    return start_redis()


def delete_namespace(url: str, namespace: str) -> None:
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])


# ---------------------------------------------------------------------------- PostgreSQL


@dataclass
class PostgresServer:
    base_url: str  # without a database name
    directory: Path | None = None
    port: int | None = None

    def create_database(self) -> str:
        import psycopg

        name = f"corpus_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.base_url + "postgres", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.base_url.replace("postgresql://", "postgresql+psycopg://") + name

    def drop_database(self, url: str) -> None:
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.base_url + "postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _pg(self, *args: str) -> None:
        subprocess.run(_as_postgres_user([_pg_bin("pg_ctl"), "-D", str(self.directory), *args]), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.directory:
            self._pg("-m", "fast", "-w", "stop")

    def start(self) -> None:
        assert self.directory and self.port
        self._pg("-w", "-o", f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1", "-l",
                 str(self.directory / "server.log"), "start")


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is not installed: run `make test`, which installs PostgreSQL")
    return path


def _as_postgres_user(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres user then."""
    if os.geteuid() != 0:
        return command
    user = "postgres"
    try:
        pwd.getpwnam(user)
    except KeyError:
        user = "nobody"
    return ["runuser", "-u", user, "--", *command]


def start_postgres() -> PostgresServer:
    directory = Path(tempfile.mkdtemp(prefix="corpus-test-pg-"))
    os.chmod(directory, 0o777)
    data = directory / "data"
    if os.geteuid() == 0:
        data.mkdir()
        owner = "postgres" if _user_exists("postgres") else "nobody"
        shutil.chown(data, owner)
        shutil.chown(directory, owner)
    subprocess.run(_as_postgres_user([_pg_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]),
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = PostgresServer(base_url="", directory=data, port=free_port())
    server.base_url = f"postgresql://postgres@127.0.0.1:{server.port}/"
    server.start()
    return server


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def shared_postgres() -> PostgresServer:
    if port_open("127.0.0.1", 5432):
        try:
            import psycopg

            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3):
                return PostgresServer(base_url="postgresql://postgres@127.0.0.1:5432/")
        except Exception:
            pass
    return start_postgres()
