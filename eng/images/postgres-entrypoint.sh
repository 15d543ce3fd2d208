#!/bin/sh
# The stand-in postgres image's entrypoint: the part of the official image's contract that Aspire and Compose use.
# On a first start (an empty PGDATA) it runs initdb as POSTGRES_USER (default postgres) with POSTGRES_PASSWORD and
# POSTGRES_INITDB_ARGS, lets every host in with POSTGRES_HOST_AUTH_METHOD (default scram-sha-256), and creates
# POSTGRES_DB when it is not the default database. Then it runs the server as the postgres user, on every interface.
set -eu

if [ "${1:-}" != postgres ]; then
  exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /run/postgresql
  chown postgres:postgres "$PGDATA" /run/postgresql
  chmod 0700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "${POSTGRES_HOST_AUTH_METHOD:-}" != trust ]; then
    echo "postgres stand-in: POSTGRES_PASSWORD is required unless POSTGRES_HOST_AUTH_METHOD=trust, as in the official image" >&2
    exit 1
  fi
  user=${POSTGRES_USER:-postgres}
  database=${POSTGRES_DB:-$user}
  pwfile=$(mktemp)
  printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
  password=--pwfile=$pwfile
  [ -n "${POSTGRES_PASSWORD:-}" ] || password=--auth=trust
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of arguments, as the official image reads it
  initdb -D "$PGDATA" --username="$user" "$password" ${POSTGRES_INITDB_ARGS:-}
  rm -f "$pwfile"
  printf 'host all all all %s\n' "${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >>"$PGDATA/pg_hba.conf"
  if [ "$database" != postgres ]; then
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -k /run/postgresql" -w start >/dev/null
    echo 'CREATE DATABASE :"database";' | PGPASSWORD=${POSTGRES_PASSWORD:-} \
      psql -h /run/postgresql -U "$user" -d postgres -v ON_ERROR_STOP=1 -v database="$database" -q
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  fi
  echo "postgres stand-in: initialised $PGDATA for $user, database $database"
fi

exec "$@" -c listen_addresses='*' -k /run/postgresql
