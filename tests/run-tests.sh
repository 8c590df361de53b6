#!/usr/bin/env bash
# Runs every test on this machine: makes sure PostgreSQL runs (installing it with apt-get when missing),
# creates a throwaway database for the integration tests, builds, runs the suites and a load-test smoke run against a
# local cluster, drops the databases.
# The last line printed is the summary: "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
source deploy/lib/postgres.sh

results="$PWD/results/tests"
rm -rf "$results" && mkdir -p "$results"
summary() { echo "tests: $1 passed, $2 failed"; }

if ! lc_ensure_postgres; then
  echo "PostgreSQL could not be started; the integration tests cannot run." >&2
  summary 0 1; exit 1
fi
# The analytics page is tested in headless Chromium (Debian's package); install it once when missing.
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium for the browser test" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 \
    || echo "chromium could not be installed; the browser test will be skipped" >&2
fi

db="lc_test_$(date +%s)_$$"
password="lc-test-$RANDOM$RANDOM"
lc_create_database "$db" lc_test "$password"
trap 'lc_drop_database "$db" >/dev/null 2>&1 || true' EXIT
export LIVECOMMERCE_TEST_POSTGRES="$(lc_connection_string "$db" lc_test "$password")"

if ! dotnet build Actors.sln -c Release -nologo -v q; then
  echo "build failed" >&2
  summary 0 1; exit 1
fi

dotnet test --project tests/LiveCommerce.Tests -c Release --no-build \
  --report-xunit-trx --report-xunit-trx-filename unit.trx --results-directory "$results"
status=$?

# Load-test smoke: a tiny live evening against a real local cluster (2 silos + front door on PostgreSQL), with the
# books checked at the end. It has its own state folder, database and ports, so a developer's cluster is untouched.
smoke_env=(LC_CLUSTER_DIR="$PWD/.local/smoke-cluster" LC_DATABASE="lc_smoke_$$" LC_DATABASE_USER=lc_smoke
  LC_BASE_SILO_PORT=11311 LC_BASE_GATEWAY_PORT=30200 LC_API_PORT=5181 LC_DASHBOARD=false LC_SKIP_BUILD=1)
smoke_down() { env "${smoke_env[@]}" deploy/local-cluster.sh down --purge >/dev/null 2>&1 || true; }
trap 'smoke_down; lc_drop_database "$db" >/dev/null 2>&1 || true' EXIT
smoke_failed=1
viewers_failed=1
if env "${smoke_env[@]}" deploy/local-cluster.sh up --silos 2 >"$results/smoke-cluster.log" 2>&1; then
  if dotnet tests/LoadTest/bin/Release/net10.0/LiveCommerce.LoadTest.dll --smoke \
      --cluster-dir "$PWD/.local/smoke-cluster" --results "$results/load-smoke" >"$results/load-smoke.log" 2>&1; then
    smoke_failed=0
  fi
  tail -n 3 "$results/load-smoke.log"
  # Viewers smoke: a few hundred Server-Sent-Events subscribers beside the live evening; every stream's event ids
  # must be consecutive (a viewer's stock and price never silently stale).
  if dotnet tests/LoadTest/bin/Release/net10.0/LiveCommerce.LoadTest.dll --smoke --scenario viewers --subscribers 200 \
      --cluster-dir "$PWD/.local/smoke-cluster" --results "$results/viewers-smoke" >"$results/viewers-smoke.log" 2>&1; then
    viewers_failed=0
  fi
  tail -n 2 "$results/viewers-smoke.log"
else
  echo "the smoke cluster did not start; see $results/smoke-cluster.log" >&2
fi
smoke_down
[ "$viewers_failed" -eq 0 ] || { echo "viewers smoke FAILED (log: $results/viewers-smoke.log)" >&2; tail -n 15 "$results/viewers-smoke.log" >&2; }
[ "$smoke_failed" -eq 0 ] || { echo "load-test smoke FAILED (log: $results/load-smoke.log)" >&2; tail -n 15 "$results/load-smoke.log" >&2; }

passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0} + ${e:-0}))
done
# A crashed test host writes no report: count it as a failure rather than a green run.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$smoke_failed" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
if [ "$viewers_failed" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
summary "$passed" "$failed"
[ "$failed" -eq 0 ]
