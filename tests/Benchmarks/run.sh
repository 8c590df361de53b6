#!/usr/bin/env bash
# Runs a benchmark against a local PostgreSQL (started, and installed with apt-get, when needed) in its own database.
#   tests/Benchmarks/run.sh room [--seconds 15] [--concurrency 200] [--rounds 2]
#   tests/Benchmarks/run.sh risk [--seconds 3] [--concurrency 200] [--rounds 20]   (slice length, pairs of slices)
#   tests/Benchmarks/run.sh buyers [--buyers 100000]      (DOTNET_gcServer=1 to match the silo's GC mode)
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/lib/postgres.sh
lc_ensure_postgres
# A fresh database each run: reminders and open reservations left by an earlier run would wake up and skew it.
lc_drop_database lc_bench >/dev/null 2>&1 || true
lc_create_database lc_bench lc_bench lc-bench-password
export LIVECOMMERCE_BENCH_POSTGRES="$(lc_connection_string lc_bench lc_bench lc-bench-password)"
dotnet run -c Release --project tests/Benchmarks -- "$@"
