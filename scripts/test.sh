#!/usr/bin/env bash
# `make test`: install, start PostgreSQL and Kafka on loopback, run every test tier.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/infra.sh
export YUNYING_REQUIRE_INFRA=1   # a missing server fails the run instead of skipping tests

.venv/bin/pytest "$@"
