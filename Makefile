# Two commands do all the set-up on a machine with only Python 3.11+: `make run` and `make test`.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install run test test-fast bench clean

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

run: install  ## the whole local federation; Ctrl-C stops it
	$(BIN)/samen030 run

test: install  ## the whole suite (PostgreSQL too when SAMEN030_TEST_POSTGRES_URL is set)
	$(BIN)/python -m pytest

test-fast: install  ## everything but the crash test
	$(BIN)/python -m pytest -m "not slow"

bench: install  ## speed figures, as ratios to references measured in the same run
	$(BIN)/python bench/run.py

clean:
	rm -rf var
