#!/usr/bin/env bash
# `make bench`: every benchmark under bench/ against local PostgreSQL and Kafka. Each prints its
# figures and writes them as JSON under bench/results/; docs/BENCHMARKS.md says how to read them.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
bash deploy/postgres/postgres.sh start
bash deploy/kafka/kafka.sh start
export YUNYING_TEST_PG_URL
YUNYING_TEST_PG_URL="$(bash deploy/postgres/postgres.sh url test)"
export YUNYING_TEST_KAFKA_BOOTSTRAP="127.0.0.1:${YUNYING_KAFKA_PORT:-19092}"
mkdir -p bench/results

status=0
for bench in bench/bench_*.py; do
  echo "==> $bench"
  .venv/bin/python "$bench" || { echo "FAILED: $bench"; status=1; }
done
exit $status
