# The two commands users need first: `make run` and `make test`.
.PHONY: run test lint bench up down docs install

run: install  ## the embedded mode on http://127.0.0.1:$${PORT:-8000}
	.venv/bin/yunying run

test:  ## install, start PostgreSQL and Kafka locally, run every test tier
	bash scripts/test.sh

lint: install  ## ruff, mypy, import contracts
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy shared/yunying_shared
	.venv/bin/lint-imports

bench: install  ## benchmarks; figures printed and written under bench/results/
	bash scripts/bench.sh

up:  ## the distributed mode as local processes (Kafka, PostgreSQL, one process per service)
	bash deploy/local/up.sh

down:
	bash deploy/local/down.sh

docs: install  ## regenerate the event docs from the catalogue
	.venv/bin/python -m yunying_shared.events.docs

install:
	@bash scripts/bootstrap.sh
