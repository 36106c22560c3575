# A real, throwaway PostgreSQL server for tests (sourced, not a test itself):
# initdb in a temp dir, pg_ctl on a free 127.0.0.1 port with the socket in
# that dir; it can be stopped and started again on the same port (the data
# stays). As root, the server runs as the postgres user. The caller removes
# it on exit with pg_cleanup (e.g. `trap pg_cleanup EXIT`, or from
# common.bash's cleanup through extra_cleanup).
#   pg_init            initdb + start; sets PG_PORT, PG_DIR
#   pg_createdb NAME   creates a database; prints its postgresql:// URI
#   pg_stop [MODE]     pg_ctl stop (fast by default)
#   pg_start           starts it again on PG_PORT
#   pg_psql DB SQL     runs SQL, prints unaligned tuples
source "$(dirname "${BASH_SOURCE[0]}")/ports.bash" # free_port
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
PG_DIR=""
PG_PORT=""
PG_AS=()

pg_init() {
    [[ -x $PG_BIN/initdb ]] || { echo "PostgreSQL server binaries not found (run scripts/setup.sh)" >&2; return 1; }
    PG_DIR=$(mktemp -d /tmp/avow-pg-XXXXXX)
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres "$PG_DIR"
        PG_AS=(runuser -u postgres --)
    fi
    PG_PORT=$(free_port)
    (cd / && "${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/pg" -A trust -U avow --no-sync >"$PG_DIR/initdb.log" 2>&1) ||
        { cat "$PG_DIR/initdb.log" >&2; return 1; }
    pg_start
}

pg_start() { # (from /: the postgres user may not enter the caller's folder)
    (cd / && "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/pg" -l "$PG_DIR/pg.log" -w -t 60 \
        -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null) ||
        { cat "$PG_DIR/pg.log" >&2; return 1; }
}

pg_stop() {
    (cd / && "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/pg" -m "${1:-fast}" -w -t 60 stop >/dev/null)
}

pg_createdb() {
    (cd / && "${PG_AS[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U avow "$1")
    echo "postgresql://avow@127.0.0.1:$PG_PORT/$1"
}

pg_psql() {
    "$PG_BIN/psql" -X -q -A -t -h 127.0.0.1 -p "$PG_PORT" -U avow -d "$1" -c "$2"
}

pg_cleanup() {
    [[ -n $PG_DIR ]] || return 0
    (cd / && "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/pg" -m immediate stop >/dev/null 2>&1) || true
    rm -rf "$PG_DIR"
}
