# The two commands: `make run` starts the service, `make test` runs the tests.
# Both build the virtualenv from nothing on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
WORKERS ?= 1
HOST ?= 0.0.0.0
PORT ?= 8000
# Usage records already log every /v1 request; `make run ACCESS_LOG="--access-logfile -"` adds gunicorn's.
ACCESS_LOG ?=
# prometheus_client's multiprocess mode, so /metrics adds up every gunicorn worker.
METRICS_DIR ?= $(CURDIR)/data/prometheus

.PHONY: run test venv dev-venv migrate catalog routing-eval semantic-extra bench bench-peer bench-analytics soak clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

# torch (the semantic cache's local embedder) goes in first and pinned, so nothing pulls a CUDA build.
$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.txt requirements-semantic.txt
	$(PY) -m pip install -q -r requirements-semantic.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	sh tests/browser/install-chromium.sh
	touch $@

venv: $(VENV)/.installed
dev-venv: $(VENV)/.dev-installed

.env:
	$(PY) -m gatewayproj.write_env .env

migrate: venv .env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v 0

catalog: migrate
	$(PY) manage.py load_catalog

run: catalog
	rm -rf $(METRICS_DIR) && mkdir -p $(METRICS_DIR)
	PROMETHEUS_MULTIPROC_DIR=$(METRICS_DIR) $(VENV)/bin/gunicorn gatewayproj.asgi:application -k uvicorn_worker.UvicornWorker \
		--workers $(WORKERS) --bind $(HOST):$(PORT) --graceful-timeout 30 $(ACCESS_LOG)

test: dev-venv
	$(PY) -m pytest $(PYTEST_ARGS)

routing-eval: dev-venv
	$(PY) bench/routing_eval.py

semantic-extra: venv
	$(PY) -m pip install -q -r requirements-semantic.txt

# Benchmarks run from a venv with requirements.txt only, as `make run` deploys: test tools in the
# dev venv (rich, click, jinja2, ...) get imported by httpx and Django and add ~15 MiB per worker.
BENCH_VENV ?= .venv-bench

bench:
	$(MAKE) venv VENV=$(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m bench.run_bench $(BENCH_ARGS)

bench-peer:
	$(MAKE) venv VENV=$(BENCH_VENV)
	PYTHON=$(PYTHON) bash bench/peer/install.sh
	$(BENCH_VENV)/bin/python -m bench.run_peer $(BENCH_ARGS)

bench-analytics: dev-venv
	$(PY) bench/analytics_scale.py $(BENCH_ARGS)

soak: dev-venv
	$(PY) bench/soak.py $(SOAK_ARGS)

clean:
	rm -rf $(VENV) staticfiles
