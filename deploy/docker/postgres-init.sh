#!/bin/bash
# The postgres image runs this once, on an empty data volume (/docker-entrypoint-initdb.d):
# one database per service, owned by the application role, as deploy/postgres/postgres.sh
# does for the local mode. YUNYING_DATABASES lists the services (with underscores).
set -eo pipefail

for service in ${YUNYING_DATABASES:?list the services in YUNYING_DATABASES}; do
  echo "yunying: creating database yunying_$service"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -c "CREATE DATABASE \"yunying_$service\" OWNER \"$POSTGRES_USER\""
done
