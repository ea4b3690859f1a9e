# Two entry points a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run

UV := $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python

.PHONY: demo test check lint docs audit lock lock-check bench clean browser

# uv (installed into the venv itself, so a fresh machine needs only Python) resolves and installs
# in seconds where pip took over a minute.
$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet 'uv>=0.9,<1'

# Installed from the locks, never resolved afresh: CI and every machine run exactly the versions
# the audit checked (`make lock` refreshes them; `make lock-check` proves they fit pyproject).
$(STAMP): pyproject.toml requirements.lock | $(BIN)/uv
	$(UV) -r requirements.lock
	$(UV) --no-deps -e .
	touch $(STAMP)

# The demo needs only the runtime dependencies: a first run installs far less than the tests do.
$(RUN_STAMP): pyproject.toml requirements-runtime.lock | $(BIN)/uv
	$(UV) -r requirements-runtime.lock
	$(UV) --no-deps -e .
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

audit: $(STAMP) lock-check
	$(BIN)/python .ci/audit_deps.py requirements.lock

# Every runtime and development dependency resolved from pyproject.toml, pinned and dated: the
# audit gives a pin that the registry has since passed GRACE_DAYS from this date (SECURITY.md).
# The runtime lock is the same versions without the development tools (what `make demo` needs).
COMPILE := $(BIN)/uv pip compile pyproject.toml --python $(BIN)/python --no-header \
	--no-annotate --quiet

lock: | $(BIN)/uv
	{ echo "# locked $$(date -u +%F) by make lock, from pyproject.toml (runtime and dev)"; \
	  $(COMPILE) --extra dev; } > requirements.lock.new && mv requirements.lock.new requirements.lock
	{ echo "# locked $$(date -u +%F) by make lock, from pyproject.toml (runtime only)"; \
	  $(COMPILE) -c requirements.lock; } > requirements-runtime.lock

# The locks still fit pyproject.toml: resolved again with the lock as constraints, the same pins
# come out (a dependency added to pyproject.toml but not locked fails here, naming it).
lock-check: | $(BIN)/uv
	$(COMPILE) --extra dev -c requirements.lock > $(VENV)/lock-check.txt
	grep -v '^#' requirements.lock | diff -u - $(VENV)/lock-check.txt || \
	  { echo "requirements.lock does not fit pyproject.toml: run make lock" >&2; exit 1; }
	$(COMPILE) -c requirements.lock > $(VENV)/lock-check-runtime.txt
	grep -v '^#' requirements-runtime.lock | diff -u - $(VENV)/lock-check-runtime.txt || \
	  { echo "requirements-runtime.lock does not fit pyproject.toml: run make lock" >&2; exit 1; }

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
