# corpus: two commands to know.
#   make demo   create the env, install, run the pipeline on seeds/ with the embedded default
#   make test   create the env, install the dev extras and what the tests need, run the suite

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test system-deps bench clean-demo help

help:
	@echo "make demo    run corpus on seeds/ (embedded Redis + SQLite in ./.corpus)"
	@echo "make test    run the whole test suite"
	@echo "make bench   run the benchmarks in bench/"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

demo: $(STAMP)
	mkdir -p -m 700 .corpus  # the nearest .corpus is the store every corpus command here finds
	$(BIN)/corpus ingest seeds/ --wait

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
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

test: $(STAMP) system-deps
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/clean.py
	$(BIN)/python bench/dedup.py
