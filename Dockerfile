# The corpus image: one image for workers, the watcher and the monitor.
# Runs as the unprivileged user "corpus"; talks to Redis and PostgreSQL over the network
# (no Redis tools or server inside: the health checks are `corpus probe ...`).
FROM python:3.11-slim

RUN useradd --create-home --uid 10001 --user-group corpus \
 && mkdir -p /data /inbox \
 && chown corpus:corpus /data /inbox \
 && chmod 0700 /data

WORKDIR /app
COPY pyproject.toml README.md deploy/constraints.txt ./
COPY ingest ./ingest
COPY workers ./workers
COPY models ./models
# constraints.txt pins what the image installs (the versions the suite last passed with)
RUN pip install --no-cache-dir --constraint constraints.txt '.[parquet]'

USER corpus
ENV CORPUS_DATA_DIR=/data
VOLUME ["/data"]
ENTRYPOINT ["corpus"]
CMD ["--help"]
