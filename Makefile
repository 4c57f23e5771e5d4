# Aiguillage: every verb works on a fresh machine; `setup` installs what is missing.
SHELL := /bin/bash
PY := .venv/bin/python
UV_VERSION := 0.13.9
export PYTHONPATH := $(CURDIR)
export UV_PYTHON_DOWNLOADS := never

.PHONY: help setup run up down status demo federation-demo bench eval test test-unit test-e2e test-browser test-resilience schemas asyncapi dead-letters migrate staff-account clean .java .postgres .kcat .chromium .node

help:
	@echo "make run        start Kafka, the SMTP mailbox and the four services in the foreground (Ctrl-C stops)"
	@echo "make up / down  the same in the background / stop everything"
	@echo "make status     which services answer /healthz"
	@echo "make demo       submit sample applications and print their decisions (starts the system if needed)"
	@echo "make federation-demo  two factories (Luxembourg, Pharos), each its own Kafka and services, linked by"
	@echo "                   MirrorMaker 2: a project submitted to each travels to the other and back"
	@echo "make bench      the pipeline side by side with a bare Kafka relay (QUICK=1: a short proof run)"
	@echo "make eval       triage and routing on the evaluation set, each layer alone and combined (SPLIT=dev|test)"
	@echo "make test       every test tier against real Kafka and SMTP"
	@echo "make test-unit  unit and contract tests only (seconds)"
	@echo "make test-e2e   the integration and e2e tests"
	@echo "make test-browser  the pages in a real Chromium (screenshots in test-output/screenshots/)"
	@echo "make test-resilience  the fault-injection tests, with their counts"
	@echo "make schemas    rewrite the JSON Schema snapshots of the contracts"
	@echo "make asyncapi   export the partners' contract: AsyncAPI document and JSON Schemas (OUT=var/contract)"
	@echo "make dead-letters  list what waits on the dead-letter topics (then: python -m infra.dead_letters replay <id>)"
	@echo "                   with KAFKA_AUTH=scram both sign in over TLS as the local broker's operator"
	@echo "make migrate    bring every service's database to its latest schema (make up does it too)"
	@echo "make staff-account USERNAME=anne NAME='Anne Weber' ROLE=admin   a console account (asks for its password)"
	@echo "make clean      stop everything and delete var/"

setup: .venv/.synced var/kafka/libs/.fetched var/asyncapi-parser/.installed
	@$(PY) -m services.triage.lexicon build

# Java and Maven run the local Kafka broker; installed from Debian's packages when missing.
.java:
	@command -v java >/dev/null && command -v mvn >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless maven)

.venv/.synced: pyproject.toml uv.lock
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install -q "uv==$(UV_VERSION)"
	python3 -m uv sync --frozen --python python3.11
	@touch $@

# PostgreSQL runs as a local process for the tests; installed from Debian's packages when missing, without
# the package's own cluster (it would take port 5432 and start under systemd).
.postgres:
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null || \
	  (mkdir -p /etc/postgresql-common/createcluster.d && \
	   echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/aiguillage.conf && \
	   apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql)

# kcat, a Kafka client that is not Python, shows in the tests that a partner can work from the published contract
# alone; installed from Debian's packages when missing.
.kcat:
	@command -v kcat >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kcat)

# Debian's Chromium runs the browser tests (Playwright drives it; its own browser download is not used).
.chromium:
	@command -v chromium >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# Node.js runs the AsyncAPI project's own parser on the generated document (tests/contract/test_asyncapi.py);
# installed from Debian's packages when missing.
.node:
	@command -v node >/dev/null && command -v npm >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm)

# The parser's npm packages, exactly as locked in contracts/asyncapi_parser/, installed under var/ (never committed).
var/asyncapi-parser/.installed: contracts/asyncapi_parser/package.json contracts/asyncapi_parser/package-lock.json
	@$(MAKE) -s .node
	mkdir -p $(@D) && cp $^ $(@D)/
	npm ci --prefix $(@D) --ignore-scripts --no-audit --no-fund
	@touch $@

var/kafka/libs/.fetched: infra/kafka/pom.xml
	@$(MAKE) -s .java
	$(PY) -c "from pathlib import Path; from infra.kafka.local_kafka import ensure_libs; ensure_libs(Path('var/kafka/libs'))"
	@touch $@

run: setup
	$(PY) -m infra.stack run

up: setup
	$(PY) -m infra.stack up

down:
	@if [ -x $(PY) ]; then $(PY) -m infra.stack down; fi

status: setup
	$(PY) -m infra.stack status

demo: up
	$(PY) -m infra.demo

federation-demo: setup
	$(PY) -m infra.federation demo

bench: setup
	$(PY) -m bench $(if $(QUICK),--quick)

eval: setup
	$(PY) -m eval $(if $(SPLIT),--split $(SPLIT))

test: setup
	.venv/bin/lint-imports --no-cache
	@$(MAKE) -s .postgres .kcat .chromium
	$(PY) -m pytest

test-unit: setup
	$(PY) -m pytest -m "unit or contract"

test-e2e: setup
	@$(MAKE) -s .postgres .kcat
	$(PY) -m pytest -m "integration or e2e"

test-browser: setup
	@$(MAKE) -s .postgres .kcat .chromium
	$(PY) -m pytest -m browser

test-resilience: setup
	@$(MAKE) -s .postgres
	$(PY) -m pytest -m resilience -s

schemas: setup
	$(PY) -m contracts.schemas

asyncapi: OUT ?= var/contract
asyncapi: setup
	$(PY) -m contracts.asyncapi --out $(OUT)

dead-letters: setup
	$(PY) -m infra.dead_letters list

migrate: setup
	$(PY) -m services.runtime.migrations upgrade all

staff-account: setup
	@test -n "$(USERNAME)" -a -n "$(NAME)" || (echo "usage: make staff-account USERNAME=anne NAME='Anne Weber' ROLE=admin|triager|expert|viewer" >&2; exit 2)
	$(PY) -m services.runtime.migrations upgrade intake
	$(PY) -m services.intake.console.staff create --username "$(USERNAME)" --name "$(NAME)" --role "$(or $(ROLE),viewer)"

clean: down
	rm -rf var .pytest_cache test-output
