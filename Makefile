# The two commands users need first: `make run` and `make test`.
.PHONY: run test lint bench up down docs install

run: install  ## the embedded mode on http://127.0.0.1:$${PORT:-8000}
	.venv/bin/yunying run

test:  ## install, start PostgreSQL and Kafka locally, run every test tier
	bash scripts/test.sh

lint: install  ## ruff, format check, mypy strict on shared/ and every service, import contracts
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy shared/yunying_shared $$(.venv/bin/python -c 'from yunying_shared.kit import installed; print(*(f"services/{n}/{d.package}" for n, d in installed().items()))')
	.venv/bin/python scripts/lint_imports.py
	.venv/bin/python scripts/check_structure.py

bench: install  ## benchmarks; figures printed and written under bench/results/
	bash scripts/bench.sh

up:  ## the distributed mode as local processes (Kafka, PostgreSQL, one process per service)
	bash deploy/local/up.sh

down:
	bash deploy/local/down.sh

docs: install  ## regenerate what is derived: event docs, Dockerfiles, docker-compose.yml
	.venv/bin/python -m yunying_shared.events.docs
	.venv/bin/yunying deploy-files

install:
	@bash scripts/bootstrap.sh
