# mockrouter: every target sets up .venv itself (only Python 3.11+ and make are needed).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The dev/CI environment is installed from this lock (`make lock` writes it); pyproject.toml keeps the ranges.
LOCK := requirements/dev.lock
LATEST := .venv-latest
NORMALIZE := awk -F'==' '{ n = tolower($$1); gsub(/[-_.]+/, "-", n); print n "==" $$2 }' | sort
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: serve test chaos test-latest check fmt contract bench clean install lock redis-server node-sdk

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "mockrouter needs Python 3.11 or newer" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev]'
	@touch $(STAMP)

# Re-resolve the newest releases within pyproject.toml's ranges, one lock for Python 3.11 to 3.13 on any
# platform. Only this target needs uv (from PyPI, into .venv); installing from the lock needs plain pip.
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet 'uv>=0.5'
	@mkdir -p $(dir $(LOCK))
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 --custom-compile-command 'make lock' \
	  pyproject.toml --extra dev --extra contract -o $(LOCK)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/mockrouter serve --host $(HOST) --port $(PORT)

# The tests of several workers start their own redis-server (Debian's package): installed here when missing.
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	  if command -v apt-get >/dev/null 2>&1 && { [ -z "$$SUDO" ] || sudo -n true 2>/dev/null; }; then \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq redis-server >/dev/null; \
	  else echo "tests of several workers need redis-server: apt-get install -y redis-server" >&2; fi; }

# The @openrouter/sdk release the drift test runs against (tests/node/package-lock.json), when npm is there.
node-sdk:
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/node --no-audit --no-fund --silent; \
	else echo "no npm: the @openrouter/sdk drift test will be skipped" >&2; fi

test: $(STAMP) redis-server node-sdk
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The fault tests of issue 11 (marked chaos; also part of `make test`): a worker killed, a Redis outage, the
# credits race over two workers, a header flood, hostile admin bodies and headers; each ends by checking that a
# normal request answers 200 and the journal is readable. Bounded: about a minute.
chaos: $(STAMP) redis-server
	MOCKROUTER_RACE_RUNS=1 timeout 240 $(BIN)/python -m pytest -q -m chaos $(PYTEST_ARGS)

# The suite against the newest releases (no lock) in a venv of its own, to see client drift on purpose.
test-latest: redis-server
	@test -n "$(PYTHON)" || { echo "mockrouter needs Python 3.11 or newer" >&2; exit 1; }
	$(PYTHON) -m venv $(LATEST)
	@echo '*' > $(LATEST)/.gitignore
	$(LATEST)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[dev]'
	@sed -n 's/ *;.*//; /^[a-zA-Z0-9]/p' $(LOCK) | $(NORMALIZE) > $(LATEST)/lock.txt
	@echo "newer than (or missing from) $(LOCK):"
	@$(LATEST)/bin/python -m pip freeze --exclude-editable | $(NORMALIZE) | comm -13 $(LATEST)/lock.txt -
	$(LATEST)/bin/python -m pytest $(PYTEST_ARGS)

check: $(STAMP)
	$(BIN)/ruff check mockrouter tests
	$(BIN)/ruff format --check mockrouter
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format mockrouter tests
	$(BIN)/ruff check --fix mockrouter tests

contract: $(STAMP)
	$(BIN)/python -m pytest tests/contract -q

bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { echo "make bench needs wrk: apt-get install -y wrk" >&2; exit 1; }
	$(BIN)/python bench/run.py
	@command -v redis-server >/dev/null 2>&1 || { echo "bench/workers.py needs redis-server: make redis-server" >&2; exit 1; }
	$(BIN)/python bench/workers.py

clean:
	rm -rf $(VENV) $(LATEST) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
