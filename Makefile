# The two set-up commands of the README: `make run` and `make test`. Both create the virtual
# environment and install the project into it first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test check lint types pytest bench format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,postgres]'
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
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
