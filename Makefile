# The README's commands. Everything installs into .venv; nothing is needed by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ADDR ?= 127.0.0.1:8000

CONSTRAINTS := constraints.txt

.PHONY: demo test lint bench fuzz install install-test browser clean lock audit licences

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Every install takes the exact versions pinned in constraints.txt (`make lock` renews them).
install: $(BIN)/python
	$(BIN)/pip install --quiet -c $(CONSTRAINTS) -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -c $(CONSTRAINTS) -e '.[test,dev]'

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

## make fuzz: the long fuzz run (schemathesis, hypothesis); its result goes to docs/reliability-fuzz.md.
fuzz: install-test
	$(BIN)/python -m tests.reliability.fuzz

## make lock: pin every dependency anew in a scratch venv (after changing pyproject.toml).
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet --upgrade pip
	.venv-lock/bin/pip install --quiet -e '.[test,dev]'
	{ echo "# Exact versions of every dependency (runtime, test and dev). Made by \`make lock\`;"; \
	  echo "# every \`make install\` uses it as pip constraints. Audited by \`make audit\`."; \
	  .venv-lock/bin/pip freeze --exclude-editable | LC_ALL=C sort -f; } > $(CONSTRAINTS)
	rm -rf .venv-lock

## make audit: check the pinned versions against PyPI's advisories (needs pypi.org's JSON API).
audit: install-test
	$(BIN)/pip-audit --requirement $(CONSTRAINTS) --no-deps --disable-pip --strict --progress-spinner off

## make licences: list every installed dependency's licence in docs/licences.md.
licences: install-test
	{ echo "# Licences of the dependencies"; echo; \
	  echo "Coproduce is Apache-2.0. Below: every package that \`make install-test\` puts in the"; \
	  echo "virtual environment (runtime, test and dev tools), with its declared licence. Made by"; \
	  echo "\`make licences\`; a test checks that every package pinned in constraints.txt is listed."; \
	  echo; echo "Copyleft: igraph (the network figures in evidence) is GPL-2.0-or-later and psycopg and"; \
	  echo "fpdf2 are LGPL-3.0. Apache-2.0 code may be combined with GPL-3.0 code, so a distribution"; \
	  echo "that bundles igraph is, as a whole, under GPL-3.0 terms; Coproduce's own code stays"; \
	  echo "Apache-2.0. The LGPL libraries are used unmodified, as libraries."; \
	  echo; $(BIN)/pip-licenses --format=markdown --order=license --with-urls --with-system --ignore-packages coproduce; \
	} > docs/licences.md

clean:
	rm -rf $(VENV) var build *.egg-info
