"""A real 3-master Redis Cluster (``tests.support.cluster``) for the index tests, started once
per session on ports and directories of its own and torn down at the end."""

from __future__ import annotations

import pytest

from tests.support.cluster import start_cluster


@pytest.fixture(scope="session")
def redis_cluster():
    cluster = start_cluster(masters=3)
    yield cluster
    cluster.stop()
