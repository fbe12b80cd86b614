# Two entry points: `make run` (serve on the in-memory default) and `make test` (every check).
# Both build .venv first; nothing else needs to be installed by hand. Two lock files:
# requirements.lock holds what serving needs (make run installs only that), and
# requirements-dev.lock adds the test and lint tools (make test). `make lock` rewrites both.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
RUN_STAMP := $(VENV)/.run-$(shell cat $(RUN_LOCK) pyproject.toml | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.dev-$(shell cat $(RUN_LOCK) $(DEV_LOCK) pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint typecheck layers pytest venv redis-server chromium curl-jq promtool wrk bench bench-logins bench-scale chaos lock clean

# `make run PORT=8080 HOST=0.0.0.0` (or BALLAST_PORT / BALLAST_HOST in the environment).
run: $(RUN_STAMP)
	$(BIN)/ballast serve $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

test: $(DEV_STAMP) redis-server chromium curl-jq promtool lint typecheck layers pytest

venv: $(DEV_STAMP)

# A fresh .venv from one lock file, then Ballast itself (editable, no dependency resolution).
define fresh_venv
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Ballast needs Python 3.11 or newer" >&2; exit 1; }
	@rm -rf $(VENV)
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
		echo "installing python3-venv (needed to create .venv)" >&2; \
		rm -rf $(VENV); \
		apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --disable-pip-version-check --require-hashes -r $(1)
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
endef

$(RUN_STAMP): $(RUN_LOCK) pyproject.toml
	$(call fresh_venv,$(RUN_LOCK))
	@touch $@

# The dev lock pins everything the runtime lock pins, to the same versions, plus the tools.
$(DEV_STAMP): $(RUN_LOCK) $(DEV_LOCK) pyproject.toml
	$(call fresh_venv,$(DEV_LOCK))
	@touch $@ $(RUN_STAMP)

# The tests start their own redis-server processes on free ports; install the binary when missing.
redis-server:
	@command -v redis-server >/dev/null || { \
		echo "installing redis-server (the tests start their own instances)" >&2; \
		apt-get update -qq && apt-get install -y -qq redis-server >/dev/null \
		&& systemctl disable --now redis-server >/dev/null 2>&1 || true; }
	@command -v redis-server >/dev/null || { echo "redis-server is missing and could not be installed" >&2; exit 1; }

# deploy/prometheus/alerts.yml is checked and unit-tested with promtool (Debian's prometheus
# package); the server the package would start is disabled: the tests need only the tool.
promtool:
	@command -v promtool >/dev/null || { \
		echo "installing promtool (the alert rules' tests run it)" >&2; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null \
		&& systemctl disable --now prometheus prometheus-node-exporter >/dev/null 2>&1 || true; }
	@command -v promtool >/dev/null || { echo "promtool is missing and could not be installed" >&2; exit 1; }

# The README's examples use curl and jq; a test runs them.
curl-jq:
	@command -v curl >/dev/null && command -v jq >/dev/null || { \
		echo "installing curl and jq (a test runs the README's examples)" >&2; \
		apt-get update -qq && apt-get install -y -qq curl jq >/dev/null; }

# The /docs test renders the page in headless Chromium; install it when missing and apt-get
# can (the test skips, saying why, when it cannot).
chromium:
	@command -v chromium >/dev/null || ! command -v apt-get >/dev/null || { \
		echo "installing chromium (the /docs test renders the page in it)" >&2; \
		apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
		|| echo "chromium could not be installed: the /docs browser test will be skipped" >&2

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

layers: $(DEV_STAMP)
	$(BIN)/lint-imports

pytest: $(DEV_STAMP)
	$(BIN)/pytest

# Benchmarks (not part of `make test`): wrk drives the load; installed when missing.
# The side-by-side phases, then the target ratios again with the servers taking turns (less
# noise than phases minutes apart), then client-credentials grants and a route called with a
# client's token against a user's (beside bare Starlette and the peer, taking turns), then
# one worker under attacks before authentication; each writes its own section of
# docs/BENCHMARKS.md.
bench: $(DEV_STAMP) redis-server wrk
	$(BIN)/python bench/compare.py
	$(BIN)/python bench/interleaved.py
	$(BIN)/python bench/grants.py
	$(BIN)/python bench/attacks.py

# Password logins/s per core next to Keycloak's sizing: docs/BENCHMARKS.md's logins section.
bench-logins: $(DEV_STAMP) wrk
	$(BIN)/python bench/logins.py

# How the costs grow with the work (revocations held, distinct clients, page depth):
# docs/BENCHMARKS.md's Scale section and docs/scale/*.png (matplotlib: the `bench` extra).
bench-scale: $(DEV_STAMP) redis-server wrk
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-build-isolation -e '.[bench]'
	$(BIN)/python bench/scale.py

# bench/chaos.py on each Redis topology (docs/chaos/). Its timeline needs matplotlib: the
# `bench` extra, which only this target and bench-scale install (it is in neither lock file).
chaos: $(DEV_STAMP) redis-server
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-build-isolation -e '.[bench]'
	for topology in single sentinel cluster; do \
		$(BIN)/python bench/chaos.py --topology $$topology || exit 1; done

wrk:
	@command -v wrk >/dev/null || { \
		echo "installing wrk (the benchmark's load generator)" >&2; \
		apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	@command -v wrk >/dev/null || { echo "wrk is missing and could not be installed" >&2; exit 1; }

# LOCK FILES: after changing dependencies in pyproject.toml, run `make lock`. It rewrites
#   requirements.lock      [project] dependencies + [build-system] requires (what `make run` installs)
#   requirements-dev.lock  the same pins plus the `dev` extra (what `make test` installs)
# Existing pins are kept unless pyproject.toml needs another version. When a rebase conflicts
# in either lock file: take main's version of both, then run `make lock` and commit.
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes -q
BUILD_REQUIRES := $(BIN)/python -c 'import tomllib; \
	print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"]))'
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv
	$(BUILD_REQUIRES) | $(BIN)/python -m uv pip compile pyproject.toml - $(LOCK_FLAGS) \
		-o $(RUN_LOCK)
	$(BUILD_REQUIRES) | $(BIN)/python -m uv pip compile pyproject.toml - --extra dev \
		-c $(RUN_LOCK) $(LOCK_FLAGS) -o $(DEV_LOCK)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
