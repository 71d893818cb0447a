# REMAP: `make demo` runs the main job, `make test` runs every test.
# Both create .venv on first use and install every package under packages/ editable,
# with the pinned dev tools of requirements-dev.txt.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := $(sort $(patsubst %/pyproject.toml,%,$(wildcard packages/*/pyproject.toml)))
STAMP := $(VENV)/.installed
OUT := out

.PHONY: demo gallery test lint bench setup redis chromium ui clean

$(STAMP): requirements-dev.txt $(wildcard packages/*/pyproject.toml) Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-r requirements-dev.txt $(foreach p,$(PACKAGES),-e $(p))
	@touch $@

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

test: lint redis chromium ui
	$(BIN)/pytest --benchmark-disable

bench: $(STAMP)
	$(BIN)/pytest benchmarks --benchmark-only --benchmark-columns=min,median,mean,ops,rounds

clean:
	rm -rf $(VENV) $(OUT) packages/ui/node_modules packages/server/src/remap_server/static/ui .pytest_cache .ruff_cache .hypothesis .benchmarks
