#!/usr/bin/env bash
# Starts the app for the e2e run exactly as a user would (`pnpm start`), on a database of its own:
# a fresh database on DATABASE_URL's server or the local one, or, with neither, the embedded Postgres,
# and a fresh DATA_DIR. Where it went is written to .state/env.json for the tests' CLI calls.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .state
port="${E2E_PORT:-3100}"
admin="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
now="$(date +%s)"
name="exports_e2e_${now}_$$"
# Playwright stops the server with a kill at the end of a run, so a run's database and DATA_DIR stay behind:
# those of runs started over an hour ago go now (the drop without force leaves a database still in use alone).
for old in $(psql "$admin" -qAtc "select datname from pg_database where datname ~ '^exports_e2e_[0-9]+_[0-9]+$'" 2>/dev/null || true); do
  started="${old#exports_e2e_}"
  if [ $((now - ${started%%_*})) -gt 3600 ]; then
    psql "$admin" -qAtc "drop database if exists $old" >/dev/null 2>&1 || true
  fi
done
find /tmp -maxdepth 1 -name 'exports-e2e-data.*' -mmin +60 -exec rm -rf {} + 2>/dev/null || true
# A fresh DATA_DIR too: its storage belongs to this run's database (a storage is bound to one database).
data_dir="$(mktemp -d /tmp/exports-e2e-data.XXXXXX)"
if psql "$admin" -qAtc "create database $name" >/dev/null 2>&1; then
  url="$(node -e 'const u=new URL(process.argv[1]);u.pathname="/"+process.argv[2];console.log(u.toString())' "$admin" "$name")"
  printf '{"DATABASE_URL":"%s","DATA_DIR":"%s"}\n' "$url" "$data_dir" > .state/env.json
  export DATABASE_URL="$url" DATA_DIR="$data_dir"
else
  printf '{"DATA_DIR":"%s","EMBEDDED_PG_PORT":"55439"}\n' "$data_dir" > .state/env.json
  unset DATABASE_URL
  export DATA_DIR="$data_dir" EMBEDDED_PG_PORT=55439
fi
# Small pages so exports take several pages (progress, cancel between pages) even on small data.
export PORT="$port" BOOTSTRAP_DEMO_USER=0 BOOTSTRAP_DEMO_DATA=0 EXPORT_PAGE_SIZE="${EXPORT_PAGE_SIZE:-500}" MAX_ACTIVE_EXPORTS_PER_USER=20
# tests/http.spec.ts serves a page of another origin on this port and calls the REST API from it (CORS).
export CORS_ORIGINS="http://127.0.0.1:$((port + 4000))"
# tests/webhooks.spec.ts runs its receiver on loopback: lift the webhook address rule, retry quickly.
export WEBHOOK_ALLOW_PRIVATE=1 WEBHOOK_RETRY_SCHEDULE=1,2,4
cd ..
exec pnpm start
