"""Front doors of corpus: the command line, the Python API and the file readers.

    from ingest import Corpus
"""

from ingest.api import Changes, Corpus, Handle, Handles, Outcome, RedisUnavailable, StoreUnavailable
from ingest.formats import ReadError

__all__ = ["Changes", "Corpus", "Handle", "Handles", "Outcome", "ReadError", "RedisUnavailable", "StoreUnavailable"]
