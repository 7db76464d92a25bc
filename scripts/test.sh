#!/usr/bin/env bash
# `make test`: install, start PostgreSQL and Kafka on loopback, run every test tier.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
bash deploy/postgres/postgres.sh start
bash deploy/kafka/kafka.sh start

export YUNYING_TEST_PG_URL
YUNYING_TEST_PG_URL="$(bash deploy/postgres/postgres.sh url test)"
export YUNYING_TEST_KAFKA_BOOTSTRAP="127.0.0.1:${YUNYING_KAFKA_PORT:-19092}"
export YUNYING_REQUIRE_INFRA=1   # a missing server fails the run instead of skipping tests

.venv/bin/pytest "$@"
