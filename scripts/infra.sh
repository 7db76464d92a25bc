# Sourced by test.sh and bench.sh: installs the environment, starts PostgreSQL and Kafka on
# loopback, and exports where the tests and benchmarks find them.
bash scripts/bootstrap.sh
bash deploy/postgres/postgres.sh start
bash deploy/kafka/kafka.sh start
export YUNYING_TEST_PG_URL
YUNYING_TEST_PG_URL="$(bash deploy/postgres/postgres.sh url test)"
export YUNYING_TEST_KAFKA_BOOTSTRAP="127.0.0.1:${YUNYING_KAFKA_PORT:-19092}"
