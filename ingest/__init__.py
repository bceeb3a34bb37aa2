"""Front doors of corpus: the command line, the Python API and the file readers.

    from ingest import Corpus
"""

from ingest.api import Corpus, Handle, Outcome

__all__ = ["Corpus", "Handle", "Outcome"]
