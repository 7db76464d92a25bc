#!/usr/bin/env bash
# `make bench`: every benchmark under bench/ against local PostgreSQL and Kafka. Each prints its
# figures and writes them as JSON under bench/results/; docs/BENCHMARKS.md says how to read them.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/infra.sh
mkdir -p bench/results

status=0
for bench in bench/bench_*.py; do
  echo "==> $bench"
  .venv/bin/python "$bench" || { echo "FAILED: $bench"; status=1; }
done
exit $status
