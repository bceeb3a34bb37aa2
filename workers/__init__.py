"""The worker side of corpus, in rooms that import downwards only:

- ``steps/``: the pure steps (decode, clean, fingerprint, verdicts): values in, values out;
- ``index/``: the duplicate index in Redis and its rebuild;
- ``queue/``: the dramatiq runtime: broker, messages, worker registry, janitor, dead-letter
  reasons, counters, periodic chores;
- ``embedded/``: the private redis-server of the embedded default;
- ``runtime``, ``pipeline``, ``linking``, ``sites``, ``actors``: one batch of documents
  through the steps, into the index and the store;
- ``ops/``: the operations tools: the ledger check and repair, dead letters, metrics, status.

``settings`` (the ``CORPUS_*`` variables) and ``keys`` (every Redis name) sit below them all.
"""
