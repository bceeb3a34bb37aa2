"""The pure steps: decode bytes, clean text or HTML, fingerprint, decide duplicates.

Nothing here touches a queue, Redis or a database (an architecture test holds that), so
each step runs the same in a worker, a CLI command, a benchmark or a test.
"""
