# Ignacio: the two commands.
#   make run   - set up everything (Python env, web UI) and start the app on the embedded database
#   make test  - set up everything and run every test (Python, offline evals, web unit + browser)
# Needs only Python >= 3.11 and Node 20+. Everything else is installed by these targets.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
WEB_STAMP := frontend/node_modules/.installed-$(shell cat frontend/package-lock.json 2>/dev/null | cksum | cut -d' ' -f1)
WEB_SOURCES := $(shell find frontend/src frontend/index.html frontend/vite.config.ts frontend/package.json -type f 2>/dev/null)
PYTEST_WORKERS ?= 2

.PHONY: run test setup web lint test-python test-web test-browser evals fuzz clean chromium bench

run: setup web
	$(BIN)/ignacio serve

test: setup web-deps chromium lint test-python evals fuzz test-web test-browser
	@echo "make test: all suites passed"

setup: $(STAMP)

# The lock pins the dev and evals extras too (pytest, ruff, pydantic-evals).
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $@

web-deps: $(WEB_STAMP)

$(WEB_STAMP): frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	rm -f frontend/node_modules/.installed-* && touch $@

web: web-deps frontend/dist/index.html

frontend/dist/index.html: $(WEB_SOURCES) $(WEB_STAMP)
	cd frontend && npm run build

# Browser tests drive Debian's Chromium (a test tool's own browser download cannot work offline).
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	    else echo "Install Chromium (e.g. 'sudo apt-get install chromium') for the browser tests"; exit 1; fi; }

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

test-python: setup
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) -p no:cacheprovider

evals: setup
	$(BIN)/python -m evals --offline --report reports/evals.json

# Schemathesis against the real app on loopback (anonymous, participant, admin; ~2 minutes).
fuzz: setup
	$(BIN)/python -m tests.fuzz_api --seconds-per-role 40

test-web: web-deps
	cd frontend && npm run lint && npm run typecheck && npm test && npm run check:api

test-browser: setup web chromium
	cd frontend && npm run test:e2e

# Short versions of the capacity benchmarks (small seed, a few seconds each); every script
# prints ratios against a baseline measured in the same run and redraws its chart in
# docs/benchmarks/. The full-size runs and their commands are in docs/benchmarks.md.
bench: setup
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.api_reads --users 50 --seconds 3 --runs 1 -c 20 --json reports/bench/api_reads.json --charts reports/bench
	$(BIN)/python -m bench.search --users 50 -n 40 --json reports/bench/search.json --charts reports/bench
	$(BIN)/python -m bench.webhook_latency -n 100 -c 8 --json reports/bench/webhook_latency.json
	$(BIN)/python bench/engine_overhead.py --turns 30
	$(BIN)/python -m bench.burst --participants 100 --spread 2 --json reports/bench/burst.json --charts reports/bench
	$(MAKE) web chromium
	$(BIN)/python -m bench.phone_load --runs 3 --lighthouse --json reports/bench/phone_load.json

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist .pytest-pgdata reports
