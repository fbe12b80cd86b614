# Two entry points: `make run` (serve on the in-memory default) and `make test` (every check).
# Both build .venv from requirements.lock first; nothing else needs to be installed by hand.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint typecheck layers pytest venv redis-server chromium bench lock clean

# `make run PORT=8080 HOST=0.0.0.0` (or BALLAST_PORT / BALLAST_HOST in the environment).
run: $(STAMP)
	$(BIN)/ballast serve $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

test: $(STAMP) redis-server chromium lint typecheck layers pytest

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Ballast needs Python 3.11 or newer" >&2; exit 1; }
	@rm -rf $(VENV)
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
		echo "installing python3-venv (needed to create .venv)" >&2; \
		rm -rf $(VENV); \
		apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

# The tests start their own redis-server processes on free ports; install the binary when missing.
redis-server:
	@command -v redis-server >/dev/null || { \
		echo "installing redis-server (the tests start their own instances)" >&2; \
		apt-get update -qq && apt-get install -y -qq redis-server >/dev/null \
		&& systemctl disable --now redis-server >/dev/null 2>&1 || true; }
	@command -v redis-server >/dev/null || { echo "redis-server is missing and could not be installed" >&2; exit 1; }

# The /docs test renders the page in headless Chromium; install it when missing and apt-get
# can (the test skips, saying why, when it cannot).
chromium:
	@command -v chromium >/dev/null || ! command -v apt-get >/dev/null || { \
		echo "installing chromium (the /docs test renders the page in it)" >&2; \
		apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
		|| echo "chromium could not be installed: the /docs browser test will be skipped" >&2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

layers: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/failover.py

# Re-resolve requirements.lock after changing dependencies in pyproject.toml.
lock:
	$(BIN)/python -m pip install -q uv && $(BIN)/python -m uv pip compile pyproject.toml --extra dev \
		--universal --python-version 3.11 --generate-hashes -q -o requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
