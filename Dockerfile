# The corpus image: one image for workers, the watcher and the monitor.
# Runs as the unprivileged user "corpus"; talks to Redis and PostgreSQL over the network
# (no Redis tools or server inside: the health checks are `corpus probe ...`).
FROM python:3.11-slim

RUN useradd --create-home --uid 10001 --user-group corpus \
 && mkdir -p /data /inbox \
 && chown corpus:corpus /data /inbox \
 && chmod 0700 /data

WORKDIR /app
# requirements.lock pins every package the image installs, with its hashes (make lock;
# the test suite runs on the same versions: requirements-dev.lock is constrained by it).
# Installed first, in a layer of its own that a code change does not rebuild.
COPY deploy/requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY ingest ./ingest
COPY workers ./workers
COPY models ./models
# corpus itself: nothing more to fetch (its dependencies and setuptools come from the lock)
RUN pip install --no-cache-dir --no-deps --no-build-isolation .

USER corpus
ENV CORPUS_DATA_DIR=/data
VOLUME ["/data"]
ENTRYPOINT ["corpus"]
CMD ["--help"]
