"""The dramatiq broker: Redis, JSON messages carrying document ids only, fast redelivery.

dramatiq's defaults recover a dead worker's messages only after a rare random maintenance
run (one command in a thousand) past a 60 s heartbeat timeout: many minutes in practice.
We shorten the heartbeat timeout and make maintenance frequent; and since that
maintenance only ever looks at the queue being dispatched, and only when a live consumer
dispatches on it, every worker also runs a janitor (``workers.verify.Janitor``) that hands
a dead worker's messages back within 2 s of its heartbeat timeout.
"""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.encoder import JSONEncoder
from dramatiq.middleware import default_middleware
from dramatiq.middleware.retries import Retries
from redis import Redis

from workers.heartbeat import WorkerRegistry
from workers.settings import Settings
from workers.verify import Janitor

QUEUE = "documents"
MAINTENANCE_CHANCE = 50_000  # per million broker commands; idle consumers poll every second


def broker_namespace(settings: Settings) -> str:
    return f"{settings.namespace}:dq"


def make_broker(settings: Settings, client: Redis) -> RedisBroker:
    middleware = [m() for m in default_middleware if m is not Retries]
    middleware.append(Retries(max_retries=8, min_backoff=1_000, max_backoff=60_000))
    broker = RedisBroker(
        client=client,
        namespace=broker_namespace(settings),
        middleware=middleware,
        heartbeat_timeout=settings.heartbeat_timeout_ms,
        maintenance_chance=MAINTENANCE_CHANCE,
    )
    broker.add_middleware(WorkerRegistry(client, settings.namespace))
    # dramatiq's maintenance alone leaves a SIGKILLed worker's messages waiting for minutes.
    broker.add_middleware(Janitor(client, broker.namespace, settings.heartbeat_timeout_ms, [QUEUE, f"{QUEUE}.DQ"]))
    dramatiq.set_encoder(JSONEncoder())
    dramatiq.set_broker(broker)
    return broker
