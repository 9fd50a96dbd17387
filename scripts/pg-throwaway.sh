#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for tests and trials, and prints its URL.
#   scripts/pg-throwaway.sh start DIR [PORT]   initdb (first time) and start; prints postgres://...
#                                              (a free port when PORT is left out; the running
#                                              cluster's URL when it is already up)
#   scripts/pg-throwaway.sh stop DIR           stops it, if running (the folder stays: remove it
#                                              to forget the cluster)
# Installs Debian's postgresql when no server is on the machine. initdb refuses to run as root,
# so as root the cluster belongs to the `postgres` user. Trust authentication, listening on
# loopback only: this cluster is for tests, never for data that matters.
set -euo pipefail
usage() { echo "usage: $0 start DIR [PORT] | stop DIR" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 dir=$2 port=${3:-}
root() { [ "$(id -u)" = 0 ]; }
sudo_() { if root; then "$@"; else sudo "$@"; fi; }
as_owner() { if root; then runuser -u postgres -- "$@"; else "$@"; fi; }
server_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }

bin=$(server_bin || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "installing Debian's postgresql" >&2
  sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq --no-install-recommends \
    postgresql libpq-dev >/dev/null
  bin=$(server_bin)
fi

# The port of the cluster running in $dir, if one is.
running_port() {
  as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 || return 1
  sed -n 4p "$dir/data/postmaster.pid"
}

# A port nothing on loopback answers on (a connection to it is refused).
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  echo "found no free port" >&2
  return 1
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if root; then
      chown postgres: "$dir"
      # The postgres user must reach the folder: not under /root or another 0700 home.
      as_owner test -w "$dir" || {
        echo "the postgres user cannot write to $dir: choose a folder it can reach, e.g. under /tmp" >&2
        exit 1
      }
    fi
    if p=$(running_port); then
      echo "postgres://postgres@127.0.0.1:$p/postgres"
      exit 0
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    # A chosen port may be taken between the check and the start: try another few times.
    tries=1
    [ -n "$port" ] || tries=5
    for try in $(seq "$tries"); do
      p=${port:-$(free_port)}
      if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 120 -o \
        "-p $p -k '$dir' -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=on" \
        start >/dev/null; then
        echo "postgres://postgres@127.0.0.1:$p/postgres"
        exit 0
      fi
      echo "PostgreSQL did not start on port $p (attempt $try of $tries)" >&2
    done
    echo "the end of $dir/server.log:" >&2
    tail -n 20 "$dir/server.log" >&2 || true
    exit 1
    ;;
  stop)
    [ -d "$dir/data" ] || exit 0
    dir=$(cd "$dir" && pwd)
    if running_port >/dev/null; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 120 stop >/dev/null
    fi
    ;;
  *) usage ;;
esac
