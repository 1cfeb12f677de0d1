# The two set-up commands of the README: `make run` and `make test`. Both create the virtual
# environment and install the project into it first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test check lint types pytest bench format clean

NODE_SDK := tests/v2/node

# The official Telnyx Node SDK for tests/v2/test_node_sdk.py, pinned in $(NODE_SDK)/package-lock.json
# (needs Node.js and npm; nothing is fetched when the tests run).
$(STAMP): pyproject.toml $(NODE_SDK)/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,postgres]'
	npm ci --prefix $(NODE_SDK) --no-audit --no-fund --silent
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/outbound-profiles serve --demo

test: $(STAMP) check pytest

check: lint types

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

types: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

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
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis $(NODE_SDK)/node_modules
