# The corpus image: one image for workers, the watcher and the monitor.
FROM python:3.11-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-tools \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY ingest ./ingest
COPY workers ./workers
COPY models ./models
RUN pip install --no-cache-dir .

ENV CORPUS_DATA_DIR=/data
VOLUME ["/data"]
ENTRYPOINT ["corpus"]
CMD ["--help"]
