#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: `start DIR` creates one in
# DIR (a new, empty folder) on a free loopback port and prints its URL;
# `stop DIR` stops it and removes DIR. As root, initdb and pg_ctl (which
# refuse root) run as the `postgres` user. Uses Debian's newest installed
# PostgreSQL (/usr/lib/postgresql/N/bin), else whatever is on PATH.
set -euo pipefail

bin_dir() {
  local newest
  newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -n "$newest" ] && [ -x "$newest/initdb" ]; then echo "$newest"; return; fi
  local initdb
  initdb=$(command -v initdb || true)
  if [ -n "$initdb" ]; then dirname "$initdb"; return; fi
  return 1
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

case "${1:-}" in
  available)
    bin_dir >/dev/null 2>&1
    ;;
  start)
    dir=${2:?usage: postgres-cluster.sh start DIR}
    bin=$(bin_dir) || { echo "postgres-cluster: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
    printf '%s\n' "$password" >"$dir/pwfile"
    if [ "$(id -u)" = 0 ]; then chown -R postgres "$dir"; fi
    # The postgres user may not be able to enter the caller's directory.
    cd "$dir"
    # Local socket: trust (the owner only); TCP: a password, as in production.
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    rm -f "$dir/pwfile"
    port=$(free_port)
    # fsync off: a test cluster need not survive a power loss, and it is faster.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgres://postgres:$password@127.0.0.1:$port/postgres?sslmode=disable"
    ;;
  stop)
    dir=${2:?usage: postgres-cluster.sh stop DIR}
    cd /
    if bin=$(bin_dir) && [ -d "$dir/data" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: postgres-cluster.sh available | start DIR | stop DIR" >&2
    exit 2
    ;;
esac
