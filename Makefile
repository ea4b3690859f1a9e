# Two entry points a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run

UV := $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python

.PHONY: demo test check lint docs audit lock bench clean browser

# uv (installed into the venv itself, so a fresh machine needs only Python) resolves and installs
# in seconds where pip took over a minute.
$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet 'uv>=0.9,<1'

$(STAMP): pyproject.toml | $(BIN)/uv
	$(UV) -e '.[dev]'
	touch $(STAMP)

# The demo needs only the runtime dependencies: a first run installs far less than the tests do.
$(RUN_STAMP): pyproject.toml | $(BIN)/uv
	$(UV) -e .
	touch $(RUN_STAMP)

demo: $(RUN_STAMP)
	$(BIN)/python -m aeforecast.demo

# The whole suite, spread over the cores (pytest-xdist).
test: lint docs browser
	$(BIN)/pytest -n auto --dist worksteal

# Day-to-day: lint and the fast tests (the end-to-end ones are marked slow).
check: lint
	$(BIN)/pytest -n auto --dist worksteal -m "not slow"

# The dashboard's browser test drives Debian's chromium: installed here when missing (as root;
# otherwise say how). In CI (CI=true) the test fails rather than skips without it.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	  >/dev/null; } || echo "chromium is missing: sudo apt-get install chromium" >&2

audit: $(STAMP)
	$(BIN)/python .ci/audit_deps.py requirements.lock

# Every runtime and development dependency resolved from pyproject.toml, pinned and dated: the
# audit gives a pin that the registry has since passed GRACE_DAYS from this date (SECURITY.md).
lock: | $(BIN)/uv
	{ echo "# locked $$(date -u +%F) by make lock, from pyproject.toml (runtime and dev)"; \
	  $(BIN)/uv pip compile pyproject.toml --extra dev --python $(BIN)/python --no-header \
	  --no-annotate --quiet; } > requirements.lock.new && mv requirements.lock.new requirements.lock

# ruff, mypy and the floors (import-linter: each package imports only those below it).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# The guide under docs/, built strictly so that a broken link or a page left out of the nav fails.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

bench: $(STAMP)
	$(UV) -e '.[dev,bench]'
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) var site .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
