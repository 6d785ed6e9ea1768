# Two commands for a new user: `make run` and `make test`. Each builds .venv from scratch if needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/chipcast run

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Every bench/*.py in turn. A long study opts out of the default with a line
# `BENCH_FLAG = "NAME"` in its script and runs only when NAME=1 is set, e.g.
# `make bench BENCH_MILLION=1` (the million-draw cases).
bench: $(STAMP)
	@for f in bench/*.py; do \
	  flag=$$(sed -n 's/^BENCH_FLAG = "\([A-Z0-9_]*\)".*/\1/p' $$f); \
	  if [ -n "$$flag" ] && [ "$$(printenv $$flag)" != "1" ]; then \
	    echo "== $$f skipped (set $$flag=1 to run it)"; continue; fi; \
	  echo "== $$f"; $(BIN)/python $$f || exit 1; \
	done

clean:
	rm -rf $(VENV) .pytest_cache
