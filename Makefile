# The two commands a newcomer runs: `make demo` and `make test`.
# Each creates .venv when missing and (re)installs the package whenever pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test interop equivalence lint bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	@echo "== a fresh embedded sandbox: each demo starts from empty mailboxes (.reconciler/ is the demo's state)"
	rm -f .reconciler/sandbox.sqlite3 .reconciler/graph.yaml
	@echo "== validate the meeting files"
	$(BIN)/reconciler validate meetings/
	@echo "== plan against the embedded sandbox over EWS (.reconciler/sandbox.sqlite3); note the double-booking warning"
	$(BIN)/reconciler plan
	@echo "== apply it"
	$(BIN)/reconciler apply --auto-approve
	@echo "== plan again: nothing left to do (exit code 0 with --detailed-exitcode)"
	$(BIN)/reconciler plan --detailed-exitcode
	@echo "== what attendees received"
	$(BIN)/reconciler sandbox mailbox alice@example.com
	$(BIN)/reconciler sandbox mailbox room-oak@example.com --folder calendar
	$(BIN)/reconciler sandbox mailbox lead@example.com --folder sentitems
	@echo "== attendees answer the stand-up; who accepted and who declined"
	$(BIN)/reconciler sandbox respond alice@example.com accept --subject "Platform stand-up"
	$(BIN)/reconciler sandbox respond bob@example.com decline --subject "Platform stand-up"
	$(BIN)/reconciler responses
	$(BIN)/reconciler show platform-standup
	@echo "== the same calendars over Microsoft Graph (https, token flow): nothing to do, nothing re-sent"
	sed -e 's|^meetings: meetings|meetings: ../meetings|' -e 's|^  path: .reconciler/|  path: |' \
		-e 's|^  kind: sandbox$$|  kind: sandbox\n  protocol: graph|' reconciler.yaml > .reconciler/graph.yaml
	$(BIN)/reconciler plan --config .reconciler/graph.yaml --detailed-exitcode

# Tests run in TEST_WORKERS processes (pytest-xdist): they wait on sandboxes and subprocesses half the time.
TEST_WORKERS ?= 4

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

# Clients this project did not write, against the sandbox: DavMail (davmail-server, apt as root when
# missing) through CalDAV, the EWS Managed API's TypeScript port (npm ci from tests/interop/ews_js),
# Microsoft's Graph SDK for Python with azure-identity (the venv's `interop` extra), and the HTML export in
# headless Chromium (Debian's chromium).
interop: $(STAMP)
	@if [ ! -f /usr/share/davmail/davmail.jar ] || ! command -v java >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq davmail-server >/dev/null; \
		else echo "make interop needs DavMail: apt-get install davmail-server (as root)"; exit 1; fi; \
	fi
	@if ! command -v npm >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
		else echo "make interop needs Node.js and npm: apt-get install nodejs npm (as root)"; exit 1; fi; \
	fi
	@if ! command -v chromium >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "make interop needs Chromium (headless, for the HTML export): apt-get install chromium (as root)"; exit 1; fi; \
	fi
	npm ci --prefix tests/interop/ews_js --no-audit --no-fund --silent
	$(BIN)/python -m pip install --quiet -e '.[dev,interop]'
	$(BIN)/python -m pytest -m interop tests/interop

bench: $(STAMP)
	$(BIN)/python -m bench

# The incremental plan against --full-read after random edits by other clients: 1,000 sequences per
# protocol (the suite tries a few; EQUIVALENCE_EXAMPLES sets how many here).
EQUIVALENCE_EXAMPLES ?= 1000

equivalence: $(STAMP)
	RECONCILER_EQUIVALENCE_EXAMPLES=$(EQUIVALENCE_EXAMPLES) $(BIN)/python -m pytest \
		tests/e2e/test_incremental.py --timeout 0 --hypothesis-show-statistics

clean:
	rm -rf $(VENV) .reconciler .pytest_cache .ruff_cache
