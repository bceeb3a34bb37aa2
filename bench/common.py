"""Helpers shared by the benchmark scripts: the machine they ran on, a private Redis, process
memory and CPU from /proc, and the benchmark data paths.

    from bench.common import machine, machine_info, private_redis

``machine()`` is a dict (CPU model, cores, RAM, load, Python, library versions) for JSON output;
``machine_info()`` the same on one line (moved here from ``bench/dedup.py``, which imports it).
"""

from __future__ import annotations

import os
import platform
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _shared() -> Path:
    """``../shared`` beside this checkout, or beside the main checkout when this one is a git
    worktree elsewhere: a revision checked out for an A B comparison must read the same
    benchmark data, or it measures another corpus (``bench/corpus.py`` without its real bodies
    is seeds only, one event)."""
    here = ROOT.parent / "shared"
    if here.exists():
        return here
    try:
        common = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--path-format=absolute", "--git-common-dir"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return here
    beside = Path(common).parent.parent / "shared" if common else here
    return beside if beside.exists() else here


#: ``../shared`` (seeds and public benchmark data): read, never copied into the checkout.
SHARED = _shared()
#: The article-extraction benchmark (181 real pages under html/<id>.html.gz): next to the checkout,
#: never copied into it. Override with --bench-dir or CORPUS_EXTRACTION_BENCH.
EXTRACTION_BENCH = Path(os.environ.get("CORPUS_EXTRACTION_BENCH") or SHARED / "benchmarks" / "article-extraction")

VERSIONED = ("trafilatura", "datasketch", "dramatiq", "numpy", "SQLAlchemy", "redis", "lxml")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def ram_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def redis_server_version() -> str:
    exe = shutil.which("redis-server")
    if not exe:
        return "-"
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=5).stdout
        return next((w.split("=", 1)[1] for w in out.split() if w.startswith("v=")), out.strip())
    except (OSError, subprocess.SubprocessError):
        return "-"


def machine() -> dict:
    """Where the figures were measured. ``load`` is the 1/5/15-minute load average at the call:
    on a shared machine, compare runs only when it was low (or look at the CPU-time figures)."""
    ram = ram_bytes()
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": round(ram / 2**30, 1) if ram else None,
        "load": [round(x, 2) for x in os.getloadavg()],
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "platform": platform.platform(),
        "versions": {p: _version(p) for p in VERSIONED} | {"redis-server": redis_server_version()},
    }


def machine_info(info: dict | None = None) -> str:
    """``machine()`` on one line."""
    m = info or machine()
    versions = " ".join(f"{k} {v}" for k, v in m["versions"].items())
    return (f"CPU: {m['cpu']}; cores: {m['cores']}; RAM {m['ram_gb']} GB; load {'/'.join(map(str, m['load']))}; "
            f"Python {m['python']}; {versions}; {m['platform']}")


# --------------------------------------------------------------------------- private Redis


class PrivateRedis:
    """A redis-server of our own on a unix socket in a temp dir (no port, no persistence)."""

    def __init__(self) -> None:
        exe = shutil.which("redis-server")
        if not exe:
            raise SystemExit("redis-server not found (apt-get install redis-server), or pass --redis-url")
        self.dir = tempfile.mkdtemp(prefix="corpus-bench-redis-")
        self.socket = str(Path(self.dir) / "redis.sock")
        self.proc = subprocess.Popen(
            [exe, "--port", "0", "--unixsocket", self.socket, "--unixsocketperm", "700", "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"unix://{self.socket}"
        import redis

        self.client = redis.Redis(unix_socket_path=self.socket)
        for _ in range(200):
            try:
                self.client.ping()
                return
            except (redis.exceptions.ConnectionError, FileNotFoundError):
                time.sleep(0.05)
        self.stop()
        raise SystemExit("private redis-server did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def private_redis():
    server = PrivateRedis()
    try:
        yield server
    finally:
        server.stop()


def terminate_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so that ``finally`` blocks clean up (servers, temp dirs)."""
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(SystemExit(143)))


# --------------------------------------------------------------------------- /proc


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc; psutil when installed)."""
    try:
        import psutil

        p = psutil.Process(pid)
        return [pid] + [c.pid for c in p.children(recursive=True)]
    except ImportError:
        pass
    except Exception:
        return []
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def proc_status(pid: int) -> dict:
    """Peak and current RSS (bytes), CPU seconds (user+system) and the command line of one process."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return {}
    fields = {}
    for line in status.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            fields[key] = int(value.split()[0]) * 1024
    ticks = os.sysconf("SC_CLK_TCK")
    return {"pid": pid, "peak_rss": fields.get("VmHWM", 0), "rss": fields.get("VmRSS", 0),
            "cpu_s": (int(stat[11]) + int(stat[12])) / ticks, "cmd": cmd}


def mib(n: float) -> str:
    return f"{n / 2**20:.0f} MiB"
