"""The duplicate index: MinHash LSH buckets and fingerprint records in Redis, each insert
and query atomic per band in Lua scripts of one hash slot each (``lsh.py`` beside its ``.lua``,
run by ``scripts.py`` on one Redis or a Redis Cluster), and its rebuild from the
store (``reindex.py``)."""
