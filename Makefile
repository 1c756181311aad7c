# Two commands for a new machine: `make demo` and `make test`. Both create .venv when it is missing.
SHELL := /bin/sh
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-test

BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed

.PHONY: demo test lint venv bench docs clean

demo: $(STAMP)
	$(PY) recipes/space_worms.py

# KLMODELS_REQUIRE_OPTIONAL=1: a test that would skip for a missing optional dependency fails.
# -n auto --dist loadfile (pytest-xdist): one worker per core, each test file on one worker, so
# that a file's sampled-model fixtures are built once.
# scripts/install-chromium: the report test renders in Debian's chromium (installed when missing).
test: $(STAMP)
	sh scripts/install-chromium
	$(PY) -m ruff check .
	$(PY) -m mypy
	KLMODELS_REQUIRE_OPTIONAL=1 $(PY) -m pytest -n auto --dist loadfile

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

venv: $(STAMP)

# The environment is (re)built when pyproject.toml changes, or when .venv holds a Python older than 3.12.
$(STAMP): pyproject.toml scripts/find-python scripts/install-into
	@if [ -x $(PY) ] && $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
		echo "Using the existing $(VENV) ($$($(PY) --version))"; \
	else \
		python=$$(sh scripts/find-python) || exit 1; \
		echo "Creating $(VENV) with $$python"; \
		rm -rf $(VENV) && "$$python" -m venv $(VENV) || exit 1; \
	fi
	sh scripts/install-into $(PY) ".[test]"
	@touch $(STAMP)

# The documentation site: Sphinx (pydata theme, numpydoc, the recipes as a sphinx-gallery), warnings as
# errors, built offline into docs/_build/html. Its own stamp adds the docs extra to .venv.
DOCS_STAMP := $(VENV)/.installed-docs

docs: $(DOCS_STAMP)
	$(VENV)/bin/sphinx-build -W --keep-going -b html docs docs/_build/html
	@echo "open docs/_build/html/index.html"

$(DOCS_STAMP): $(STAMP)
	sh scripts/install-into $(PY) ".[test,docs]"
	@touch $(DOCS_STAMP)

# Side-by-side benchmark against fitter and distfit (not part of the tests): its own environment,
# so that the competitors and their plotting stacks never enter the test environment.
bench: $(BENCH_STAMP)
	$(BENCH_VENV)/bin/python benchmarks/bench.py

$(BENCH_STAMP): pyproject.toml scripts/find-python scripts/install-into
	@python=$$(sh scripts/find-python) || exit 1; \
	if [ ! -x $(BENCH_VENV)/bin/python ]; then echo "Creating $(BENCH_VENV) with $$python"; "$$python" -m venv $(BENCH_VENV) || exit 1; fi
	sh scripts/install-into $(BENCH_VENV)/bin/python ".[bench]"
	@touch $(BENCH_STAMP)

clean:
	rm -rf $(VENV) $(BENCH_VENV) .pytest_cache .ruff_cache .hypothesis build dist *.egg-info \
		docs/_build docs/generated docs/gallery
