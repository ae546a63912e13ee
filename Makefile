# Two commands do all the set-up on a machine with only Python 3.11+: `make run` and `make test`.
# Python 3.11 first: requirements.lock is made for it (README, "Dependencies").
PYTHON ?= $(shell for p in python3.11 python3.12 python3.13 python3; do command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
LOCK := requirements.lock

.PHONY: install lock run run-hub test test-fast bench clean

install: $(INSTALLED)

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Exactly the locked set, every file checked against its hash; then the project itself, built with
# the locked setuptools. pip check fails when the lock no longer satisfies pyproject.toml.
$(INSTALLED): pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@$(BIN)/python -m pip check >/dev/null || { $(BIN)/python -m pip check; \
	    echo "$(LOCK) does not satisfy pyproject.toml: run make lock"; exit 1; }
	@touch $@

# requirements.lock: every package of the dependencies and the `test` extra in pyproject.toml, and
# the build backend, pinned with the hashes of their files on PyPI, resolved for this Python (3.11)
# on Linux. `make lock` adds what pyproject.toml gained and keeps the other pins;
# `make lock UPGRADE=1` moves everything to the newest releases pyproject.toml allows,
# `make lock UPGRADE="flask-smorest marshmallow"` only those packages.
# Index URLs and find-links of the local pip configuration are kept out of the file.
lock: | $(BIN)/python
	@test -x $(BIN)/pip-compile || $(BIN)/python -m pip install --quiet pip-tools
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet \
	    $(if $(filter 1,$(UPGRADE)),--upgrade,$(addprefix --upgrade-package=,$(UPGRADE))) \
	    --extra test --build-deps-for editable --allow-unsafe --strip-extras --generate-hashes \
	    --no-emit-index-url --no-emit-find-links --output-file $(LOCK) pyproject.toml

run: install  ## the whole local federation; Ctrl-C stops it
	$(BIN)/samen030 run

run-hub: install  ## the same on 3 hub nats-servers and a leaf nats-server per partner (deploy/README.md)
	$(BIN)/samen030 run --topology hub

test: install  ## the whole suite (PostgreSQL too when SAMEN030_TEST_POSTGRES_URL is set)
	$(BIN)/python -m pytest

test-fast: install  ## everything but the crash test
	$(BIN)/python -m pytest -m "not slow"

bench: install  ## speed figures, as ratios to references measured in the same run
	$(BIN)/python bench/run.py

clean:
	rm -rf var
