# Antre: two commands on a fresh machine — `make up` runs the whole system, `make test` the tests.
.DEFAULT_GOAL := help
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo uv)

help: ## This list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install: ## Install what is missing: uv and the Python workspace, system packages, Kafka jars
	@command -v uv >/dev/null || pip install --quiet uv==0.13.8
	@uv sync --frozen --quiet
	@bash deploy/local/infra.sh install

infra: install ## Start Kafka, Redis and Kannel (idempotent)
	@bash deploy/local/infra.sh up kafka redis kannel

up: infra ## Start the whole local system in the background and print its URLs (SIM=60 plays a day; KAFKA_NODES=3: a 3-node Kafka cluster)
	@bash deploy/local/services.sh up
	@bash deploy/local/infra.sh up prometheus
	@if [ -n "$(SIM)" ]; then nohup $(UV) run --frozen python -m tools.simulator --speed $(SIM) --survey-share 0.3 >var/log/simulator.log 2>&1 & echo "  Simulator (speed $(SIM)) -> var/log/simulator.log"; fi
	@echo
	@echo "Antre is running:"
	@echo "  Kiosk             http://127.0.0.1:8001/kiosk#kiosk-token=demo-kiosk-01   (no token: the public channel)"
	@echo "  Counter console   http://127.0.0.1:8001/counter/loket-1   (token demo-loket-01)"
	@echo "  Coordinator       http://127.0.0.1:8001/koordinator   (token demo-koordinator)"
	@echo "  Ticketing API     http://127.0.0.1:8001/docs"
	@echo "  Hall board        http://127.0.0.1:8002/board"
	@echo "  Notifier          http://127.0.0.1:8003/metrics"
	@echo "  Survey tablet     http://127.0.0.1:8004/survey/loket-1#tablet-token=demo-tablet-01"
	@echo "  IKM report        http://127.0.0.1:8004/ikm   (survey API: http://127.0.0.1:8004/docs)"
	@echo "  Kannel sendsms    http://127.0.0.1:13013   (SMS land in var/log/fakesmsc.log)"
	@echo "  Prometheus        http://127.0.0.1:9090"
	@echo "Stop with: make down"

down: ## Stop the services and the infrastructure
	@pkill -f "[p]ython -m tools.simulator" || true  # [p]: not this recipe's own shell
	@bash deploy/local/services.sh down
	@bash deploy/local/infra.sh down

status: ## What runs, and is it ready
	@bash deploy/local/infra.sh status || true
	@bash deploy/local/services.sh status

test: infra ## Run every test (unit, integration, e2e) against the real local infrastructure
	@uv run --frozen pytest

sim: ## Play a simulated MPP day against the running system (SPEED=60: one hour a minute)
	@$(UV) run --frozen python -m tools.simulator --speed $(or $(SPEED),60) --survey-share 0.3

lint: ## ruff and mypy
	@uv run --frozen ruff check .
	@uv run --frozen ruff format --check .
	@uv run --frozen mypy libs/contracts/src services/*/src tools/simulator deploy/grafana/build.py deploy/prometheus/service_levels.py

.PHONY: help install infra up down status sim test lint
