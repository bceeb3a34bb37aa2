"""The duplicate index: MinHash LSH buckets and fingerprint records in Redis, each insert
and query one atomic Lua script (``lsh.py`` beside its ``.lua``), and its rebuild from the
store (``reindex.py``)."""
