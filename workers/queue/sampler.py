"""The queue-depth history: one worker of the fleet samples the queue every ``SAMPLE_S``.

Every worker process runs this task; a short lock in Redis lets one of them sample per
period, so the dashboard's hour of queue depth costs the same with one worker or fifty.
"""

from __future__ import annotations

import os
import socket

from redis import Redis

from workers.keys import sampler_lock_key
from workers.queue.counters import sample_queues
from workers.queue.periodic import PeriodicTask

SAMPLE_S = 15.0


class QueueSampler(PeriodicTask):
    name = "corpus-queue-sampler"
    at_boot = True

    def __init__(self, client: Redis, namespace: str) -> None:
        super().__init__(SAMPLE_S)
        self.client = client
        self.namespace = namespace
        self.me = f"{socket.gethostname()}:{os.getpid()}"

    def run_once(self) -> None:
        if self.client.set(sampler_lock_key(self.namespace), self.me, nx=True, ex=int(SAMPLE_S) - 1):
            sample_queues(self.client, self.namespace)
