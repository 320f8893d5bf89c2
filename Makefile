# glabella: `make run` serves the demo clinic, `make test` runs lint and the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000
DEMO_PATIENTS ?= 300
export DJANGO_SETTINGS_MODULE := glabella.settings

.PHONY: run test lint format install lock demo bench load clean messages

$(VENV)/.installed: requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "glabella needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) --version 2>&1). Try: make run PYTHON=python3.12" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

install: $(VENV)/.installed

# axe-core for the browser tests' accessibility checks, from the npm lockfile.
AXE := tests/browser/axe/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/axe/package-lock.json
	@if command -v npm >/dev/null; then \
		cd tests/browser/axe && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error && \
		touch node_modules/axe-core/axe.min.js; \
	else echo "npm not found: the accessibility checks in the browser tests will be skipped (CI requires them)."; fi

# The web server and, beside it, a background worker (messages, reminders); both stop together.
run: install
	$(BIN)/glabella migrate --noinput
	$(BIN)/glabella demo-data --patients $(DEMO_PATIENTS) --seed 1
	@$(BIN)/glabella worker --verbosity 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	echo "Worker started (pid $$worker): messages and reminders go out in the background."; \
	$(BIN)/glabella runserver $(HOST)

demo: install
	$(BIN)/glabella migrate --noinput
	$(BIN)/glabella demo-data --patients $(DEMO_PATIENTS) --seed 1

test: install $(AXE)
	bash scripts/test

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The Spanish catalogues: new strings extracted (needs GNU gettext), every .po compiled (Babel).
messages: install
	$(BIN)/python scripts/messages.py

# Re-pins every dependency (with hashes) after a change to pyproject.toml.
lock: install
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --universal \
		--python-version 3.11 --custom-compile-command "make lock" -o requirements.lock

bench: install
	$(BIN)/python bench/patient_search.py
	$(BIN)/python bench/availability.py
	$(BIN)/python bench/recall.py
	$(BIN)/python bench/forecast.py
	$(BIN)/python bench/due_list.py
	$(BIN)/python bench/money.py
	$(BIN)/python bench/pdfs.py
	$(BIN)/python bench/fhir.py

# The load test at chain scale on PostgreSQL (docs/benchmarks.md): the chain is built once (about
# half an hour on 2 cores) and kept; then a run, and a run with one task worker killed mid-way.
load: install
	$(BIN)/python bench/load.py --reuse
	$(BIN)/python bench/load.py --reuse --kill-worker

clean:
	rm -rf $(VENV) var .pytest_cache tests/browser/axe/node_modules
