# Sourced by test.sh and bench.sh: installs the environment, starts PostgreSQL, Kafka and Redis on
# loopback, and exports where the tests and benchmarks find them.
bash scripts/bootstrap.sh
bash deploy/postgres/postgres.sh start
bash deploy/kafka/kafka.sh start
bash deploy/redis/redis.sh start
export YUNYING_TEST_PG_URL
YUNYING_TEST_PG_URL="$(bash deploy/postgres/postgres.sh url test)"
export YUNYING_TEST_KAFKA_BOOTSTRAP="127.0.0.1:${YUNYING_KAFKA_PORT:-19092}"
export YUNYING_TEST_REDIS_URL
YUNYING_TEST_REDIS_URL="$(bash deploy/redis/redis.sh url)"
