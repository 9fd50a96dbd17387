#!/usr/bin/env bash
# Tries Stafet the way a hosted deployment runs it: a throwaway PostgreSQL, a local SMTP sink that
# writes each email as an .eml file into data/two-instances-mail/, and two `stafet serve`
# instances on the one database, at http://127.0.0.1:8081 and http://127.0.0.1:8082. Prints a staff
# login; Ctrl-C stops everything and deletes the database. STAFET_BIN runs another build (the
# default is a release build of this checkout).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
chmod 755 "$dir" # the postgres user runs the cluster in a folder of its own here
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/pg-throwaway.sh stop "$dir/pg" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

bin=${STAFET_BIN:-}
if [ -z "$bin" ]; then
  cargo build --release
  bin=target/release/stafet
fi
url=$(scripts/pg-throwaway.sh start "$dir/pg")
echo "PostgreSQL: $url"

# The SMTP sink of the browser tests, run on its own: it prints its port once it listens.
mail=data/two-instances-mail
node --input-type=module -e "
  import { startSmtpSink } from './tests/e2e/smtp-sink.js';
  const sink = await startSmtpSink('$mail');
  console.log(sink.port);
" > "$dir/smtp-port" &
pids+=($!)
for _ in $(seq 50); do [ -s "$dir/smtp-port" ] && break; sleep 0.1; done
port=$(head -n1 "$dir/smtp-port")
export STAFET__EMAIL__SMTP__HOST=127.0.0.1 STAFET__EMAIL__SMTP__PORT="$port" STAFET__EMAIL__SMTP__TLS=none
echo "Emails: $mail/ (SMTP sink on port $port)"

"$bin" user add --email admin@example.dk --role admin --db "$url" | sed 's/^/admin@example.dk /'
for p in 8081 8082; do
  STAFET__SERVER__PUBLIC_URL="http://127.0.0.1:$p" "$bin" serve --bind "127.0.0.1:$p" --db "$url" &
  pids+=($!)
done
echo "Two instances: http://127.0.0.1:8081/console and http://127.0.0.1:8082/console (Ctrl-C stops)"
wait -n "${pids[@]}"
