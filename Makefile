# REMAP: `make demo` runs the main job, `make test` runs every test.
# Both create .venv on first use and install it from requirements.lock: every Python
# package at the exact version and hash the lock gives, then our packages editable.
# `make lock` refreshes the lock after a pyproject.toml or requirements-dev.txt changed.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := $(sort $(patsubst %/pyproject.toml,%,$(wildcard packages/*/pyproject.toml)))
STAMP := $(VENV)/.installed
OUT := out
LOCK := requirements.lock
PIP_QUIET := --quiet --disable-pip-version-check

.PHONY: demo gallery test lint bench setup redis chromium ui clean lock lock-check \
	test-latest test-oldest

# A venv ($(1)) holding exactly the lock ($(2)): hash-checked pins without resolving
# anything, our packages editable with the locked build backend (no build isolation, so
# nothing unlocked is fetched), then anything the lock does not name removed.
define install_locked
	@test -x $(1)/bin/python || $(PYTHON) -m venv $(1)
	$(1)/bin/python -m pip install $(PIP_QUIET) --require-hashes --no-deps -r $(2)
	$(1)/bin/python -m pip install $(PIP_QUIET) --no-deps --no-build-isolation \
		$(foreach p,$(PACKAGES),-e $(p))
	$(PYTHON) tools/lock.py exact $(1)/bin/python $(2)
	$(1)/bin/python -m pip check $(PIP_QUIET)
endef

$(STAMP): $(LOCK) $(wildcard packages/*/pyproject.toml) Makefile
	@$(PYTHON) tools/lock.py check
	$(call install_locked,$(VENV),$(LOCK))
	@touch $@

lock:
	$(PYTHON) tools/lock.py compile

# One line, and a failure, when a pyproject.toml or requirements-dev.txt changed since
# the lock was made.
lock-check:
	@$(PYTHON) tools/lock.py check

setup: $(STAMP)

# Start REMAP on the embedded default (digits, 100 models x 10 epochs, trained in the
# background) and print its URL; Ctrl-C stops it, and a second run resumes the session.
demo: $(STAMP) ui
	$(BIN)/remap demo --data-dir $(OUT)/data

gallery: $(STAMP)
	$(BIN)/snacs gallery -o $(OUT)/gallery

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The scale-out tests start a private redis-server on loopback (tests/conftest.py);
# install Debian's package when it is missing (CI runs as root with apt).
redis:
	@command -v redis-server >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server)

# The browser tests drive Debian's chromium (Playwright cannot download one here).
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# The views (packages/ui, lit-html) bundled by esbuild into the server's static folder.
UI_BUNDLE := packages/server/src/remap_server/static/ui/remap.js
UI_NODE := packages/ui/node_modules/.package-lock.json

$(UI_NODE): packages/ui/package.json packages/ui/package-lock.json
	@command -v npm >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm)
	cd packages/ui && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(UI_BUNDLE): $(UI_NODE) $(shell find packages/ui/src -name '*.js') packages/ui/build.mjs
	cd packages/ui && node build.mjs

ui: $(UI_BUNDLE)

test: lock-check lint redis chromium ui
	$(BIN)/pytest --benchmark-disable --durations=25

# The suite against the newest releases the registry serves (test-latest) and against the
# oldest our pyproject.toml bounds allow (test-oldest), each in a throwaway venv under
# out/, so a breaking release or a dishonest lower bound shows up here first. Not part of
# `make test`.
test-latest test-oldest: test-%: redis chromium ui
	$(PYTHON) tools/lock.py compile --$(subst latest,upgrade,$*) -o $(OUT)/$*.lock
	$(call install_locked,$(OUT)/venv-$*,$(OUT)/$*.lock)
	PATH=$(CURDIR)/$(OUT)/venv-$*/bin:$$PATH $(OUT)/venv-$*/bin/pytest --benchmark-disable \
		-p no:cacheprovider

bench: $(STAMP)
	$(BIN)/pytest benchmarks --benchmark-only --benchmark-columns=min,median,mean,ops,rounds

clean:
	rm -rf $(VENV) $(OUT) packages/ui/node_modules packages/server/src/remap_server/static/ui .pytest_cache .ruff_cache .hypothesis .benchmarks
