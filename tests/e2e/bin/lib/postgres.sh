# shellcheck shell=bash
# PostgreSQL for the Debezium sources of scenarios 3 and 17. Sourced by lib.sh.

# ---------------------------------------------------------------------------------------------
# PostgreSQL (scenarios 3 and 17): a private throwaway cluster, wal_level=logical, trust auth on
# 127.0.0.1. initdb refuses root, so the cluster belongs to the `postgres` system user.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

# start_postgres: sets PGPORT and PGDIR; stopped by `stop_postgres` or run.sh's teardown.
start_postgres() {
  PGPORT=$(free_port)
  PGDIR=$(mktemp -d /tmp/starrocks-e2e-pg.XXXXXX)
  chown postgres: "$PGDIR"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$PGDIR/data" -U postgres -A trust -E UTF8 --no-sync \
    >"$RUN/pg-initdb.log" 2>&1 || fail "initdb failed: $(tail -5 "$RUN/pg-initdb.log")"
  cat >>"$PGDIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$PGDIR'
wal_level = logical
max_wal_senders = 8
max_replication_slots = 8
fsync = off
full_page_writes = off
CONF
  on_cleanup "runuser -u postgres -- $PG_BIN/pg_ctl -D $PGDIR/data -m immediate -w stop; rm -rf $PGDIR"
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/pg.log" -w -t 30 start \
    >/dev/null || fail "PostgreSQL did not start: $(tail -5 "$PGDIR/pg.log")"
  export PGPORT PGDIR
  log "PostgreSQL 15 on 127.0.0.1:$PGPORT ($(psql_exec 'SHOW wal_level') WAL)"
}

stop_postgres() {
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null 2>&1 || true
  cp "$PGDIR/pg.log" "$RUN/postgres.log" 2>/dev/null || true
  rm -rf "$PGDIR"
}

# psql_exec SQL: as the seed's user `postgres`, database `postgres`; rows tab-separated.
psql_exec() {
  psql -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt -F $'\t' -c "$1"
}
