# The two set-up commands of the README: `make run` and `make test`. Both create the virtual
# environment first and install into it the versions pinned in requirements.lock: `make run` only
# what serving needs (with the PostgreSQL driver), `make test` the development tools too.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
SERVE_STAMP := $(VENV)/.serve-stamp
STAMP := $(VENV)/.installed-stamp
# `make run PORT=8080 HOST=0.0.0.0`; unset, serve's own defaults apply (OUTBOUND_PROFILES_PORT, 8000).
PORT ?=
HOST ?=

.PHONY: run test check lint types pytest bench format clean lock venv-python

# The official Telnyx Node SDK for tests/v2/test_node_sdk.py, pinned in $(NODE_SDK)/package-lock.json
# (needs Node.js and npm; nothing is fetched when the tests run).
NODE_SDK := tests/v2/node

# A venv made by an unsuitable Python (or whose Python has gone) is made again, instead of failing
# at every later step until `make clean`.
venv-python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "make: outbound-profiles needs Python 3.11 or newer, and '$(PYTHON)' is $$($(PYTHON) --version 2>&1 | head -1)." >&2; \
	  echo "make: name a suitable one, e.g. make $(MAKECMDGOALS) PYTHON=python3.11" >&2; exit 2; }
	@if [ -e $(VENV) ] && ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
	  echo "make: $(VENV) has no working Python 3.11+; making it again with $(PYTHON)"; rm -rf $(VENV); fi
	@[ -x $(BIN)/python ] || { $(PYTHON) -m venv $(VENV) && $(BIN)/pip install --quiet --upgrade pip; }

$(SERVE_STAMP): pyproject.toml $(LOCK) | venv-python
	$(BIN)/pip install --quiet -c $(LOCK) -e '.[postgres]'
	touch $(SERVE_STAMP)

$(STAMP): pyproject.toml $(LOCK) $(NODE_SDK)/package-lock.json | venv-python
	$(BIN)/pip install --quiet -c $(LOCK) -e '.[dev,postgres]'
	npm ci --prefix $(NODE_SDK) --no-audit --no-fund --silent
	touch $(STAMP) $(SERVE_STAMP)

run: venv-python $(SERVE_STAMP)
	$(BIN)/outbound-profiles serve --demo $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

# Lint, types and every test. The PostgreSQL pass runs on OUTBOUND_PROFILES_TEST_POSTGRES_URL, or on
# a server found at 127.0.0.1:5432 (in a database the suite makes, outbound_profiles_test); without
# one the run says in one line that it was left out (README, "What make test covers").
test: venv-python $(STAMP) check pytest

check: lint types

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

types: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

# requirements.lock again, from a fresh environment resolved from pyproject.toml's ranges.
lock: venv-python
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip
	.lock-venv/bin/pip install --quiet -e '.[dev,postgres]'
	{ echo "# The versions make and CI install (pip install -c requirements.lock ...), the ones the suite passed with."; \
	  echo "# make lock makes it again from pyproject.toml's ranges (then run make test)."; \
	  .lock-venv/bin/pip freeze --exclude-editable; } > $(LOCK)
	rm -rf .lock-venv

bench: $(STAMP)
	$(BIN)/python bench/put_ratio.py

# PostgreSQL benchmarks (bench/README.md): a PostgreSQL server on 127.0.0.1:5432 (trust auth, user
# postgres); each drops and creates its own database (never `test`). Options: ARGS="--rounds 5".
.PHONY: bench-pg bench-scale
bench-pg: $(STAMP)
	$(BIN)/python bench/pg_ratio.py $(ARGS)

bench-scale: $(STAMP)
	$(BIN)/python bench/list_scale.py $(ARGS)

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

clean:
	rm -rf $(VENV) .lock-venv .mypy_cache .pytest_cache .ruff_cache .hypothesis $(NODE_SDK)/node_modules
