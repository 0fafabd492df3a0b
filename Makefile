# The README's commands. Everything installs into .venv; nothing is needed by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ADDR ?= 127.0.0.1:8000

.PHONY: demo test lint bench install install-test browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,dev]'

## make demo: install, migrate a SQLite database, build the Riverside demo community and serve it.
demo: install
	$(BIN)/coproduce migrate --no-input
	$(BIN)/coproduce demo
	$(BIN)/coproduce serve --addr $(ADDR)

## make test: install the test extras and run the whole suite (DATABASE_URL picks PostgreSQL).
test: install-test
	$(BIN)/pytest

lint: install-test
	$(BIN)/ruff check coproduce tests bench
	$(BIN)/ruff format --check coproduce tests bench
	$(BIN)/mypy coproduce

## make bench: every benchmark in bench/, results written to docs/benchmarks.md.
bench: install-test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var build *.egg-info
