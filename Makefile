# Everything runs from a virtualenv in .venv, made by `make setup`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The packages: the shared core and the three components.
PACKAGES := offer master agent frameworks
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: setup engine protos demo test screenshots lint bench cluster cluster-down clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

## setup: the virtualenv with the project and its dev tools
setup: $(VENV)/.installed

## engine: a running Docker engine and the local test image, and as root on Debian the tools for hosts on one machine (iproute2, iptables, docker-registry) (idempotent)
engine:
	bash scripts/docker-engine.sh

## protos: regenerate offer/v1/ from protos/
protos: setup
	$(PY) -m grpc_tools.protoc -I protos --python_out=. --pyi_out=. --grpc_python_out=. protos/offer/v1/*.proto

## demo: a master, an agent, a small framework, offer-service (an app, one container killed and replaced) and offer-batch (a job run), shown by offerctl; leaves nothing behind
demo: setup engine
	$(PY) scripts/demo.py

## test: the whole test suite (real processes, real Docker engine); without an engine: .venv/bin/python -m pytest -m 'not docker'
test: setup engine
	$(PY) -m pytest -n 2 -q

## screenshots: the web UI's tests in chromium, keeping their photographs of the main pages in docs/screenshots/
screenshots: setup engine
	OFFER_SCREENSHOTS=$(CURDIR)/docs/screenshots $(PY) -m pytest -q tests/browser/test_pages.py

## lint: ruff and mypy
lint: setup
	$(VENV)/bin/ruff check $(PACKAGES) tests examples scripts bench
	$(VENV)/bin/ruff format --check $(PACKAGES) tests examples scripts bench
	$(VENV)/bin/mypy $(PACKAGES) bench

## bench: every benchmark (needs root for a private Docker engine); writes docs/performance.md and docs/*.png (BENCH_QUICK=1 for a smaller run)
bench: setup engine
	$(PY) -m bench.run

# How many hosts `make cluster` makes.
HOSTS ?= 3

## cluster: a local cluster of HOSTS hosts (default 3; needs root): a network namespace, Docker engine and agent per host, a registry, master, offer-service and offer-batch; prints how to point offerctl at it
cluster: setup engine
	$(VENV)/bin/offer-cluster up --hosts $(HOSTS)

## cluster-down: stop and remove everything `make cluster` made
cluster-down: setup
	$(VENV)/bin/offer-cluster down

clean:
	rm -rf $(VENV) offer-state demo-state .pytest_cache .mypy_cache .ruff_cache
