# Two entry points a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run

.PHONY: demo test lint audit bench clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The demo needs only the runtime dependencies: a first run installs far less than the tests do.
$(RUN_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUN_STAMP)

demo: $(RUN_STAMP)
	$(BIN)/python -m aeforecast.demo

test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

# The dashboard's browser test drives Debian's chromium: installed here when missing (as root;
# otherwise say how). In CI (CI=true) the test fails rather than skips without it.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	  >/dev/null; } || echo "chromium is missing: sudo apt-get install chromium" >&2

audit: $(STAMP)
	$(BIN)/python .ci/audit_deps.py requirements.lock

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
