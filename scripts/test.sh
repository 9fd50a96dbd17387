#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, unit, property and integration tests,
# then the pages end to end in Debian's headless Chromium. What is missing is installed here:
# chromium, libpq-dev (the build links libpq) and a PostgreSQL server, of which a throwaway
# cluster runs during the tests (or set STAFET_TEST_PG_URL to use a server of your own).
# A PostgreSQL that cannot start fails the run: no test is skipped for want of one.
#
# The integration tests and the pages run twice: on SQLite, then on PostgreSQL
# (STAFET_TEST_BACKEND=postgres: each test server gets a fresh database). Unit tests run once.
# What is SQLite by nature (its file, WAL, kill -9 and full-disk checks, backups, the one-server
# lock, query plans) runs in the SQLite pass only: tests/sqlite_only.txt lists it, with why.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "cargo is required (https://rustup.rs)"; exit 1; }
rustup component add rustfmt clippy >/dev/null 2>&1 || true
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium fonts-dejavu-core)
[ -f /usr/include/postgresql/libpq-fe.h ] || missing+=(libpq-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian's ${missing[*]}"
  sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq "${missing[@]}" >/dev/null
fi
(cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)

cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
cargo build --locked

if [ -z "${STAFET_TEST_PG_URL:-}" ]; then
  pg_dir=$(mktemp -d)
  trap 'scripts/pg-throwaway.sh stop "$pg_dir" || true; rm -rf "$pg_dir"' EXIT
  STAFET_TEST_PG_URL=$(scripts/pg-throwaway.sh start "$pg_dir")
  echo "a throwaway PostgreSQL for the tests at $STAFET_TEST_PG_URL"
fi
export STAFET_TEST_PG_URL
STAFET_TEST_BACKEND=sqlite cargo test --all-targets --locked
(cd tests/e2e && STAFET_TEST_BACKEND=sqlite node --test --test-concurrency=1 .)

# The PostgreSQL pass: the integration suite (tests/api, tests/idle) less the modules SQLite-only
# as a whole and the SQLite-only tests of the others.
skips=()
while read -r kind name _; do
  case "$kind" in
    module) skips+=(--skip "$name::") ;;
    test) skips+=(--skip "$name") ;;
  esac
done < <(grep -v '^#' tests/sqlite_only.txt)
export STAFET_TEST_BACKEND=postgres
cargo test --locked --test api --test idle -- "${skips[@]}"
(cd tests/e2e && node --test --test-concurrency=1 .)
